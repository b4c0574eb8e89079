"""Holiday lists from CSV (date,kind[,name]) and iCalendar (RFC 5545 VEVENT) files.

Both return ``HolidayEntry`` rows; ``apply_holiday_entries`` folds them into a calendar. Errors
name the line and the reason, e.g. ``line 4: unknown kind 'off' (expected holiday or workday)``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .model import BusinessCalendar, MakeUpDay, _

HolidayKind = Literal["holiday", "workday"]

_HOLIDAY_WORDS = {"holiday", "节假日", "假日", "休", "放假"}
_WORKDAY_WORDS = {"workday", "make-up", "makeup", "补班", "调休上班", "上班", "班"}
_ICS_WORKDAY_MARKERS = ("补班", "调休上班", "workday", "make-up")


@dataclass(frozen=True)
class HolidayEntry:
    """One dated line of a holiday file."""

    date: dt.date
    kind: HolidayKind
    name: str = ""


def _decode(text: str | bytes) -> str:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = text.decode("gb18030")
            except UnicodeDecodeError:
                raise ValueError(_("The file is neither UTF-8 nor GB18030 text")) from None
    return text.removeprefix("\ufeff")


def _line_error(line: int, reason: str) -> ValueError:
    return ValueError(_("line {line}: {reason}").format(line=line, reason=reason))


def _check_conflicts(entries: list[tuple[int, HolidayEntry]]) -> list[HolidayEntry]:
    seen: dict[dt.date, tuple[int, HolidayEntry]] = {}
    result: list[HolidayEntry] = []
    for line, entry in entries:
        earlier = seen.get(entry.date)
        if earlier is not None:
            if earlier[1].kind != entry.kind:
                raise _line_error(
                    line,
                    _("{date} is a {kind} here but a {other} on line {earlier}").format(
                        date=entry.date.isoformat(),
                        kind=entry.kind,
                        other=earlier[1].kind,
                        earlier=earlier[0],
                    ),
                )
            continue
        seen[entry.date] = (line, entry)
        result.append(entry)
    return sorted(result, key=lambda entry: entry.date)


def _parse_csv_date(value: str, line: int) -> dt.date:
    cleaned = value.strip().replace("/", "-")
    if len(cleaned) == 8 and cleaned.isdigit():
        cleaned = f"{cleaned[:4]}-{cleaned[4:6]}-{cleaned[6:]}"
    try:
        return dt.date.fromisoformat(cleaned)
    except ValueError:
        raise _line_error(
            line, _("invalid date {value!r} (expected YYYY-MM-DD)").format(value=value)
        ) from None


def parse_holiday_csv(text: str | bytes) -> list[HolidayEntry]:
    """Entries of a ``date,kind[,name]`` CSV (kind holiday|workday; header row optional;
    UTF-8, UTF-8 with BOM or GB18030 bytes; blank lines and ``#`` comments skipped)."""
    rows: list[tuple[int, HolidayEntry]] = []
    reader = csv.reader(io.StringIO(_decode(text)))
    for row in reader:
        line = reader.line_num
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if len(rows) == 0 and row[0].strip().lower() in ("date", "日期"):
            continue
        if len(row) < 2:
            raise _line_error(line, _("expected date,kind[,name]"))
        if len(row) > 3:
            raise _line_error(line, _("too many columns (expected date,kind[,name])"))
        date = _parse_csv_date(row[0], line)
        kind_text = row[1].strip().lower()
        if kind_text in _HOLIDAY_WORDS:
            kind: HolidayKind = "holiday"
        elif kind_text in _WORKDAY_WORDS:
            kind = "workday"
        else:
            raise _line_error(
                line,
                _("unknown kind {kind!r} (expected holiday or workday)").format(kind=row[1]),
            )
        name = row[2].strip() if len(row) == 3 else ""
        rows.append((line, HolidayEntry(date, kind, name)))
    return _check_conflicts(rows)


def _unfold_ics(text: str) -> list[tuple[int, str]]:
    """Content lines with the number of the physical line each starts on (RFC 5545 §3.1)."""
    lines: list[tuple[int, str]] = []
    for number, physical in enumerate(text.splitlines(), start=1):
        if physical[:1] in (" ", "\t") and lines:
            lines[-1] = (lines[-1][0], lines[-1][1] + physical[1:])
        elif physical.strip():
            lines.append((number, physical))
    return lines


def _ics_date(value: str, parameters: str, line: int, name: str) -> dt.date:
    value = value.strip()
    if "T" in value or (parameters and "VALUE=DATE" not in parameters.upper()):
        raise _line_error(
            line,
            _("{name} must be an all-day date (VALUE=DATE), got {value!r}").format(
                name=name, value=value
            ),
        )
    if len(value) != 8 or not value.isdigit():
        raise _line_error(
            line,
            _("invalid {name} date {value!r} (expected YYYYMMDD)").format(name=name, value=value),
        )
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise _line_error(
            line, _("invalid {name} date {value!r}").format(name=name, value=value)
        ) from None


def _unescape_ics_text(value: str) -> str:
    return (
        value.replace("\\n", " ").replace("\\N", " ").replace("\\,", ",").replace("\\;", ";")
    ).replace("\\\\", "\\")


def parse_holiday_ics(text: str | bytes) -> list[HolidayEntry]:
    """Entries of an iCalendar file: each all-day VEVENT covers DTSTART up to (not including)
    DTEND; a SUMMARY containing 补班/调休上班/workday marks make-up days, else holidays."""
    entries: list[tuple[int, HolidayEntry]] = []
    event: dict[str, tuple[int, str, str]] | None = None
    event_line = 0
    for line, content in _unfold_ics(_decode(text)):
        name_part, separator, value = content.partition(":")
        if not separator:
            raise _line_error(line, _("expected NAME:VALUE"))
        name, _semicolon, parameters = name_part.partition(";")
        name = name.strip().upper()
        if name == "BEGIN" and value.strip().upper() == "VEVENT":
            if event is not None:
                raise _line_error(line, _("VEVENT inside another VEVENT"))
            event, event_line = {}, line
        elif name == "END" and value.strip().upper() == "VEVENT":
            if event is None:
                raise _line_error(line, _("END:VEVENT without BEGIN:VEVENT"))
            entries.extend(_event_entries(event, event_line))
            event = None
        elif event is not None and name in ("DTSTART", "DTEND", "SUMMARY", "DURATION"):
            event[name] = (line, parameters, value)
    if event is not None:
        raise _line_error(event_line, _("VEVENT is not closed by END:VEVENT"))
    return _check_conflicts(entries)


def _event_entries(
    event: dict[str, tuple[int, str, str]], event_line: int
) -> list[tuple[int, HolidayEntry]]:
    if "DTSTART" not in event:
        raise _line_error(event_line, _("VEVENT has no DTSTART"))
    line, parameters, value = event["DTSTART"]
    first = _ics_date(value, parameters, line, "DTSTART")
    if "DTEND" in event:
        end_line, end_parameters, end_value = event["DTEND"]
        end = _ics_date(end_value, end_parameters, end_line, "DTEND")
        if end <= first:
            raise _line_error(end_line, _("DTEND must be after DTSTART"))
    elif "DURATION" in event:
        end_line, _parameters, duration = event["DURATION"]
        text = duration.strip().upper()
        if not (text.startswith("P") and text.endswith("D") and text[1:-1].isdigit()):
            raise _line_error(end_line, _("DURATION must be whole days, e.g. P3D"))
        end = first + dt.timedelta(days=int(text[1:-1]))
        if end <= first:
            raise _line_error(end_line, _("DURATION must be at least one day"))
    else:
        end = first + dt.timedelta(days=1)  # RFC 5545 §3.6.1: an all-day event lasts one day
    summary = _unescape_ics_text(event["SUMMARY"][2]).strip() if "SUMMARY" in event else ""
    lowered = summary.lower()
    kind: HolidayKind = (
        "workday" if any(marker in lowered for marker in _ICS_WORKDAY_MARKERS) else "holiday"
    )
    return [
        (line, HolidayEntry(first + dt.timedelta(days=offset), kind, summary))
        for offset in range((end - first).days)
    ]


def apply_holiday_entries(
    calendar: BusinessCalendar, entries: Iterable[HolidayEntry]
) -> BusinessCalendar:
    """Calendar with the entries added: holidays, and workdays as make-up days (default spans)."""
    entries = list(entries)
    return calendar.with_special_days(
        holidays=tuple(entry.date for entry in entries if entry.kind == "holiday"),
        makeup_days=tuple(MakeUpDay(entry.date) for entry in entries if entry.kind == "workday"),
    )
