"""Channels pages for supervisors and admins: mailboxes, inbound log and quarantine, outbound
queue, call records, webhook subscriptions and their delivery log."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.channels import selectors, services
from kefu.channels.forms import EVENT_LABELS, MailboxForm, SubscriptionForm
from kefu.channels.models import (
    InboundEmail,
    InboundStatus,
    Mailbox,
    OutboundEmail,
    OutboundState,
    WebhookDelivery,
    WebhookSubscription,
)
from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm

PAGE_SIZE = 50
VIEW = "channels.view_inboundemail"
MANAGE = "channels.manage_channels"


def _page(request, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _form_errors(form, exc: KefuError) -> None:
    for field, errors in exc.fields.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)
    if not exc.fields:
        form.add_error(None, exc.message)


def home(request):
    require_perm(request.user, VIEW)
    return render(
        request,
        "channels/home.html",
        {
            "tab": "home",
            "counts": selectors.overview(),
            "quarantined": selectors.inbound_list(status=InboundStatus.QUARANTINED)[:10],
            "failed": selectors.outbound_list(state=OutboundState.FAILED)[:10],
        },
    )


def mailbox_list(request):
    require_perm(request.user, "channels.view_mailbox")
    return render(
        request,
        "channels/mailboxes.html",
        {"tab": "mailboxes", "mailboxes": selectors.mailbox_list()},
    )


def mailbox_edit(request, mailbox_id: int | None = None):
    require_perm(request.user, MANAGE)
    mailbox = get_object_or_404(Mailbox, pk=mailbox_id) if mailbox_id else None
    form = MailboxForm(
        request.POST or None,
        instance=mailbox,
        initial={"version": getattr(mailbox, "version", None)},
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            if mailbox is not None:
                mailbox.refresh_from_db()
            services.mailbox_save(
                actor=request.user,
                mailbox=mailbox,
                data=data,
                expected_version=form.cleaned_data.get("version"),
            )
        except KefuError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Mailbox saved."))
            return redirect("channels:mailboxes")
    return render(
        request, "channels/form.html",
        {"tab": "mailboxes", "form": form, "title": mailbox.name if mailbox else _("New mailbox"),
         "back": "channels:mailboxes"},
    )  # fmt: skip


def inbound_list(request):
    require_perm(request.user, VIEW)
    status = request.GET.get("status", "")
    if status not in InboundStatus.values:
        status = ""
    return render(
        request,
        "channels/inbound.html",
        {
            "tab": "inbound",
            "page": _page(request, selectors.inbound_list(status=status)),
            "status": status,
            "statuses": InboundStatus.choices,
        },
    )


def inbound_detail(request, inbound_id: int):
    require_perm(request.user, VIEW)
    row = get_object_or_404(InboundEmail.objects.select_related("ticket", "mailbox"), pk=inbound_id)
    raw = bytes(row.raw)
    return render(
        request,
        "channels/inbound_detail.html",
        {"tab": "inbound", "row": row, "raw_head": raw[:4000].decode("utf-8", "replace")},
    )


def inbound_raw(request, inbound_id: int):
    require_perm(request.user, VIEW)
    row = get_object_or_404(InboundEmail, pk=inbound_id)
    response = HttpResponse(bytes(row.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="inbound-{row.pk}.eml"'
    return response


@require_POST
def inbound_retry(request, inbound_id: int):
    require_perm(request.user, "channels.change_inboundemail")
    row = get_object_or_404(InboundEmail, pk=inbound_id)
    try:
        row = services.inbound_retry(actor=request.user, inbound=row)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        if row.status == InboundStatus.QUARANTINED:
            messages.error(request, _("Still failing: %s") % row.error)
        else:
            messages.success(request, _("Processed."))
    return redirect("channels:inbound-detail", inbound_id=row.pk)


def outbound_list(request):
    require_perm(request.user, "channels.view_outboundemail")
    state = request.GET.get("state", "")
    if state not in OutboundState.values:
        state = ""
    return render(
        request,
        "channels/outbound.html",
        {
            "tab": "outbound",
            "page": _page(request, selectors.outbound_list(state=state)),
            "state": state,
            "states": OutboundState.choices,
        },
    )


@require_POST
def outbound_retry(request, outbound_id: int):
    require_perm(request.user, "channels.change_outboundemail")
    outbound = get_object_or_404(OutboundEmail, pk=outbound_id)
    try:
        services.outbound_email_retry(actor=request.user, outbound=outbound)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Queued for sending."))
    return redirect("channels:outbound")


def call_list(request):
    require_perm(request.user, "channels.view_callrecord")
    queue = request.GET.get("queue", "").strip()
    return render(
        request,
        "channels/calls.html",
        {
            "tab": "calls",
            "page": _page(request, selectors.call_list(queue=queue)),
            "queue": queue,
            "show_pii": request.user.has_perm("accounts.view_pii"),
        },
    )


def webhook_list(request):
    require_perm(request.user, MANAGE)
    return render(
        request,
        "channels/webhooks.html",
        {"tab": "webhooks", "subscriptions": selectors.subscription_list(), "labels": EVENT_LABELS},
    )


def webhook_edit(request, subscription_id: int | None = None):
    require_perm(request.user, MANAGE)
    sub = get_object_or_404(WebhookSubscription, pk=subscription_id) if subscription_id else None
    form = SubscriptionForm(
        request.POST or None, instance=sub, initial={"version": getattr(sub, "version", None)}
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        if sub is not None and not data.get("secret"):
            data.pop("secret")  # keep the current secret
        try:
            if sub is not None:
                sub.refresh_from_db()  # form.is_valid() wrote the posted values on it
            services.webhook_subscription_save(
                actor=request.user, subscription=sub, data=data,
                expected_version=form.cleaned_data.get("version"),
            )  # fmt: skip
        except KefuError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Subscription saved."))
            return redirect("channels:webhooks")
    return render(
        request, "channels/form.html",
        {"tab": "webhooks", "form": form, "title": sub.name if sub else _("New webhook"),
         "back": "channels:webhooks"},
    )  # fmt: skip


def delivery_list(request):
    require_perm(request.user, "channels.view_webhookdelivery")
    state = request.GET.get("state", "")
    if state not in OutboundState.values:
        state = ""
    return render(
        request,
        "channels/deliveries.html",
        {
            "tab": "deliveries",
            "page": _page(request, selectors.delivery_list(state=state)),
            "state": state,
            "states": OutboundState.choices,
        },
    )


@require_POST
def delivery_replay(request, delivery_id: int):
    require_perm(request.user, MANAGE)
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id)
    services.webhook_replay(actor=request.user, delivery=delivery)
    messages.success(request, _("Delivery queued again."))
    return redirect("channels:deliveries")
