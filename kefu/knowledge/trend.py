"""Weekly counts for problem-record trends — pure numpy, no Django imports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np


def week_start(day: dt.date) -> dt.date:
    """The Monday of `day`'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


def weekly_counts(
    days: Sequence[dt.date], *, end: dt.date, max_weeks: int = 52, min_weeks: int = 8
) -> tuple[list[dt.date], np.ndarray]:
    """(Mondays, counts): how many of `days` fall in each week from the first one's week (at
    least `min_weeks`, at most `max_weeks` back) to `end`'s week. Days outside are ignored."""
    last = week_start(end)
    first = week_start(min(days)) if len(days) else last
    weeks = (last - first).days // 7 + 1
    weeks = int(min(max(weeks, min_weeks), max_weeks))
    first = last - dt.timedelta(weeks=weeks - 1)
    ordinal = np.array([d.toordinal() for d in days], dtype=np.int64)
    index = (ordinal - first.toordinal()) // 7
    index = index[(index >= 0) & (index < weeks)]
    counts = np.bincount(index, minlength=weeks)
    return [first + dt.timedelta(weeks=i) for i in range(weeks)], counts
