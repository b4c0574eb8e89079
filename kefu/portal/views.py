"""Portal pages: a customer's requests, a new request, one request's conversation, rating."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import KefuError, NotAllowed
from kefu.portal import selectors, services
from kefu.portal.forms import RatingForm, ReplyForm, RequestForm, as_uploads
from kefu.portal.status import status_badge
from kefu.tickets.models import Attachment, Ticket, TicketKind

PAGE_SIZE = 20


def portal_view(view):
    """Signed-in customers only: staff go to the staff UI; a login without a customer record
    gets a page that says so. The view receives the customer record."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        if not user.is_customer:
            return redirect("core:home")
        customer = selectors.portal_customer(user)
        if customer is None:
            return render(request, "portal/not_linked.html", status=403)
        return view(request, customer, *args, **kwargs)

    return wrapper


def _ticket_or_404(customer, ticket_id: int) -> Ticket:
    try:
        return selectors.portal_ticket(customer, ticket_id)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


def _form_errors(form, exc: KefuError) -> None:
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(exc.message)
    for field, errors in exc.fields.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)
    if not exc.fields:
        form.add_error(None, exc.message)


@portal_view
def request_list(request, customer):
    show = "all" if request.GET.get("show") == "all" else "open"
    tickets = selectors.portal_ticket_list(customer, show=show)
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"ticket": t, "badge": status_badge(t.status), "waiting": selectors.waiting(t)}
        for t in page
    ]
    return render(
        request,
        "portal/list.html",
        {
            "customer": customer,
            "page": page,
            "rows": rows,
            "show": show,
            "organisation": selectors.sees_organisation(customer),
            "nav": "list",
        },
    )


@portal_view
def request_new(request, customer):
    form = RequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.request_submit(
                actor=request.user,
                customer=customer,
                kind=data["kind"],
                subject=data["subject"],
                description=data["description"],
                five_w_two_h={k: data[k] for k in RequestForm.FIVE_W_TWO_H},
                uploads=as_uploads(data["attachments"]),
            )
        except KefuError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Thank you. Your request %(id)s was received.") % {"id": ticket.public_id},
            )
            return redirect("portal:detail", ticket.pk)
    return render(
        request,
        "portal/new.html",
        {
            "form": form,
            "complaint": TicketKind.COMPLAINT.value,
            "nav": "new",
            "promises": selectors.first_reply_promises(customer),
        },
        status=422 if form.errors else 200,
    )


def _detail_context(request, customer, ticket, **forms) -> dict:
    rating = selectors.latest_rating(ticket)
    return {
        "customer": customer,
        "ticket": ticket,
        "badge": status_badge(ticket.status),
        "waiting": selectors.waiting(ticket),
        "conversation": selectors.conversation(ticket),
        "can_reply": selectors.can_reply(request.user, ticket),
        "can_rate": selectors.can_rate(request.user, ticket, rating),
        "rating": rating,
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "rating_form": forms.get("rating_form") or RatingForm(),
        "five_w_two_h": _five_w_two_h(ticket),
    }


def _five_w_two_h(ticket: Ticket) -> list[tuple[str, object]]:
    if not ticket.is_complaint:
        return []
    names = RequestForm.FIVE_W_TWO_H
    labels = {name: RequestForm.base_fields[name].label for name in names}
    return [(labels[n], getattr(ticket, n)) for n in names if getattr(ticket, n) not in ("", None)]


@portal_view
def request_detail(request, customer, ticket_id: int):
    ticket = _ticket_or_404(customer, ticket_id)
    return render(request, "portal/detail.html", _detail_context(request, customer, ticket))


@require_POST
@portal_view
def request_reply(request, customer, ticket_id: int):
    ticket = _ticket_or_404(customer, ticket_id)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.request_reply(
                actor=request.user,
                ticket=ticket,
                body=form.cleaned_data["body"],
                uploads=as_uploads(form.cleaned_data["attachments"]),
            )
        except KefuError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Your reply was sent."))
            return redirect("portal:detail", ticket.pk)
    context = _detail_context(request, customer, ticket, reply_form=form)
    return render(request, "portal/detail.html", context, status=422)


@require_POST
@portal_view
def request_rate(request, customer, ticket_id: int):
    ticket = _ticket_or_404(customer, ticket_id)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            services.resolution_rate(
                actor=request.user,
                ticket=ticket,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                confirmed=form.cleaned_data["confirmed"],
            )
        except KefuError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect("portal:detail", ticket.pk)
    ticket.refresh_from_db()
    context = _detail_context(request, customer, ticket, rating_form=form)
    return render(request, "portal/detail.html", context, status=422)


def attachment_response(attachment: Attachment) -> FileResponse:
    """Send a stored attachment as a download, under its original (sanitised) name."""
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.filename
    )
    response["Content-Type"] = attachment.content_type
    response["X-Content-Type-Options"] = "nosniff"
    return response


@portal_view
def attachment_download(request, customer, ticket_id: int, attachment_id: int):
    ticket = _ticket_or_404(customer, ticket_id)
    try:
        attachment = selectors.public_attachment(ticket, attachment_id)
    except Attachment.DoesNotExist as exc:
        raise Http404 from exc
    return attachment_response(attachment)
