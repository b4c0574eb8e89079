"""Auto-reply and bounce detection (RFC 3834 Auto-Submitted, RFC 3464 delivery status reports).

A ticket system must not answer auto-replies or bounces (mail loops), and a bounce should be
attached to the ticket whose outbound message failed: hence the bounced Message-ID.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from enum import StrEnum
from typing import TYPE_CHECKING

from kefu.channels.mail.charsets import decode_header_text
from kefu.channels.mail.mime_headers import part_content_type

if TYPE_CHECKING:
    from kefu.channels.mail.parse import ParsedMessage


class MessageKind(StrEnum):
    NORMAL = "normal"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"


@dataclass(frozen=True)
class BounceDetails:
    """What a delivery report says about the failed message (all optional)."""

    original_message_id: str | None = None
    recipients: tuple[str, ...] = ()
    status: str | None = None
    action: str | None = None
    diagnostic: str | None = None


_PREFIX = r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|回复|回覆|答复|转发|轉寄)\s*[:：]\s*)*"
_AUTO_REPLY_SUBJECT = re.compile(
    _PREFIX + r"(?:out of (?:the )?office|automatic reply|auto[- ]?reply|auto[- ]?response"
    r"|autosvar|abwesenheitsnotiz|réponse automatique|自动回复|自動回覆|自动答复|自動答覆"
    r"|休假(?:中|通知|提醒|自动回复)?\s*[:：]|外出(?:中|通知)?\s*[:：]|不在办公室)",
    re.IGNORECASE,
)
_AUTO_REPLY_ANYWHERE = re.compile(r"\((?:out of office|auto[- ]?reply)\)|休假自动回复", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver(?:ed|able)|returned mail|delivery status notification|mail delivery fail"
    r"|delivery (?:has )?failed|delivery failure|failure notice|non[- ]?delivery"
    r"|退信|邮件投递失败|邮件发送失败|无法投递|未能送达|投递失败|系统退信",
    re.IGNORECASE,
)
_BOUNCE_SENDER = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)
_AUTO_PRECEDENCE = {"auto_reply", "bulk", "junk"}
_MESSAGE_ID_LINE = re.compile(r"^[ \t>]*message-id:[ \t]*<([^<>\s]+)>", re.I | re.M)
_ANGLE_RECIPIENT_LINE = re.compile(r"^[ \t]*<([^<>\s@]+@[^<>\s]+)>:", re.M)
# Bounded repeats keep the scan linear on hostile text (anyone can send "From: postmaster@…").
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,8}")
_MAX_BOUNCE_TEXT = 64 * 1024


def _first_header(message: Message, name: str) -> str | None:
    for header_name, value in message.raw_items():
        if header_name.lower() == name:
            return decode_header_text(value)
    return None


def _address_from_typed_field(value: str) -> str | None:
    """``rfc822; user@example.com`` → ``user@example.com`` (RFC 3464 §2.3.2 address-type)."""
    address = value.split(";", 1)[-1].strip().strip("<>").strip()
    return address.lower() if "@" in address else None


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    return []


def _headers_of_returned_message(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    if isinstance(payload, str):  # text/rfc822-headers: a header block as text
        from email import message_from_string

        return message_from_string(payload)
    return None


def extract_bounce_details(message: Message) -> BounceDetails:
    """Read a delivery report's recipients, status and the original Message-ID (RFC 3464).

    Looks at message/delivery-status, message/rfc822 or text/rfc822-headers parts and at the
    Exim ``X-Failed-Recipients`` header.
    """
    recipients: list[str] = []
    status = action = diagnostic = original_id = None
    failed = _first_header(message, "x-failed-recipients")
    if failed:
        recipients += [address.lower() for address in _EMAIL.findall(failed)]
    for part in message.walk():
        content_type = part_content_type(part)
        if content_type in {"message/delivery-status", "message/global-delivery-status"}:
            for block in _status_blocks(part):
                for field_name in ("final-recipient", "original-recipient"):
                    value = _first_header(block, field_name)
                    address = _address_from_typed_field(value) if value else None
                    if address:
                        recipients.append(address)
                        break
                status = status or _first_header(block, "status")
                action = action or _first_header(block, "action")
                diagnostic = diagnostic or _first_header(block, "diagnostic-code")
        elif content_type in {"message/rfc822", "text/rfc822-headers", "message/global"}:
            returned = _headers_of_returned_message(part)
            value = _first_header(returned, "message-id") if returned is not None else None
            found = re.search(r"<([^<>\s]+)>", value or "")
            if found and original_id is None:
                original_id = found.group(1)
    return BounceDetails(
        original_message_id=original_id,
        recipients=tuple(dict.fromkeys(recipients)),
        status=status.split()[0] if status else None,
        action=action.lower() if action else None,
        diagnostic=diagnostic,
    )


def bounce_details_from_text(text: str, own_addresses: set[str]) -> BounceDetails:
    """Best-effort details from a non-standard (plain-text) bounce such as QQ Mail's 退信.

    The original Message-ID is the first ``Message-ID: <...>`` line; the recipient the first
    ``<addr>:`` line (Postfix), else the first address that is not the bounce's own or a daemon.
    """
    text = text[:_MAX_BOUNCE_TEXT]
    found_id = _MESSAGE_ID_LINE.search(text)
    recipients = [address.lower() for address in _ANGLE_RECIPIENT_LINE.findall(text)]
    if not recipients:
        for address in _EMAIL.findall(text):
            lowered = address.lower()
            if lowered not in own_addresses and not _BOUNCE_SENDER.match(lowered):
                recipients.append(lowered)
                break
    return BounceDetails(
        original_message_id=found_id.group(1) if found_id else None,
        recipients=tuple(dict.fromkeys(recipients)),
    )


def explain_classification(parsed: ParsedMessage) -> tuple[MessageKind, str]:
    """Return the kind and the rule that decided it (for logs and tests)."""
    report_type = (parsed.report_type or "").lower()
    if parsed.content_type == "multipart/report" and report_type in {
        "delivery-status",
        "global-delivery-status",
    }:
        return MessageKind.BOUNCE, "multipart/report; report-type=delivery-status"
    if _BOUNCE_SENDER.match(parsed.from_address):
        return MessageKind.BOUNCE, f"sender {parsed.from_address}"
    if parsed.header("x-failed-recipients"):
        return MessageKind.BOUNCE, "X-Failed-Recipients header"
    automatic_sender = parsed.return_path_is_null or _is_auto_submitted(parsed)
    if _BOUNCE_SUBJECT.search(parsed.subject) and (
        automatic_sender or parsed.content_type == "multipart/report"
    ):
        return MessageKind.BOUNCE, "bounce subject from an automatic sender"
    if parsed.header("x-kefu-ticket"):
        # Mail clients do not copy X- headers into replies: this is our own message coming back.
        return MessageKind.AUTO_REPLY, "Kefu's own outbound message (X-Kefu-Ticket)"
    if report_type == "disposition-notification":
        return MessageKind.AUTO_REPLY, "read receipt (disposition-notification)"
    if _is_auto_submitted(parsed):
        return MessageKind.AUTO_REPLY, f"Auto-Submitted: {parsed.header('auto-submitted')}"
    for name in ("x-autoreply", "x-autorespond", "x-autogenerated", "x-auto-reply"):
        value = parsed.header(name)
        if value is not None and value.strip().lower() not in {"no", "false", "0"}:
            return MessageKind.AUTO_REPLY, f"{name} header"
    precedence = (parsed.header("precedence") or "").strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        return MessageKind.AUTO_REPLY, f"Precedence: {precedence}"
    if _AUTO_REPLY_SUBJECT.search(parsed.subject) or _AUTO_REPLY_ANYWHERE.search(parsed.subject):
        return MessageKind.AUTO_REPLY, "auto-reply subject"
    if parsed.return_path_is_null:
        return MessageKind.AUTO_REPLY, "null Return-Path <>"
    return MessageKind.NORMAL, "no automatic-mail signal"


def _is_auto_submitted(parsed: ParsedMessage) -> bool:
    value = (parsed.header("auto-submitted") or "").strip().lower()
    return bool(value) and not value.startswith("no")


def classify_message(parsed: ParsedMessage) -> MessageKind:
    """Return normal, auto_reply or bounce (RFC 3834 §5 Auto-Submitted, RFC 3464 reports)."""
    return explain_classification(parsed)[0]
