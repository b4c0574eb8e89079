"""Parsing one inbound RFC 5322 message into the plain values a ticket needs.

The stdlib ``email`` package (``policy.default``, with ``compat32`` as a second try) splits the
MIME tree; header text, charsets, filenames and HTML are then decoded here with tolerant rules,
because real Chinese mail mislabels charsets and splits encoded words. Anything unreadable is
reported as ``MailParseError`` and nothing else.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from kefu.channels.mail.attachments import Attachment, sanitise_filename
from kefu.channels.mail.charsets import decode_bytes, decode_header_text, surrogates_to_text
from kefu.channels.mail.classify import (
    BounceDetails,
    MessageKind,
    bounce_details_from_text,
    classify_message,
    extract_bounce_details,
)
from kefu.channels.mail.html_body import content_ids_in_html, html_to_text, sanitise_html
from kefu.channels.mail.mime_headers import (
    content_parameter,
    part_content_id,
    part_content_type,
    part_disposition,
    part_filename,
)
from kefu.channels.mail.quoting import strip_quoted_reply
from kefu.channels.mail.threads import message_ids_in, normalise_message_id


def _(message: str) -> str:
    return message


MAX_MESSAGE_BYTES = 50 * 1024 * 1024
_MAX_DEPTH = 30
_MAIL_HEADERS = {
    "from", "to", "cc", "subject", "date", "message-id", "received", "mime-version",
    "return-path", "reply-to", "in-reply-to", "references", "sender", "delivered-to",
    "content-type",
}  # fmt: skip
_STATUS_TYPES = {"message/delivery-status", "message/global-delivery-status"}
_EMBEDDED_MESSAGE_TYPES = {"message/rfc822", "message/global"}
_DEFAULT_NAMES = {
    "message/rfc822": "message.eml",
    "message/global": "message.eml",
    "text/rfc822-headers": "original-headers.txt",
    "text/plain": "attachment.txt",
}


class MailParseError(ValueError):
    """The bytes are not a readable mail message; ``reason`` says why (English, user-facing)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MailAddress:
    """One mailbox: decoded display name ("" if none) and lower-cased address."""

    name: str
    address: str


@dataclass(frozen=True)
class ParsedMessage:
    """Everything Kefu uses from one inbound message; all text is decoded ``str``."""

    message_id: str
    message_id_synthesised: bool
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    from_address: str
    from_name: str
    reply_to: tuple[MailAddress, ...]
    to: tuple[MailAddress, ...]
    cc: tuple[MailAddress, ...]
    date: datetime | None
    text: str
    html: str
    new_text: str
    attachments: tuple[Attachment, ...]
    content_type: str
    report_type: str | None
    auto_submitted: str | None
    return_path_is_null: bool
    kind: MessageKind = MessageKind.NORMAL
    bounced_message_id: str | None = None
    bounced_recipients: tuple[str, ...] = ()
    bounce_status: str | None = None
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    defects: tuple[str, ...] = ()

    def header(self, name: str) -> str | None:
        """The first decoded value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)

    def header_values(self, name: str) -> list[str]:
        """All decoded values of header ``name`` in message order."""
        wanted = name.lower()
        return [value for key, value in self.headers if key == wanted]

    @property
    def inline_images(self) -> dict[str, Attachment]:
        """Inline parts by Content-ID, for mapping ``cid:`` sources in ``html``."""
        return {item.content_id: item for item in self.attachments if item.content_id}


@dataclass
class _Collected:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    # (part, inside multipart/related)
    files: list[tuple[Message, bool]] = field(default_factory=list)


def _addresses(message: Message, name: str) -> tuple[MailAddress, ...]:
    values = [
        surrogates_to_text(value)
        for header_name, value in message.raw_items()
        if header_name.lower() == name
    ]
    if not values:
        return ()
    unfolded = [re.sub(r"\r?\n[ \t]*", " ", value) for value in values]
    found: list[MailAddress] = []
    for display_name, address in getaddresses(unfolded):
        address = address.strip().lower()
        if "@" not in address:
            continue
        found.append(MailAddress(name=decode_header_text(display_name), address=address))
    return tuple(dict.fromkeys(found))


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _decoded_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    text = decode_bytes(payload, content_parameter(part, "charset"))
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _collect(part: Message, collected: _Collected, inside_related: bool, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise MailParseError(_("MIME parts are nested too deeply."))
    content_type = part_content_type(part)
    if content_type in _EMBEDDED_MESSAGE_TYPES:
        collected.files.append((part, inside_related))
        return
    if part.is_multipart():
        payload = part.get_payload()
        related = content_type == "multipart/related"
        for child in payload if isinstance(payload, list) else []:
            if isinstance(child, Message):
                _collect(child, collected, related or inside_related, depth + 1)
        return
    if content_type in _STATUS_TYPES:
        return  # read by extract_bounce_details, not a file for the agent
    disposition = part_disposition(part)
    is_body = (
        content_type in {"text/plain", "text/html"}
        and disposition != "attachment"
        and not part_filename(part)
    )
    if is_body and content_type == "text/plain":
        collected.plain.append(_decoded_text(part))
    elif is_body:
        collected.html.append(_decoded_text(part))
    else:
        collected.files.append((part, inside_related))


def _embedded_message_bytes(part: Message) -> bytes:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        try:
            return payload[0].as_bytes(policy=policy.compat32)
        except Exception:
            return b""
    decoded = part.get_payload(decode=True)
    return decoded if isinstance(decoded, bytes) else b""


def _attachment(part: Message, inside_related: bool, referenced_ids: set[str]) -> Attachment:
    content_type = part_content_type(part)
    if content_type in _EMBEDDED_MESSAGE_TYPES:
        payload = _embedded_message_bytes(part)
    else:
        decoded = part.get_payload(decode=True)
        payload = decoded if isinstance(decoded, bytes) else b""
    content_id = part_content_id(part)
    disposition = part_disposition(part)
    is_inline = content_id is not None and (
        content_id in referenced_ids or (disposition != "attachment" and inside_related)
    )
    if disposition == "inline" and content_type.startswith("image/"):
        is_inline = True
    raw_name = part_filename(part) or ""
    if not raw_name:
        raw_name = _DEFAULT_NAMES.get(content_type, "")
    return Attachment(
        filename=sanitise_filename(raw_name, content_type),
        content_type=content_type,
        size=len(payload),
        payload=payload,
        content_id=content_id,
        is_inline=is_inline,
    )


def _synthesised_message_id(raw: bytes) -> str:
    return f"sha256-{hashlib.sha256(raw).hexdigest()[:40]}@synthesised.kefu.invalid"


def _defects(message: Message) -> tuple[str, ...]:
    names: list[str] = []
    for part in message.walk():
        names += [type(defect).__name__ for defect in getattr(part, "defects", [])]
    return tuple(dict.fromkeys(names))


def _parse(raw: bytes, parse_policy: policy.Policy) -> ParsedMessage:
    message = BytesParser(policy=parse_policy).parsebytes(raw)
    raw_headers = list(message.raw_items())
    if not any(name.lower() in _MAIL_HEADERS for name, _value in raw_headers):
        raise MailParseError(_("No mail headers were found; this is not an email message."))
    headers = tuple((name.lower(), decode_header_text(value)) for name, value in raw_headers)

    def first(name: str) -> str | None:
        return next((value for key, value in headers if key == name), None)

    message_id = normalise_message_id(first("message-id"))
    synthesised = message_id is None
    if message_id is None:
        message_id = _synthesised_message_id(raw)
    senders = _addresses(message, "from") or _addresses(message, "sender")
    sender = senders[0] if senders else MailAddress(name="", address="")

    collected = _Collected()
    _collect(message, collected, inside_related=False, depth=0)
    html = sanitise_html("\n".join(collected.html)) if collected.html else ""
    text = "\n\n".join(part.strip("\n") for part in collected.plain if part.strip())
    if not text and html:
        text = html_to_text(html)
    referenced_ids = set(content_ids_in_html(html))
    attachments = tuple(
        _attachment(part, related, referenced_ids) for part, related in collected.files
    )
    auto_submitted = first("auto-submitted")
    return_path = first("return-path")
    parsed = ParsedMessage(
        message_id=message_id,
        message_id_synthesised=synthesised,
        in_reply_to=normalise_message_id(first("in-reply-to")),
        references=tuple(message_ids_in(" ".join(v for k, v in headers if k == "references"))),
        subject=first("subject") or "",
        from_address=sender.address,
        from_name=sender.name,
        reply_to=_addresses(message, "reply-to"),
        to=_addresses(message, "to"),
        cc=_addresses(message, "cc"),
        date=_date(first("date")),
        text=text,
        html=html,
        new_text=strip_quoted_reply(text),
        attachments=attachments,
        content_type=part_content_type(message),
        report_type=(content_parameter(message, "report-type") or "").lower() or None,
        auto_submitted=auto_submitted.strip().lower() if auto_submitted else None,
        return_path_is_null=return_path is not None and return_path.replace(" ", "") == "<>",
        headers=headers,
        defects=_defects(message),
    )
    details = extract_bounce_details(message)
    kind = classify_message(parsed)
    if kind is MessageKind.BOUNCE:
        own = {address.address for address in parsed.to} | {parsed.from_address}
        guessed = bounce_details_from_text(text, own)
        details = BounceDetails(
            original_message_id=details.original_message_id or guessed.original_message_id,
            recipients=details.recipients or guessed.recipients,
            status=details.status,
            action=details.action,
            diagnostic=details.diagnostic,
        )
    return replace(
        parsed,
        kind=kind,
        bounced_message_id=details.original_message_id if kind is MessageKind.BOUNCE else None,
        bounced_recipients=details.recipients if kind is MessageKind.BOUNCE else (),
        bounce_status=details.status if kind is MessageKind.BOUNCE else None,
    )


def parse_message(raw: bytes, *, max_bytes: int = MAX_MESSAGE_BYTES) -> ParsedMessage:
    """Parse one RFC 5322/MIME message (RFC 2045–2047, 2231) into a ``ParsedMessage``.

    Raises ``MailParseError`` (and no other exception) when the bytes are not a readable message.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise MailParseError(_("The message must be given as bytes."))
    data = bytes(raw)
    if not data.strip():
        raise MailParseError(_("The message is empty."))
    if len(data) > max_bytes:
        raise MailParseError(_("The message is larger than the configured limit."))
    last_error: Exception | None = None
    # policy.default first (as the stdlib recommends); compat32 keeps headers as plain strings,
    # so a header that policy.default's parser chokes on gets a second chance.
    for parse_policy in (policy.default, policy.compat32):
        try:
            return _parse(data, parse_policy)
        except MailParseError:
            raise
        except RecursionError as error:
            raise MailParseError(_("MIME parts are nested too deeply.")) from error
        except Exception as error:
            last_error = error
    raise MailParseError(_("The message cannot be read.")) from last_error
