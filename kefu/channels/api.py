"""API of the channels: raw email in, calls, chats, external messages, queues and webhooks.

Integrations post with an API token of a user holding the matching `channels.add_*`
permission (the admin role has them). Records are idempotent by their external id: the first
post answers 201, a repeat answers 200 with the stored record and adds nothing.
"""

import datetime as dt
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import AwareDatetime

from kefu.api.pagination import PageNumberless
from kefu.channels import selectors, services
from kefu.channels.models import (
    WEBHOOK_EVENTS,
    InboundEmail,
    Mailbox,
    OutboundEmail,
    WebhookDelivery,
    WebhookSubscription,
)
from kefu.core.errors import ValidationFailed
from kefu.core.permissions import require_perm

router = Router(tags=["channels"])


# --- email --------------------------------------------------------------------------------------


class InboundOut(Schema):
    id: int
    status: str
    message_id: str | None
    from_address: str
    subject: str
    mailbox_id: int | None
    uid: int | None
    thread_rule: str
    ticket_id: int | None
    ticket_public_id: str | None
    ticket_message_id: int | None
    error: str
    attempts: int
    created_at: dt.datetime

    @staticmethod
    def resolve_ticket_public_id(obj) -> str | None:
        return obj.ticket.public_id if obj.ticket_id else None


class InboundFilter(Schema):
    status: Literal["processed", "quarantined", "auto_reply", "bounce"] | None = None


@router.post(
    "/email/inbound",
    response={200: InboundOut, 201: InboundOut},
    openapi_extra={"requestBody": {"content": {"message/rfc822": {"schema": {"type": "string"}}}}},
)
def email_inbound(request, mailbox_id: int | None = None):
    """Ingest one raw MIME message (the request body, as an MTA pipes it).

    201: stored now (processed, quarantined or ignored as auto-reply/bounce); 200: this
    Message-ID was received before and nothing was added.
    """
    require_perm(request.user, "channels.add_inboundemail")
    mailbox = None
    if mailbox_id is not None:
        mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
        if mailbox is None:
            raise ValidationFailed("Unknown mailbox.", fields={"mailbox_id": "No such mailbox."})
    result = services.email_ingest(request.body, mailbox=mailbox, actor=request.user)
    row = selectors.inbound_list().get(pk=result.inbound.pk)
    return Status(201 if result.created else 200, row)


@router.get("/email/inbound", response=list[InboundOut])
@paginate(PageNumberless)
def email_inbound_list(request, filters: Query[InboundFilter]):
    require_perm(request.user, "channels.view_inboundemail")
    return selectors.inbound_list(status=filters.status or "")


@router.post("/email/inbound/{inbound_id}/retry", response=InboundOut)
def email_inbound_retry(request, inbound_id: int):
    require_perm(request.user, "channels.change_inboundemail")
    row = services.inbound_retry(
        actor=request.user, inbound=get_object_or_404(InboundEmail, pk=inbound_id)
    )
    return selectors.inbound_list().get(pk=row.pk)


class OutboundOut(Schema):
    id: int
    ticket_id: int
    ticket_message_id: int
    message_id: str
    to: list[str]
    subject: str
    state: str
    attempts: int
    last_error: str
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    created_at: dt.datetime


@router.get("/email/outbound", response=list[OutboundOut])
@paginate(PageNumberless)
def email_outbound_list(
    request, state: Literal["queued", "sending", "sent", "failed"] | None = None
):
    require_perm(request.user, "channels.view_outboundemail")
    return selectors.outbound_list(state=state or "")


@router.post("/email/outbound/{outbound_id}/retry", response=OutboundOut)
def email_outbound_retry(request, outbound_id: int):
    require_perm(request.user, "channels.change_outboundemail")
    return services.outbound_email_retry(
        actor=request.user, outbound=get_object_or_404(OutboundEmail, pk=outbound_id)
    )


# --- calls, chats, external messages ------------------------------------------------------------


class CallIn(Schema):
    external_id: str = Field(min_length=1, max_length=200, description="The CTI's call id.")
    caller_number: str = Field(min_length=3, max_length=32, description="Any format; stored E.164.")
    offered_at: AwareDatetime = Field(description="When the call reached the queue (with offset).")
    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    wait_seconds: float | None = Field(None, ge=0, description="Default: answered − offered.")
    talk_seconds: float | None = Field(None, ge=0, description="Default: ended − answered.")
    wrap_up_seconds: float = Field(0, ge=0)
    abandoned: bool | None = Field(None, description="Default: not answered.")
    direction: Literal["inbound", "outbound"] = "inbound"
    queue: str = Field("", max_length=100)
    agent: str = Field("", max_length=150, description="The agent's Kefu username.")
    recording_url: str = Field("", max_length=500)
    disposition: str = Field("", max_length=100)
    customer_name: str = Field("", max_length=200, description="Name for a new customer.")
    ticket: str | None = Field(None, description="Attach to this ticket (KF-YYYY-NNNNNN).")
    create_ticket: bool | None = Field(None, description="Default: yes unless abandoned.")


class CallOut(Schema):
    id: int
    external_id: str
    caller_number: str
    direction: str
    queue_name: str
    agent_id: int | None
    offered_at: dt.datetime
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    wait_seconds: float
    talk_seconds: float
    wrap_up_seconds: float
    abandoned: bool
    recording_url: str
    disposition: str
    customer_id: int
    ticket_id: int | None
    ticket_public_id: str | None

    @staticmethod
    def resolve_ticket_public_id(obj) -> str | None:
        return obj.ticket.public_id if obj.ticket_id else None


@router.post("/calls", response={200: CallOut, 201: CallOut})
def call_create(request, payload: CallIn):
    """Record one call; 200 (and nothing added) when this external id was recorded before."""
    data = payload.dict()
    data["queue_name"] = data.pop("queue")
    if data["recording_url"] and not data["recording_url"].startswith(("http://", "https://")):
        raise ValidationFailed("Not a URL.", fields={"recording_url": "Use an http(s) URL."})
    result = services.call_record_ingest(actor=request.user, **data)
    row = selectors.call_list().get(pk=result.record.pk)
    return Status(201 if result.created else 200, row)


class BulkCallOut(Schema):
    created: int
    duplicates: int
    items: list[CallOut]


@router.post("/calls/bulk", response={200: BulkCallOut})
def call_create_bulk(request, payload: list[CallIn]):
    """Record up to 1,000 calls at once (a CTI log sync); all or nothing. Tickets are opened
    only for records with `create_ticket: true` or a `ticket` to attach to."""
    if len(payload) > 1000:
        raise ValidationFailed("Too many records.", fields={"__all__": "At most 1,000 calls."})
    records = []
    for item in payload:
        data = item.dict()
        data["queue_name"] = data.pop("queue")
        records.append(data)
    results = services.call_records_ingest_bulk(actor=request.user, records=records)
    rows = selectors.call_list().in_bulk([r.record.pk for r in results])
    created = sum(r.created for r in results)
    return {
        "created": created,
        "duplicates": len(results) - created,
        "items": [rows[r.record.pk] for r in results],
    }


class CallFilter(Schema):
    queue: str | None = None
    offered_from: AwareDatetime | None = None
    offered_to: AwareDatetime | None = None
    abandoned: bool | None = None


@router.get("/calls", response=list[CallOut])
@paginate(PageNumberless)
def call_list(request, filters: Query[CallFilter]):
    require_perm(request.user, "channels.view_callrecord")
    return selectors.call_list(**filters.dict())


class ChatLineIn(Schema):
    at: AwareDatetime
    author: Literal["customer", "agent", "system"]
    text: str = Field(min_length=1, max_length=10000)


class ChatIn(Schema):
    external_id: str = Field(min_length=1, max_length=200)
    contact_kind: Literal["email", "phone", "wechat"] = Field(
        description="How the visitor is identified."
    )
    contact: str = Field(min_length=1, max_length=300)
    visitor_name: str = Field("", max_length=200)
    started_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    queue: str = Field("", max_length=100)
    agent: str = Field("", max_length=150)
    ticket: str | None = None
    lines: list[ChatLineIn] = Field(min_length=1, max_length=5000)


class ChatOut(Schema):
    id: int
    external_id: str
    customer_id: int
    ticket_id: int | None
    started_at: dt.datetime
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    wait_seconds: float
    abandoned: bool
    line_count: int

    @staticmethod
    def resolve_line_count(obj) -> int:
        return obj.lines.count()


@router.post("/chats", response={200: ChatOut, 201: ChatOut})
def chat_create(request, payload: ChatIn):
    """Record a chat transcript; 200 (nothing added) when this external id was recorded."""
    data = payload.dict()
    data["queue_name"] = data.pop("queue")
    result = services.chat_ingest(actor=request.user, **data)
    return Status(201 if result.created else 200, result.record)


class ExternalMessageIn(Schema):
    channel: Literal["wechat", "sms", "other"]
    external_id: str = Field(
        min_length=1, max_length=200, description="Idempotency key, unique per channel."
    )
    sender: str = Field(
        min_length=1, max_length=200, description="WeChat id, phone number, or email (other)."
    )
    sender_name: str = Field("", max_length=200)
    text: str = Field(min_length=1, max_length=20000)
    sent_at: AwareDatetime
    ticket: str | None = None


class ExternalMessageOut(Schema):
    id: int
    channel: str
    external_id: str
    sender: str
    sent_at: dt.datetime
    customer_id: int
    ticket_id: int | None
    message_id: int | None


@router.post("/messages", response={200: ExternalMessageOut, 201: ExternalMessageOut})
def external_message_create(request, payload: ExternalMessageIn):
    """Record one message from WeChat, SMS or another channel, once per (channel, external_id)."""
    result = services.external_message_ingest(actor=request.user, **payload.dict())
    return Status(201 if result.created else 200, result.record)


# --- webhooks -----------------------------------------------------------------------------------


class SubscriptionIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=500)
    events: list[Literal[WEBHOOK_EVENTS]] = Field(min_length=1)  # type: ignore[valid-type]
    secret: str = Field("", max_length=100, description="Empty: a random secret is made.")
    is_active: bool = True


class SubscriptionOut(Schema):
    id: int
    version: int
    name: str
    url: str
    events: list[str]
    secret: str
    is_active: bool


@router.get("/webhooks", response=list[SubscriptionOut])
@paginate(PageNumberless)
def webhook_list(request):
    require_perm(request.user, "channels.manage_channels")
    return WebhookSubscription.objects.order_by("name", "id")


@router.post("/webhooks", response={201: SubscriptionOut})
def webhook_create(request, payload: SubscriptionIn):
    require_perm(request.user, "channels.manage_channels")
    sub = services.webhook_subscription_save(actor=request.user, data=payload.dict())
    return Status(201, sub)


class DeliveryOut(Schema):
    id: int
    subscription_id: int
    event: str
    payload: dict
    state: str
    attempts: int
    response_code: int | None
    last_error: str
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    replay_of_id: int | None
    created_at: dt.datetime


@router.get("/webhooks/deliveries", response=list[DeliveryOut])
@paginate(PageNumberless)
def webhook_delivery_list(
    request, state: Literal["queued", "sending", "sent", "failed"] | None = None
):
    require_perm(request.user, "channels.view_webhookdelivery")
    return selectors.delivery_list(state=state or "")


@router.post("/webhooks/deliveries/{delivery_id}/replay", response={201: DeliveryOut})
def webhook_delivery_replay(request, delivery_id: int):
    require_perm(request.user, "channels.manage_channels")
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id)
    return Status(201, services.webhook_replay(actor=request.user, delivery=delivery))


ROUTERS = [("/channels", router)]
