"""The periodic retry sweep for outbound email and webhook deliveries."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from kefu.channels.models import OutboundEmail, OutboundState, WebhookDelivery
from kefu.channels.services.outbound import outbound_email_send, stale_sending_cutoff
from kefu.channels.services.webhooks import webhook_deliver


def _due(model, now):
    # Rows left in "sending" by a worker that died are put back in the queue first.
    model.objects.filter(
        state=OutboundState.SENDING, updated_at__lt=stale_sending_cutoff(now)
    ).update(state=OutboundState.QUEUED)
    return list(
        model.objects.filter(state=OutboundState.QUEUED)
        .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True))
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:500]
    )


def retry_due(*, now=None) -> dict[str, int]:
    """Send every outbound email and webhook delivery whose next attempt is due."""
    now = now or timezone.now()
    emails = _due(OutboundEmail, now)
    for pk in emails:
        outbound_email_send(outbound_id=pk)
    hooks = _due(WebhookDelivery, now)
    for pk in hooks:
        webhook_deliver(delivery_id=pk)
    return {"emails": len(emails), "webhooks": len(hooks)}
