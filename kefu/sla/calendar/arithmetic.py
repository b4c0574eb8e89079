"""Scalar business-time arithmetic: walk the calendar day by day, skipping ordinary weeks whole.

Exact to the microsecond. The vectorised functions in ``vectorised.py`` compute the same answers
from precomputed interval tables; the tests check both agree.
"""

from __future__ import annotations

import datetime as dt

from .model import SECONDS_PER_DAY, BusinessCalendar, _

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECONDS = 1_000_000
_ONE_SECOND = dt.timedelta(seconds=1)
_ONE_MICROSECOND = dt.timedelta(microseconds=1)
_ONE_DAY = dt.timedelta(days=1)

Interval = tuple[int, int]


def _epoch_seconds_of(moment: dt.datetime) -> int:
    return (moment - EPOCH) // _ONE_SECOND


def _local_wall(epoch_seconds: int, calendar: BusinessCalendar) -> dt.datetime:
    moment = EPOCH + dt.timedelta(seconds=epoch_seconds)
    return moment.astimezone(calendar.zone).replace(tzinfo=None)


def wall_to_epoch(day: dt.date, seconds_after_midnight: int, calendar: BusinessCalendar) -> int:
    """Epoch seconds of a local wall time; repeated times take the first occurrence (fold=0),
    times skipped by a spring-forward jump map to the instant of the jump."""
    extra_days, seconds = divmod(seconds_after_midnight, SECONDS_PER_DAY)
    wall = dt.datetime.combine(day + dt.timedelta(days=extra_days), dt.time()) + dt.timedelta(
        seconds=seconds
    )
    candidate = _epoch_seconds_of(wall.replace(tzinfo=calendar.zone))
    if _local_wall(candidate, calendar) == wall:
        return candidate
    # Inside a gap: fold=1 reads the wall time with the later offset and lands before the jump,
    # fold=0 lands after it; bisect for the first instant whose wall time is >= ``wall``.
    low = _epoch_seconds_of(wall.replace(tzinfo=calendar.zone, fold=1))
    high = candidate
    while high - low > 1:
        middle = (low + high) // 2
        if _local_wall(middle, calendar) >= wall:
            high = middle
        else:
            low = middle
    return high


def local_midnight(day: dt.date, calendar: BusinessCalendar) -> int:
    """Epoch seconds of 00:00 local time on ``day``."""
    cache = calendar._cache.setdefault("midnight", {})
    value = cache.get(day)
    if value is None:
        value = cache[day] = wall_to_epoch(day, 0, calendar)
    return value


def day_intervals(day: dt.date, calendar: BusinessCalendar) -> tuple[Interval, ...]:
    """Working intervals (epoch seconds, half-open) of the spans that start on local ``day``."""
    cache = calendar._cache.setdefault("days", {})
    intervals = cache.get(day)
    if intervals is None:
        found = []
        for span in calendar.spans_on(day):
            start = wall_to_epoch(day, span.start, calendar)
            end = wall_to_epoch(day, span.end_offset, calendar)
            if end > start:  # a span wholly inside a spring-forward gap has no real time
                found.append((start, end))
        intervals = cache[day] = tuple(found)
    return intervals


def _is_ordinary_week(first_day: dt.date, calendar: BusinessCalendar) -> bool:
    """True when the 7 days from ``first_day`` work exactly ``nominal_week_seconds``."""
    cache = calendar._cache.setdefault("ordinary_week", {})
    ordinary = cache.get(first_day)
    if ordinary is None:
        zone = calendar.zone
        ordinary = not calendar.has_special_day_between(first_day, first_day + 6 * _ONE_DAY)
        if ordinary:
            # Spans of the 7th day may run into the 8th: no clock change through its midnight.
            offsets = {
                zone.utcoffset(dt.datetime.combine(first_day + k * _ONE_DAY, dt.time()))
                for k in range(9)
            }
            ordinary = len(offsets) == 1
        cache[first_day] = ordinary
    return ordinary


def _to_microseconds(moment: dt.datetime, name: str) -> int:
    if not isinstance(moment, dt.datetime) or moment.utcoffset() is None:
        raise ValueError(_("{name} must be a timezone-aware datetime").format(name=name))
    return (moment - EPOCH) // _ONE_MICROSECOND


def _from_microseconds(value: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=value)


def _duration_microseconds(duration: dt.timedelta) -> int:
    value = duration // _ONE_MICROSECOND
    if value < 0:
        raise ValueError(_("A duration cannot be negative"))
    return value


def _first_day(instant_us: int, calendar: BusinessCalendar) -> dt.date:
    """Local date before the one holding ``instant_us``: its spans may run past midnight."""
    local = _from_microseconds(instant_us).astimezone(calendar.zone)
    return local.date() - _ONE_DAY


def add_microseconds(start_us: int, duration_us: int, calendar: BusinessCalendar) -> int:
    """Epoch microseconds when ``duration_us`` of working time has elapsed after ``start_us``."""
    if calendar.always_open:
        return start_us + duration_us
    week_us = calendar.nominal_week_seconds * MICROSECONDS
    day = _first_day(start_us, calendar)
    cursor = start_us
    remaining = duration_us
    while True:
        if (
            remaining > week_us
            and cursor <= local_midnight(day, calendar) * MICROSECONDS
            and _is_ordinary_week(day, calendar)
        ):
            remaining -= week_us
            day += 7 * _ONE_DAY
            continue
        for start, end in day_intervals(day, calendar):
            span_start = max(start * MICROSECONDS, cursor)
            span_end = end * MICROSECONDS
            if span_end <= span_start:
                continue
            if span_end - span_start >= remaining:
                return span_start + remaining
            remaining -= span_end - span_start
            cursor = span_end
        day += _ONE_DAY


def between_microseconds(start_us: int, end_us: int, calendar: BusinessCalendar) -> int:
    """Working microseconds in [start_us, end_us); 0 when end_us <= start_us."""
    if end_us <= start_us:
        return 0
    if calendar.always_open:
        return end_us - start_us
    week_us = calendar.nominal_week_seconds * MICROSECONDS
    day = _first_day(start_us, calendar)
    cursor = start_us
    total = 0
    while True:
        midnight = local_midnight(day, calendar) * MICROSECONDS
        if midnight >= end_us:
            return total
        if (
            cursor <= midnight
            and local_midnight(day + 8 * _ONE_DAY, calendar) * MICROSECONDS <= end_us
            and _is_ordinary_week(day, calendar)
        ):
            total += week_us
            day += 7 * _ONE_DAY
            continue
        for start, end in day_intervals(day, calendar):
            span_start = max(start * MICROSECONDS, cursor)
            span_end = min(end * MICROSECONDS, end_us)
            if span_end > span_start:
                total += span_end - span_start
                cursor = span_end
        day += _ONE_DAY


def add_business_time(
    start: dt.datetime, duration: dt.timedelta, calendar: BusinessCalendar
) -> dt.datetime:
    """UTC instant when ``duration`` of working time has elapsed after ``start``.

    A start outside working hours counts from the next working instant; a zero duration returns
    that instant. The answer lies inside a working span or at its end.
    """
    start_us = _to_microseconds(start, "start")
    return _from_microseconds(
        add_microseconds(start_us, _duration_microseconds(duration), calendar)
    )


def business_time_between(
    start: dt.datetime, end: dt.datetime, calendar: BusinessCalendar
) -> dt.timedelta:
    """Working time in [start, end) (zero when end <= start)."""
    start_us = _to_microseconds(start, "start")
    end_us = _to_microseconds(end, "end")
    return dt.timedelta(microseconds=between_microseconds(start_us, end_us, calendar))


def next_working_instant(instant: dt.datetime, calendar: BusinessCalendar) -> dt.datetime:
    """``instant`` itself (in UTC) if it is working time, else the start of the next span."""
    return add_business_time(instant, dt.timedelta(0), calendar)


def is_working_time(instant: dt.datetime, calendar: BusinessCalendar) -> bool:
    """True when ``instant`` lies in a working span (spans are half-open: the end is not)."""
    instant_us = _to_microseconds(instant, "instant")
    if calendar.always_open:
        return True
    day = _first_day(instant_us, calendar)
    for offset in range(3):
        for start, end in day_intervals(day + offset * _ONE_DAY, calendar):
            if start * MICROSECONDS <= instant_us < end * MICROSECONDS:
                return True
    return False
