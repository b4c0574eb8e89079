"""SLA timer arithmetic over a ticket's stored status history (pure, no Django).

The clock state is a function of stored timestamps and ``now`` only, so a worker that restarts
and recomputes gets the same answer. The clock runs while the ticket is in a status that neither
pauses nor stops it; elapsed time is working time on the calendar (business targets) or real
time (calendar-time targets).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kefu.sla.calendar import BusinessCalendar, add_business_time, business_time_between

BREACH = math.inf
"""Threshold value that fires only once the target is breached (see ``fired_thresholds``)."""

_ZERO = dt.timedelta(0)


def _(message: str) -> str:
    return message


@dataclass(frozen=True)
class SlaTarget:
    """A commitment: ``duration`` of business time (or of real time when ``business_time`` is
    False). Statuses in ``pause_statuses`` pause the clock, ``stop_statuses`` stop it."""

    duration: dt.timedelta
    business_time: bool = True
    pause_statuses: frozenset[str] = frozenset({"pending"})
    stop_statuses: frozenset[str] = frozenset({"solved", "closed"})

    def __post_init__(self) -> None:
        if self.duration < _ZERO:
            raise ValueError(_("An SLA target cannot be negative"))
        if self.pause_statuses & self.stop_statuses:
            raise ValueError(_("A status cannot both pause and stop the SLA clock"))


@dataclass(frozen=True)
class StatusInterval:
    """The ticket was in ``status`` from ``start`` until ``end`` (None: still is)."""

    start: dt.datetime
    end: dt.datetime | None
    status: str


@dataclass(frozen=True)
class ClockState:
    """Where an SLA clock stands at ``now``.

    ``due_at`` is the breach deadline; while paused it is the deadline if the clock resumed now,
    and it is None once the clock stopped short of the target. ``remaining`` is never negative.
    """

    due_at: dt.datetime | None
    elapsed: dt.timedelta
    remaining: dt.timedelta
    paused: bool
    stopped: bool
    paused_intervals: tuple[tuple[dt.datetime, dt.datetime | None], ...]
    breached: bool
    breached_at: dt.datetime | None
    percent_elapsed: float


HistoryRow = StatusInterval | tuple[dt.datetime, dt.datetime | None, str]


def _as_intervals(history: Iterable[HistoryRow]) -> list[StatusInterval]:
    intervals = [
        row if isinstance(row, StatusInterval) else StatusInterval(row[0], row[1], row[2])
        for row in history
    ]
    for index, row in enumerate(intervals):
        if row.start.utcoffset() is None or (row.end is not None and row.end.utcoffset() is None):
            raise ValueError(_("Status history timestamps must be timezone-aware"))
        if row.end is not None and row.end < row.start:
            raise ValueError(_("A status interval ends before it starts"))
        if row.end is None and index != len(intervals) - 1:
            raise ValueError(_("Only the last status interval may be open"))
        if index and row.start < intervals[index - 1].end:  # type: ignore[operator]
            raise ValueError(_("Status intervals overlap or are out of order"))
    return intervals


def evaluate_clock(
    target: SlaTarget,
    history: Iterable[HistoryRow],
    now: dt.datetime,
    calendar: BusinessCalendar | None = None,
) -> ClockState:
    """Clock state at ``now`` from the status history (intervals (start, end|None, status)).

    Breach: the clock is still running at some instant after the deadline (an interval paused or
    stopped exactly at the deadline is met in time).
    """
    if target.business_time and calendar is None:
        raise ValueError(_("A business-time target needs a calendar"))
    if now.utcoffset() is None:
        raise ValueError(_("now must be timezone-aware"))
    now = now.astimezone(dt.UTC)

    def measure(start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        if target.business_time:
            return business_time_between(start, end, calendar)  # type: ignore[arg-type]
        return max(end - start, _ZERO)

    def advance(start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        if target.business_time:
            return add_business_time(start, amount, calendar)  # type: ignore[arg-type]
        return start.astimezone(dt.UTC) + amount

    elapsed = _ZERO
    deadline: dt.datetime | None = None
    breached_at: dt.datetime | None = None
    paused_intervals: list[tuple[dt.datetime, dt.datetime | None]] = []
    current_status: str | None = None
    for row in _as_intervals(history):
        start = row.start.astimezone(dt.UTC)
        if start > now:
            break
        current_status = row.status
        end = now if row.end is None or row.end > now else row.end.astimezone(dt.UTC)
        if row.status in target.pause_statuses:
            still_paused = row.end is None or row.end > now
            paused_intervals.append((start, None if still_paused else end))
            continue
        if row.status in target.stop_statuses:
            continue
        worked = measure(start, end)
        if deadline is None and elapsed + worked >= target.duration:
            deadline = advance(start, target.duration - elapsed)
        elapsed += worked
        if deadline is not None and breached_at is None and end > max(deadline, start):
            breached_at = max(deadline, start)
    paused = current_status in target.pause_statuses
    stopped = current_status in target.stop_statuses
    remaining = max(target.duration - elapsed, _ZERO)
    if deadline is not None:
        due_at: dt.datetime | None = deadline
    elif stopped or current_status is None:
        due_at = None
    else:
        due_at = advance(now, remaining)
    percent = 100.0 * (elapsed / target.duration) if target.duration > _ZERO else 100.0
    return ClockState(
        due_at=due_at,
        elapsed=elapsed,
        remaining=remaining,
        paused=paused,
        stopped=stopped,
        paused_intervals=tuple(paused_intervals),
        breached=breached_at is not None,
        breached_at=breached_at,
        percent_elapsed=percent,
    )


def fired_thresholds(
    percent_elapsed: float, thresholds: Sequence[float], *, breached: bool = False
) -> tuple[float, ...]:
    """Escalation thresholds reached, ascending: each percentage <= ``percent_elapsed``, and
    ``BREACH`` when ``breached``."""
    fired = []
    for threshold in sorted(set(thresholds)):
        if threshold < 0 or math.isnan(threshold):
            raise ValueError(_("Escalation thresholds must be non-negative percentages"))
        if threshold == BREACH:
            if breached:
                fired.append(threshold)
        elif percent_elapsed >= threshold:
            fired.append(threshold)
    return tuple(fired)
