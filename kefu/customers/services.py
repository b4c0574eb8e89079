"""Every write to customers, contacts, tags, credit ratings, tiers and notes goes through here.

Purchases are in kefu.customers.purchases and merges in kefu.customers.merging; both are
re-exported here so callers have one place to import services from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record, diff, snapshot
from kefu.core.errors import NotAllowed, ValidationFailed
from kefu.core.models import AuditEvent
from kefu.core.request_context import current_request_context
from kefu.core.versioning import update_versioned
from kefu.customers import credit, search_index
from kefu.customers.attributes import AttributeDefinition, clean_attributes
from kefu.customers.contacts import ContactValueError, normalize_contact, search_digits
from kefu.customers.models import (
    SIX_C,
    ContactKind,
    ContactPoint,
    CreditPolicy,
    CreditRating,
    CustomAttribute,
    Customer,
    CustomerKind,
    CustomerNote,
    Tag,
    Tier,
)

CUSTOMER_EDITABLE_FIELDS = (
    "kind",
    "name",
    "organization",
    "tier",
    "is_vip",
    "language",
    "region",
    "notes",
    "attributes",
    "user",
)
AUDITED_FIELDS = (*CUSTOMER_EDITABLE_FIELDS, "credit_grade")


def _require(actor, *perms: str) -> None:
    """Services trust actor=None (the system: imports, demo); a user needs the permissions."""
    if actor is not None and not actor.has_perms(perms):
        raise NotAllowed(_("You do not have permission to do this."))


# --- numbers and search text -------------------------------------------------------------------


def format_customer_number(customer_id: int) -> str:
    return f"C-{customer_id:06d}"


def reserve_customer_ids(count: int) -> list[int]:
    """Reserve `count` new primary keys (customer numbers derive from them: C-000123).

    PostgreSQL: from the id sequence, safe under concurrency. SQLite: max(id)+1…, safe because
    Kefu opens SQLite transactions with BEGIN IMMEDIATE (one writer at a time).
    """
    if count <= 0:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('customers_customer', 'id')) "
                "FROM generate_series(1, %s)",
                [count],
            )
            return [row[0] for row in cursor.fetchall()]
    start = (Customer.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    return list(range(start, start + count))


def build_search_text(
    *, number: str, name: str, organization_name: str = "", contacts: Iterable[str] = ()
) -> str:
    """Lower-cased text the search matches against: number, name, organisation, contacts.

    Phones appear both as E.164 (+8613812341234) and as national digits (13812341234), so a
    fragment of what the agent sees on the caller id matches.
    """
    parts = [number, name, organization_name]
    for normalized in contacts:
        parts.append(normalized)
        if normalized.startswith("+"):
            parts.append(search_digits(normalized))
    return " ".join(p.strip().lower() for p in parts if p and p.strip())


def search_columns(
    *, number: str, name: str, organization_name: str = "", contacts: Iterable[str] = ()
) -> dict[str, str]:
    """`search_text` and its index tokens `search_tokens`, to set together on a customer."""
    text = build_search_text(
        number=number, name=name, organization_name=organization_name, contacts=contacts
    )
    return {"search_text": text, "search_tokens": search_index.search_tokens(text)}


def customer_refresh_search_text(customer: Customer) -> str:
    """Recompute and store `search_text` and its tokens from the name, organisation, contacts."""
    contacts = list(customer.contacts.values_list("normalized", flat=True))
    organization_name = (
        Customer.objects.filter(pk=customer.organization_id).values_list("name", flat=True).first()
        if customer.organization_id
        else ""
    )
    text = build_search_text(
        number=customer.number,
        name=customer.name,
        organization_name=organization_name or "",
        contacts=contacts,
    )
    tokens = search_index.search_tokens(text)
    if text != customer.search_text or tokens != customer.search_tokens:
        Customer.objects.filter(pk=customer.pk).update(search_text=text, search_tokens=tokens)
        customer.search_text, customer.search_tokens = text, tokens
    return text


# --- attributes ---------------------------------------------------------------------------------


def attribute_definitions() -> list[AttributeDefinition]:
    return [
        AttributeDefinition(
            key=a.key,
            label=a.label,
            type=a.type,
            choices=tuple(str(c) for c in a.choices or ()),
            required=a.required,
        )
        for a in CustomAttribute.objects.all()
    ]


def _clean_attributes(values: Mapping[str, Any] | None) -> dict[str, Any]:
    cleaned, errors = clean_attributes(values or {}, attribute_definitions())
    if errors:
        raise ValidationFailed(_("Some custom attributes are not valid."), fields=errors)
    return cleaned


def _check_organization(organization: Customer | None, *, kind: str, customer_id=None) -> None:
    if organization is None:
        return
    if organization.kind != CustomerKind.ORGANIZATION:
        raise ValidationFailed(
            _("The organisation must be a customer of kind organisation."),
            fields={"organization": _("Choose an organisation.")},
        )
    if kind == CustomerKind.ORGANIZATION or organization.pk == customer_id:
        raise ValidationFailed(
            _("An organisation cannot belong to another organisation."),
            fields={"organization": _("Only people belong to an organisation.")},
        )
    if organization.merged_into_id:
        raise ValidationFailed(
            _("That organisation was merged into another record."),
            fields={"organization": _("Choose the record it was merged into.")},
        )


def _validation_failed(exc: ValidationError) -> ValidationFailed:
    return ValidationFailed(_("The customer is not valid."), fields=exc.message_dict)


# --- customers ----------------------------------------------------------------------------------


@transaction.atomic
def customer_create(
    *,
    actor,
    name: str,
    kind: str = CustomerKind.PERSON,
    organization: Customer | None = None,
    tier: str = "",
    is_vip: bool = False,
    language: str = "",
    region: str = "",
    notes: str = "",
    attributes: Mapping[str, Any] | None = None,
    tags: Sequence[str] = (),
    contacts: Sequence[tuple[str, str]] = (),
    user=None,
) -> Customer:
    """Create a customer with its contacts (kind, value) and tags; assigns the number C-000123."""
    _require(actor, "customers.add_customer")
    if tier and actor is not None:
        _require(actor, "customers.change_tier")
    _check_organization(organization, kind=kind)
    (customer_id,) = reserve_customer_ids(1)
    customer = Customer(
        id=customer_id,
        number=format_customer_number(customer_id),
        kind=kind,
        name=(name or "").strip(),
        organization=organization,
        tier=tier,
        is_vip=is_vip,
        language=language,
        region=region.strip(),
        notes=notes,
        attributes=_clean_attributes(attributes),
        user=user,
    )
    try:
        customer.full_clean(exclude=["number", "search_text", "search_tokens"])
    except ValidationError as exc:
        raise _validation_failed(exc) from exc
    normalized_contacts = [
        _normalized(kind_, value, index) for index, (kind_, value) in enumerate(contacts)
    ]
    columns = search_columns(
        number=customer.number,
        name=customer.name,
        organization_name=organization.name if organization else "",
        contacts=[n for _k, _v, n in normalized_contacts],
    )
    customer.search_text, customer.search_tokens = columns["search_text"], columns["search_tokens"]
    customer.save(force_insert=True)
    seen_primary: set[str] = set()
    rows = []
    for kind_, value, normalized in normalized_contacts:
        rows.append(
            ContactPoint(
                customer=customer,
                kind=kind_,
                value=value.strip(),
                normalized=normalized,
                is_primary=kind_ not in seen_primary,
            )
        )
        seen_primary.add(kind_)
    ContactPoint.objects.bulk_create(rows)
    if tags:
        customer.tags.set(_tags_named(tags))
    audit_record(
        actor=actor,
        action="customer.created",
        obj=customer,
        changes={
            **diff({}, snapshot(customer, CUSTOMER_EDITABLE_FIELDS)),
            "contacts": [None, [f"{k}:{n}" for k, _v, n in normalized_contacts]],
            "tags": [None, sorted(tags)],
        },
    )
    return customer


def _normalized(kind: str, value: str, index: int | None = None) -> tuple[str, str, str]:
    field = "value" if index is None else f"contacts.{index}"
    if kind not in ContactKind.values:
        raise ValidationFailed(
            _("Unknown contact kind."), fields={field: _("Unknown contact kind.")}
        )
    try:
        return kind, value, normalize_contact(kind, value)
    except ContactValueError as exc:
        raise ValidationFailed(_(str(exc)), fields={field: _(str(exc))}) from exc


@transaction.atomic
def customer_update(
    *, actor, customer: Customer, expected_version: int, changes: Mapping[str, Any]
) -> Customer:
    """Change a customer's fields; a stale `expected_version` is refused with 409 (Conflict)."""
    _require(actor, "customers.change_customer")
    unknown = set(changes) - set(CUSTOMER_EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed: %s") % ", ".join(sorted(unknown)),
            fields={name: _("This field cannot be changed.") for name in unknown},
        )
    changes = dict(changes)
    if "tier" in changes and changes["tier"] != customer.tier and actor is not None:
        _require(actor, "customers.change_tier")
    if "attributes" in changes:
        changes["attributes"] = _clean_attributes(changes["attributes"])
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
    kind = changes.get("kind", customer.kind)
    organization = changes.get("organization", customer.organization)
    _check_organization(organization, kind=kind, customer_id=customer.pk)
    if (
        kind == CustomerKind.PERSON
        and customer.kind == CustomerKind.ORGANIZATION
        and customer.people.exists()
    ):
        raise ValidationFailed(
            _("This organisation has people; move them first."),
            fields={"kind": _("This organisation has people; move them first.")},
        )
    before = snapshot(customer, AUDITED_FIELDS)
    try:
        update_versioned(customer, expected_version=expected_version, changes=changes)
    except ValidationError as exc:
        raise _validation_failed(exc) from exc
    if {"name", "organization"} & set(changes):
        customer_refresh_search_text(customer)
        if "name" in changes and customer.kind == CustomerKind.ORGANIZATION:
            for person in customer.people.all():
                customer_refresh_search_text(person)
    audit_record(
        actor=actor,
        action="customer.updated",
        obj=customer,
        changes=diff(before, snapshot(customer, AUDITED_FIELDS)),
    )
    return customer


@transaction.atomic
def customer_delete(*, actor, customer: Customer) -> None:
    """Delete a customer with its contacts, purchases, notes and ratings (admins only)."""
    _require(actor, "customers.delete_customer")
    audit_record(
        actor=actor,
        action="customer.deleted",
        obj=customer,
        changes=diff(snapshot(customer, AUDITED_FIELDS), {}),
    )
    customer.delete()


def _bump_version(customer: Customer, **columns) -> None:
    Customer.objects.filter(pk=customer.pk).update(
        version=F("version") + 1, updated_at=timezone.now(), **columns
    )
    customer.version += 1
    for name, value in columns.items():
        setattr(customer, name, value)


# --- contacts -----------------------------------------------------------------------------------


@transaction.atomic
def contact_add(
    *, actor, customer: Customer, kind: str, value: str, is_primary: bool = False
) -> ContactPoint:
    """Add a phone, email, WeChat id or address; the value is normalised (E.164, lower case)."""
    _require(actor, "customers.change_customer")
    kind, value, normalized = _normalized(kind, value)
    if customer.contacts.filter(kind=kind, normalized=normalized).exists():
        raise ValidationFailed(
            _("This customer already has that contact."),
            fields={"value": _("This customer already has that contact.")},
        )
    has_primary = customer.contacts.filter(kind=kind, is_primary=True).exists()
    if is_primary and has_primary:
        customer.contacts.filter(kind=kind, is_primary=True).update(is_primary=False)
    contact = ContactPoint.objects.create(
        customer=customer,
        kind=kind,
        value=value.strip(),
        normalized=normalized,
        is_primary=is_primary or not has_primary,
    )
    customer_refresh_search_text(customer)
    audit_record(
        actor=actor,
        action="customer.contact_added",
        obj=customer,
        changes={"contact": [None, f"{kind}:{normalized}"]},
    )
    return contact


@transaction.atomic
def contact_remove(*, actor, contact: ContactPoint) -> None:
    _require(actor, "customers.change_customer")
    customer = contact.customer
    label = f"{contact.kind}:{contact.normalized}"
    was_primary, kind = contact.is_primary, contact.kind
    contact.delete()
    if was_primary:
        successor = customer.contacts.filter(kind=kind).order_by("id").first()
        if successor is not None:
            ContactPoint.objects.filter(pk=successor.pk).update(is_primary=True)
    customer_refresh_search_text(customer)
    audit_record(
        actor=actor,
        action="customer.contact_removed",
        obj=customer,
        changes={"contact": [label, None]},
    )


# --- tags ---------------------------------------------------------------------------------------


def _tags_named(names: Iterable[str]) -> list[Tag]:
    wanted = sorted({n.strip() for n in names if n and n.strip()})
    too_long = [n for n in wanted if len(n) > 50]
    if too_long:
        raise ValidationFailed(_("A tag has at most 50 characters."), fields={"tags": too_long})
    existing = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    missing = [Tag(name=n) for n in wanted if n not in existing]
    Tag.objects.bulk_create(missing, ignore_conflicts=True)
    if missing:
        existing = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    return [existing[n] for n in wanted]


@transaction.atomic
def tag_add(*, actor, customer: Customer, names: Sequence[str]) -> list[Tag]:
    """Add tags (created on first use) to a customer."""
    _require(actor, "customers.change_customer")
    tags = _tags_named(names)
    before = set(customer.tags.values_list("name", flat=True))
    customer.tags.add(*tags)
    added = sorted({t.name for t in tags} - before)
    if added:
        audit_record(
            actor=actor, action="customer.tags_added", obj=customer, changes={"tags": [[], added]}
        )
    return tags


@transaction.atomic
def tag_remove(*, actor, customer: Customer, names: Sequence[str]) -> None:
    _require(actor, "customers.change_customer")
    tags = list(customer.tags.filter(name__in=list(names)))
    if tags:
        customer.tags.remove(*tags)
        audit_record(
            actor=actor,
            action="customer.tags_removed",
            obj=customer,
            changes={"tags": [sorted(t.name for t in tags), []]},
        )


@transaction.atomic
def tags_set(*, actor, customer: Customer, names: Sequence[str]) -> list[Tag]:
    """Replace a customer's tags with exactly `names`."""
    _require(actor, "customers.change_customer")
    before = sorted(customer.tags.values_list("name", flat=True))
    tags = _tags_named(names)
    customer.tags.set(tags)
    after = sorted(t.name for t in tags)
    if before != after:
        audit_record(
            actor=actor, action="customer.tags_set", obj=customer, changes={"tags": [before, after]}
        )
    return tags


# --- notes --------------------------------------------------------------------------------------


@transaction.atomic
def note_add(*, actor, customer: Customer, body: str) -> CustomerNote:
    _require(actor, "customers.add_customernote")
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(
            _("Write the note first."), fields={"body": _("This field is required.")}
        )
    note = CustomerNote.objects.create(
        customer=customer, author=actor if getattr(actor, "pk", None) else None, body=body
    )
    audit_record(actor=actor, action="customer.note_added", obj=customer)
    return note


# --- credit (M3) --------------------------------------------------------------------------------


@transaction.atomic
def credit_rate(
    *,
    actor,
    customer: Customer,
    scores: Mapping[str, int],
    note: str = "",
    rated_at: dt.datetime | None = None,
) -> CreditRating:
    """Record a 6C rating with the current policy's weights; sets the customer's credit grade."""
    _require(actor, "customers.add_creditrating")
    policy = CreditPolicy.current()
    errors = {}
    for name in SIX_C:
        value = scores.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            errors[name] = _("Give a whole number from 1 to 5.")
    if errors:
        raise ValidationFailed(_("Every 6C score is a whole number from 1 to 5."), fields=errors)
    try:
        score = credit.credit_score(scores, policy.weights)
        grade = credit.credit_grade(scores, policy.weights, policy.cutoffs)
    except credit.CreditInputError as exc:
        raise ValidationFailed(_(str(exc)), fields={exc.field: _(str(exc))}) from exc
    rating = CreditRating.objects.create(
        customer=customer,
        **{name: scores[name] for name in SIX_C},
        weights=dict(policy.weights),
        score=f"{score:.2f}",
        grade=grade,
        rated_by=actor if getattr(actor, "pk", None) else None,
        rated_at=rated_at or timezone.now(),
        note=note,
    )
    before = customer.credit_grade
    if before != grade:
        _bump_version(customer, credit_grade=grade)
    audit_record(
        actor=actor,
        action="customer.credit_rated",
        obj=customer,
        changes={"credit_grade": [before, grade], "score": [None, f"{score:.2f}"]},
    )
    return rating


@transaction.atomic
def credit_policy_update(
    *,
    actor,
    expected_version: int,
    weights: Mapping[str, float],
    cutoffs: Mapping[str, float],
) -> CreditPolicy:
    """Change the 6C weights and grade cut-offs (administrators); applies to new ratings."""
    _require(actor, "customers.change_creditpolicy")
    try:
        credit.credit_scores([[3] * 6], weights)
        credit.validate_cutoffs(cutoffs)
    except credit.CreditInputError as exc:
        raise ValidationFailed(_(str(exc)), fields={exc.field: _(str(exc))}) from exc
    policy = CreditPolicy.current()
    before = snapshot(policy, ["weights", "cutoffs"])
    changes = {
        "weights": {name: float(weights.get(name, 0)) for name in SIX_C},
        "cutoffs": {g: float(cutoffs[g]) for g in ("A", "B", "C")},
    }
    update_versioned(policy, expected_version=expected_version, changes=changes)
    audit_record(
        actor=actor,
        action="credit_policy.updated",
        obj=policy,
        changes=diff(before, snapshot(policy, ["weights", "cutoffs"])),
    )
    return policy


# --- tiers (M11) --------------------------------------------------------------------------------


def _check_tier(tier: str, field: str = "tier") -> None:
    if tier and tier not in Tier.values:
        raise ValidationFailed(
            _("The tier must be A, B, C, D or empty."), fields={field: _("Choose A, B, C or D.")}
        )


@transaction.atomic
def tier_set(*, actor, customer: Customer, tier: str, reason: str = "") -> Customer:
    """Set a customer's tier by hand (ABCD management)."""
    _require(actor, "customers.change_tier")
    _check_tier(tier)
    before = customer.tier
    if before != tier:
        _bump_version(customer, tier=tier)
        audit_record(
            actor=actor,
            action="customer.tier_set",
            obj=customer,
            changes={"tier": [before, tier], "reason": [None, reason]}
            if reason
            else {"tier": [before, tier]},
        )
    return customer


def tier_set_bulk(
    *, actor, tiers: Mapping[int, str], reason: str = "", batch_size: int = 1000
) -> int:
    """Set many customers' tiers at once (analytics ABCD runs); one audit event per change.

    Returns the number of customers whose tier changed. One UPDATE per tier and batch, and
    audit events written with bulk_create, so a million customers take seconds, not hours.
    """
    _require(actor, "customers.change_tier")
    for tier in set(tiers.values()):
        _check_tier(tier, field="tiers")
    ids = list(tiers)
    changed = 0
    context = current_request_context()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    actor_label = actor.get_username() if is_user else "system"
    now = timezone.now()
    with transaction.atomic():
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            current = dict(Customer.objects.filter(pk__in=chunk).values_list("pk", "tier"))
            by_tier: dict[str, list[int]] = {}
            events = []
            for pk in chunk:
                old, new = current.get(pk), tiers[pk]
                if old is None or old == new:
                    continue
                by_tier.setdefault(new, []).append(pk)
                change = {"tier": [old, new]}
                if reason:
                    change["reason"] = [None, reason]
                events.append(
                    AuditEvent(
                        actor=actor if is_user else None,
                        actor_label=actor_label[:200],
                        action="customer.tier_set",
                        object_type="customers.customer",
                        object_id=str(pk),
                        object_label="",
                        changes=change,
                        request_id=context.request_id,
                        ip_address=context.ip_address,
                    )
                )
            for tier, pks in by_tier.items():
                Customer.objects.filter(pk__in=pks).update(
                    tier=tier, version=F("version") + 1, updated_at=now
                )
                changed += len(pks)
            AuditEvent.objects.bulk_create(events)
    return changed


# Re-exported so that `from kefu.customers import services` is the one entry point for writes.
from kefu.customers.merging import customer_merge, customer_merge_undo  # noqa: E402
from kefu.customers.purchases import (  # noqa: E402
    PurchaseBulkResult,
    purchase_bulk_create,
    purchase_create,
    purchase_delete,
    purchase_update,
)

__all__ = [
    "PurchaseBulkResult",
    "contact_add",
    "contact_remove",
    "credit_policy_update",
    "credit_rate",
    "customer_create",
    "customer_delete",
    "customer_merge",
    "customer_merge_undo",
    "customer_refresh_search_text",
    "customer_update",
    "note_add",
    "purchase_bulk_create",
    "purchase_create",
    "purchase_delete",
    "purchase_update",
    "search_columns",
    "tag_add",
    "tag_remove",
    "tags_set",
    "tier_set",
    "tier_set_bulk",
]
