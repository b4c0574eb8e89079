"""Customer and agent HTML is sanitised with nh3 before it is stored; plain text is kept too."""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
}
_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"(?i)</(p|div|li|tr|h[1-6]|blockquote)>|<br\s*/?>")


def sanitize_html(value: str) -> str:
    """Remove scripts, event handlers, javascript: links and anything outside the allow-list."""
    return nh3.clean(
        value or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid", "data"},
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(value: str) -> str:
    """Text without markup: tags dropped (block ends become line breaks), entities decoded."""
    if not value or "<" not in value:
        return html.unescape(value or "")
    text = _BLOCK_END.sub("\n", nh3.clean(value, tags=ALLOWED_TAGS, attributes={}))
    text = html.unescape(_TAG.sub("", text))
    return re.sub(r"\n{3,}", "\n\n", text).strip()
