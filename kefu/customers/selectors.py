"""Reading customers: search, lists with filters, the 360° page's parts, duplicates."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Max, Prefetch, QuerySet, Sum

from kefu.customers import search_index
from kefu.customers.contacts import search_digits
from kefu.customers.models import (
    ContactPoint,
    CreditRating,
    Customer,
    CustomerKind,
    MergeRecord,
    Purchase,
    Tag,
)
from kefu.customers.timeline import SOURCES, TimelineRow

CENT = Decimal("0.01")
_PHONE_FRAGMENT = re.compile(r"^\+?[\d\s\-()]{3,}$")


def can_view_pii(user) -> bool:
    """Whether `user` sees phone numbers, emails and WeChat ids unmasked."""
    return bool(user and user.is_authenticated and user.has_perm("accounts.view_pii"))


def search_terms(q: str) -> list[str]:
    """Split a query into lower-case terms; phone-like terms become their digits."""
    q = (q or "").strip()
    if not q:
        return []
    if _PHONE_FRAGMENT.match(q):
        digits = search_digits(q) if q.startswith("+86") else re.sub(r"\D", "", q)
        return [digits] if digits else []
    terms = []
    for term in q.lower().split():
        if _PHONE_FRAGMENT.match(term):
            term = re.sub(r"\D", "", term)
        if term:
            terms.append(term)
    return terms


def customer_search(q: str, queryset: QuerySet[Customer] | None = None) -> QuerySet[Customer]:
    """Customers whose name, number, organisation or contacts contain every term of `q`.

    Matches Chinese substrings (张伟, 李), any fragment of a phone's digits, emails, WeChat ids and
    customer numbers: each term must be a substring of the lower-cased `search_text`. The
    database's inverted index over `search_tokens` (SQLite FTS5, PostgreSQL GIN) narrows the
    candidates to customers having all the terms' n-grams; LIKE then checks them exactly
    (kefu.customers.search_index explains why no match is lost).
    """
    qs = Customer.objects.active() if queryset is None else queryset
    terms = search_terms(q)
    tokens: list[str] = []
    for term in terms:
        tokens += [t for t in search_index.term_tokens(term) if t not in tokens]
    if tokens and connection.vendor == "postgresql":
        condition = search_index.token_filter_for_postgresql(tokens)
    else:
        condition = search_index.token_filter(tokens)
    if condition is not None:
        qs = qs.filter(condition)
    for term in terms:
        if condition is None or not search_index.term_is_exact(term):
            qs = qs.filter(search_text__contains=term)
    return qs


SEARCH_COUNT_CAP = 1000


def capped_count(queryset: QuerySet, cap: int = SEARCH_COUNT_CAP) -> int:
    """The number of rows, counted up to `cap` + 1 only ("1,000+"): a broad search over a
    million customers need not count every match."""
    return queryset.order_by()[: cap + 1].count()


def customer_list(
    *,
    actor=None,
    q: str = "",
    tier: str = "",
    tag: str = "",
    kind: str = "",
    is_vip: bool | None = None,
    organization_id: int | None = None,
) -> QuerySet[Customer]:
    """The filtered customer list with organisation, tags and contacts (3 queries a page)."""
    qs = customer_search(q)
    if tier:
        qs = qs.filter(tier="" if tier == "none" else tier)
    if tag:
        qs = qs.filter(tags__name=tag)
    if kind:
        qs = qs.filter(kind=kind)
    if is_vip is not None:
        qs = qs.filter(is_vip=is_vip)
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    return (
        qs.select_related("organization")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
            Prefetch(
                "contacts", queryset=ContactPoint.objects.order_by("-is_primary", "kind", "id")
            ),
        )
        .order_by("-id")
    )


def organization_list(*, actor=None, q: str = "") -> QuerySet[Customer]:
    return (
        customer_search(q)
        .filter(kind=CustomerKind.ORGANIZATION)
        .annotate(people_count=Count("people"))
        .order_by("name")
    )


def customer_get(*, actor=None, customer_id: int, include_merged: bool = False) -> Customer:
    """One customer with organisation, tags and contacts loaded; raises DoesNotExist."""
    qs = Customer.objects.select_related("organization", "merged_into", "user").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name")),
        Prefetch("contacts", queryset=ContactPoint.objects.order_by("-is_primary", "kind", "id")),
    )
    if not include_merged:
        qs = qs.filter(merged_into__isnull=True)
    return qs.get(pk=customer_id)


@dataclass(frozen=True)
class PurchaseSummary:
    count: int
    totals: list[tuple[str, object]]  # (currency, amount), largest first
    last_at: object


def purchase_summary(customer: Customer) -> PurchaseSummary:
    """Number of purchases, total per currency and the last purchase date (one query)."""
    rows = list(
        Purchase.objects.filter(customer=customer)
        .values("currency")
        .annotate(n=Count("id"), total=Sum("amount"), last=Max("ordered_at"))
        .order_by("-total")
    )
    return PurchaseSummary(
        count=sum(r["n"] for r in rows),
        totals=[(r["currency"], Decimal(r["total"]).quantize(CENT)) for r in rows],
        last_at=max((r["last"] for r in rows), default=None),
    )


def purchase_list(*, actor=None, customer_id: int | None = None) -> QuerySet[Purchase]:
    qs = Purchase.objects.select_related("customer").order_by("-ordered_at", "-id")
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs


def credit_rating_list(customer: Customer) -> QuerySet[CreditRating]:
    return customer.credit_ratings.select_related("rated_by").order_by("-rated_at", "-id")


def customer_timeline(
    customer: Customer, kinds: list[str] | None = None, limit: int = 50
) -> list[TimelineRow]:
    """The newest `limit` events across every registered source (one query per source)."""
    rows: list[TimelineRow] = []
    for kind, source in SOURCES.items():
        if kinds and kind not in kinds:
            continue
        for row in source.func(customer, limit=limit):
            rows.append(row if isinstance(row, TimelineRow) else TimelineRow(*row))
    rows.sort(key=lambda r: r.at, reverse=True)
    return rows[:limit]


@dataclass
class DuplicateSuggestion:
    customer: Customer
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (contact kind or "name", value)


def duplicate_suggestions(customer: Customer, limit: int = 10) -> list[DuplicateSuggestion]:
    """Other active customers sharing a normalised phone/email/WeChat id, or with a similar name."""
    found: dict[int, DuplicateSuggestion] = {}
    keys = list(customer.contacts.exclude(kind="address").values_list("kind", "normalized"))
    if keys:
        values = {normalized for _kind, normalized in keys}
        matches = (
            ContactPoint.objects.filter(normalized__in=values, customer__merged_into__isnull=True)
            .exclude(customer=customer)
            .exclude(kind="address")
            .select_related("customer")[: limit * 5]
        )
        for contact in matches:
            suggestion = found.setdefault(
                contact.customer_id, DuplicateSuggestion(contact.customer)
            )
            suggestion.reasons.append((contact.kind, contact.normalized))
    name = customer.name.strip()
    if name:
        prefix = name[:2] if len(name) >= 2 else name
        candidates = (
            Customer.objects.active()
            .filter(kind=customer.kind, name__istartswith=prefix)
            .exclude(pk=customer.pk)
            .order_by("-id")[:200]
        )
        for candidate in candidates:
            ratio = difflib.SequenceMatcher(None, name.lower(), candidate.name.lower()).ratio()
            if ratio >= 0.8:
                suggestion = found.setdefault(candidate.pk, DuplicateSuggestion(candidate))
                suggestion.reasons.append(("name", candidate.name))
    ordered = sorted(found.values(), key=lambda s: (-len(s.reasons), -s.customer.pk))
    return ordered[:limit]


def merge_list(customer: Customer) -> QuerySet[MergeRecord]:
    return MergeRecord.objects.filter(kept=customer).select_related("merged").order_by("-id")
