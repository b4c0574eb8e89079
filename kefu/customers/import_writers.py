"""Batch writers for imports: validate up to 1,000 rows, then write them with bulk queries.

Customers are matched to existing records by customer number, else by a normalised phone,
email or WeChat id, so importing the same file twice changes nothing the second time.
Each writer returns counts and RowErrors; the caller owns the transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.bulk import insert_rows
from kefu.customers.attributes import clean_attributes
from kefu.customers.contacts import ContactValueError, normalize_contact
from kefu.customers.models import ContactKind, ContactPoint, Customer, CustomerKind, Tier
from kefu.customers.purchases import PurchaseBulkResult as BatchResult
from kefu.customers.purchases import RowError

CONTACT_COLUMNS = ("mobile", "phone", "email", "wechat", "address")
CUSTOMER_FIELDS = (
    "number",
    "name",
    "kind",
    "organization",
    "tier",
    "is_vip",
    "language",
    "region",
    "notes",
    "tags",
    *CONTACT_COLUMNS,
)
CONTACT_FIELDS = ("customer_number", "kind", "value", "is_primary")
PURCHASE_FIELDS = (
    "customer_number",
    "customer_id",
    "source",
    "external_id",
    "ordered_at",
    "amount",
    "currency",
    "gross_margin",
    "product",
    "quantity",
    "channel",
)
SIMPLE_FIELDS = ("name", "tier", "is_vip", "language", "region", "notes")
KIND_WORDS = {
    "person": CustomerKind.PERSON,
    "个人": CustomerKind.PERSON,
    "organization": CustomerKind.ORGANIZATION,
    "organisation": CustomerKind.ORGANIZATION,
    "company": CustomerKind.ORGANIZATION,
    "企业": CustomerKind.ORGANIZATION,
    "企业客户": CustomerKind.ORGANIZATION,
    "组织": CustomerKind.ORGANIZATION,
}
TRUE_WORDS = {"1", "y", "yes", "true", "vip", "是", "x", "✓"}
_TAG_SPLIT = re.compile(r"[,，;；|、]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 13812341234 as a float
    return str(value).strip()


@dataclass
class ParsedCustomer:
    row: int
    number: str
    values: dict[str, Any]
    contacts: list[tuple[str, str, str]]  # kind, value, normalized
    tags: list[str]
    attributes: dict[str, Any]
    organization_name: str
    matched_id: int | None = None
    errors: list[RowError] = field(default_factory=list)


def _parse_customer(number: int, row: Mapping[str, Any], definitions) -> ParsedCustomer:
    parsed = ParsedCustomer(number, _text(row.get("number")), {}, [], [], {}, "")

    def fail(column: str, message: str) -> None:
        parsed.errors.append(RowError(number, column, message))

    name = _text(row.get("name"))
    if len(name) > 200:
        fail("name", _("At most 200 characters."))
    elif name:
        parsed.values["name"] = name
    kind_text = _text(row.get("kind")).lower()
    if kind_text:
        if kind_text not in KIND_WORDS:
            fail("kind", _("Use person or organization."))
        else:
            parsed.values["kind"] = KIND_WORDS[kind_text]
    tier = _text(row.get("tier")).upper()
    if tier:
        if tier.rstrip("类") not in Tier.values:
            fail("tier", _("The tier must be A, B, C or D."))
        else:
            parsed.values["tier"] = tier.rstrip("类")
    if _text(row.get("is_vip")):
        parsed.values["is_vip"] = _text(row.get("is_vip")).lower() in TRUE_WORDS
    for name_, limit in (("language", 10), ("region", 100), ("notes", 10_000)):
        value = _text(row.get(name_))
        if len(value) > limit:
            fail(name_, _("At most %(limit)s characters.") % {"limit": limit})
        elif value:
            parsed.values[name_] = value
    for kind in CONTACT_COLUMNS:
        value = _text(row.get(kind))
        if not value:
            continue
        try:
            parsed.contacts.append((kind, value, normalize_contact(kind, value)))
        except ContactValueError as exc:
            fail(kind, _(str(exc)))
    parsed.tags = sorted(
        {t.strip()[:50] for t in _TAG_SPLIT.split(_text(row.get("tags"))) if t.strip()}
    )
    parsed.organization_name = _text(row.get("organization"))
    raw_attributes = {k[5:]: v for k, v in row.items() if k.startswith("attr:") and _text(v)}
    if raw_attributes:
        cleaned, errors = clean_attributes(raw_attributes, definitions)
        for key, message in errors.items():
            if key.removeprefix("attributes.") in raw_attributes:
                fail("attr:" + key.removeprefix("attributes."), _(message))
        parsed.attributes = cleaned
    return parsed


def _tag_ids(names: set[str]) -> dict[str, int]:
    from kefu.customers.services import _tags_named

    return {t.name: t.pk for t in _tags_named(names)} if names else {}


def _organizations_by_name(names: set[str]) -> dict[str, int]:
    """Existing organisations with these names; missing ones are created (numbered)."""
    from kefu.customers.services import (
        format_customer_number,
        reserve_customer_ids,
        search_columns,
    )

    found = dict(
        Customer.objects.active()
        .filter(kind=CustomerKind.ORGANIZATION, name__in=names)
        .order_by("-id")
        .values_list("name", "pk")
    )
    missing = sorted(names - set(found))
    new = []
    for pk, name in zip(reserve_customer_ids(len(missing)), missing, strict=True):
        number = format_customer_number(pk)
        new.append(
            Customer(
                id=pk,
                number=number,
                kind=CustomerKind.ORGANIZATION,
                name=name,
                **search_columns(number=number, name=name),
            )
        )
    Customer.objects.bulk_create(new)
    found.update({c.name: c.pk for c in new})
    return found


def write_customer_batch(
    numbered_rows: Sequence[tuple[int, Mapping[str, Any]]], *, write: bool = True
) -> BatchResult:
    """Create or update customers from rows; organisations first so people can refer to them."""
    from kefu.customers.services import attribute_definitions

    definitions = attribute_definitions()
    parsed = [_parse_customer(n, row, definitions) for n, row in numbered_rows]
    result = BatchResult(written=write)
    for p in parsed:
        result.errors.extend(p.errors)
    valid = [p for p in parsed if not p.errors]
    organizations = [p for p in valid if p.values.get("kind") == CustomerKind.ORGANIZATION]
    people = [p for p in valid if p.values.get("kind") != CustomerKind.ORGANIZATION]
    for group in (organizations, people):
        if group:
            result.add(_write_customers(group))
    return result


def _write_customers(parsed: list[ParsedCustomer]) -> BatchResult:
    from kefu.customers.services import (
        format_customer_number,
        reserve_customer_ids,
        search_columns,
    )

    result = BatchResult()
    numbers = {p.number for p in parsed if p.number}
    by_number = dict(Customer.objects.filter(number__in=numbers).values_list("number", "pk"))
    # A phone entered as "mobile" in one place and "phone" in another is the same phone.
    keys = {n for p in parsed for k, _v, n in p.contacts if k != "address"}
    by_contact: dict[str, int] = {}
    if keys:
        for normalized, customer_id in (
            ContactPoint.objects.filter(normalized__in=keys, customer__merged_into__isnull=True)
            .exclude(kind="address")
            .order_by("id")
            .values_list("normalized", "customer_id")
        ):
            by_contact.setdefault(normalized, customer_id)
    seen: dict[str, int] = {}
    rows: list[ParsedCustomer] = []
    for p in parsed:
        if p.number and p.number not in by_number:
            result.errors.append(RowError(p.row, "number", _("No customer has this number.")))
            continue
        p.matched_id = by_number.get(p.number) or next(
            (by_contact[n] for k, _v, n in p.contacts if k != "address" and n in by_contact), None
        )
        clash = next((seen[n] for k, _v, n in p.contacts if k != "address" and n in seen), None)
        if clash is not None:
            result.errors.append(
                RowError(p.row, "", _("Same contact as row %(row)s in this file.") % {"row": clash})
            )
            continue
        if p.matched_id is None and "name" not in p.values:
            result.errors.append(RowError(p.row, "name", _("This field is required.")))
            continue
        for k, _v, n in p.contacts:
            if k != "address":
                seen[n] = p.row
        rows.append(p)

    org_ids = _organizations_by_name({p.organization_name for p in rows if p.organization_name})
    tag_ids = _tag_ids({t for p in rows for t in p.tags})
    matched = {c.pk: c for c in Customer.objects.filter(pk__in=[p.matched_id for p in rows])}
    existing_contacts: dict[int, set[tuple[str, str]]] = {}
    for customer_id, kind, normalized in ContactPoint.objects.filter(
        customer_id__in=list(matched)
    ).values_list("customer_id", "kind", "normalized"):
        existing_contacts.setdefault(customer_id, set()).add((kind, normalized))
    org_names = dict(
        Customer.objects.filter(
            pk__in={c.organization_id for c in matched.values() if c.organization_id}
            | set(org_ids.values())
        ).values_list("pk", "name")
    )

    new_rows = [p for p in rows if p.matched_id is None]
    new_ids = reserve_customer_ids(len(new_rows))
    to_create, to_update, contacts, tag_links = [], [], [], []
    now = timezone.now()
    for p, pk in zip(new_rows, new_ids, strict=True):
        number = format_customer_number(pk)
        organization_id = org_ids.get(p.organization_name) if p.organization_name else None
        if p.values.get("kind") == CustomerKind.ORGANIZATION:
            organization_id = None
        to_create.append(
            Customer(
                id=pk,
                number=number,
                organization_id=organization_id,
                attributes=p.attributes,
                **search_columns(
                    number=number,
                    name=p.values["name"],
                    organization_name=org_names.get(organization_id, ""),
                    contacts=[n for _k, _v, n in p.contacts],
                ),
                **p.values,
            )
        )
        kinds_seen: set[str] = set()
        for kind, value, normalized in p.contacts:
            contacts.append(
                ContactPoint(
                    customer_id=pk,
                    kind=kind,
                    value=value,
                    normalized=normalized,
                    is_primary=kind not in kinds_seen,
                )
            )
            kinds_seen.add(kind)
        tag_links += [(pk, tag_ids[t]) for t in p.tags]
    result.created = len(to_create)

    for p in rows:
        if p.matched_id is None:
            continue
        customer = matched[p.matched_id]
        changed = False
        for name in SIMPLE_FIELDS:
            if name in p.values and getattr(customer, name) != p.values[name]:
                setattr(customer, name, p.values[name])
                changed = True
        if p.organization_name and customer.kind == CustomerKind.PERSON:
            organization_id = org_ids.get(p.organization_name)
            if organization_id != customer.organization_id:
                customer.organization_id = organization_id
                changed = True
        merged_attributes = {**customer.attributes, **p.attributes}
        if merged_attributes != customer.attributes:
            customer.attributes = merged_attributes
            changed = True
        have = existing_contacts.setdefault(customer.pk, set())
        for kind, value, normalized in p.contacts:
            if (kind, normalized) not in have:
                is_primary = not any(k == kind for k, _n in have)
                contacts.append(
                    ContactPoint(
                        customer_id=customer.pk,
                        kind=kind,
                        value=value,
                        normalized=normalized,
                        is_primary=is_primary,
                    )
                )
                have.add((kind, normalized))
                changed = True
        tag_links += [(customer.pk, tag_ids[t]) for t in p.tags]
        if changed:
            columns = search_columns(
                number=customer.number,
                name=customer.name,
                organization_name=org_names.get(customer.organization_id, ""),
                contacts=[n for _k, n in have],
            )
            customer.search_text = columns["search_text"]
            customer.search_tokens = columns["search_tokens"]
            customer.updated_at = now
            to_update.append(customer)
        else:
            result.unchanged += 1
    result.updated = len(to_update)

    insert_rows(Customer, to_create)  # ids reserved above: contacts below refer to them
    if to_update:
        Customer.objects.bulk_update(
            to_update,
            [
                *SIMPLE_FIELDS,
                "organization",
                "attributes",
                "search_text",
                "search_tokens",
                "updated_at",
            ],
            batch_size=1000,
        )
        Customer.objects.filter(pk__in=[c.pk for c in to_update]).update(version=F("version") + 1)
    insert_rows(ContactPoint, contacts)
    through = Customer.tags.through
    insert_rows(
        through, [through(customer_id=c, tag_id=t) for c, t in tag_links], ignore_conflicts=True
    )
    return result


def write_contact_batch(
    numbered_rows: Sequence[tuple[int, Mapping[str, Any]]], *, write: bool = True
) -> BatchResult:
    """Add contacts to customers named by number; an existing (kind, value) is unchanged."""
    from kefu.customers.services import search_columns

    result = BatchResult(written=write)
    numbers = {_text(r.get("customer_number")) for _n, r in numbered_rows}
    customers = {
        c.number: c
        for c in Customer.objects.filter(number__in=numbers).select_related("merged_into")
    }
    candidates = []
    for number, row in numbered_rows:
        customer = customers.get(_text(row.get("customer_number")))
        kind = _text(row.get("kind")).lower()
        value = _text(row.get("value"))
        if customer is None:
            result.errors.append(
                RowError(number, "customer_number", _("No customer has this number."))
            )
            continue
        customer = customer.merged_into or customer
        if kind not in ContactKind.values:
            result.errors.append(
                RowError(number, "kind", _("Use email, phone, mobile, wechat or address."))
            )
            continue
        try:
            normalized = normalize_contact(kind, value)
        except ContactValueError as exc:
            result.errors.append(RowError(number, "value", _(str(exc))))
            continue
        primary = _text(row.get("is_primary")).lower() in TRUE_WORDS
        candidates.append((customer.pk, kind, value, normalized, primary))
    ids = {c[0] for c in candidates}
    have: dict[int, set[tuple[str, str]]] = {}
    for customer_id, kind, normalized in ContactPoint.objects.filter(
        customer_id__in=ids
    ).values_list("customer_id", "kind", "normalized"):
        have.setdefault(customer_id, set()).add((kind, normalized))
    new = []
    for customer_id, kind, value, normalized, primary in candidates:
        existing = have.setdefault(customer_id, set())
        if (kind, normalized) in existing:
            result.unchanged += 1
            continue
        first_of_kind = not any(k == kind for k, _n in existing)
        new.append(
            ContactPoint(
                customer_id=customer_id,
                kind=kind,
                value=value,
                normalized=normalized,
                is_primary=primary or first_of_kind,
            )
        )
        existing.add((kind, normalized))
    result.created = len(new)
    primary_new = {(c.customer_id, c.kind) for c in new if c.is_primary}
    for customer_id, kind in primary_new:
        ContactPoint.objects.filter(customer_id=customer_id, kind=kind).update(is_primary=False)
    insert_rows(ContactPoint, new)
    touched = {c.customer_id for c in new}
    if touched:
        refreshed = []
        for customer in Customer.objects.filter(pk__in=touched).select_related("organization"):
            columns = search_columns(
                number=customer.number,
                name=customer.name,
                organization_name=customer.organization.name if customer.organization else "",
                contacts=[n for _k, n in have.get(customer.pk, ())],
            )
            customer.search_text = columns["search_text"]
            customer.search_tokens = columns["search_tokens"]
            refreshed.append(customer)
        Customer.objects.bulk_update(refreshed, ["search_text", "search_tokens"], batch_size=1000)
    return result
