"""Reads of the channels app: list querysets with their joins stated explicitly."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, QuerySet

from kefu.channels.models import (
    CallRecord,
    InboundEmail,
    InboundStatus,
    Mailbox,
    OutboundEmail,
    OutboundState,
    WebhookDelivery,
    WebhookSubscription,
)


def inbound_list(*, status: str = "") -> QuerySet[InboundEmail]:
    rows = InboundEmail.objects.select_related("ticket", "mailbox").defer("raw")
    return rows.filter(status=status) if status else rows


def outbound_list(*, state: str = "") -> QuerySet[OutboundEmail]:
    rows = OutboundEmail.objects.select_related("ticket")
    return rows.filter(state=state) if state else rows


def call_list(
    *,
    queue: str | None = None,
    offered_from: dt.datetime | None = None,
    offered_to: dt.datetime | None = None,
    abandoned: bool | None = None,
) -> QuerySet[CallRecord]:
    rows = CallRecord.objects.select_related("ticket", "agent", "customer")
    if queue:
        rows = rows.filter(queue_name=queue)
    if offered_from:
        rows = rows.filter(offered_at__gte=offered_from)
    if offered_to:
        rows = rows.filter(offered_at__lt=offered_to)
    if abandoned is not None:
        rows = rows.filter(abandoned=abandoned)
    return rows


def delivery_list(*, state: str = "", subscription_id: int | None = None):
    rows = WebhookDelivery.objects.select_related("subscription")
    if state:
        rows = rows.filter(state=state)
    if subscription_id:
        rows = rows.filter(subscription_id=subscription_id)
    return rows


def mailbox_list() -> QuerySet[Mailbox]:
    return Mailbox.objects.select_related("team", "category").annotate(
        received=Count("inboundemail")
    )


def subscription_list() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.annotate(delivery_count=Count("deliveries"))


def overview() -> dict[str, int]:
    """Counts for the channels home page: what needs attention."""
    return {
        "quarantined": InboundEmail.objects.filter(status=InboundStatus.QUARANTINED).count(),
        "outbound_failed": OutboundEmail.objects.filter(state=OutboundState.FAILED).count(),
        "outbound_waiting": OutboundEmail.objects.filter(state=OutboundState.QUEUED).count(),
        "webhooks_failed": WebhookDelivery.objects.filter(state=OutboundState.FAILED).count(),
        "mailboxes": Mailbox.objects.filter(is_active=True).count(),
        "calls": CallRecord.objects.count(),
    }
