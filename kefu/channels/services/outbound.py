"""Outbound email: a public reply on an email ticket is queued in the reply's transaction and
sent through Django's email backend (SMTP) by the task queue, with retries and backoff."""

from __future__ import annotations

import html
import uuid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.channels.mail import build_reply_headers, reply_subject
from kefu.channels.models import InboundEmail, OutboundEmail, OutboundState
from kefu.channels.services.matching import max_attempts, next_attempt
from kefu.core.audit import audit_record
from kefu.core.errors import Conflict, NotAllowed
from kefu.core.tasks import enqueue
from kefu.customers.models import ContactPoint
from kefu.tickets.models import Message, Ticket

SMTP_TIMEOUT_S = 30
STALE_SENDING_S = 600  # a "sending" row older than this belongs to a worker that died


def _set_delivery(message_id: int, state: str, error: str = "") -> None:
    # Message.delivery_state belongs to tickets, which has no service for it yet: the two
    # columns are written here and nowhere else in channels (reported to the lead).
    Message.objects.filter(pk=message_id).update(delivery_state=state, delivery_error=error)


def _recipient(ticket: Ticket) -> tuple[str, InboundEmail | None]:
    """Answer the address that last wrote to the ticket, else the customer's primary email."""
    last = (
        InboundEmail.objects.filter(ticket=ticket, status="processed")
        .exclude(from_address="")
        .select_related("mailbox")
        .order_by("-id")
        .first()
    )
    if last is not None:
        return last.from_address, last
    contact = (
        ContactPoint.objects.filter(customer_id=ticket.customer_id, kind="email")
        .order_by("-is_primary", "id")
        .first()
    )
    return (contact.normalized if contact else ""), None


def _domain(from_email: str) -> str:
    domain = getattr(settings, "KEFU_EMAIL_DOMAIN", "") or from_email.rpartition("@")[2]
    return domain.strip().strip(">") or "kefu.localhost"


def outbound_email_queue(*, message: Message) -> OutboundEmail | None:
    """Queue `message` (a public reply) for sending; runs inside the reply's transaction, and the
    send starts on commit. Without a customer address the reply is marked failed at once."""
    ticket = message.ticket
    to, last_inbound = _recipient(ticket)
    if not to:
        _set_delivery(message.pk, "failed", _("The customer has no email address."))
        return None
    from_email = (
        last_inbound.mailbox.address
        if last_inbound and last_inbound.mailbox_id
        else settings.DEFAULT_FROM_EMAIL
    )
    parents = [
        *InboundEmail.objects.filter(ticket=ticket, message_id__isnull=False)
        .order_by("id")
        .values_list("message_id", flat=True),
    ]
    parents += list(
        OutboundEmail.objects.filter(ticket=ticket)
        .order_by("id")
        .values_list("message_id", flat=True)
    )
    headers = build_reply_headers(
        ticket.public_id or f"KF-{ticket.pk}",
        f"kefu.{uuid.uuid4().hex}",
        parents,
        _domain(from_email),
    )
    subject = reply_subject(ticket.subject, ticket.public_id or "")
    headers.pop("subject_prefix", None)
    message_id = headers["Message-ID"].strip("<>")
    outbound = OutboundEmail.objects.create(
        ticket_message=message,
        ticket=ticket,
        message_id=message_id,
        to=[to],
        subject=subject[:300],
        headers={**headers, "From": from_email},
        next_attempt_at=timezone.now(),
    )
    _set_delivery(message.pk, "queued")
    from kefu.channels import tasks

    enqueue(tasks.send_outbound_email, outbound.pk)
    return outbound


def _claim(model, pk: int, now) -> bool:
    """Move one queued row to `sending` (a compare-and-set), so one worker sends it once."""
    return bool(
        model.objects.filter(pk=pk, state=OutboundState.QUEUED).update(
            state=OutboundState.SENDING, updated_at=now
        )
    )


def _build(outbound: OutboundEmail) -> EmailMultiAlternatives:
    message = outbound.ticket_message
    text = message.body_text
    body_html = message.body_html or (
        "<div>" + html.escape(text).replace("\n", "<br>\n") + "</div>"
    )
    headers = {k: v for k, v in outbound.headers.items() if k != "From"}
    email = EmailMultiAlternatives(
        subject=outbound.subject,
        body=text,
        from_email=outbound.headers.get("From") or settings.DEFAULT_FROM_EMAIL,
        to=list(outbound.to),
        headers=headers,
    )
    email.attach_alternative(body_html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            email.attach(attachment.filename, handle.read(), attachment.content_type)
    return email


def outbound_email_send(*, outbound_id: int) -> OutboundEmail:
    """Send one queued email now. A failure is recorded and scheduled again with exponential
    backoff (never raised), until `KEFU_CHANNELS_MAX_ATTEMPTS` attempts have failed."""
    now = timezone.now()
    if not _claim(OutboundEmail, outbound_id, now):
        return OutboundEmail.objects.get(pk=outbound_id)
    outbound = OutboundEmail.objects.select_related("ticket_message").get(pk=outbound_id)
    attempts = outbound.attempts + 1
    try:
        email = _build(outbound)
        with get_connection(timeout=SMTP_TIMEOUT_S) as connection:
            connection.send_messages([email])
    except Exception as exc:  # any failure of the mail system: record it, retry later
        error = f"{type(exc).__name__}: {exc}"[:2000]
        gave_up = attempts >= max_attempts()
        OutboundEmail.objects.filter(pk=outbound_id).update(
            state=OutboundState.FAILED if gave_up else OutboundState.QUEUED,
            attempts=attempts,
            last_error=error,
            next_attempt_at=None if gave_up else next_attempt(attempts, now),
            updated_at=timezone.now(),
        )
        shown = (
            _("Sending failed %(n)d times and was stopped: %(error)s")
            if gave_up
            else _("Attempt %(n)d failed, will retry: %(error)s")
        ) % {"n": attempts, "error": error}
        _set_delivery(outbound.ticket_message_id, "failed", shown)
    else:
        OutboundEmail.objects.filter(pk=outbound_id).update(
            state=OutboundState.SENT,
            attempts=attempts,
            last_error="",
            next_attempt_at=None,
            sent_at=timezone.now(),
            updated_at=timezone.now(),
        )
        _set_delivery(outbound.ticket_message_id, "sent")
    return OutboundEmail.objects.get(pk=outbound_id)


def outbound_email_retry(*, actor, outbound: OutboundEmail) -> OutboundEmail:
    """Queue a failed email again now (supervisors), with a fresh attempt budget."""
    if actor is not None and not actor.has_perm("channels.change_outboundemail"):
        raise NotAllowed(_("You do not have permission to do this."))
    with transaction.atomic():
        updated = OutboundEmail.objects.filter(
            pk=outbound.pk, state__in=[OutboundState.FAILED, OutboundState.QUEUED]
        ).update(state=OutboundState.QUEUED, attempts=0, next_attempt_at=timezone.now())
        if not updated:
            raise Conflict(_("Only failed or waiting emails can be retried."))
        _set_delivery(outbound.ticket_message_id, "queued")
        audit_record(actor=actor, action="channels.outbound_retried", obj=outbound)
        from kefu.channels import tasks

        enqueue(tasks.send_outbound_email, outbound.pk)
    outbound.refresh_from_db()
    return outbound


def stale_sending_cutoff(now):
    import datetime as dt

    return now - dt.timedelta(seconds=STALE_SENDING_S)
