"""The pure weekly-count core (no database)."""

import datetime as dt

import numpy as np

from kefu.knowledge.trend import week_start, weekly_counts


def test_week_start_is_monday():
    assert week_start(dt.date(2026, 12, 6)) == dt.date(2026, 11, 30)  # a Sunday
    assert week_start(dt.date(2026, 11, 30)) == dt.date(2026, 11, 30)


def test_weekly_counts_by_hand():
    days = [
        dt.date(2026, 11, 2),  # week of 11-02
        dt.date(2026, 11, 8),  # same week (Sunday)
        dt.date(2026, 11, 16),  # week of 11-16
        dt.date(2026, 12, 1),  # week of 11-30
        dt.date(2026, 12, 1),
    ]
    weeks, counts = weekly_counts(days, end=dt.date(2026, 12, 2), min_weeks=1)
    assert weeks == [
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 9),
        dt.date(2026, 11, 16),
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 30),
    ]
    assert counts.tolist() == [2, 0, 1, 0, 2]


def test_weekly_counts_pads_and_caps():
    weeks, counts = weekly_counts([], end=dt.date(2026, 12, 2), min_weeks=8)
    assert len(weeks) == 8 and counts.sum() == 0
    old = [dt.date(2020, 1, 1), dt.date(2026, 12, 1)]
    weeks, counts = weekly_counts(old, end=dt.date(2026, 12, 2), max_weeks=4)
    assert len(weeks) == 4 and counts.tolist() == [0, 0, 0, 1]  # the 2020 ticket is cut off
    assert isinstance(counts, np.ndarray)
