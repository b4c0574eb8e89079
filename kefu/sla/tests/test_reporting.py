"""Report figures against a hand-computed small case (pure: no database)."""

import datetime as dt

from kefu.sla.reporting import summarise

T = dt.datetime(2026, 9, 14, 3, 0, tzinfo=dt.UTC)


def test_compliance_and_time_distribution_by_hand():
    rows = [
        ("Standard", "first_response", T, None, 30 * 60),  # met in time
        ("Standard", "first_response", T, None, 60 * 60),  # met in time
        ("Standard", "first_response", T, T, 150 * 60),  # met late
        ("Standard", "first_response", None, None, 10 * 60),  # still running in time
        ("Standard", "first_response", None, T, 200 * 60),  # running, breached
        ("VIP", "resolution", None, None, 5 * 60),  # nothing decided yet
    ]
    standard, vip = summarise(rows)
    # achieved 2, breached 2 → 50 %; met times 30, 60, 150 min: median 60,
    # p90 at rank 0.9 × (3 − 1) = 1.8 → 60 + 0.8 × (150 − 60) = 132.
    assert standard == {
        "group": "Standard",
        "target": "first_response",
        "total": 5,
        "achieved": 2,
        "breached": 2,
        "open": 1,
        "compliance": 50.0,
        "median_minutes": 60.0,
        "p90_minutes": 132.0,
    }
    assert vip["compliance"] is None and vip["median_minutes"] is None and vip["open"] == 1


def test_period_groups_by_iso_week_in_local_time():
    shanghai = dt.timezone(dt.timedelta(hours=8))
    sunday_late_utc = dt.datetime(2026, 9, 13, 17, 0, tzinfo=dt.UTC)  # Monday 01:00 in Shanghai
    rows = [(sunday_late_utc, "resolution", T, None, 60.0)]
    (row,) = summarise(rows, group_by="period", zone=shanghai)
    assert row["group"] == "2026-W38"
    assert summarise([]) == []


def test_durations_read_in_hours_below_a_hundred():
    from django.utils import translation

    from kefu.sla.selectors import format_duration

    with translation.override("en"):
        assert format_duration(59 * 60 + 59) == "59 min"
        assert format_duration(37.5 * 3600) == "37 h 30 min"
        assert format_duration(120 * 3600) == "5 d 0 h"
