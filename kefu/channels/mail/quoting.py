"""Stripping quoted history and signatures from a reply, for English and Chinese mail clients.

Markers follow what the clients write: Gmail/Apple Mail "On … wrote:", Outlook
"-----Original Message-----" or a "From:/Sent:" block, QQ Mail/Foxmail
"------------------ 原始邮件 ------------------", Outlook CN "发件人：/发送时间：", Chinese
Gmail/Apple Mail "在 … 写道：" or "… 于 … 写道：", ">"-quoted lines and the "-- " signature
delimiter (RFC 3676 §4.3).
"""

from __future__ import annotations

import re

# A line that starts the quoted history: everything from it on is dropped.
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(?:original message|original|原始邮件|原始郵件|邮件原件|郵件原件|回复的原邮件"
    r"|reply message)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_UNDERSCORE_RULE = re.compile(r"^\s*_{10,}\s*$")
_HEADER_FROM = re.compile(r"^\s*\*?(?:from|发件人|發件人|寄件者)\*?\s*[:：]", re.IGNORECASE)
_HEADER_FOLLOWER = re.compile(
    r"^\s*\*?(?:sent|date|to|subject|发送时间|發送時間|日期|时间|時間|收件人|主题|主旨|寄件日期"
    r"|cc|抄送)\*?\s*[:：]",
    re.IGNORECASE,
)
_HEADER_ON_ONE_LINE = re.compile(
    r"^\s*(?:from|发件人|發件人)\s*[:：].+\b(?:sent|date)\s*[:：]|^\s*(?:发件人|發件人)\s*[:：].+"
    r"(?:发送时间|發送時間|日期|时间)\s*[:：]",
    re.IGNORECASE,
)
# Attribution lines: "On <date>, <name> wrote:", "在 <date>，<name> 写道：",
# "<name> 于 <date> 写道：".
_ATTRIBUTION = re.compile(
    r"^\s*(?:on\b.*\bwrote|le\b.*\ba écrit|am\b.*\bschrieb.*|.*(?:写道|寫道))\s*[:：]\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^\s*(?:on\b|在|于|於|le\b|am\b)", re.IGNORECASE)
_SIGNATURE = re.compile(r"^-- ?$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:sent from my \w+.*|sent from (?:outlook|mail) for \w+.*|get outlook for \w+.*"
    r"|发自我的\s*\S+|來自我的\s*\S+|从我的\s*\S+\s*发送)\s*$",
    re.IGNORECASE,
)
_HEADER_LOOKAHEAD = 6
# Marker lines are short; longer lines are never markers, which also bounds regex backtracking.
_MAX_MARKER_LINE = 400


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _is_header_block(lines: list[str], index: int) -> bool:
    """An Outlook-style "From: … / Sent: … / To: …" block starts at ``index``."""
    if len(lines[index]) > _MAX_MARKER_LINE:
        return False
    if _HEADER_ON_ONE_LINE.match(lines[index]):
        return True
    if not _HEADER_FROM.match(lines[index]):
        return False
    followers = [line for line in lines[index + 1 : index + 1 + _HEADER_LOOKAHEAD] if line.strip()]
    matched = sum(1 for line in followers[:4] if _HEADER_FOLLOWER.match(line))
    return matched >= 2


def _attribution_length(lines: list[str], index: int) -> int:
    """Number of lines (1 or 2, 0 if none) of an attribution starting at ``index``.

    Gmail wraps long "On … wrote:" lines, so two joined lines are tried as well.
    """
    if len(lines[index]) > _MAX_MARKER_LINE:
        return 0
    if _ATTRIBUTION.match(lines[index]):
        return 1
    if (
        index + 1 < len(lines)
        and len(lines[index + 1]) <= _MAX_MARKER_LINE
        and _ATTRIBUTION_START.match(lines[index])
        and _ATTRIBUTION.match(lines[index].rstrip() + " " + lines[index + 1].strip())
    ):
        return 2
    return 0


def _followed_by_quote(lines: list[str], index: int) -> bool:
    for line in lines[index:]:
        if line.strip():
            return line.lstrip().startswith(">")
    return False


def _cut_index(lines: list[str]) -> tuple[int, set[int]]:
    """Return (index where quoted history starts, indices of attribution lines to drop)."""
    dropped: set[int] = set()
    for index, line in enumerate(lines):
        if _SIGNATURE.match(line) or _SEPARATOR.match(line) or _is_header_block(lines, index):
            return index, dropped
        if _UNDERSCORE_RULE.match(line) and any(
            _HEADER_FROM.match(following) for following in lines[index + 1 : index + 3]
        ):
            return index, dropped
        length = _attribution_length(lines, index)
        if length:
            if _followed_by_quote(lines, index + length):
                # Bottom or inline posting: drop the attribution, keep what is not quoted.
                dropped.update(range(index, index + length))
                continue
            return index, dropped
    return len(lines), dropped


def strip_quoted_reply(text: str) -> str:
    """Return the new part of a reply: text before the quoted history, without ">" lines.

    Also drops the signature after a "-- " line and a trailing "Sent from my iPhone" line.
    """
    lines = _lines(text)
    cut, dropped = _cut_index(lines)
    kept = [
        line.rstrip()
        for index, line in enumerate(lines[:cut])
        if index not in dropped and not line.lstrip().startswith(">")
    ]
    while kept and not kept[-1].strip():
        kept.pop()
    if kept and len(kept[-1]) <= _MAX_MARKER_LINE and _MOBILE_SIGNATURE.match(kept[-1]):
        kept.pop()
    while kept and not kept[-1].strip():
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept)
