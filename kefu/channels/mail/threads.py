"""Threading: which ticket an inbound message belongs to, and the headers of outbound replies.

Lookup order follows RFC 5322 §3.6.4 and JWZ's threading notes: the parent named in
In-Reply-To first, then References from the newest ancestor back; the ticket's public id in the
subject is the fallback for clients that drop both headers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kefu.channels.mail.parse import ParsedMessage

_ANGLE_ID = re.compile(r"<([^<>\s]+)>")
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?$")
_MAX_REFERENCES = 20


def normalise_message_id(value: str | None) -> str | None:
    """``" <Abc@Example.com> "`` → ``"Abc@Example.com"``; None for an empty value.

    Message-IDs are case-sensitive in their left part (RFC 5322 §3.6.4), so case is kept.
    """
    if not value:
        return None
    found = _ANGLE_ID.search(value)
    if found:
        return found.group(1)
    token = value.strip().strip("<>").split()
    return token[0] if token else None


def message_ids_in(value: str | None) -> list[str]:
    """All Message-IDs in a References/In-Reply-To value, in order, without duplicates."""
    if not value:
        return []
    found = _ANGLE_ID.findall(value)
    if not found:
        found = [token.strip("<>,;") for token in value.split() if "@" in token]
    return [identifier for identifier in dict.fromkeys(found) if identifier]


def ticket_reference_from_subject(subject: str, prefix: str = "KF") -> str | None:
    """Return the public ticket id (e.g. ``KF-2026-000123``) found in ``subject``, or None.

    Works after reply/forward prefixes (Re:, 回复：, 答复:, Fwd:, 转发：) and in any brackets.
    """
    if not subject:
        return None
    pattern = re.compile(
        rf"(?<![A-Za-z0-9]){re.escape(prefix)}-(\d{{4}})-(\d{{4,10}})(?![A-Za-z0-9])",
        re.IGNORECASE,
    )
    found = pattern.search(subject)
    if not found:
        return None
    return f"{prefix.upper()}-{found.group(1)}-{found.group(2)}"


def thread_keys(parsed: ParsedMessage) -> list[str]:
    """Message-IDs to look up, best first: In-Reply-To, then References newest first.

    A bounce adds the Message-ID of the returned original, so it joins the failed reply's ticket.
    """
    keys: list[str] = []
    if parsed.in_reply_to:
        keys.append(parsed.in_reply_to)
    keys.extend(reversed(parsed.references))
    if parsed.bounced_message_id:
        keys.append(parsed.bounced_message_id)
    own = parsed.message_id
    return [key for key in dict.fromkeys(keys) if key != own]


def _bracketed(identifier: str) -> str:
    return f"<{identifier.strip().strip('<>')}>"


def build_reply_headers(
    ticket_public_id: str,
    our_message_id: str,
    parent_message_ids: list[str],
    domain: str,
) -> dict[str, str]:
    """Headers for an outbound reply: Message-ID, In-Reply-To, References, X-Kefu-Ticket.

    ``parent_message_ids`` run oldest → newest; References keeps the first and the most recent
    ids when the chain is long (RFC 5322 §3.6.4). ``subject_prefix`` is not a header but the
    "[KF-…]" tag to put in the subject (see ``reply_subject``).
    """
    if not _DOMAIN.match(domain):
        raise ValueError(f"not a domain name: {domain!r}")
    local = our_message_id.strip().strip("<>")
    if not local or any(char in local for char in " <>\r\n\t"):
        raise ValueError(f"not a Message-ID: {our_message_id!r}")
    identifier = local if "@" in local else f"{local}@{domain}"
    parents = [
        parent
        for parent in dict.fromkeys(normalise_message_id(item) for item in parent_message_ids)
        if parent
    ]
    if len(parents) > _MAX_REFERENCES:
        parents = parents[:1] + parents[-(_MAX_REFERENCES - 1) :]
    headers = {"Message-ID": _bracketed(identifier)}
    if parents:
        headers["In-Reply-To"] = _bracketed(parents[-1])
        headers["References"] = " ".join(_bracketed(parent) for parent in parents)
    headers["X-Kefu-Ticket"] = ticket_public_id
    headers["subject_prefix"] = f"[{ticket_public_id}]"
    return headers


_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|回复|回覆|答复)\s*[:：]\s*)+", re.IGNORECASE)


def reply_subject(subject: str, ticket_public_id: str, prefix: str = "KF") -> str:
    """``"Re: [KF-2026-000123] <subject>"`` without stacking "Re:" or repeating the tag."""
    base = _REPLY_PREFIX.sub("", subject or "").strip()
    if ticket_reference_from_subject(base, prefix) != ticket_public_id.upper():
        base = f"[{ticket_public_id}] {base}".strip()
    return f"Re: {base}"
