"""Charset handling for inbound mail: label aliases, tolerant byte decoding, RFC 2047 words.

Chinese mailers routinely label GBK or GB18030 text as ``gb2312`` and split multi-byte
characters across adjacent encoded words, so decoding here is deliberately more forgiving
than the stdlib's: labels are widened to their supersets and adjacent encoded words with the
same charset are joined as bytes before decoding (RFC 2047 §5 forbids the split, mailers do it).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

# Labels that mailers use for a subset of what they actually send; decode with the superset.
_SUPERSET_CODECS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "hz",
    "big5": "big5hkscs",
    "big-5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "cp950": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "iso-8859-8-i": "iso-8859-8",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}

# Labels that say little about the real bytes: try UTF-8 first when these are declared.
_WEAK_LABELS = {None, "", "us-ascii", "ascii", "iso-8859-1", "latin1", "latin-1", "cp1252"}
_WEAK_LABELS |= {"windows-1252", "unknown-8bit", "x-unknown", "8bit", "default", "unknown"}

# Codecs whose ASCII-looking bytes mean something else: they must be tried before UTF-8.
_SEVEN_BIT_CODECS = {"utf-7", "hz", "iso2022_jp", "iso2022_kr", "iso2022_jp_2", "utf-16", "utf-32"}
_SEVEN_BIT_CODECS |= {"utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"}

_ENCODED_WORD = re.compile(
    r"=\?(?P<charset>[^?\s*]+)(?:\*[^?\s]*)?\?(?P<encoding>[QqBb])\?(?P<text>[^?\s]*)\?="
)
_WHITESPACE_ONLY = re.compile(r"[ \t\r\n]*")
_BASE64_TEXT = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_SURROGATES = re.compile("[\udc80-\udcff]")


def resolve_codec(label: str | None) -> str | None:
    """Return a Python codec name for a MIME charset label (widened to its superset), or None."""
    if not label:
        return None
    cleaned = label.strip().strip("\"'").lower()
    cleaned = _SUPERSET_CODECS.get(cleaned, cleaned)
    try:
        name = codecs.lookup(cleaned).name
    except (LookupError, ValueError):
        return None
    # codecs.lookup normalises, so map the normalised names once more.
    return _SUPERSET_CODECS.get(name, name)


def decode_bytes(data: bytes, label: str | None) -> str:
    """Decode text bytes labelled ``label``, tolerating wrong labels; never raises.

    Strict UTF-8 is tried first (legacy CJK text is almost never valid UTF-8 by chance, while
    UTF-8 mislabelled as gb2312 or latin-1 is common), then the declared codec widened to its
    superset, then GB18030 and windows-1252; a lossy decode is the last resort.
    """
    cleaned = label.strip().strip("\"'").lower() if label else None
    declared = resolve_codec(label)
    attempts: list[str] = []
    if declared in _SEVEN_BIT_CODECS:
        attempts.append(declared)
    attempts.append("utf-8")
    if cleaned in {"us-ascii", "ascii"}:
        # 8-bit bytes under an ASCII label: the label is certainly wrong, guess Chinese first.
        attempts.append("gb18030")
    if declared is not None and cleaned not in _WEAK_LABELS:
        attempts.append(declared)
    if declared is not None and cleaned in _WEAK_LABELS - {None, "", "us-ascii", "ascii"}:
        attempts.append(declared)
    attempts += ["gb18030", "cp1252"]
    for codec in dict.fromkeys(attempts):
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(declared or "utf-8", errors="replace")


def surrogates_to_text(value: str) -> str:
    """Turn a str carrying raw 8-bit bytes as surrogate escapes (email's way) into real text."""
    if not _SURROGATES.search(value):
        return value
    raw = value.encode("utf-8", errors="surrogateescape")
    return decode_bytes(raw, None)


def _decode_word_bytes(encoding: str, text: str) -> bytes | None:
    if encoding in "Bb":
        if not _BASE64_TEXT.match(text) or len(text.rstrip("=")) % 4 == 1:
            return None
        padded = text + "=" * (-len(text) % 4)
        try:
            return base64.b64decode(padded, validate=False)
        except (binascii.Error, ValueError):
            return None
    as_bytes = text.replace("_", " ").encode("ascii", errors="replace")
    return _QP_ESCAPE.sub(lambda match: bytes([int(match.group(1), 16)]), as_bytes)


def decode_header_text(raw: str) -> str:
    """Decode RFC 2047 encoded words in a raw header value and unfold it to one line.

    Adjacent encoded words of the same charset are joined as bytes before decoding, so a GBK
    character split between two words survives; undecodable words are kept verbatim.
    """
    value = surrogates_to_text(raw)
    value = re.sub(r"\r?\n[ \t]*", " ", value)
    pieces: list[str] = []
    pending_bytes = b""
    pending_charset: str | None = None
    position = 0

    def flush() -> None:
        nonlocal pending_bytes, pending_charset
        if pending_bytes or pending_charset is not None:
            pieces.append(decode_bytes(pending_bytes, pending_charset))
        pending_bytes, pending_charset = b"", None

    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        word = _decode_word_bytes(match.group("encoding"), match.group("text"))
        if word is None:
            flush()
            pieces.append(between + match.group(0))
            position = match.end()
            continue
        charset = match.group("charset").lower()
        joinable = pending_charset is not None and _WHITESPACE_ONLY.fullmatch(between)
        if joinable and charset == pending_charset:
            pending_bytes += word
        else:
            if not joinable:
                flush()
                pieces.append(between)
            else:
                flush()
            pending_bytes, pending_charset = word, charset
        position = match.end()
    flush()
    pieces.append(value[position:])
    text = "".join(pieces)
    # Decoded words may carry CR/LF or other controls; a header value is one line of text.
    return re.sub(r"[\x00-\x08\x0a-\x1f\x7f]+", " ", text).strip()
