"""HTML bodies: sanitising with nh3 (ammonia) and rendering to plain text for HTML-only mail."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from html.parser import HTMLParser

import nh3

# ammonia's defaults minus nothing, plus cid: so inline images keep pointing at their part.
_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}
_EXTRA_ATTRIBUTES = {"td": {"valign", "width", "bgcolor"}, "font": {"color", "size"}}
_EXTRA_TAGS = {"font"}
# Removed with their content: nh3 keeps the text of unknown tags, which for these is code.
_DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "title", "head"}
_CID_SRC = re.compile(r"""(\bsrc\s*=\s*["'])cid:([^"']+)(["'])""", re.IGNORECASE)

_BLOCK_TAGS = {
    "p", "div", "section", "article", "header", "footer", "table", "tr", "ul", "ol", "dl",
    "h1", "h2", "h3", "h4", "h5", "h6", "pre", "address", "center", "hr", "blockquote",
    "li", "dt", "dd", "form", "fieldset", "figure", "figcaption", "main", "nav", "aside",
}  # fmt: skip
_SKIP_CONTENT = {"script", "style", "head", "title", "noscript", "template", "iframe", "object"}


def sanitise_html(html: str) -> str:
    """Return ``html`` cleaned by nh3: no scripts, event handlers, javascript: URLs or iframes.

    ``cid:`` image sources are kept so inline images can be mapped to their MIME parts.
    """
    tags = set(nh3.ALLOWED_TAGS) | _EXTRA_TAGS
    attributes = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag, names in _EXTRA_ATTRIBUTES.items():
        attributes.setdefault(tag, set()).update(names)
    return nh3.clean(
        html,
        tags=tags,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=attributes,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def content_ids_in_html(html: str) -> list[str]:
    """Return the Content-IDs referenced as ``src="cid:..."`` in ``html``, in order, unique."""
    return list(dict.fromkeys(match.group(2).strip("<>") for match in _CID_SRC.finditer(html)))


def rewrite_cid_references(html: str, url_for_content_id: Mapping[str, str] | Callable) -> str:
    """Replace ``src="cid:X"`` with the URL the mapping (or callable) gives for Content-ID X.

    Unknown Content-IDs are left as they are, so the caller can see what was not mapped.
    """

    def lookup(content_id: str) -> str | None:
        if callable(url_for_content_id):
            return url_for_content_id(content_id)
        return url_for_content_id.get(content_id)

    def replace(match: re.Match[str]) -> str:
        url = lookup(match.group(2).strip("<>"))
        if url is None:
            return match.group(0)
        return f"{match.group(1)}{url}{match.group(3)}"

    return _CID_SRC.sub(replace, html)


class _TextRenderer(HTMLParser):
    """Collects the visible text of an HTML document, one line per block element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip_depth = 0
        self.quote_depth = 0
        self.in_pre = 0

    def break_line(self, force: bool = False) -> None:
        """End the current line; an empty one is kept only for an explicit <br>."""
        text = "".join(self.current)
        if not self.in_pre:
            text = re.sub(r"[ \t\r\n\f\u00a0]+", " ", text).strip()
        prefix = "> " * self.quote_depth
        if text:
            self.lines.append(prefix + text)
        elif force:
            self.lines.append(prefix.rstrip())
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_CONTENT:
            self.skip_depth += 1
        elif tag == "br":
            self.break_line(force=True)
        elif tag in _BLOCK_TAGS:
            if self.current:
                self.break_line()
            if tag == "blockquote":
                self.quote_depth += 1
            elif tag == "pre":
                self.in_pre += 1
            elif tag == "li":
                self.current.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.break_line(force=True)
        elif tag == "hr":
            self.break_line()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_CONTENT:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.break_line()
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            elif tag == "pre":
                self.in_pre = max(0, self.in_pre - 1)

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.current.append(data)


def html_to_text(html: str) -> str:
    """Render ``html`` as plain text: block elements become lines, blockquotes get "> " prefixes."""
    renderer = _TextRenderer()
    renderer.feed(html)
    renderer.close()
    renderer.break_line()
    lines: list[str] = []
    for line in renderer.lines:
        # Collapse runs of blank lines made by nested blocks.
        if line or (lines and lines[-1]):
            lines.append(line.rstrip())
    return "\n".join(lines).strip("\n")
