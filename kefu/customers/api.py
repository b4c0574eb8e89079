"""API for customers, organisations, contacts, credit ratings, purchases, merges and imports.

Contacts are masked (138****1234) for callers without accounts.view_pii.
"""

import datetime as dt
import json
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from kefu.api.pagination import PageNumberless
from kefu.core.errors import ValidationFailed
from kefu.core.permissions import require_perm
from kefu.customers import erasure, exporting, importing, privacy, selectors, services
from kefu.customers.contacts import mask_contact
from kefu.customers.merging import merge_preview
from kefu.customers.models import (
    ContactPoint,
    Customer,
    ImportJob,
    MergeRecord,
    Purchase,
)

VIEW = "customers.view_customer"

router = Router(tags=["customers"])
organizations_router = Router(tags=["customers"])
purchases_router = Router(tags=["customers"])
imports_router = Router(tags=["customers"])


def _show_pii(context) -> bool:
    request = (context or {}).get("request")
    return selectors.can_view_pii(getattr(request, "user", None))


# --- schemas ------------------------------------------------------------------------------------


class ContactOut(Schema):
    id: int
    kind: str
    value: str = Field(description="As entered; masked without the view_pii permission.")
    normalized: str = Field(description="E.164 phone, lower-case email; masked likewise.")
    is_primary: bool
    created_at: dt.datetime

    @staticmethod
    def resolve_value(obj, context) -> str:
        return obj.value if _show_pii(context) else mask_contact(obj.kind, obj.value)

    @staticmethod
    def resolve_normalized(obj, context) -> str:
        return obj.normalized if _show_pii(context) else mask_contact(obj.kind, obj.normalized)


class ContactIn(Schema):
    kind: Literal["email", "phone", "mobile", "wechat", "address"]
    value: str = Field(min_length=1, max_length=300)
    is_primary: bool = False


class CustomerOut(Schema):
    id: int
    number: str
    version: int
    kind: str
    name: str
    organization_id: int | None
    organization_name: str | None
    tier: str
    is_vip: bool
    credit_grade: str
    language: str
    region: str
    notes: str
    tags: list[str]
    attributes: dict[str, Any]
    contacts: list[ContactOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_organization_name(obj) -> str | None:
        return obj.organization.name if obj.organization_id else None

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return [t.name for t in obj.tags.all()]

    @staticmethod
    def resolve_contacts(obj) -> list:
        return list(obj.contacts.all())


class CustomerIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["person", "organization"] = "person"
    organization_id: int | None = None
    tier: Literal["", "A", "B", "C", "D"] = ""
    is_vip: bool = False
    language: str = Field("", max_length=10)
    region: str = Field("", max_length=100)
    notes: str = ""
    attributes: dict[str, Any] = {}
    tags: list[str] = []
    contacts: list[ContactIn] = []


class CustomerPatch(Schema):
    version: int = Field(description="The version you read; a stale one gets 409.")
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: Literal["person", "organization"] | None = None
    organization_id: int | None = None
    tier: Literal["", "A", "B", "C", "D"] | None = None
    is_vip: bool | None = None
    language: str | None = Field(None, max_length=10)
    region: str | None = Field(None, max_length=100)
    notes: str | None = None
    attributes: dict[str, Any] | None = None
    tags: list[str] | None = None


class CustomerFilters(Schema):
    q: str = Field("", description="Name, number, phone fragment, email, WeChat id, organisation.")
    tier: str = Field("", description="A, B, C, D, or none.")
    tag: str = ""
    kind: str = ""
    is_vip: bool | None = None
    organization_id: int | None = None


class OrganizationOut(Schema):
    id: int
    number: str
    name: str
    tier: str
    is_vip: bool
    credit_grade: str
    people_count: int


class TimelineRowOut(Schema):
    kind: str
    at: dt.datetime
    title: str
    detail: str
    url: str


class CustomerMergeIn(Schema):
    other_id: int = Field(description="The duplicate to merge into this customer.")


class MergeOut(Schema):
    id: int
    kept_id: int
    merged_id: int
    moved: dict[str, Any]
    created_at: dt.datetime
    undone_at: dt.datetime | None


class DuplicateOut(Schema):
    customer_id: int
    number: str
    name: str
    reasons: list[str]


class CreditRatingIn(Schema):
    character: int = Field(ge=1, le=5)
    capacity: int = Field(ge=1, le=5)
    capital: int = Field(ge=1, le=5)
    collateral: int = Field(ge=1, le=5)
    condition: int = Field(ge=1, le=5)
    continuity: int = Field(ge=1, le=5)
    note: str = ""


class CreditRatingOut(Schema):
    id: int
    character: int
    capacity: int
    capital: int
    collateral: int
    condition: int
    continuity: int
    weights: dict[str, float]
    score: Decimal
    grade: str
    rated_by_id: int | None
    rated_at: dt.datetime
    note: str


class NoteIn(Schema):
    body: str = Field(min_length=1)


class NoteOut(Schema):
    id: int
    body: str
    author_id: int | None
    created_at: dt.datetime


class PurchaseOut(Schema):
    id: int
    customer_id: int
    source: str
    external_id: str
    ordered_at: dt.datetime
    amount: Decimal
    currency: str
    gross_margin: Decimal | None
    product: str
    quantity: int
    channel: str


class PurchaseIn(Schema):
    customer_id: int
    source: str = Field("manual", max_length=50)
    external_id: str = Field(min_length=1, max_length=100)
    ordered_at: dt.datetime
    amount: Decimal
    currency: str = Field("CNY", min_length=3, max_length=3)
    gross_margin: Decimal | None = None
    product: str = Field("", max_length=200)
    quantity: int = Field(1, ge=1)
    channel: str = Field("", max_length=50)


class PurchasePatch(Schema):
    ordered_at: dt.datetime | None = None
    amount: Decimal | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    gross_margin: Decimal | None = None
    product: str | None = Field(None, max_length=200)
    quantity: int | None = Field(None, ge=1)
    channel: str | None = Field(None, max_length=50)


class PurchaseBulkIn(Schema):
    rows: list[dict[str, Any]] = Field(
        description="Up to 10,000 rows: customer_number or customer_id, source, external_id, "
        "ordered_at, amount, currency, gross_margin, product, quantity, channel."
    )
    mode: Literal["atomic", "valid_only"] = "atomic"
    dry_run: bool = False


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class PurchaseBulkOut(Schema):
    created: int
    updated: int
    unchanged: int
    written: bool
    errors: list[RowErrorOut]


class ImportJobOut(Schema):
    id: int
    kind: str
    original_name: str
    status: str
    mode: str
    dry_run: bool
    mapping: dict[str, str]
    total_rows: int
    created_count: int
    updated_count: int
    skipped_count: int
    error_count: int
    message: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


# --- customers ----------------------------------------------------------------------------------


def _customer(request, customer_id: int) -> Customer:
    require_perm(request.user, VIEW)
    return get_object_or_404(Customer.objects.active(), pk=customer_id)


def _organization(request, organization_id: int | None) -> Customer | None:
    if organization_id is None:
        return None
    return get_object_or_404(Customer.objects.active(), pk=organization_id)


@router.get("", response=list[CustomerOut])
@paginate(PageNumberless)
def customer_list(request, filters: Query[CustomerFilters]):
    """Customers, newest first; `q` searches names (Chinese too), numbers and contacts."""
    require_perm(request.user, VIEW)
    return selectors.customer_list(actor=request.user, **filters.dict())


@router.post("", response={201: CustomerOut})
def customer_create(request, payload: CustomerIn):
    data = payload.dict()
    organization = _organization(request, data.pop("organization_id"))
    contacts = [(c["kind"], c["value"]) for c in data.pop("contacts")]
    customer = services.customer_create(
        actor=request.user, organization=organization, contacts=contacts, **data
    )
    return Status(201, selectors.customer_get(customer_id=customer.pk))


@router.get("/export", response={200: None})
def customer_export(
    request, filters: Query[CustomerFilters], format: Literal["csv", "xlsx"] = "csv"
):
    """The filtered list as CSV (UTF-8 with BOM, opens in Excel) or .xlsx."""
    require_perm(request.user, "customers.export_customers")
    customers = selectors.customer_list(actor=request.user, **filters.dict())
    return exporting.customers_response(
        customers, file_format=format, show_pii=selectors.can_view_pii(request.user)
    )


@router.get("/{customer_id}/data-export", response={200: None})
def customer_data_export(request, customer_id: int) -> HttpResponse:
    """Everything held about the customer as a zip (data.json, attachments, manifest with
    checksums) — the right of access. Administrators; audited."""
    export = privacy.customer_data_export(
        actor=request.user, customer=_customer(request, customer_id)
    )
    response = HttpResponse(export.content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


class ErasureIn(Schema):
    reason: str = Field(description="Why: the request's reference. Audited.")
    confirm: str = Field(description="The customer number (the id when there is none).")


class ErasureOut(Schema):
    customer_ids: list[int]
    counts: dict[str, int]


@router.post("/{customer_id}/erase", response=ErasureOut)
def customer_erase(request, customer_id: int, payload: ErasureIn):
    """Anonymise the customer (right to erasure): personal data removed, statistics kept, the
    audit trail keeps that it happened. Administrators; irreversible; see docs/reliability.md."""
    report = erasure.customer_erase(
        actor=request.user,
        customer=_customer(request, customer_id),
        reason=payload.reason,
        confirm=payload.confirm,
    )
    return {"customer_ids": report.customer_ids, "counts": report.counts}


@router.get("/{customer_id}", response=CustomerOut)
def customer_detail(request, customer_id: int):
    require_perm(request.user, VIEW)
    return selectors.customer_get(customer_id=customer_id)


@router.patch("/{customer_id}", response=CustomerOut)
def customer_update(request, customer_id: int, payload: CustomerPatch):
    customer = _customer(request, customer_id)
    changes = payload.dict(exclude_unset=True, exclude={"version", "tags"})
    if "organization_id" in changes:
        changes["organization"] = _organization(request, changes.pop("organization_id"))
    services.customer_update(
        actor=request.user, customer=customer, expected_version=payload.version, changes=changes
    )
    if payload.tags is not None:
        services.tags_set(actor=request.user, customer=customer, names=payload.tags)
    return selectors.customer_get(customer_id=customer.pk)


@router.delete("/{customer_id}", response={204: None})
def customer_delete(request, customer_id: int):
    services.customer_delete(actor=request.user, customer=_customer(request, customer_id))
    return Status(204, None)


@router.get("/{customer_id}/timeline", response=list[TimelineRowOut])
def customer_timeline(request, customer_id: int, kinds: str = "", limit: int = 50):
    """Newest first across purchases, notes, ratings, contacts, merges, tickets…"""
    customer = _customer(request, customer_id)
    wanted = [k for k in kinds.split(",") if k] or None
    return selectors.customer_timeline(customer, kinds=wanted, limit=max(1, min(limit, 200)))


@router.get("/{customer_id}/duplicates", response=list[DuplicateOut])
def customer_duplicates(request, customer_id: int):
    customer = _customer(request, customer_id)
    show = selectors.can_view_pii(request.user)
    return [
        {
            "customer_id": s.customer.pk,
            "number": s.customer.number,
            "name": s.customer.name,
            "reasons": [
                f"{kind}: {value if show or kind == 'name' else mask_contact(kind, value)}"
                for kind, value in s.reasons
            ],
        }
        for s in selectors.duplicate_suggestions(customer)
    ]


@router.get("/{customer_id}/merge-preview", response=dict[str, int])
def customer_merge_preview(request, customer_id: int, other_id: int):
    require_perm(request.user, "customers.merge_customer")
    kept = _customer(request, customer_id)
    return merge_preview(kept=kept, merged=_customer(request, other_id))


@router.post("/{customer_id}/merge", response={201: MergeOut})
def customer_merge(request, customer_id: int, payload: CustomerMergeIn):
    """Merge customer `other_id` into this one; undo with POST /customers/merges/{id}/undo."""
    kept = _customer(request, customer_id)
    merged = _customer(request, payload.other_id)
    return Status(201, services.customer_merge(actor=request.user, kept=kept, merged=merged))


@router.post("/merges/{merge_id}/undo", response=MergeOut)
def customer_merge_undo(request, merge_id: int):
    require_perm(request.user, VIEW)
    record = get_object_or_404(MergeRecord, pk=merge_id)
    return services.customer_merge_undo(actor=request.user, record=record)


@router.get("/{customer_id}/contacts", response=list[ContactOut])
def contact_list(request, customer_id: int):
    return list(_customer(request, customer_id).contacts.all())


@router.post("/{customer_id}/contacts", response={201: ContactOut})
def contact_add(request, customer_id: int, payload: ContactIn):
    customer = _customer(request, customer_id)
    return Status(
        201, services.contact_add(actor=request.user, customer=customer, **payload.dict())
    )


@router.delete("/{customer_id}/contacts/{contact_id}", response={204: None})
def contact_remove(request, customer_id: int, contact_id: int):
    customer = _customer(request, customer_id)
    contact = get_object_or_404(ContactPoint, pk=contact_id, customer=customer)
    services.contact_remove(actor=request.user, contact=contact)
    return Status(204, None)


@router.get("/{customer_id}/credit-ratings", response=list[CreditRatingOut])
def credit_rating_list(request, customer_id: int):
    return list(selectors.credit_rating_list(_customer(request, customer_id)))


@router.post("/{customer_id}/credit-ratings", response={201: CreditRatingOut})
def credit_rate(request, customer_id: int, payload: CreditRatingIn):
    """Rate the 6C (1–5 each); the grade follows from the credit policy's weights and cut-offs."""
    customer = _customer(request, customer_id)
    scores = payload.dict(exclude={"note"})
    rating = services.credit_rate(
        actor=request.user, customer=customer, scores=scores, note=payload.note
    )
    return Status(201, rating)


@router.get("/{customer_id}/notes", response=list[NoteOut])
def note_list(request, customer_id: int):
    return list(_customer(request, customer_id).customer_notes.all())


@router.post("/{customer_id}/notes", response={201: NoteOut})
def note_add(request, customer_id: int, payload: NoteIn):
    customer = _customer(request, customer_id)
    return Status(201, services.note_add(actor=request.user, customer=customer, body=payload.body))


# --- organisations ------------------------------------------------------------------------------


@organizations_router.get("", response=list[OrganizationOut])
@paginate(PageNumberless)
def organization_list(request, q: str = ""):
    require_perm(request.user, VIEW)
    return selectors.organization_list(actor=request.user, q=q)


# --- purchases ----------------------------------------------------------------------------------


@purchases_router.get("", response=list[PurchaseOut])
@paginate(PageNumberless)
def purchase_list(request, customer_id: int | None = None):
    require_perm(request.user, "customers.view_purchase")
    return selectors.purchase_list(actor=request.user, customer_id=customer_id)


@purchases_router.post("", response={201: PurchaseOut})
def purchase_create(request, payload: PurchaseIn):
    """Idempotent on (source, external_id): sending the same purchase again returns it."""
    data = payload.dict()
    customer = _customer(request, data.pop("customer_id"))
    return Status(201, services.purchase_create(actor=request.user, customer=customer, **data))


@purchases_router.post("/bulk", response=PurchaseBulkOut)
def purchase_bulk(request, payload: PurchaseBulkIn):
    """Create or update up to 10,000 purchases; atomic (default) or valid_only."""
    result = services.purchase_bulk_create(
        actor=request.user, rows=payload.rows, mode=payload.mode, dry_run=payload.dry_run
    )
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "written": result.written,
        "errors": [e.as_dict() for e in result.errors],
    }


def _purchase(request, purchase_id: int) -> Purchase:
    require_perm(request.user, "customers.view_purchase")
    return get_object_or_404(Purchase, pk=purchase_id)


@purchases_router.get("/{purchase_id}", response=PurchaseOut)
def purchase_detail(request, purchase_id: int):
    return _purchase(request, purchase_id)


@purchases_router.patch("/{purchase_id}", response=PurchaseOut)
def purchase_update(request, purchase_id: int, payload: PurchasePatch):
    purchase = _purchase(request, purchase_id)
    changes = payload.dict(exclude_unset=True)
    return services.purchase_update(actor=request.user, purchase=purchase, changes=changes)


@purchases_router.delete("/{purchase_id}", response={204: None})
def purchase_delete(request, purchase_id: int):
    services.purchase_delete(actor=request.user, purchase=_purchase(request, purchase_id))
    return Status(204, None)


# --- imports ------------------------------------------------------------------------------------


@imports_router.get("", response=list[ImportJobOut])
@paginate(PageNumberless)
def import_list(request):
    require_perm(request.user, "customers.import_customers")
    return ImportJob.objects.order_by("-id")


@imports_router.post("", response={201: ImportJobOut})
def import_create(
    request,
    file: File[UploadedFile],
    kind: Form[Literal["customers", "contacts", "purchases"]],
    mode: Form[Literal["atomic", "valid_only"]] = "atomic",
    dry_run: Form[bool] = False,
    mapping: Form[str] = "{}",
):
    """Upload a CSV (UTF-8, UTF-8 with BOM or GB18030) or .xlsx file and run the import."""
    try:
        column_mapping = json.loads(mapping or "{}")
        if not isinstance(column_mapping, dict):
            raise ValueError
    except ValueError as exc:
        raise ValidationFailed(
            "The mapping is not a JSON object.", fields={"mapping": "Send a JSON object."}
        ) from exc
    job = importing.import_job_create(
        actor=request.user,
        kind=kind,
        upload=file,
        mode=mode,
        dry_run=dry_run,
        mapping=column_mapping,
    )
    job = importing.import_job_run(actor=request.user, job=job)
    return Status(201, job)


@imports_router.get("/{job_id}", response=ImportJobOut)
def import_detail(request, job_id: int):
    require_perm(request.user, "customers.import_customers")
    return get_object_or_404(ImportJob, pk=job_id)


@imports_router.get("/{job_id}/errors.csv", response={200: None})
def import_errors(request, job_id: int) -> HttpResponse:
    """The rows that failed, with row number, column and reason, as CSV."""
    require_perm(request.user, "customers.import_customers")
    job = get_object_or_404(ImportJob, pk=job_id)
    return importing.error_report_response(job)


ROUTERS = [
    ("/customers", router),
    ("/organizations", organizations_router),
    ("/purchases", purchases_router),
    ("/imports", imports_router),
]
