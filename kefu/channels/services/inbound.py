"""Inbound email: store the raw message once, classify, thread, and add it to a ticket."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.channels.mail import (
    MailParseError,
    MessageKind,
    ParsedMessage,
    parse_message,
    thread_keys,
    ticket_reference_from_subject,
)
from kefu.channels.models import InboundEmail, InboundStatus, Mailbox, OutboundEmail, OutboundState
from kefu.channels.services.matching import customer_for_contact, save_versioned
from kefu.core.audit import audit_record
from kefu.core.errors import Conflict, KefuError, NotAllowed, ValidationFailed
from kefu.tickets import services as tickets_services
from kefu.tickets.models import Message, Ticket, TicketStatus
from kefu.tickets.services.conversation import UploadedFile, validate_upload

MAILBOX_FIELDS = (
    "name",
    "address",
    "imap_host",
    "imap_port",
    "imap_ssl",
    "imap_user",
    "password_env",
    "folder",
    "team",
    "category",
    "is_active",
)


@dataclass(frozen=True)
class IngestResult:
    inbound: InboundEmail
    created: bool  # False: this delivery was seen before and nothing was added


def _require_manage(actor) -> None:
    if actor is not None and not actor.has_perm("channels.manage_channels"):
        raise NotAllowed(_("You do not have permission to do this."))


def _existing(*, message_id, mailbox, uid, uid_validity, sha) -> InboundEmail | None:
    if mailbox is not None and uid is not None:
        found = InboundEmail.objects.filter(
            mailbox=mailbox, uid_validity=uid_validity, uid=uid
        ).first()
        if found is not None:
            return found
    if message_id:
        return InboundEmail.objects.filter(message_id=message_id).first()
    if sha:
        return InboundEmail.objects.filter(message_id__isnull=True, raw_sha256=sha).first()
    return None


def email_ingest(
    raw: bytes,
    *,
    mailbox: Mailbox | None = None,
    uid: int | None = None,
    uid_validity: int = 0,
    actor=None,
) -> IngestResult:
    """Store one raw message exactly once and turn it into a ticket message.

    A duplicate (same Message-ID, or same mailbox UID) returns the first result and adds
    nothing. Auto-replies and bounces are stored but open no ticket and get no answer. A message
    that cannot be parsed or processed is quarantined with the error, never dropped.
    """
    if not isinstance(raw, bytes | bytearray) or not raw:
        raise ValidationFailed(_("The message is empty."), fields={"raw": _("Empty message.")})
    raw = bytes(raw)
    sha = hashlib.sha256(raw).hexdigest()
    if mailbox is not None and uid is not None:  # the same IMAP message fetched again
        seen = _existing(
            message_id=None, mailbox=mailbox, uid=uid, uid_validity=uid_validity, sha=""
        )
        if seen is not None:
            return IngestResult(seen, False)
    try:
        parsed = parse_message(raw)
    except MailParseError as exc:
        seen = _existing(
            message_id=None, mailbox=mailbox, uid=uid, uid_validity=uid_validity, sha=sha
        )
        if seen is not None:
            return IngestResult(seen, False)
        return _store_quarantined(
            raw, sha, mailbox, uid, uid_validity, message_id=None, error=exc.reason, actor=actor
        )
    seen = _existing(message_id=parsed.message_id, mailbox=None, uid=None, uid_validity=0, sha=sha)
    if seen is not None:
        return IngestResult(seen, False)
    row = InboundEmail(
        mailbox=mailbox,
        uid=uid,
        uid_validity=uid_validity if uid is not None else 0,
        message_id=parsed.message_id[:255],
        raw=raw,
        raw_sha256=sha,
        size=len(raw),
        from_address=parsed.from_address[:300],
        subject=parsed.subject[:300],
        status=InboundStatus.PROCESSED,
    )
    try:
        with transaction.atomic():
            # Claim the unique Message-ID / UID first: a concurrent delivery of the same message
            # blocks here and then fails, before it could open a second ticket.
            row.save(force_insert=True)
            _apply(row, parsed, actor=actor)
        return IngestResult(row, True)
    except IntegrityError:
        seen = _existing(
            message_id=parsed.message_id, mailbox=mailbox, uid=uid, uid_validity=uid_validity,
            sha=sha,
        )  # fmt: skip
        if seen is not None:
            return IngestResult(seen, False)
        raise
    except (KefuError, PermissionDenied, DjangoValidationError, ValueError) as exc:
        return _store_quarantined(
            raw, sha, mailbox, uid, uid_validity, message_id=parsed.message_id[:255],
            error=_error_text(exc), actor=actor, parsed=parsed,
        )  # fmt: skip


def _error_text(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    fields = getattr(exc, "fields", None)
    if fields:
        message += " " + "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in fields.items())
    return f"{type(exc).__name__}: {message}"[:2000]


def _store_quarantined(
    raw, sha, mailbox, uid, uid_validity, *, message_id, error, actor, parsed=None
) -> IngestResult:
    row = InboundEmail(
        mailbox=mailbox,
        uid=uid,
        uid_validity=uid_validity if uid is not None else 0,
        message_id=message_id,
        raw=raw,
        raw_sha256=sha,
        size=len(raw),
        from_address=(parsed.from_address if parsed else "")[:300],
        subject=(parsed.subject if parsed else "")[:300],
        status=InboundStatus.QUARANTINED,
        error=error,
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
            audit_record(
                actor=actor, action="channels.email_quarantined", obj=row, changes={"error": error}
            )
    except IntegrityError:
        seen = _existing(
            message_id=message_id, mailbox=mailbox, uid=uid, uid_validity=uid_validity, sha=sha
        )
        if seen is None:
            raise
        return IngestResult(seen, False)
    return IngestResult(row, True)


def _follow_merges(ticket: Ticket) -> Ticket:
    for _hop in range(10):
        if not ticket.merged_into_id:
            break
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket


def find_thread(parsed: ParsedMessage, customer) -> tuple[Ticket | None, str]:
    """The ticket this message continues and the rule that found it.

    Headers first (In-Reply-To, then References newest first, against every Message-ID Kefu
    received or sent); then the ticket number in the subject, accepted only when the ticket
    belongs to the sender, so a guessed number cannot write into someone else's ticket.
    """
    keys = thread_keys(parsed)
    if keys:
        known = dict(
            InboundEmail.objects.filter(message_id__in=keys, ticket__isnull=False).values_list(
                "message_id", "ticket_id"
            )
        )
        known.update(
            OutboundEmail.objects.filter(message_id__in=keys).values_list("message_id", "ticket_id")
        )
        for key in keys:
            if key in known:
                rule = "in_reply_to" if key == parsed.in_reply_to else "references"
                return _follow_merges(Ticket.objects.get(pk=known[key])), rule
    public_id = ticket_reference_from_subject(parsed.subject)
    if public_id and customer is not None:
        ticket = Ticket.objects.filter(public_id=public_id).first()
        if ticket is not None:
            ticket = _follow_merges(ticket)
            if ticket.customer_id == customer.pk:
                return ticket, "subject"
    return None, ""


def _uploads(parsed: ParsedMessage) -> tuple[list[UploadedFile], list[str]]:
    """Attachments the ticket accepts, and the names of those it refused (kept in the raw)."""
    accepted, refused = [], []
    for item in parsed.attachments:
        upload = UploadedFile(
            filename=item.filename, content_type=item.content_type, data=item.payload
        )
        try:
            validate_upload(upload)
        except ValidationFailed:
            refused.append(f"{item.filename} ({item.content_type})")
            continue
        accepted.append(upload)
    return accepted, refused


def _apply(row: InboundEmail, parsed: ParsedMessage, *, actor) -> None:
    """Classify and thread `parsed`, then add it to a ticket; fills in `row` and saves it."""
    mailbox = row.mailbox
    if parsed.kind == MessageKind.BOUNCE:
        row.status = InboundStatus.BOUNCE
        ticket, row.thread_rule = find_thread(parsed, None)
        row.ticket = ticket
        _mark_bounced(parsed)
    elif parsed.kind == MessageKind.AUTO_REPLY:
        row.status = InboundStatus.AUTO_REPLY
        row.ticket, row.thread_rule = find_thread(parsed, None)
    else:
        row.status = InboundStatus.PROCESSED
        if not parsed.from_address:
            raise ValidationFailed(
                _("The message has no sender address."), fields={"from": _("Missing.")}
            )
        customer = customer_for_contact(
            channel="email", value=parsed.from_address, name=parsed.from_name, field="from"
        )
        ticket, rule = find_thread(parsed, customer)
        if ticket is not None and ticket.status == TicketStatus.CLOSED:
            ticket, rule = None, "closed_ticket"
        body = (parsed.new_text if ticket is not None else "") or parsed.text
        uploads, refused = _uploads(parsed)
        if refused:
            body += "\n\n" + _("Attachments not imported (kept in the original email): %s") % (
                ", ".join(refused)
            )
        body = body.strip() or _("(no text)")
        if ticket is None:
            ticket = tickets_services.ticket_create(
                actor=None,
                customer=customer,
                subject=parsed.subject.strip() or _("(no subject)"),
                description=parsed.text[:10000],
                channel="email",
                category=mailbox.category if mailbox else None,
                team=mailbox.team if mailbox else None,
            )
            rule = rule or "new_ticket"
        message = tickets_services.message_add(
            actor=None,
            ticket=ticket,
            kind="customer",
            body=body,
            channel="email",
            external_id=f"email:{parsed.message_id}"[:255],
            attachments=uploads,
        )
        row.ticket, row.ticket_message, row.thread_rule = ticket, message, rule
    row.error = ""
    row.save(
        update_fields=["status", "ticket", "ticket_message", "thread_rule", "error", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="channels.email_ingested",
        obj=row,
        changes={"status": [None, row.status], "ticket": [None, row.ticket_id]},
    )


def _mark_bounced(parsed: ParsedMessage) -> None:
    """A bounce of our own reply: show the failure on the reply instead of retrying it."""
    if not parsed.bounced_message_id:
        return
    outbound = OutboundEmail.objects.filter(message_id=parsed.bounced_message_id).first()
    if outbound is None:
        return
    error = _("Bounced by the recipient's server (%(status)s): %(to)s") % {
        "status": parsed.bounce_status or "?",
        "to": ", ".join(parsed.bounced_recipients),
    }
    OutboundEmail.objects.filter(pk=outbound.pk).update(
        state=OutboundState.FAILED, last_error=error
    )
    # Message.delivery_state belongs to tickets, which has no service for it yet: the one
    # column is written here (reported to the lead).
    Message.objects.filter(pk=outbound.ticket_message_id).update(
        delivery_state="failed", delivery_error=error
    )


def inbound_retry(*, actor, inbound: InboundEmail) -> InboundEmail:
    """Process a quarantined message again (after a fix); it stays quarantined if it fails."""
    _require_retry(actor)
    with transaction.atomic():
        row = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
        if row.status != InboundStatus.QUARANTINED:
            raise Conflict(_("Only quarantined messages can be retried."))
        row.attempts += 1
        try:
            parsed = parse_message(bytes(row.raw))
        except MailParseError as exc:
            row.error = exc.reason
            row.save(update_fields=["attempts", "error", "updated_at"])
            return row
        try:
            with transaction.atomic():
                if not row.message_id:
                    taken = InboundEmail.objects.filter(message_id=parsed.message_id).exists()
                    row.message_id = None if taken else parsed.message_id[:255]
                row.from_address = parsed.from_address[:300]
                row.subject = parsed.subject[:300]
                row.save(update_fields=["message_id", "from_address", "subject", "attempts"])
                _apply(row, parsed, actor=actor)
        except (KefuError, PermissionDenied, DjangoValidationError, ValueError) as exc:
            row.refresh_from_db()
            row.attempts += 1
            row.error = _error_text(exc)
            row.save(update_fields=["attempts", "error", "updated_at"])
        return row


def _require_retry(actor) -> None:
    if actor is not None and not actor.has_perm("channels.change_inboundemail"):
        raise NotAllowed(_("You do not have permission to do this."))


def mailbox_save(
    *, actor, mailbox: Mailbox | None = None, data: dict, expected_version: int | None = None
) -> Mailbox:
    """Create or change a mailbox (admins); a stale `expected_version` gets 409. The password
    itself never enters the database: only the name of the variable that holds it."""
    _require_manage(actor)
    return save_versioned(
        actor=actor,
        instance=mailbox,
        model=Mailbox,
        allowed=MAILBOX_FIELDS,
        data=data,
        expected_version=expected_version,
        action="channels.mailbox",
    )
