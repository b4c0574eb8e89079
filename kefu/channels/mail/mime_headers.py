"""Reading MIME header fields from the raw header text of a part, with tolerant decoding.

``policy.default`` parses a structured header again on every access (about 0.5 ms for a
Content-Type) and may reject odd but readable values; the raw text is parsed here once instead.
"""

from __future__ import annotations

import re
from email.message import Message

from kefu.channels.mail.charsets import decode_bytes, decode_header_text, surrogates_to_text

_TOKEN = r"[A-Za-z0-9!#$&^_.+\-]+"
_CONTENT_TYPE = re.compile(rf"^\s*({_TOKEN})\s*/\s*({_TOKEN})")


def raw_header(part: Message, name: str) -> str | None:
    """The first raw (undecoded) value of header ``name`` (lower-case) in ``part``, or None."""
    for header_name, value in part.raw_items():
        if header_name.lower() == name:
            return value
    return None


def part_content_type(part: Message) -> str:
    """``type/subtype`` in lower case; the part's default (RFC 2045 §5.2) when absent or bad."""
    raw = raw_header(part, "content-type")
    found = _CONTENT_TYPE.match(surrogates_to_text(raw)) if raw else None
    if not found:
        return part.get_default_type()
    return f"{found.group(1)}/{found.group(2)}".lower()


def content_parameter(part: Message, parameter: str) -> str | None:
    """A plain (non-RFC 2231) Content-Type parameter such as ``charset`` or ``report-type``."""
    raw = raw_header(part, "content-type")
    if not raw:
        return None
    found = re.search(
        rf"""(?:^|;)\s*{re.escape(parameter)}\s*=\s*(?:"([^"]*)"|([^\s;"]+))""",
        surrogates_to_text(raw),
        re.IGNORECASE,
    )
    if not found:
        return None
    return (found.group(1) if found.group(1) is not None else found.group(2)).strip()


def _parameter(raw_header: str | None, parameter: str) -> str | None:
    """Decode one parameter (RFC 2231 continuations and charsets) from a raw header value."""
    if not raw_header:
        return None
    # A compat32 Message keeps the value raw, so get_param returns the RFC 2231 triple
    # (charset, language, percent-decoded latin-1 text) that we decode with tolerant codecs.
    holder = Message()
    holder["Content-Type"] = raw_header
    value = holder.get_param(parameter, header="content-type", unquote=True)
    if value is None:
        return None
    if isinstance(value, tuple):
        charset, _language, text = value
        try:
            raw = text.encode("latin-1", errors="surrogateescape")
        except UnicodeEncodeError:
            raw = text.encode("utf-8", errors="surrogateescape")
        return decode_bytes(raw, charset or None)
    return decode_header_text(value)


def part_filename(part: Message) -> str | None:
    """Return the decoded, unsanitised filename of a part (disposition first, then type name)."""
    for header, parameter in (("content-disposition", "filename"), ("content-type", "name")):
        value = _parameter(raw_header(part, header), parameter)
        if value:
            return value
    return None


def part_disposition(part: Message) -> str | None:
    """Return ``inline``/``attachment``/None from the part's raw Content-Disposition."""
    raw = raw_header(part, "content-disposition")
    if not raw:
        return None
    kind = decode_header_text(raw).split(";", 1)[0].strip().lower()
    return kind or None


def part_content_id(part: Message) -> str | None:
    """Return the part's Content-ID without angle brackets, or None."""
    raw = raw_header(part, "content-id")
    if not raw:
        return None
    value = decode_header_text(raw).strip().strip("<>").strip()
    return value or None
