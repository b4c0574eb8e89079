"""Attachments: filename decoding (RFC 2231 and RFC 2047) and sanitising against path traversal."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field

_MAX_FILENAME_BYTES = 200
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Attachment:
    """One non-body MIME part: a file the customer sent, or an inline image."""

    filename: str
    content_type: str
    size: int
    payload: bytes = field(repr=False)
    content_id: str | None = None
    is_inline: bool = False


def sanitise_filename(name: str, content_type: str = "application/octet-stream") -> str:
    """Return a safe base name: no directories, '..', control or bidi characters, Windows names.

    An empty result becomes ``attachment`` plus an extension guessed from ``content_type``.
    """
    text = unicodedata.normalize("NFC", name)
    # Control (Cc) and format (Cf, e.g. U+202E right-to-left override) characters go first,
    # so they cannot hide a separator or an extension.
    text = "".join(" " if unicodedata.category(char) in {"Cc", "Cf"} else char for char in text)
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _WINDOWS_FORBIDDEN.sub("_", text)
    while ".." in text:
        text = text.replace("..", ".")
    text = re.sub(r"\s+", " ", text).strip(" .")
    if _WINDOWS_RESERVED.match(text):
        text = "_" + text
    if len(text.encode("utf-8")) > _MAX_FILENAME_BYTES:
        stem, dot, extension = text.rpartition(".")
        if not dot or len(extension) > 16:
            stem, extension = text, ""
        budget = _MAX_FILENAME_BYTES - len(extension.encode("utf-8")) - 1
        stem = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore").rstrip(" .")
        text = f"{stem}.{extension}" if extension else stem
    if not text:
        extension = mimetypes.guess_extension(content_type, strict=False) or ".bin"
        text = "attachment" + extension
    return text
