"""Cells for CSV/Excel exports that a spreadsheet will not run as formulas (CSV injection).

A text cell starting with = + - @ tab or carriage return is read by Excel, LibreOffice and
WPS as a formula (`=cmd|' /C calc'!A0`, `=HYPERLINK(...)`), so it gets a leading apostrophe,
as OWASP's "CSV Injection" page recommends. Numbers, dates and None pass unchanged (a negative
*number* is not text); openpyxl would otherwise store such a string as a live formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value`, with an apostrophe in front when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """safe_cell applied to every cell of a row."""
    return [safe_cell(v) for v in values]
