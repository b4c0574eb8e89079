"""Inbound email parsing for the email channel: pure functions, no Django."""

from kefu.channels.mail.attachments import Attachment, sanitise_filename
from kefu.channels.mail.classify import (
    BounceDetails,
    MessageKind,
    classify_message,
    explain_classification,
)
from kefu.channels.mail.html_body import html_to_text, rewrite_cid_references, sanitise_html
from kefu.channels.mail.parse import MailAddress, MailParseError, ParsedMessage, parse_message
from kefu.channels.mail.quoting import strip_quoted_reply
from kefu.channels.mail.threads import (
    build_reply_headers,
    reply_subject,
    thread_keys,
    ticket_reference_from_subject,
)

__all__ = [
    "Attachment",
    "BounceDetails",
    "MailAddress",
    "MailParseError",
    "MessageKind",
    "ParsedMessage",
    "build_reply_headers",
    "classify_message",
    "explain_classification",
    "html_to_text",
    "parse_message",
    "reply_subject",
    "rewrite_cid_references",
    "sanitise_filename",
    "sanitise_html",
    "strip_quoted_reply",
    "thread_keys",
    "ticket_reference_from_subject",
]
