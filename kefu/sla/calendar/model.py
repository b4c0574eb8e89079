"""Business calendar model: weekly working spans, holidays, make-up working days, 24×7.

A calendar is a value (frozen, hashable, JSON round-trip via ``from_dict``/``to_dict``). Working
spans are wall-clock times in the calendar's IANA time zone; a span belongs to the local date it
starts on and may cross midnight (22:00–06:00). See docs/sla-calendar.md for the edge rules.
"""

from __future__ import annotations

import datetime as dt
import itertools
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SECONDS_PER_DAY = 86_400
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _(message: str) -> str:
    return message


def _parse_clock_time(text: str, *, allow_24: bool) -> int:
    """Seconds after midnight for ``HH:MM`` or ``HH:MM:SS``; ``24:00`` only as a span end."""
    parts = str(text).strip().split(":")
    if len(parts) not in (2, 3) or not all(part.isdigit() for part in parts):
        raise ValueError(_("Invalid time {text!r}: expected HH:MM").format(text=text))
    hours, minutes = int(parts[0]), int(parts[1])
    seconds = int(parts[2]) if len(parts) == 3 else 0
    if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds)):
        raise ValueError(_("Invalid time {text!r}").format(text=text))
    if hours == 24 and not allow_24:
        raise ValueError(_("A working span cannot start at 24:00"))
    return hours * 3600 + minutes * 60 + seconds


def format_clock_time(seconds: int) -> str:
    """``HH:MM`` (or ``HH:MM:SS`` when seconds are not zero) for seconds after midnight."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


@dataclass(frozen=True, order=True)
class WorkingSpan:
    """Wall-clock working span; ``end <= start`` means it ends on the next day (crosses midnight).

    ``start`` is in [0, 86400) seconds after local midnight, ``end`` in (0, 86400] (86400 = 24:00).
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < SECONDS_PER_DAY or not 0 < self.end <= SECONDS_PER_DAY:
            raise ValueError(_("Working span times must lie between 00:00 and 24:00"))
        if self.start == self.end:
            raise ValueError(
                _("Working span {span} has the same start and end").format(span=self.label)
            )

    @classmethod
    def parse(cls, start: str, end: str) -> WorkingSpan:
        """Span from two ``HH:MM`` strings, e.g. ``WorkingSpan.parse("22:00", "06:00")``."""
        return cls(_parse_clock_time(start, allow_24=False), _parse_clock_time(end, allow_24=True))

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start

    @property
    def end_offset(self) -> int:
        """End in seconds after the midnight that starts the span's own day (may exceed 86400)."""
        return self.end + SECONDS_PER_DAY if self.crosses_midnight else self.end

    @property
    def nominal_seconds(self) -> int:
        """Length on a day without a clock change."""
        return self.end_offset - self.start

    @property
    def label(self) -> str:
        return f"{format_clock_time(self.start)}–{format_clock_time(self.end)}"

    def to_pair(self) -> list[str]:
        return [format_clock_time(self.start), format_clock_time(self.end)]


@dataclass(frozen=True, order=True)
class MakeUpDay:
    """A date that works despite the weekly pattern (调休上班日).

    It uses the spans of weekday ``as_weekday`` (0 = Monday) or, when None, the calendar's
    default make-up spans.
    """

    date: dt.date
    as_weekday: int | None = None


Spans = tuple[WorkingSpan, ...]


def _spans_from_pairs(pairs: Any, what: str) -> Spans:
    if not isinstance(pairs, list | tuple):
        raise ValueError(_("{what}: expected a list of [start, end] pairs").format(what=what))
    spans = []
    for pair in pairs:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError(
                _("{what}: expected [start, end], got {pair!r}").format(what=what, pair=pair)
            )
        spans.append(WorkingSpan.parse(pair[0], pair[1]))
    return tuple(sorted(spans))


def _weekday_index(key: Any) -> int:
    text = str(key).strip().lower()
    for index, (short, name) in enumerate(zip(WEEKDAY_KEYS, WEEKDAY_NAMES, strict=True)):
        if text in (short, name.lower()):
            return index
    raise ValueError(_("Unknown weekday {key!r}: use mon, tue, … sun").format(key=key))


def _parse_date(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(
            _("{what}: invalid date {value!r} (expected YYYY-MM-DD)").format(what=what, value=value)
        ) from None


def _check_no_overlap(segments: list[tuple[int, int, str]]) -> None:
    """Raise if any two (start, end, label) segments on one seconds axis overlap."""
    ordered = sorted(segments)
    for (_start_a, end_a, label_a), (start_b, _end_b, label_b) in itertools.pairwise(ordered):
        if start_b < end_a:
            raise ValueError(
                _("Working spans {first} and {second} overlap").format(
                    first=label_a, second=label_b
                )
            )


@dataclass(frozen=True)
class BusinessCalendar:
    """Working time of one team: weekly spans in a time zone, minus holidays, plus make-up days."""

    timezone: str
    weekly: tuple[Spans, ...] = ((),) * 7
    holidays: tuple[dt.date, ...] = ()
    makeup_days: tuple[MakeUpDay, ...] = ()
    makeup_default_spans: Spans | None = None
    always_open: bool = False
    _cache: dict[str, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(_("Unknown time zone {name!r}").format(name=self.timezone)) from None
        object.__setattr__(self, "weekly", tuple(tuple(sorted(day)) for day in self.weekly))
        object.__setattr__(self, "holidays", tuple(sorted(set(self.holidays))))
        object.__setattr__(self, "makeup_days", tuple(sorted(set(self.makeup_days))))
        if self.makeup_default_spans is not None:
            spans = tuple(sorted(self.makeup_default_spans))
            object.__setattr__(self, "makeup_default_spans", spans)
        self._cache["zone"] = zone
        self._validate()

    # -- validation -------------------------------------------------------------------------

    def _validate(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError(_("A calendar needs spans for exactly 7 weekdays"))
        if self.always_open:
            if any(self.weekly) or self.holidays or self.makeup_days:
                raise ValueError(
                    _("A 24×7 calendar takes no weekly spans, holidays or make-up days")
                )
            return
        if not any(self.weekly):
            raise ValueError(_("A calendar needs at least one weekly working span (or 24×7)"))
        week = 7 * SECONDS_PER_DAY
        segments: list[tuple[int, int, str]] = []
        for weekday, spans in enumerate(self.weekly):
            for span in spans:
                label = f"{WEEKDAY_NAMES[weekday]} {span.label}"
                start = weekday * SECONDS_PER_DAY + span.start
                end = weekday * SECONDS_PER_DAY + span.end_offset
                segments.append((start, min(end, week), label))
                if end > week:  # Sunday night into Monday morning
                    segments.append((0, end - week, label))
        _check_no_overlap(segments)
        _check_no_overlap(
            [(s.start, s.end_offset, f"make-up {s.label}") for s in self.makeup_default_spans or ()]
        )
        holidays = set(self.holidays)
        seen: set[dt.date] = set()
        for makeup in self.makeup_days:
            if makeup.date in holidays:
                raise ValueError(
                    _("{date} is both a holiday and a make-up working day").format(
                        date=makeup.date.isoformat()
                    )
                )
            if makeup.date in seen:
                raise ValueError(
                    _("{date} is listed twice as a make-up day").format(
                        date=makeup.date.isoformat()
                    )
                )
            seen.add(makeup.date)
            if makeup.as_weekday is not None and not 0 <= makeup.as_weekday <= 6:
                raise ValueError(_("Make-up day weekday must be 0 (Monday) … 6 (Sunday)"))
            if not self.spans_on(makeup.date):
                raise ValueError(
                    _("Make-up day {date} has no working spans").format(
                        date=makeup.date.isoformat()
                    )
                )
            # A make-up day sits next to days with other spans: check the three days together.
            neighbours: list[tuple[int, int, str]] = []
            for offset in (-1, 0, 1):
                day = makeup.date + dt.timedelta(days=offset)
                for span in self.spans_on(day):
                    base = (offset + 1) * SECONDS_PER_DAY
                    label = f"{day.isoformat()} {span.label}"
                    neighbours.append((base + span.start, base + span.end_offset, label))
            _check_no_overlap(neighbours)

    # -- queries ----------------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return self._cache["zone"]

    def spans_on(self, day: dt.date) -> Spans:
        """Working spans that start on local date ``day`` (holidays: none; make-up days: theirs)."""
        if self.always_open:
            return (WorkingSpan(0, SECONDS_PER_DAY),)
        special = self._special_days()
        kind = special.get(day)
        if kind is None:
            return self.weekly[day.weekday()]
        if kind == "holiday":
            return ()
        if kind == "default":
            if self.makeup_default_spans is not None:
                return self.makeup_default_spans
            return self.weekly[0]
        return self.weekly[int(kind)]

    def _special_days(self) -> dict[dt.date, str]:
        special = self._cache.get("special")
        if special is None:
            special = {day: "holiday" for day in self.holidays}
            for makeup in self.makeup_days:
                special[makeup.date] = (
                    "default" if makeup.as_weekday is None else str(makeup.as_weekday)
                )
            self._cache["special"] = special
            self._cache["special_sorted"] = sorted(special)
        return special

    def has_special_day_between(self, first: dt.date, last: dt.date) -> bool:
        """True when a holiday or make-up day falls in [first, last]."""
        self._special_days()
        ordered: list[dt.date] = self._cache["special_sorted"]
        index = bisect_left(ordered, first)
        return index < len(ordered) and ordered[index] <= last

    @property
    def nominal_week_seconds(self) -> int:
        """Working seconds of an ordinary week (no holidays, make-up days or clock changes)."""
        if self.always_open:
            return 7 * SECONDS_PER_DAY
        return sum(span.nominal_seconds for spans in self.weekly for span in spans)

    # -- JSON -------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BusinessCalendar:
        """Calendar from its JSON form (see ``to_dict`` and docs/sla-calendar.md)."""
        if not isinstance(data, dict):
            raise ValueError(_("A calendar must be a JSON object"))
        known = {"timezone", "weekly", "holidays", "makeup_days", "makeup_spans", "always_open"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(_("Unknown calendar keys: {keys}").format(keys=", ".join(unknown)))
        if "timezone" not in data:
            raise ValueError(_("A calendar needs a timezone"))
        weekly: list[Spans] = [()] * 7
        weekly_data = data.get("weekly") or {}
        if not isinstance(weekly_data, dict):
            raise ValueError(_("weekly must map weekday names to span lists"))
        for key, pairs in weekly_data.items():
            index = _weekday_index(key)
            weekly[index] = _spans_from_pairs(pairs, WEEKDAY_NAMES[index])
        holidays = tuple(_parse_date(item, "holidays") for item in data.get("holidays") or ())
        makeup_days = []
        for item in data.get("makeup_days") or ():
            if isinstance(item, dict):
                weekday = item.get("as_weekday")
                makeup_days.append(
                    MakeUpDay(
                        _parse_date(item.get("date"), "makeup_days"),
                        None if weekday is None else _weekday_index(weekday),
                    )
                )
            else:
                makeup_days.append(MakeUpDay(_parse_date(item, "makeup_days")))
        default_spans = data.get("makeup_spans")
        return cls(
            timezone=str(data["timezone"]),
            weekly=tuple(weekly),
            holidays=holidays,
            makeup_days=tuple(makeup_days),
            makeup_default_spans=(
                None if default_spans is None else _spans_from_pairs(default_spans, "makeup_spans")
            ),
            always_open=bool(data.get("always_open", False)),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form; ``BusinessCalendar.from_dict(c.to_dict()) == c``."""
        data: dict[str, Any] = {"timezone": self.timezone}
        if self.always_open:
            data["always_open"] = True
            return data
        data["weekly"] = {
            WEEKDAY_KEYS[index]: [span.to_pair() for span in spans]
            for index, spans in enumerate(self.weekly)
            if spans
        }
        data["holidays"] = [day.isoformat() for day in self.holidays]
        data["makeup_days"] = [
            {"date": makeup.date.isoformat()}
            if makeup.as_weekday is None
            else {"date": makeup.date.isoformat(), "as_weekday": WEEKDAY_KEYS[makeup.as_weekday]}
            for makeup in self.makeup_days
        ]
        if self.makeup_default_spans is not None:
            data["makeup_spans"] = [span.to_pair() for span in self.makeup_default_spans]
        return data

    def with_special_days(
        self, holidays: tuple[dt.date, ...] = (), makeup_days: tuple[MakeUpDay, ...] = ()
    ) -> BusinessCalendar:
        """A copy with extra holidays and make-up days (e.g. from a parsed holiday file)."""
        return BusinessCalendar(
            timezone=self.timezone,
            weekly=self.weekly,
            holidays=self.holidays + tuple(holidays),
            makeup_days=self.makeup_days + tuple(makeup_days),
            makeup_default_spans=self.makeup_default_spans,
            always_open=self.always_open,
        )
