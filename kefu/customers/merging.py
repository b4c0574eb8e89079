"""Merging duplicate customers (one record per customer, M1), and undoing a merge.

Every row registered in merge_registry moves from the merged record to the kept one; the
MergeRecord remembers exactly which rows moved, which tags and empty fields the kept record
gained, so customer_merge_undo puts everything back.
"""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record
from kefu.core.errors import Conflict, NotAllowed, ValidationFailed
from kefu.customers.merge_registry import merge_targets, target_key
from kefu.customers.models import Customer, MergeRecord

# Fields the kept record takes from the merged one when its own value is empty.
FILLED_FIELDS = ("organization_id", "tier", "credit_grade", "language", "region")


def _require(actor, *perms: str) -> None:
    if actor is not None and not actor.has_perms(perms):
        raise NotAllowed(_("You do not have permission to do this."))


def _locked(*customers: Customer) -> dict[int, Customer]:
    rows = Customer.objects.select_for_update().filter(pk__in=[c.pk for c in customers])
    return {c.pk: c for c in rows}


def _refresh_search(customer_ids) -> None:
    from kefu.customers.services import customer_refresh_search_text

    for customer in Customer.objects.filter(pk__in=list(customer_ids)):
        customer_refresh_search_text(customer)


def merge_preview(*, kept: Customer, merged: Customer) -> dict[str, int]:
    """How many rows of each registered kind would move from `merged` to `kept`, keyed by the
    kind's English plural name (stable for API clients whatever the request's language)."""
    counts = {}
    for model, field in merge_targets():
        qs = model._base_manager.filter(**{field: merged})
        if model is Customer:
            qs = qs.exclude(pk=kept.pk)
        with translation.override("en"):
            key = str(model._meta.verbose_name_plural)
        counts[key] = counts.get(key, 0) + qs.count()
    return counts


def merge_preview_rows(*, kept: Customer, merged: Customer) -> list[tuple[str, int]]:
    """merge_preview as (label in the current language, count) rows for the UI."""
    labels = {}
    for model, _field in merge_targets():
        with translation.override("en"):
            key = str(model._meta.verbose_name_plural)
        labels[key] = str(model._meta.verbose_name_plural)
    return [(labels[key], count) for key, count in merge_preview(kept=kept, merged=merged).items()]


@transaction.atomic
def customer_merge(*, actor, kept: Customer, merged: Customer) -> MergeRecord:
    """Merge `merged` into `kept`: move every related row, keep `merged` hidden for undo."""
    _require(actor, "customers.merge_customer")
    if kept.pk == merged.pk:
        raise ValidationFailed(
            _("A customer cannot be merged with itself."),
            fields={"other_id": _("Choose a different customer.")},
        )
    locked = _locked(kept, merged)
    kept, merged = locked[kept.pk], locked[merged.pk]
    if kept.merged_into_id or merged.merged_into_id:
        raise Conflict(
            _("One of these customers was already merged into another record."),
            code="already_merged",
        )
    if kept.kind != merged.kind:
        raise ValidationFailed(
            _("Only customers of the same kind can be merged."),
            fields={"other_id": _("Choose a customer of the same kind.")},
        )
    moved: dict[str, list[int]] = {}
    for model, field in merge_targets():
        qs = model._base_manager.filter(**{field: merged})
        if model is Customer:
            qs = qs.exclude(pk=kept.pk)
        ids = list(qs.values_list("pk", flat=True))
        if ids:
            model._base_manager.filter(pk__in=ids).update(**{field: kept})
            moved[target_key(model, field)] = ids

    kept_tags = set(kept.tags.values_list("pk", flat=True))
    tags_added = sorted(set(merged.tags.values_list("pk", flat=True)) - kept_tags)
    kept.tags.add(*tags_added)

    filled = {}
    for attname in FILLED_FIELDS:
        if not getattr(kept, attname) and getattr(merged, attname):
            if attname == "organization_id" and merged.organization_id == kept.pk:
                continue
            filled[attname] = [getattr(kept, attname), getattr(merged, attname)]
    if merged.is_vip and not kept.is_vip:
        filled["is_vip"] = [False, True]
    attributes_added = {k: v for k, v in merged.attributes.items() if k not in kept.attributes}
    user_moved = None
    if merged.user_id and not kept.user_id:
        user_moved = merged.user_id
        Customer.objects.filter(pk=merged.pk).update(user=None)
        filled["user_id"] = [None, user_moved]

    columns = {name: new for name, (_old, new) in filled.items()}
    if attributes_added:
        columns["attributes"] = {**kept.attributes, **attributes_added}
    now = timezone.now()
    Customer.objects.filter(pk=kept.pk).update(version=F("version") + 1, updated_at=now, **columns)
    Customer.objects.filter(pk=merged.pk).update(
        merged_into=kept, version=F("version") + 1, updated_at=now
    )
    record = MergeRecord.objects.create(
        kept=kept,
        merged=merged,
        moved={
            "related": moved,
            "tags_added": tags_added,
            "fields_filled": filled,
            "attributes_added": sorted(attributes_added),
            "user_moved": user_moved,
        },
        merged_by=actor if getattr(actor, "pk", None) else None,
    )
    _refresh_search([kept.pk, *moved.get(target_key(Customer, "organization"), [])])
    counts = {key: len(ids) for key, ids in moved.items()}
    audit_record(
        actor=actor,
        action="customer.merged",
        obj=kept,
        changes={
            "merged": [None, merged.number],
            "moved": [None, counts],
            "merge": [None, record.pk],
        },
    )
    audit_record(
        actor=actor,
        action="customer.merged_into",
        obj=merged,
        changes={"merged_into": [None, kept.number], "merge": [None, record.pk]},
    )
    kept.refresh_from_db()
    return record


def _model_and_field(key: str):
    label, field = key.rsplit(".", 1)
    return apps.get_model(label), field


@transaction.atomic
def customer_merge_undo(*, actor, record: MergeRecord) -> MergeRecord:
    """Undo a merge: the rows that moved go back, the merged record reappears."""
    _require(actor, "customers.merge_customer")
    record = MergeRecord.objects.select_for_update().get(pk=record.pk)
    if record.undone_at is not None:
        raise Conflict(_("This merge was already undone."), code="already_undone")
    locked = _locked(record.kept, record.merged)
    kept, merged = locked[record.kept_id], locked[record.merged_id]
    if merged.merged_into_id != kept.pk:
        raise Conflict(_("The merged record has changed since; undo is not possible."))
    if kept.merged_into_id:
        raise Conflict(
            _("The kept record was merged again later; undo that merge first."),
            code="merged_again",
        )
    details = record.moved
    for key, ids in details.get("related", {}).items():
        model, field = _model_and_field(key)
        model._base_manager.filter(pk__in=ids, **{field: kept}).update(**{field: merged})
    if details.get("tags_added"):
        kept.tags.remove(*details["tags_added"])
    restore = {}
    for attname, (old, new) in details.get("fields_filled", {}).items():
        if attname == "user_id":
            continue
        if getattr(kept, attname) == new:
            restore[attname] = old
    attributes = dict(kept.attributes)
    for key in details.get("attributes_added", []):
        attributes.pop(key, None)
    if attributes != kept.attributes:
        restore["attributes"] = attributes
    now = timezone.now()
    user_moved = details.get("user_moved")
    if user_moved and kept.user_id == user_moved:
        Customer.objects.filter(pk=kept.pk).update(user=None)
        restore_merged = {"user_id": user_moved}
    else:
        restore_merged = {}
    Customer.objects.filter(pk=kept.pk).update(version=F("version") + 1, updated_at=now, **restore)
    Customer.objects.filter(pk=merged.pk).update(
        merged_into=None, version=F("version") + 1, updated_at=now, **restore_merged
    )
    record.undone_at = now
    record.save(update_fields=["undone_at", "updated_at"])
    people = details.get("related", {}).get(target_key(Customer, "organization"), [])
    _refresh_search([kept.pk, merged.pk, *people])
    audit_record(
        actor=actor,
        action="customer.merge_undone",
        obj=kept,
        changes={"merged": [merged.number, None], "merge": [record.pk, None]},
    )
    audit_record(
        actor=actor,
        action="customer.unmerged",
        obj=merged,
        changes={"merged_into": [kept.number, None]},
    )
    return record
