"""Vectorised business-time arithmetic over precomputed working-interval tables.

Per calendar, the working intervals of a range of local dates are stored as sorted int64 arrays of
epoch seconds with the cumulative working seconds before each interval, so

    worked(t)   = before[k] + min(t, end[k]) - start[k],   k = last interval with start <= t
    due(s, d)   = start[j] + (worked(s) + d - before[j]),  j = first interval with
                                                           before[j] + length[j] >= worked(s) + d

are two ``np.searchsorted`` calls per array (prefix-sum inversion, e.g. Cormen et al.,
*Introduction to Algorithms*, 3rd ed., §2.3 binary search over a monotone array).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .arithmetic import EPOCH, day_intervals, local_midnight
from .model import BusinessCalendar, _

FloatArray = npt.NDArray[np.float64]

_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class IntervalTable:
    """Merged working intervals of local dates [first_day, last_day) as epoch seconds."""

    first_day: dt.date
    last_day: dt.date
    valid_from: int  # queries are exact for instants in [valid_from, valid_until]
    valid_until: int
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    worked_before: npt.NDArray[np.int64]  # working seconds from valid_from to starts[i]
    worked_through: npt.NDArray[np.int64]  # working seconds from valid_from to ends[i]

    @property
    def total(self) -> int:
        return int(self.worked_through[-1]) if len(self.worked_through) else 0


def build_interval_table(
    calendar: BusinessCalendar, first_day: dt.date, last_day: dt.date
) -> IntervalTable:
    """Table of spans starting on local dates [first_day - 1, last_day), touching ones merged."""
    raw: list[tuple[int, int]] = []
    day = first_day - _ONE_DAY  # its spans may run past midnight into first_day
    while day < last_day:
        raw.extend(day_intervals(day, calendar))
        day += _ONE_DAY
    valid_from = local_midnight(first_day, calendar)
    valid_until = local_midnight(last_day, calendar)
    merged: list[list[int]] = []
    for start, end in sorted(raw):
        start = max(start, valid_from)
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pairs = np.array(merged, dtype=np.int64).reshape(-1, 2)
    starts, ends = pairs[:, 0].copy(), pairs[:, 1].copy()
    worked_through = np.cumsum(ends - starts)
    return IntervalTable(
        first_day=first_day,
        last_day=last_day,
        valid_from=valid_from,
        valid_until=valid_until,
        starts=starts,
        ends=ends,
        worked_before=worked_through - (ends - starts),
        worked_through=worked_through,
    )


def _local_date_of(epoch_seconds: float, calendar: BusinessCalendar) -> dt.date:
    moment = EPOCH + dt.timedelta(seconds=float(epoch_seconds))
    return moment.astimezone(calendar.zone).date()


def interval_table(
    calendar: BusinessCalendar, earliest: float, latest: float, worked_after_latest: float = 0.0
) -> IntervalTable:
    """Cached table valid for instants in [earliest, latest] with at least
    ``worked_after_latest`` working seconds after ``latest``; grows (whole years) on demand."""
    table: IntervalTable | None = calendar._cache.get("table")
    while True:
        covers = False
        if table is not None and table.valid_from <= earliest and latest < table.valid_until:
            covers = True
            worked_at_latest = _worked_at(table, np.array([latest], dtype=np.float64))[0]
            if worked_at_latest + worked_after_latest < table.total:
                return table
        latest_day = _local_date_of(latest, calendar)
        first = dt.date(_local_date_of(earliest, calendar).year, 1, 1)
        last = dt.date(latest_day.year + 2, 1, 1)
        if worked_after_latest and calendar.nominal_week_seconds:
            # Nominal weeks plus a margin for holidays.
            weeks = 1.1 * worked_after_latest / calendar.nominal_week_seconds + 2
            last = max(last, latest_day + dt.timedelta(weeks=weeks))
        if table is not None:
            first = min(first, table.first_day)
            if covers and last <= table.last_day:  # holidays ate the margin: double the range
                span_days = (table.last_day - table.first_day).days
                last = table.last_day + dt.timedelta(days=max(span_days, 366))
            last = max(last, table.last_day)
        table = build_interval_table(calendar, first, last)
        calendar._cache["table"] = table


def _worked_at(table: IntervalTable, instants: FloatArray) -> FloatArray:
    """Working seconds from ``table.valid_from`` to each instant."""
    index = np.searchsorted(table.starts, instants, side="right") - 1
    safe = np.maximum(index, 0)
    inside = np.minimum(instants, table.ends[safe]) - table.starts[safe]
    worked = table.worked_before[safe] + inside
    return np.where(index >= 0, worked, 0.0)


def _as_seconds(values: npt.ArrayLike, name: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(_("{name} must be a one-dimensional array").format(name=name))
    if not np.all(np.isfinite(array)):
        raise ValueError(_("{name} must be finite").format(name=name))
    return array


def add_business_time_many(
    starts_epoch_s: npt.ArrayLike, durations_s: npt.ArrayLike, calendar: BusinessCalendar
) -> FloatArray:
    """Due instants (epoch seconds) of ``durations_s`` working seconds after each start;
    equals ``add_business_time`` element-wise (prefix-sum inversion with np.searchsorted)."""
    starts = _as_seconds(starts_epoch_s, "starts_epoch_s")
    durations = _as_seconds(np.atleast_1d(durations_s), "durations_s")
    durations = np.broadcast_to(durations, starts.shape)
    if np.any(durations < 0):
        raise ValueError(_("A duration cannot be negative"))
    if calendar.always_open or starts.size == 0:
        return starts + durations
    table = interval_table(calendar, starts.min(), starts.max(), float(durations.max()))
    target = _worked_at(table, starts) + durations
    index = np.searchsorted(table.worked_through, target, side="left")
    zero = durations == 0
    if zero.any():  # zero durations: the next working instant, not the end of the last span
        index[zero] = np.searchsorted(table.worked_through, target[zero], side="right")
    due = table.starts[index] + (target - table.worked_before[index])
    return np.asarray(due, dtype=np.float64)


def business_seconds_between_many(
    starts_epoch_s: npt.ArrayLike, ends_epoch_s: npt.ArrayLike, calendar: BusinessCalendar
) -> FloatArray:
    """Working seconds in each [start, end) (0 where end <= start); equals
    ``business_time_between`` element-wise."""
    starts = _as_seconds(starts_epoch_s, "starts_epoch_s")
    ends = _as_seconds(ends_epoch_s, "ends_epoch_s")
    if starts.shape != ends.shape:
        raise ValueError(_("starts and ends must have the same length"))
    if calendar.always_open or starts.size == 0:
        return np.maximum(ends - starts, 0.0)
    table = interval_table(calendar, min(starts.min(), ends.min()), max(starts.max(), ends.max()))
    worked = _worked_at(table, ends) - _worked_at(table, starts)
    return np.where(ends > starts, worked, 0.0)
