"""Customer list, 360° page, create/edit forms, contacts, tags, notes and credit rating."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm
from kefu.customers import erasure, exporting, privacy, selectors, services
from kefu.customers.forms import ContactForm, CreditRatingForm, CustomerForm, NoteForm
from kefu.customers.models import (
    ContactPoint,
    CreditPolicy,
    Customer,
    CustomerKind,
    Tag,
    Tier,
)
from kefu.customers.timeline import timeline_kinds
from kefu.reports.selectors import customer_churn_risk

VIEW = "customers.view_customer"
PAGE_SIZE = 50


class SearchPaginator(Paginator):
    """Counts at most `cap` + 1 rows: a broad search over a million customers shows
    "More than 1,000 customers" instead of counting every match."""

    def __init__(self, object_list, per_page, cap: int | None = None):
        super().__init__(object_list, per_page)
        self.cap = selectors.SEARCH_COUNT_CAP if cap is None else cap

    @cached_property
    def count(self) -> int:
        return selectors.capped_count(self.object_list, self.cap)

    @property
    def capped(self) -> bool:
        return self.count > self.cap


FILTER_KEYS = ("q", "tier", "tag", "kind")
EDITABLE = ("kind", "name", "organization", "tier", "is_vip", "language", "region", "notes")


def _filters(request) -> dict[str, str]:
    return {key: request.GET.get(key, "").strip() for key in FILTER_KEYS}


def _form_errors(form, exc: KefuError) -> None:
    for field, errors in exc.fields.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)
    if not exc.fields:
        form.add_error(None, exc.message)


def customer_list(request):
    require_perm(request.user, VIEW)
    filters = _filters(request)
    customers = selectors.customer_list(actor=request.user, **filters)
    paginator = SearchPaginator if filters["q"] else Paginator
    page = paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "customers/list.html",
        {
            "page": page,
            "filters": filters,
            "query": query,
            "tiers": Tier.choices,
            "kinds": CustomerKind.choices,
            "tags": Tag.objects.order_by("name")[:200],
            "show_pii": selectors.can_view_pii(request.user),
        },
    )


def customer_export(request):
    require_perm(request.user, "customers.export_customers")
    customers = selectors.customer_list(actor=request.user, **_filters(request))
    file_format = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    return exporting.customers_response(
        customers, file_format=file_format, show_pii=selectors.can_view_pii(request.user)
    )


@require_POST
def customer_data_export(request, customer_id: int):
    """Everything held about the customer, as a zip download (administrators; audited)."""
    customer = get_object_or_404(selectors.customer_list(actor=request.user), pk=customer_id)
    export = privacy.customer_data_export(actor=request.user, customer=customer)
    response = HttpResponse(export.content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


def customer_erase(request, customer_id: int):
    """Erase (anonymise) a customer on request: a form with the reason and the customer number
    typed again (administrators; audited; irreversible)."""
    require_perm(request.user, "customers.delete_customer")
    customer = get_object_or_404(selectors.customer_list(actor=request.user), pk=customer_id)
    errors: dict = {}
    if request.method == "POST":
        try:
            report = erasure.customer_erase(
                actor=request.user,
                customer=customer,
                reason=request.POST.get("reason", ""),
                confirm=request.POST.get("confirm", ""),
            )
        except KefuError as exc:
            errors = exc.fields or {"form": [exc.message]}
        else:
            messages.success(
                request,
                _("The customer's personal data was erased (%(rows)s records changed).")
                % {"rows": sum(report.counts.values())},
            )
            return redirect("customers:detail", customer.pk)
    return render(
        request,
        "customers/erase.html",
        {
            "customer": customer,
            "confirmation": erasure.confirmation_text(customer),
            "errors": errors,
            "reason": request.POST.get("reason", ""),
        },
        status=422 if errors else 200,
    )


def customer_detail(request, customer_id: int):
    require_perm(request.user, VIEW)
    customer = get_object_or_404(
        selectors.customer_list(actor=request.user).select_related("user"), pk=customer_id
    )
    kinds = [k for k in request.GET.getlist("kind") if k]
    show_pii = selectors.can_view_pii(request.user)
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "contacts": customer.contacts.all(),
            "summary": selectors.purchase_summary(customer),
            "recent_purchases": selectors.purchase_list(customer_id=customer.pk)[:5],
            "timeline": selectors.customer_timeline(customer, kinds=kinds or None),
            "timeline_kinds": timeline_kinds(),
            "selected_kinds": kinds,
            "people": customer.people.active().order_by("name")[:20]
            if customer.kind == CustomerKind.ORGANIZATION
            else [],
            "merges": selectors.merge_list(customer)[:5],
            "churn_risk": customer_churn_risk(customer.pk)
            if request.user.has_perm("reports.view_customerrisk")
            else None,
            "can_see_churn": request.user.has_perm("reports.view_customerrisk"),
            "show_pii": show_pii,
            "contact_form": ContactForm(),
            "note_form": NoteForm(),
        },
    )


def _contacts_from(form: CustomerForm) -> list[tuple[str, str]]:
    return [
        (kind, form.cleaned_data[kind])
        for kind in ("mobile", "email", "wechat")
        if form.cleaned_data.get(kind)
    ]


def customer_create(request):
    require_perm(request.user, "customers.add_customer")
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        contacts = _contacts_from(form)
        try:
            customer = services.customer_create(
                actor=request.user,
                name=data["name"],
                kind=data["kind"],
                organization=data["organization"],
                tier=data["tier"],
                is_vip=data["is_vip"],
                language=data["language"],
                region=data["region"],
                notes=data["notes"],
                tags=form.tag_names(),
                contacts=contacts,
            )
        except KefuError as exc:
            # contacts.N errors belong to the form field of that contact's kind
            exc.fields = {
                contacts[int(k.split(".")[1])][0] if k.startswith("contacts.") else k: v
                for k, v in exc.fields.items()
            }
            _form_errors(form, exc)
        else:
            messages.success(
                request, _("Customer %(number)s created.") % {"number": customer.number}
            )
            return redirect("customers:detail", customer.pk)
    return render(request, "customers/form.html", {"form": form, "customer": None})


def customer_edit(request, customer_id: int):
    require_perm(request.user, "customers.change_customer")
    customer = get_object_or_404(Customer.objects.active(), pk=customer_id)
    initial = {
        "version": customer.version,
        "kind": customer.kind,
        "name": customer.name,
        "organization": customer.organization_id,
        "tier": customer.tier,
        "is_vip": customer.is_vip,
        "language": customer.language,
        "region": customer.region,
        "notes": customer.notes,
        "tags": ", ".join(customer.tags.values_list("name", flat=True)),
    }
    form = CustomerForm(request.POST or None, initial=initial)
    for kind in ("mobile", "email", "wechat"):
        del form.fields[kind]  # contacts are managed on the 360° page
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {name: data[name] for name in EDITABLE}
        try:
            services.customer_update(
                actor=request.user,
                customer=customer,
                expected_version=data["version"] or customer.version,
                changes=changes,
            )
            services.tags_set(actor=request.user, customer=customer, names=form.tag_names())
        except KefuError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("customers:detail", customer.pk)
    return render(request, "customers/form.html", {"form": form, "customer": customer})


def _posted_to(request, customer_id: int, action, form_class, success: str):
    customer = get_object_or_404(Customer.objects.active(), pk=customer_id)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the form: %s") % form.errors.as_text())
        return redirect("customers:detail", customer.pk)
    try:
        action(customer, form.cleaned_data)
    except KefuError as exc:
        detail = "; ".join(m for ms in exc.fields.values() for m in ms)
        messages.error(request, f"{exc.message} {detail}".strip())
    else:
        messages.success(request, success)
    return redirect("customers:detail", customer.pk)


@require_POST
def contact_add(request, customer_id: int):
    return _posted_to(
        request,
        customer_id,
        lambda customer, data: services.contact_add(actor=request.user, customer=customer, **data),
        ContactForm,
        _("Contact added."),
    )


@require_POST
def contact_remove(request, customer_id: int, contact_id: int):
    contact = get_object_or_404(ContactPoint, pk=contact_id, customer_id=customer_id)
    try:
        services.contact_remove(actor=request.user, contact=contact)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Contact removed."))
    return redirect("customers:detail", customer_id)


@require_POST
def note_add(request, customer_id: int):
    return _posted_to(
        request,
        customer_id,
        lambda customer, data: services.note_add(
            actor=request.user, customer=customer, body=data["body"]
        ),
        NoteForm,
        _("Note added."),
    )


def credit_rate(request, customer_id: int):
    require_perm(request.user, "customers.add_creditrating")
    customer = get_object_or_404(Customer.objects.active(), pk=customer_id)
    form = CreditRatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rating = services.credit_rate(
                actor=request.user,
                customer=customer,
                scores=form.scores(),
                note=form.cleaned_data["note"],
            )
        except KefuError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Credit grade %(grade)s (score %(score)s).")
                % {"grade": rating.grade, "score": rating.score},
            )
            return redirect("customers:detail", customer.pk)
    return render(
        request,
        "customers/credit.html",
        {
            "customer": customer,
            "form": form,
            "policy": CreditPolicy.current(),
            "ratings": selectors.credit_rating_list(customer)[:10],
        },
    )
