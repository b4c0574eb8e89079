"""Calls, chats and external messages (WeChat, SMS, social) pushed by other systems.

Each is idempotent by its external id: the same record sent twice is stored once and the
second call returns the first result. Timestamps are stored exactly as sent (aware datetimes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.channels.models import CallRecord, ChatLine, ChatTranscript, ExternalMessage
from kefu.channels.services.matching import customer_for_contact, default_customer_name
from kefu.core.audit import audit_record
from kefu.core.errors import NotAllowed, ValidationFailed
from kefu.customers.models import ContactPoint
from kefu.tickets import services as tickets_services
from kefu.tickets.models import OPEN_STATUSES, Ticket


@dataclass(frozen=True)
class Ingested:
    record: object
    created: bool


def _require(actor, perm: str) -> None:
    if actor is not None and not actor.has_perm(perm):
        raise NotAllowed(_("You do not have permission to do this."))


def _aware(value: dt.datetime | None, field: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValidationFailed(
            _("Give the time zone."), fields={field: _("Timestamps need a time zone offset.")}
        )


def _not_before(later, earlier, field: str, earlier_field: str) -> None:
    if later is not None and earlier is not None and later < earlier:
        raise ValidationFailed(
            _("%(a)s is before %(b)s.") % {"a": field, "b": earlier_field},
            fields={field: _("Must not be before %s.") % earlier_field},
        )


def _non_negative(**values) -> None:
    for field, value in values.items():
        if value is not None and value < 0:
            raise ValidationFailed(
                _("%s cannot be negative.") % field, fields={field: _("Must be 0 or more.")}
            )


def _agent(username: str | None):
    if not username:
        return None
    from kefu.accounts.models import User

    agent = User.objects.filter(username=username, is_active=True).first()
    if agent is None:
        raise ValidationFailed(_("Unknown agent."), fields={"agent": _("No such user.")})
    return agent


def _ticket(public_id: str | None) -> Ticket | None:
    if not public_id:
        return None
    ticket = Ticket.objects.filter(public_id=public_id.strip().upper()).first()
    if ticket is None:
        raise ValidationFailed(_("Unknown ticket."), fields={"ticket": _("No such ticket.")})
    return ticket


def _seconds(later, earlier) -> float | None:
    return (later - earlier).total_seconds() if later and earlier else None


def _duration_text(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


CALL_FIELDS = (
    "external_id", "caller_number", "offered_at", "answered_at", "ended_at", "wait_seconds",
    "talk_seconds", "wrap_up_seconds", "abandoned", "direction", "queue_name", "agent",
    "recording_url", "disposition", "customer_name", "ticket", "create_ticket",
)  # fmt: skip


def _clean_call(record: dict, prefix: str = "") -> dict:
    """Validate one call (field names prefixed for bulk errors) and fill the derived values:
    E.164 number, abandoned flag, wait = answered − offered, talk = ended − answered."""
    from kefu.customers.contacts import ContactValueError, normalize_phone

    def fail(field: str, message: str, detail: str):
        raise ValidationFailed(message, fields={prefix + field: detail})

    unknown = set(record) - set(CALL_FIELDS)
    if unknown:
        fail(sorted(unknown)[0], _("Unknown field."), _("Unknown field."))
    call = {
        "wait_seconds": None, "talk_seconds": None, "wrap_up_seconds": 0, "abandoned": None,
        "answered_at": None, "ended_at": None, "direction": "inbound", "queue_name": "",
        "agent": "", "recording_url": "", "disposition": "", "customer_name": "",
        "ticket": None, "create_ticket": None, **record,
    }  # fmt: skip
    call["external_id"] = (call.get("external_id") or "").strip()
    if not call["external_id"]:
        fail("external_id", _("An external id is required."), _("Required."))
    if call.get("offered_at") is None:
        fail("offered_at", _("The offered time is required."), _("Required."))
    try:
        call["caller_number"] = normalize_phone(call.get("caller_number") or "")
    except ContactValueError as exc:
        fail("caller_number", _(str(exc)), _(str(exc)))
    offered, answered, ended = call["offered_at"], call["answered_at"], call["ended_at"]
    for field in ("offered_at", "answered_at", "ended_at"):
        _aware(call[field], prefix + field)
    _not_before(answered, offered, prefix + "answered_at", "offered_at")
    _not_before(ended, answered or offered, prefix + "ended_at",
                "answered_at" if answered else "offered_at")  # fmt: skip
    if call["abandoned"] is None:
        call["abandoned"] = answered is None
    if call["abandoned"] and answered is not None:
        fail(
            "abandoned",
            _("An abandoned call was not answered."),
            _("An abandoned call has no answered_at."),
        )
    if call["wait_seconds"] is None:
        call["wait_seconds"] = _seconds(answered or ended, offered) or 0.0
    if call["talk_seconds"] is None:
        call["talk_seconds"] = _seconds(ended, answered) or 0.0
    for field in ("wait_seconds", "talk_seconds", "wrap_up_seconds"):
        if call[field] is not None and call[field] < 0:
            fail(field, _("%s cannot be negative.") % field, _("Must be 0 or more."))
    return call


def _call_row(call: dict, *, customer, agent, ticket) -> CallRecord:
    return CallRecord(
        external_id=call["external_id"],
        caller_number=call["caller_number"],
        direction=call["direction"],
        queue_name=call["queue_name"],
        agent=agent,
        offered_at=call["offered_at"],
        answered_at=call["answered_at"],
        ended_at=call["ended_at"],
        wait_seconds=call["wait_seconds"],
        talk_seconds=call["talk_seconds"],
        wrap_up_seconds=call["wrap_up_seconds"],
        abandoned=call["abandoned"],
        recording_url=call["recording_url"],
        disposition=call["disposition"],
        customer=customer,
        ticket=ticket,
    )


def _call_note(record: CallRecord, target: Ticket) -> None:
    summary = _("Call %(id)s, queue %(queue)s: waited %(wait)s, talked %(talk)s%(rec)s") % {
        "id": record.external_id,
        "queue": record.queue_name or "-",
        "wait": _duration_text(record.wait_seconds),
        "talk": _duration_text(record.talk_seconds),
        "rec": f", {record.recording_url}" if record.recording_url else "",
    }
    tickets_services.message_add(
        actor=None,
        ticket=target,
        kind="note",
        body=summary + (f"\n{record.disposition}" if record.disposition else ""),
        channel="phone",
        external_id=f"call:{record.external_id}"[:255],
    )


def call_record_ingest(*, actor, **record) -> Ingested:
    """Store one call; match or create the customer by E.164 number; attach it to the given
    ticket, or a new phone ticket (default for answered calls; abandoned calls open none).

    Missing wait/talk seconds are computed from the timestamps (answered − offered,
    ended − answered), so workforce reports get the exact values either way.
    """
    _require(actor, "channels.add_callrecord")
    existing = CallRecord.objects.filter(external_id=(record.get("external_id") or "").strip())
    found = existing.first()
    if found is not None:
        return Ingested(found, False)
    call = _clean_call(record)
    agent_user = _agent(call["agent"])
    target = _ticket(call["ticket"])
    create_ticket = call["create_ticket"]
    if create_ticket is None:
        create_ticket = not call["abandoned"]
    try:
        with transaction.atomic():
            customer = customer_for_contact(
                channel="phone", value=call["caller_number"], name=call["customer_name"],
                field="caller_number",
            )  # fmt: skip
            if target is None and create_ticket:
                target = tickets_services.ticket_create(
                    actor=None,
                    customer=customer,
                    subject=_("Call from %s") % call["caller_number"],
                    channel="phone",
                    assignee=agent_user,
                )
            row = _call_row(call, customer=customer, agent=agent_user, ticket=target)
            row.save(force_insert=True)
            if target is not None:
                _call_note(row, target)
            audit_record(actor=actor, action="channels.call_recorded", obj=row)
    except IntegrityError:
        found = existing.first()
        if found is None:
            raise
        return Ingested(found, False)
    return Ingested(row, True)


@transaction.atomic
def call_records_ingest_bulk(*, actor, records: list[dict]) -> list[Ingested]:
    """Store a batch of calls (a CTI's log sync) with a constant number of queries.

    All or nothing: one invalid record refuses the batch, naming `<index>.<field>`. Records
    already stored (or repeated in the batch) are returned with created=False. New customers are
    created in bulk. Tickets are opened only for records with `create_ticket: true` or attached
    to a given `ticket` (those take the one-by-one path).
    """
    from kefu.accounts.models import User
    from kefu.customers.import_writers import write_customer_batch

    _require(actor, "channels.add_callrecord")
    calls = [_clean_call(record, prefix=f"{i}.") for i, record in enumerate(records)]
    ids = {c["external_id"] for c in calls}
    existing = {r.external_id: r for r in CallRecord.objects.filter(external_id__in=ids)}
    usernames = {c["agent"] for c in calls if c["agent"]}
    agents = {u.username: u for u in User.objects.filter(username__in=usernames, is_active=True)}
    for i, call in enumerate(calls):
        if call["agent"] and call["agent"] not in agents:
            raise ValidationFailed(_("Unknown agent."), fields={f"{i}.agent": _("No such user.")})
    fresh: dict[str, dict] = {}
    for call in calls:
        if call["external_id"] not in existing:
            fresh.setdefault(call["external_id"], call)
    slow = [c for c in fresh.values() if c["create_ticket"] or c["ticket"]]
    fast = [c for c in fresh.values() if not (c["create_ticket"] or c["ticket"])]
    customers = _customers_by_phone({c["caller_number"] for c in fast})
    missing = sorted({c["caller_number"] for c in fast} - set(customers))
    if missing:
        write_customer_batch(
            [
                (i, {"name": default_customer_name("phone", number), "mobile": number})
                for i, number in enumerate(missing, 1)
            ]
        )
        customers.update(_customers_by_phone(set(missing)))
    rows = [
        _call_row(c, customer=customers[c["caller_number"]], agent=agents.get(c["agent"]),
                  ticket=None)
        for c in fast
    ]  # fmt: skip
    CallRecord.objects.bulk_create(rows)
    created = {r.external_id: r for r in rows}
    for call in slow:
        result = call_record_ingest(
            actor=None, **{k: v for k, v in call.items() if k in CALL_FIELDS}
        )
        created[call["external_id"]] = result.record
    if created:
        audit_record(
            actor=actor,
            action="channels.calls_imported",
            object_type="channels.callrecord",
            object_id="bulk",
            object_label=f"{len(created)} calls",
            changes={"external_ids": [None, sorted(created)[:1000]]},
        )
    results, seen = [], set()
    for call in calls:
        key = call["external_id"]
        is_new = key in created and key not in seen
        seen.add(key)
        results.append(Ingested(created.get(key) or existing[key], is_new))
    return results


def _customers_by_phone(numbers: set[str]) -> dict:
    from kefu.customers.models import Customer

    if not numbers:
        return {}
    pairs = (
        ContactPoint.objects.filter(
            kind__in=("mobile", "phone"),
            normalized__in=numbers,
            customer__merged_into__isnull=True,
        )
        .order_by("customer_id")
        .values_list("normalized", "customer_id")
    )
    first: dict[str, int] = {}
    for normalized, customer_id in pairs:
        first.setdefault(normalized, customer_id)
    by_id = Customer.objects.in_bulk(set(first.values()))
    return {number: by_id[customer_id] for number, customer_id in first.items()}


def _contact_for(channel: str, sender: str, name: str, field: str):
    return customer_for_contact(channel=channel, value=sender, name=name, field=field)


def chat_ingest(
    *,
    actor,
    external_id: str,
    contact_kind: str,
    contact: str,
    started_at: dt.datetime,
    lines: list[dict],
    answered_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
    visitor_name: str = "",
    queue_name: str = "",
    agent: str = "",
    ticket: str | None = None,
) -> Ingested:
    """Store a chat transcript with its lines and add it to a ticket as one customer message
    (the given ticket, or a new chat ticket)."""
    _require(actor, "channels.add_chattranscript")
    existing = ChatTranscript.objects.filter(external_id=external_id).first()
    if existing is not None:
        return Ingested(existing, False)
    for field, value in (
        ("started_at", started_at),
        ("answered_at", answered_at),
        ("ended_at", ended_at),
    ):
        _aware(value, field)
    _not_before(answered_at, started_at, "answered_at", "started_at")
    _not_before(ended_at, started_at, "ended_at", "started_at")
    if not lines:
        raise ValidationFailed(
            _("A chat needs lines."), fields={"lines": _("Give at least one line.")}
        )
    for index, line in enumerate(lines):
        _aware(line["at"], f"lines.{index}.at")
        _not_before(line["at"], started_at, f"lines.{index}.at", "started_at")
    agent_user = _agent(agent)
    target = _ticket(ticket)
    try:
        with transaction.atomic():
            customer = _contact_for(contact_kind, contact, visitor_name, "contact")
            transcript = ChatTranscript.objects.create(
                external_id=external_id,
                visitor_name=visitor_name,
                queue_name=queue_name,
                agent=agent_user,
                started_at=started_at,
                answered_at=answered_at,
                ended_at=ended_at,
                wait_seconds=_seconds(answered_at, started_at) or 0.0,
                abandoned=answered_at is None,
                customer=customer,
            )
            ordered = sorted(enumerate(lines), key=lambda pair: (pair[1]["at"], pair[0]))
            ChatLine.objects.bulk_create(
                [
                    ChatLine(transcript=transcript, position=i, at=line["at"],
                             author=line["author"], text=line["text"])
                    for i, (_orig, line) in enumerate(ordered)
                ]
            )  # fmt: skip
            if target is None:
                first = next(
                    (line["text"] for _i, line in ordered if line["author"] == "customer"), ""
                )
                target = tickets_services.ticket_create(
                    actor=None,
                    customer=customer,
                    subject=(first[:80] or _("Chat with %s") % (visitor_name or contact)),
                    channel="chat",
                    assignee=agent_user,
                )
            labels = {
                "customer": visitor_name or _("Customer"),
                "agent": _("Agent"),
                "system": _("System"),
            }
            body = "\n".join(
                f"[{line['at']:%H:%M:%S}] {labels[line['author']]}: {line['text']}"
                for _i, line in ordered
            )
            tickets_services.message_add(
                actor=None,
                ticket=target,
                kind="customer",
                body=body,
                channel="chat",
                external_id=f"chat:{external_id}"[:255],
            )
            ChatTranscript.objects.filter(pk=transcript.pk).update(ticket=target)
            transcript.ticket = target
            audit_record(actor=actor, action="channels.chat_recorded", obj=transcript)
    except IntegrityError:
        existing = ChatTranscript.objects.filter(external_id=external_id).first()
        if existing is None:
            raise
        return Ingested(existing, False)
    return Ingested(transcript, True)


_CONTACT_KIND = {"wechat": "wechat", "sms": "sms", "other": "email"}


def external_message_ingest(
    *,
    actor,
    channel: str,
    external_id: str,
    sender: str,
    text: str,
    sent_at: dt.datetime,
    sender_name: str = "",
    ticket: str | None = None,
) -> Ingested:
    """Store one WeChat/SMS/other message once per (channel, external id) and add it to the
    given ticket, else the sender's latest open ticket on that channel, else a new ticket."""
    _require(actor, "channels.add_externalmessage")
    existing = ExternalMessage.objects.filter(channel=channel, external_id=external_id).first()
    if existing is not None:
        return Ingested(existing, False)
    _aware(sent_at, "sent_at")
    if not (text or "").strip():
        raise ValidationFailed(_("The message is empty."), fields={"text": _("Required.")})
    target = _ticket(ticket)
    try:
        with transaction.atomic():
            customer = _contact_for(_CONTACT_KIND[channel], sender, sender_name, "sender")
            if target is None:
                target = (
                    Ticket.objects.filter(
                        customer=customer, channel=channel, status__in=OPEN_STATUSES
                    )
                    .order_by("-updated_at")
                    .first()
                )
            if target is None:
                target = tickets_services.ticket_create(
                    actor=None, customer=customer, subject=text.strip()[:80], channel=channel
                )
            message = tickets_services.message_add(
                actor=None,
                ticket=target,
                kind="customer",
                body=text,
                channel=channel,
                external_id=f"{channel}:{external_id}"[:255],
            )
            record = ExternalMessage.objects.create(
                channel=channel,
                external_id=external_id,
                sender=sender,
                text=text,
                sent_at=sent_at,
                customer=customer,
                ticket=target,
                message=message,
            )
            audit_record(actor=actor, action="channels.message_received", obj=record)
    except IntegrityError:
        existing = ExternalMessage.objects.filter(channel=channel, external_id=external_id).first()
        if existing is None:
            raise
        return Ingested(existing, False)
    return Ingested(record, True)
