"""The conversation: customer messages, public replies (with the reply checker) and notes."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed
from kefu.tickets import reply_checker
from kefu.tickets.access import require_ticket_access
from kefu.tickets.models import Attachment, Message, MessageKind, ReplyRule, Ticket, TicketStatus
from kefu.tickets.sanitize import plain_text, sanitize_html
from kefu.tickets.services.effects import ticket_changed
from kefu.tickets.services.events import record_event

MAX_ATTACHMENT_BYTES = getattr(settings, "KEFU_MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024)
ALLOWED_ATTACHMENT_TYPES = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/msword",
    "application/vnd.ms-excel",
    "audio/mpeg",
    "audio/wav",
    "video/mp4",
}
# The first bytes of file types we accept, so a renamed executable is refused.
_MAGIC = {
    "application/pdf": (b"%PDF",),
    "image/png": (b"\x89PNG",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/zip": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
}
_MENTION = re.compile(r"@([\w.\-]+)")


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


def _safe_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    return (name or "attachment")[:200]


def validate_upload(upload: UploadedFile) -> None:
    """Refuse oversized files, types outside the allow-list and content that lies about its type."""
    name = _safe_filename(upload.filename)
    if len(upload.data) > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed(
            _("%(name)s is larger than %(limit)d MB.")
            % {"name": name, "limit": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
            fields={"attachments": _("File too large.")},
        )
    if upload.content_type not in ALLOWED_ATTACHMENT_TYPES:
        raise ValidationFailed(
            _("%(name)s: files of type %(type)s are not accepted.")
            % {"name": name, "type": upload.content_type},
            fields={"attachments": _("File type not allowed.")},
        )
    magic = _MAGIC.get(upload.content_type)
    if magic and not upload.data.startswith(magic):
        raise ValidationFailed(
            _("%(name)s does not look like a %(type)s file.")
            % {"name": name, "type": upload.content_type},
            fields={"attachments": _("Content does not match the file type.")},
        )


def _store_attachments(message: Message, uploads: list[UploadedFile]) -> None:
    for upload in uploads:
        validate_upload(upload)
    for upload in uploads:
        attachment = Attachment(
            message=message,
            filename=_safe_filename(upload.filename),
            content_type=upload.content_type,
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
        )
        attachment.file.save("upload", ContentFile(upload.data), save=False)
        attachment.save()


def active_reply_rules() -> list[reply_checker.Rule]:
    """Built-in rules plus the admin's own (M16)."""
    custom = [
        {
            "id": r.rule_id,
            "commandment": r.commandment,
            "language": r.language,
            "pattern": r.pattern,
            "regex": r.is_regex,
            "message": r.message,
        }
        for r in ReplyRule.objects.filter(is_active=True)
    ]
    return (
        [*reply_checker.DEFAULT_RULES, *reply_checker.rules_from_dicts(custom)]
        if custom
        else list(reply_checker.DEFAULT_RULES)
    )


def check_reply_text(text: str) -> list[dict]:
    """The reply checker's warnings for `text`, as JSON-ready dicts."""
    return [
        {
            "rule": w.rule_id,
            "commandment": str(w.commandment),
            "matched": w.matched,
            "start": w.start,
            "end": w.end,
            "message": _(w.message),
        }
        for w in reply_checker.check_reply(text, active_reply_rules())
    ]


class ReplyNeedsConfirmation(ValidationFailed):
    """The reply checker found phrases to reconsider; send again with confirm=True to send it."""

    code = "reply_warnings"


def _mentions(text: str):
    from kefu.accounts.models import User

    names = set(_MENTION.findall(text))
    return list(User.objects.filter(username__in=names, is_active=True)) if names else []


@transaction.atomic
def message_add(
    *,
    actor,
    ticket: Ticket,
    kind: str,
    body: str,
    html: bool = False,
    confirm_warnings: bool = False,
    attachments: list[UploadedFile] | None = None,
    channel: str = "",
    external_id: str | None = None,
) -> Message:
    """Add a reply, an internal note or a customer message to the conversation.

    A public reply is run through the reply checker first; with warnings and no
    `confirm_warnings`, nothing is stored and ReplyNeedsConfirmation lists them. When the
    agent sends anyway, the warnings are kept on the message for QA.
    """
    is_customer_side = kind == MessageKind.CUSTOMER
    if is_customer_side and getattr(actor, "is_customer", False):
        require_ticket_access(actor, ticket, work=False)
    elif actor is not None:
        require_ticket_access(actor, ticket)
    body_html = sanitize_html(body) if html else ""
    body_text = plain_text(body) if html else body.strip()
    if not body_text.strip():
        raise ValidationFailed(
            _("The message is empty."), fields={"body": _("This field is required.")}
        )
    warnings: list[dict] = []
    if kind == MessageKind.REPLY:
        warnings = check_reply_text(body_text)
        if warnings and not confirm_warnings:
            raise ReplyNeedsConfirmation(
                _(
                    "The reply checker found phrases to reconsider. "
                    "Edit the reply, or send it anyway."
                ),
                details={"warnings": warnings},
            )
    if external_id and Message.objects.filter(external_id=external_id).exists():
        return Message.objects.get(external_id=external_id)  # the same delivery, again: once only
    message = Message.objects.create(
        ticket=ticket,
        kind=kind,
        author=actor if actor is not None and actor.is_authenticated else None,
        channel=channel or ticket.channel,
        body_text=body_text,
        body_html=body_html,
        checker_warnings=warnings,
        external_id=external_id or None,
        delivery_state="queued" if kind == MessageKind.REPLY else "",
    )
    mentioned = _mentions(body_text) if kind == MessageKind.NOTE else []
    if mentioned:
        message.mentions.set(mentioned)
    _store_attachments(message, attachments or [])
    now = timezone.now()
    updates: dict = {"updated_at": now}
    if kind == MessageKind.REPLY:
        updates["last_agent_reply_at"] = now
        if ticket.first_response_at is None:
            updates["first_response_at"] = now
    elif kind == MessageKind.CUSTOMER:
        updates["last_customer_message_at"] = now
        if ticket.status in (TicketStatus.PENDING, TicketStatus.SOLVED):
            # The customer answered: the ball is back with us (a solved ticket reopens).
            updates["status"] = TicketStatus.OPEN
            updates["solved_at"] = None
    bump = {"version": F("version") + 1} if "status" in updates else {}
    Ticket.objects.filter(pk=ticket.pk).update(**updates, **bump)
    for name, value in updates.items():
        setattr(ticket, name, value)
    if bump:
        ticket.version += 1
    event_kind = {"reply": "reply_sent", "note": "note_added", "customer": "customer_message"}[kind]
    changes = {"warnings": [None, [w["rule"] for w in warnings]]} if warnings else {}
    if "status" in updates:
        changes["status"] = [None, updates["status"]]
    record_event(ticket, actor=actor, kind=event_kind, changes=changes, note=body_text[:500])
    ticket_changed(ticket, event="message_added", actor=actor, message=message)
    return message
