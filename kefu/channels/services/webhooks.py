"""Outbound webhooks: signed JSON POSTs to admin-configured URLs, retried with backoff."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.channels.models import (
    WEBHOOK_EVENTS,
    OutboundState,
    WebhookDelivery,
    WebhookSubscription,
)
from kefu.channels.services.matching import max_attempts, next_attempt, save_versioned
from kefu.core.audit import audit_record
from kefu.core.errors import NotAllowed, ValidationFailed
from kefu.core.tasks import enqueue

SIGNATURE_HEADER = "X-Kefu-Signature"
WEBHOOK_TIMEOUT_S = 10
SUBSCRIPTION_FIELDS = ("name", "url", "events", "secret", "is_active")


def _require_manage(actor) -> None:
    if actor is not None and not actor.has_perm("channels.manage_channels"):
        raise NotAllowed(_("You do not have permission to do this."))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` — the timestamp is signed too, so
    a receiver can refuse replays of old deliveries (same scheme as Stripe's webhooks)."""
    digest = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes) -> bool:
    """Check a signature header as a receiver would (used by the tests and documented)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        expected = sign(secret, int(parts["t"]), body)
    except (KeyError, ValueError):
        return False
    return hmac.compare_digest(expected, header)


def webhook_subscription_save(
    *, actor, subscription=None, data: dict, expected_version: int | None = None
) -> WebhookSubscription:
    """Create or change a subscription (admins); a new one gets a random secret if none given."""
    _require_manage(actor)
    data = dict(data)
    if "events" in data:
        unknown = sorted(set(data["events"]) - set(WEBHOOK_EVENTS))
        if unknown or not data["events"]:
            raise ValidationFailed(
                _("Choose events from the list."),
                fields={"events": _("Unknown events: %s") % ", ".join(unknown)
                        if unknown else _("Choose at least one event.")},
            )  # fmt: skip
        data["events"] = sorted(set(data["events"]))
    if subscription is None and not data.get("secret"):
        data["secret"] = secrets.token_hex(24)
    return save_versioned(
        actor=actor,
        instance=subscription,
        model=WebhookSubscription,
        allowed=SUBSCRIPTION_FIELDS,
        data=data,
        expected_version=expected_version,
        action="channels.webhook",
    )


def webhook_emit(event: str, payload: dict) -> list[WebhookDelivery]:
    """Queue `event` for every active subscription to it; sent after the transaction commits.

    Other apps call this (e.g. `webhook_emit("sla.breached", {...})`); `payload` must be
    JSON-serialisable (datetimes and decimals are converted).
    """
    if event not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    subscriptions = [
        s for s in WebhookSubscription.objects.filter(is_active=True) if event in s.events
    ]
    if not subscriptions:
        return []
    data = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(subscription=s, event=event, payload=data, next_attempt_at=now)
            for s in subscriptions
        ]
    )
    from kefu.channels import tasks

    for delivery in deliveries:
        enqueue(tasks.deliver_webhook, delivery.pk)
    return deliveries


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Deliveries go only to the configured URL: a redirect is an answer, not a new target."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _body(delivery: WebhookDelivery) -> bytes:
    envelope = {
        "id": str(delivery.uuid),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, sort_keys=True).encode()


def webhook_deliver(*, delivery_id: int) -> WebhookDelivery:
    """POST one delivery; a non-2xx answer or a network error is recorded and retried later."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(pk=delivery_id, state=OutboundState.QUEUED).update(
        state=OutboundState.SENDING, updated_at=now
    )
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    if not claimed:
        return delivery
    subscription = delivery.subscription
    body = _body(delivery)
    request = urllib.request.Request(
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Kefu-Webhooks/1",
            "X-Kefu-Event": delivery.event,
            "X-Kefu-Delivery": str(delivery.uuid),
            SIGNATURE_HEADER: sign(subscription.secret, int(time.time()), body),
        },
    )
    attempts = delivery.attempts + 1
    code, error = None, ""
    try:
        with _opener.open(request, timeout=WEBHOOK_TIMEOUT_S) as response:
            code = response.status
    except urllib.error.HTTPError as exc:
        code, error = exc.code, f"HTTP {exc.code}"
    except Exception as exc:  # network errors, timeouts, bad URLs: recorded, retried
        error = f"{type(exc).__name__}: {exc}"[:2000]
    if code is not None and 200 <= code < 300:
        fields = {"state": OutboundState.SENT, "delivered_at": timezone.now(), "last_error": ""}
        fields["next_attempt_at"] = None
    else:
        error = error or f"HTTP {code}"
        gave_up = attempts >= max_attempts()
        fields = {
            "state": OutboundState.FAILED if gave_up else OutboundState.QUEUED,
            "last_error": error,
            "next_attempt_at": None if gave_up else next_attempt(attempts, now),
        }
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        attempts=attempts, response_code=code, updated_at=timezone.now(), **fields
    )
    delivery.refresh_from_db()
    return delivery


@transaction.atomic
def webhook_replay(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a past delivery's payload again as a new delivery (admins)."""
    _require_manage(actor)
    copy = WebhookDelivery.objects.create(
        subscription=delivery.subscription,
        event=delivery.event,
        payload=delivery.payload,
        replay_of=delivery,
        next_attempt_at=timezone.now(),
    )
    audit_record(actor=actor, action="channels.webhook_replayed", obj=copy)
    from kefu.channels import tasks

    enqueue(tasks.deliver_webhook, copy.pk)
    return copy


def ticket_payload(ticket) -> dict:
    return {
        "ticket": {
            "id": ticket.pk,
            "public_id": ticket.public_id,
            "subject": ticket.subject,
            "status": ticket.status,
            "stage": ticket.stage,
            "kind": ticket.kind,
            "priority": ticket.priority,
            "channel": ticket.channel,
            "customer_id": ticket.customer_id,
            "assignee_id": ticket.assignee_id,
            "team_id": ticket.team_id,
            "updated_at": ticket.updated_at,
        }
    }


_TICKET_EVENTS = {
    "created": "ticket.created",
    "updated": "ticket.updated",
    "status_changed": "ticket.updated",
    "reopened": "ticket.updated",
    "stage_changed": "ticket.updated",
}


def channels_ticket_changed(*, ticket, event: str, message=None) -> None:
    """Send a public email reply through the ticket's channel and notify webhook subscribers.

    Called by kefu.tickets.services.effects inside the ticket's transaction: the outbound row
    and the deliveries commit (or roll back) with the change; sending starts on commit.
    """
    from kefu.channels.services.outbound import outbound_email_queue

    if event == "message_added" and message is not None:
        if message.kind == "reply" and ticket.channel == "email":
            outbound_email_queue(message=message)
        if message.kind != "note":  # internal notes never leave Kefu
            webhook_emit(
                "message.added",
                {
                    **ticket_payload(ticket),
                    "message": {
                        "id": message.pk,
                        "kind": message.kind,
                        "channel": message.channel,
                        "body_text": message.body_text,
                        "created_at": message.created_at,
                    },
                },
            )
        return
    name = _TICKET_EVENTS.get(event)
    if name is None:
        return
    webhook_emit(name, ticket_payload(ticket))
    if event == "status_changed" and ticket.status == "solved":
        webhook_emit("ticket.solved", ticket_payload(ticket))
