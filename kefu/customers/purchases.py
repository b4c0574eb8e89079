"""Writing purchases: one at a time, or in bulk (API and imports), idempotent on (source, id).

A purchase is identified by its (source, external_id): re-sending the same rows changes
nothing, re-sending a row with new values updates it. Row errors name the row number, the
column and the reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record, diff, snapshot
from kefu.core.errors import Conflict, NotAllowed, ValidationFailed
from kefu.customers.models import Customer, Purchase

MAX_BULK_ROWS = 10_000
BATCH_SIZE = 1_000
PURCHASE_FIELDS = (
    "customer",
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
COMPARED_FIELDS = (
    "customer_id",
    "ordered_at",
    "amount",
    "currency",
    "gross_margin",
    "product",
    "quantity",
    "channel",
)


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class PurchaseBulkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = True

    def add(self, other: PurchaseBulkResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.errors.extend(other.errors)


def _require(actor, *perms: str) -> None:
    if actor is not None and not actor.has_perms(perms):
        raise NotAllowed(_("You do not have permission to do this."))


# --- parsing one row ----------------------------------------------------------------------------


def parse_moment(raw: Any) -> dt.datetime:
    """A datetime from a datetime, a date, or ISO text ('2025-03-01', '2025-03-01 14:30')."""
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, dt.date):
        value = dt.datetime.combine(raw, dt.time(12))
    else:
        text = str(raw or "").strip().replace("/", "-")
        value = parse_datetime(text)
        if value is None:
            day = parse_date(text)
            if day is None:
                raise ValueError(_("Enter a date and time such as 2025-03-01 14:30."))
            value = dt.datetime.combine(day, dt.time(12))
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def parse_decimal(raw: Any, *, required: bool = True) -> Decimal | None:
    text = str(raw if raw is not None else "").strip().replace(",", "").replace("¥", "")
    if not text:
        if required:
            raise ValueError(_("This field is required."))
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(_("Enter a number.")) from exc
    if not value.is_finite() or abs(value) >= Decimal("1e12"):
        raise ValueError(_("Enter a number."))
    return value.quantize(Decimal("0.01"))


def _clean_row(
    number: int, row: Mapping[str, Any], customers: Mapping[str, int]
) -> tuple[Purchase | None, list[RowError]]:
    errors: list[RowError] = []

    def fail(column: str, message: str) -> None:
        errors.append(RowError(number, column, message))

    values: dict[str, Any] = {}
    customer_ref = str(row.get("customer_number") or row.get("customer_id") or "").strip()
    customer_id = customers.get(customer_ref)
    column = "customer_number" if row.get("customer_number") else "customer_id"
    if not customer_ref:
        fail(column, _("This field is required."))
    elif customer_id is None:
        fail(column, _("No customer has this number."))
    values["customer_id"] = customer_id
    values["source"] = str(row.get("source") or "manual").strip()[:50]
    external_id = str(row.get("external_id") or "").strip()
    if not external_id:
        fail("external_id", _("This field is required."))
    elif len(external_id) > 100:
        fail("external_id", _("At most 100 characters."))
    values["external_id"] = external_id
    for name, parser in (
        ("ordered_at", parse_moment),
        ("amount", parse_decimal),
        ("gross_margin", lambda raw: parse_decimal(raw, required=False)),
    ):
        try:
            values[name] = parser(row.get(name))
        except ValueError as exc:
            fail(name, str(exc))
    currency = str(row.get("currency") or "CNY").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        fail("currency", _("Use a three-letter currency code such as CNY."))
    values["currency"] = currency
    try:
        quantity = int(Decimal(str(row.get("quantity") or 1).strip()))
        if quantity < 1:
            raise ValueError
        values["quantity"] = quantity
    except (ValueError, InvalidOperation):
        fail("quantity", _("Enter a whole number of at least 1."))
    values["product"] = str(row.get("product") or "").strip()[:200]
    values["channel"] = str(row.get("channel") or "").strip()[:50]
    if errors:
        return None, errors
    return Purchase(**values), []


def customer_ids_by_reference(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Map every customer number and id mentioned in `rows` to the (kept) customer's id."""
    numbers = {str(r.get("customer_number")).strip() for r in rows if r.get("customer_number")}
    ids = set()
    for r in rows:
        with contextlib.suppress(ValueError):
            ids.add(int(str(r.get("customer_id") or "").strip()))
    found: dict[str, int] = {}
    if numbers:
        for pk, number, merged_into in Customer.objects.filter(number__in=numbers).values_list(
            "pk", "number", "merged_into"
        ):
            found[number] = merged_into or pk
    if ids:
        for pk, merged_into in Customer.objects.filter(pk__in=ids).values_list("pk", "merged_into"):
            found[str(pk)] = merged_into or pk
    return found


def write_purchase_batch(
    numbered_rows: Sequence[tuple[int, Mapping[str, Any]]], *, write: bool = True
) -> PurchaseBulkResult:
    """Validate (and with `write`, save) a batch of rows: constant queries per batch.

    New keys are inserted with bulk_create, changed ones updated with bulk_update, identical
    ones counted as unchanged. The caller owns the transaction.
    """
    result = PurchaseBulkResult(written=write)
    customers = customer_ids_by_reference([row for _n, row in numbered_rows])
    candidates: dict[tuple[str, str], Purchase] = {}
    for number, row in numbered_rows:
        purchase, errors = _clean_row(number, row, customers)
        if errors:
            result.errors.extend(errors)
            continue
        key = (purchase.source, purchase.external_id)
        if key in candidates:
            result.errors.append(
                RowError(number, "external_id", _("This purchase appears twice in the file."))
            )
            continue
        candidates[key] = purchase
    existing: dict[tuple[str, str], Purchase] = {}
    by_source: dict[str, list[str]] = {}
    for source, external_id in candidates:
        by_source.setdefault(source, []).append(external_id)
    for source, external_ids in by_source.items():
        for start in range(0, len(external_ids), BATCH_SIZE):
            for purchase in Purchase.objects.filter(
                source=source, external_id__in=external_ids[start : start + BATCH_SIZE]
            ):
                existing[(purchase.source, purchase.external_id)] = purchase
    to_create, to_update = [], []
    for key, purchase in candidates.items():
        current = existing.get(key)
        if current is None:
            to_create.append(purchase)
        elif all(getattr(current, f) == getattr(purchase, f) for f in COMPARED_FIELDS):
            result.unchanged += 1
        else:
            for name in COMPARED_FIELDS:
                setattr(current, name, getattr(purchase, name))
            to_update.append(current)
    result.created, result.updated = len(to_create), len(to_update)
    if write:
        Purchase.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        if to_update:
            now = timezone.now()
            for purchase in to_update:
                purchase.updated_at = now
            Purchase.objects.bulk_update(
                to_update, [*COMPARED_FIELDS, "updated_at"], batch_size=BATCH_SIZE
            )
    return result


# --- services -----------------------------------------------------------------------------------


def purchase_bulk_create(
    *,
    actor,
    rows: Sequence[Mapping[str, Any]],
    mode: str = "atomic",
    dry_run: bool = False,
) -> PurchaseBulkResult:
    """Create or update up to 10,000 purchases; errors by row (numbered from 1).

    mode "atomic" writes nothing when any row fails (raises ValidationFailed with the errors);
    "valid_only" writes the valid rows and returns the errors. Idempotent on (source, external_id).
    """
    _require(actor, "customers.add_purchase")
    if len(rows) > MAX_BULK_ROWS:
        raise ValidationFailed(
            _("Send at most %(max)s rows at once.") % {"max": f"{MAX_BULK_ROWS:,}"},
            fields={"rows": _("Too many rows.")},
        )
    if mode not in ("atomic", "valid_only"):
        raise ValidationFailed(_("Unknown mode."), fields={"mode": _("Use atomic or valid_only.")})
    with transaction.atomic():
        result = PurchaseBulkResult(written=not dry_run)
        numbered = list(enumerate(rows, start=1))
        for start in range(0, len(numbered), BATCH_SIZE):
            result.add(write_purchase_batch(numbered[start : start + BATCH_SIZE], write=True))
        if result.errors and mode == "atomic":
            transaction.set_rollback(True)
            raise ValidationFailed(
                _("%(count)s rows are not valid; nothing was saved.")
                % {"count": len({e.row for e in result.errors})},
                fields={f"rows.{e.row}.{e.column}": e.message for e in result.errors[:200]},
                details={"errors": [e.as_dict() for e in result.errors[:1000]]},
            )
        if dry_run:
            transaction.set_rollback(True)
            result.written = False
            return result
        audit_record(
            actor=actor,
            action="purchase.bulk_created",
            object_type="customers.purchase",
            object_id="bulk",
            object_label=_("%(count)s purchases") % {"count": len(rows)},
            changes={
                "created": [None, result.created],
                "updated": [None, result.updated],
                "errors": [None, len(result.errors)],
            },
        )
    return result


@transaction.atomic
def purchase_create(*, actor, customer: Customer, **fields: Any) -> Purchase:
    """Record one purchase. Sending the same (source, external_id) again returns the stored one;
    sending it with different values is a Conflict (409): update it instead."""
    _require(actor, "customers.add_purchase")
    row = {**fields, "customer_id": customer.pk}
    purchase, errors = _clean_row(
        1, row, {str(customer.pk): customer.merged_into_id or customer.pk}
    )
    if errors:
        raise ValidationFailed(
            _("The purchase is not valid."), fields={e.column: e.message for e in errors}
        )
    current = Purchase.objects.filter(
        source=purchase.source, external_id=purchase.external_id
    ).first()
    if current is not None:
        if all(getattr(current, f) == getattr(purchase, f) for f in COMPARED_FIELDS):
            return current
        raise Conflict(
            _("A different purchase with this source and external id exists."),
            fields={"external_id": _("Already used by another purchase.")},
            details={"purchase_id": current.pk},
        )
    purchase.save()
    audit_record(
        actor=actor,
        action="purchase.created",
        obj=purchase,
        changes=diff({}, snapshot(purchase, PURCHASE_FIELDS)),
    )
    return purchase


@transaction.atomic
def purchase_update(*, actor, purchase: Purchase, changes: Mapping[str, Any]) -> Purchase:
    _require(actor, "customers.change_purchase")
    editable = set(PURCHASE_FIELDS) - {"customer", "source", "external_id"}
    unknown = set(changes) - editable
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed: %s") % ", ".join(sorted(unknown)),
            fields={name: _("This field cannot be changed.") for name in unknown},
        )
    before = snapshot(purchase, PURCHASE_FIELDS)
    row = {
        **{name: getattr(purchase, name) for name in editable},
        **changes,
        "customer_id": purchase.customer_id,
        "source": purchase.source,
        "external_id": purchase.external_id,
    }
    cleaned, errors = _clean_row(1, row, {str(purchase.customer_id): purchase.customer_id})
    if errors:
        raise ValidationFailed(
            _("The purchase is not valid."), fields={e.column: e.message for e in errors}
        )
    for name in editable:
        setattr(purchase, name, getattr(cleaned, name))
    purchase.save()
    audit_record(
        actor=actor,
        action="purchase.updated",
        obj=purchase,
        changes=diff(before, snapshot(purchase, PURCHASE_FIELDS)),
    )
    return purchase


@transaction.atomic
def purchase_delete(*, actor, purchase: Purchase) -> None:
    _require(actor, "customers.delete_purchase")
    audit_record(
        actor=actor,
        action="purchase.deleted",
        obj=purchase,
        changes=diff(snapshot(purchase, PURCHASE_FIELDS), {}),
    )
    purchase.delete()
