"""Shared helpers for the channels tests: the email corpus and small factories."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

EMAILS = Path(__file__).parent / "emails"


def eml(name: str) -> bytes:
    return (EMAILS / name).read_bytes()


def make_mail(
    *,
    message_id: str,
    sender: str = "Li Lei <lilei@example.cn>",
    subject: str = "Order 1009 not delivered",
    body: str = "My order has not arrived.",
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> bytes:
    """A real RFC 5322 message built with the stdlib (as a mail client would send it)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@kefu.example"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{message_id}>"
    msg["Date"] = format_datetime(dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC))
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for filename, content_type, data in attachments or []:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(msg)
