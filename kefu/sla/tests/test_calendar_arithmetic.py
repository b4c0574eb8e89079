"""Hand-computed business-time cases: lunch breaks, weekends, holidays and make-up days,
midnight spans, daylight-saving changes, multi-week targets, starts outside working hours."""

import datetime as dt

import numpy as np
import pytest

from kefu.sla.calendar import (
    add_business_time,
    add_business_time_many,
    business_seconds_between_many,
    business_time_between,
    is_working_time,
    next_working_instant,
)

from .sample_calendars import (
    ALWAYS_OPEN,
    LONDON_EDGES,
    LONDON_NIGHT,
    NEW_YORK_OFFICE,
    SHANGHAI_NIGHT,
    SHANGHAI_OFFICE,
    local,
    utc,
)

H = dt.timedelta(hours=1)
MIN = dt.timedelta(minutes=1)
SH = SHANGHAI_OFFICE

# (name, calendar, start, duration, expected due in UTC)
CASES = [
    # Mon 14 Sep 2026 11:00 +08: 1 h to 12:00, lunch until 13:30, 1 h more -> 14:30 +08.
    ("lunch break", SH, local(SH, 2026, 9, 14, 11), 2 * H, utc(2026, 9, 14, 6, 30)),
    # Ends exactly at 12:00: the due is the end of the morning span, not 13:30.
    ("due at end of span", SH, local(SH, 2026, 9, 14, 11), H, utc(2026, 9, 14, 4)),
    # Fri 11 Sep 17:00: 1 h on Friday, then Monday 09:00-10:00.
    ("weekend", SH, local(SH, 2026, 9, 11, 17), 2 * H, utc(2026, 9, 14, 2)),
    # Wed 30 Sep 17:00: 1 h, then 1-7 October off, Thu 8 Oct 09:00-10:00.
    ("national day holidays", SH, local(SH, 2026, 9, 30, 17), 2 * H, utc(2026, 10, 8, 2)),
    # Fri 9 Oct 17:00: 1 h, then make-up Saturday 10 Oct 09:00-11:00.
    ("make-up saturday", SH, local(SH, 2026, 10, 9, 17), 3 * H, utc(2026, 10, 10, 3)),
    # Sat 19 Sep 20:00 (weekend): make-up Sunday 20 Sep with Monday's spans, 09:00-10:00.
    ("make-up sunday", SH, local(SH, 2026, 9, 19, 20), H, utc(2026, 9, 20, 2)),
    # Sat 12 Sep 10:00 is outside hours: counting starts Mon 09:00.
    ("start on weekend", SH, local(SH, 2026, 9, 12, 10), H, utc(2026, 9, 14, 2)),
    # 12:30 is lunch: counting starts 13:30.
    ("start in lunch", SH, local(SH, 2026, 9, 14, 12, 30), 30 * MIN, utc(2026, 9, 14, 6)),
    # Three working weeks (3 x 37.5 h) from Mon 2 Nov 09:00 end Fri 20 Nov 18:00 exactly.
    ("three weeks", SH, local(SH, 2026, 11, 2, 9), 112.5 * H, utc(2026, 11, 20, 10)),
    (
        "three weeks + 1 min",
        SH,
        local(SH, 2026, 11, 2, 9),
        112.5 * H + MIN,
        utc(2026, 11, 23, 1, 1),
    ),
    # Mon 21 Sep 09:00 + 112.5 h: 21-25 Sep 37.5, 28-30 Sep 22.5 (60), 8-9 Oct 15 (75),
    # Sat 10 Oct 7.5 (82.5), Mon-Thu 12-15 Oct 30 (112.5) -> Thu 15 Oct 18:00 +08.
    (
        "three weeks over national day",
        SH,
        local(SH, 2026, 9, 21, 9),
        112.5 * H,
        utc(2026, 10, 15, 10),
    ),
    # Night shift: Fri 18 Sep 23:00 -> Sat 06:00 is 7 h, next span Mon 21 Sep 22:00 -> 23:00.
    ("midnight span", SHANGHAI_NIGHT, local(SH, 2026, 9, 18, 23), 8 * H, utc(2026, 9, 21, 15)),
    # Start Sat 03:00 lies in Friday's span (it belongs to the day it starts).
    ("start in overnight part", SHANGHAI_NIGHT, local(SH, 2026, 9, 19, 3), H, utc(2026, 9, 18, 20)),
    # Mon 21 Sep 22:00 + 9 h: Monday night 8 h (runs into holiday Tuesday), Tuesday night off,
    # Wednesday 22:00 + 1 h.
    (
        "holiday after night span",
        SHANGHAI_NIGHT,
        local(SH, 2026, 9, 21, 22),
        9 * H,
        utc(2026, 9, 23, 15),
    ),
    # London spring forward (29 Mar 2026 01:00 UTC): Sat 22:00 GMT -> Sun 06:00 BST is 7 h real;
    # the 8th hour is Sun 22:00-23:00 BST = 21:00-22:00 UTC.
    (
        "london spring",
        LONDON_NIGHT,
        local(LONDON_NIGHT, 2026, 3, 28, 22),
        8 * H,
        utc(2026, 3, 29, 22),
    ),
    # London fall back (25 Oct 2026 01:00 UTC): Sat 22:00 BST (21:00 UTC) -> Sun 06:00 GMT is 9 h.
    (
        "london autumn 8.5h",
        LONDON_NIGHT,
        local(LONDON_NIGHT, 2026, 10, 24, 22),
        8.5 * H,
        utc(2026, 10, 25, 5, 30),
    ),
    (
        "london autumn 9h",
        LONDON_NIGHT,
        local(LONDON_NIGHT, 2026, 10, 24, 22),
        9 * H,
        utc(2026, 10, 25, 6),
    ),
    # New York: Sunday 8 Mar 2026 00:00-12:00 EST/EDT is 11 h; Sat 7 Mar 12:00 + 11 h ends at
    # Sun 12:00 EDT = 16:00 UTC.
    (
        "new york spring",
        NEW_YORK_OFFICE,
        local(NEW_YORK_OFFICE, 2026, 3, 7, 12),
        11 * H,
        utc(2026, 3, 8, 16),
    ),
    # Sunday 1 Nov 2026 00:00 EDT + 13 h = 12:00 EST = 17:00 UTC (the day is 13 h long).
    (
        "new york autumn",
        NEW_YORK_OFFICE,
        local(NEW_YORK_OFFICE, 2026, 11, 1),
        13 * H,
        utc(2026, 11, 1, 17),
    ),
    # Thu 2 Jul 17:00 EDT + 1 h: 30 min to 17:30, Fri 3 Jul holiday, Sat off, then
    # Sun 5 Jul 00:00-00:30 EDT = 04:30 UTC.
    (
        "new york holiday",
        NEW_YORK_OFFICE,
        local(NEW_YORK_OFFICE, 2026, 7, 2, 17),
        H,
        utc(2026, 7, 5, 4, 30),
    ),
]


@pytest.mark.parametrize(
    ("calendar", "start", "duration", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_add_business_time_hand_computed(calendar, start, duration, expected):
    due = add_business_time(start, duration, calendar)
    assert due == expected
    assert due.utcoffset() == dt.timedelta(0)
    assert business_time_between(start, due, calendar) == duration
    vectorised = add_business_time_many([start.timestamp()], [duration.total_seconds()], calendar)
    assert vectorised[0] == expected.timestamp()


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected_hours"),
    [
        # Wed 30 Sep 09:00 -> Fri 9 Oct 09:00 +08: 30 Sep and 8 Oct, 7.5 h each.
        (SH, local(SH, 2026, 9, 30, 9), local(SH, 2026, 10, 9, 9), 15),
        # A whole Monday-Sunday ordinary week is 37.5 h; one with make-up Sunday adds 7.5 h.
        (SH, local(SH, 2026, 11, 2), local(SH, 2026, 11, 9), 37.5),
        (SH, local(SH, 2026, 9, 14), local(SH, 2026, 9, 21), 45),
        # Saturday's London night in spring is 7 h, in autumn 9 h.
        (
            LONDON_NIGHT,
            local(LONDON_NIGHT, 2026, 3, 28, 21),
            local(LONDON_NIGHT, 2026, 3, 29, 7),
            7,
        ),
        (
            LONDON_NIGHT,
            local(LONDON_NIGHT, 2026, 10, 24, 21),
            local(LONDON_NIGHT, 2026, 10, 25, 7),
            9,
        ),
        # New York Sunday 00:00-12:00 wall clock on the two change days.
        (
            NEW_YORK_OFFICE,
            local(NEW_YORK_OFFICE, 2026, 3, 8),
            local(NEW_YORK_OFFICE, 2026, 3, 8, 13),
            11,
        ),
        (
            NEW_YORK_OFFICE,
            local(NEW_YORK_OFFICE, 2026, 11, 1),
            local(NEW_YORK_OFFICE, 2026, 11, 1, 13),
            13,
        ),
        # 52 weeks of London nights around both changes: 364 nights x 8 h (one -1 h, one +1 h).
        (
            LONDON_NIGHT,
            local(LONDON_NIGHT, 2026, 1, 5, 12),
            local(LONDON_NIGHT, 2027, 1, 4, 12),
            364 * 8,
        ),
        # End before start: zero.
        (SH, local(SH, 2026, 9, 15), local(SH, 2026, 9, 14), 0),
    ],
)
def test_business_time_between_hand_computed(calendar, start, end, expected_hours):
    assert business_time_between(start, end, calendar) == dt.timedelta(hours=expected_hours)
    seconds = business_seconds_between_many([start.timestamp()], [end.timestamp()], calendar)
    assert seconds[0] == expected_hours * 3600


def test_spring_gap_span_starts_at_the_jump():
    # A span 01:30-03:00 on 29 March 2026 in London: 01:30 does not exist (01:00 GMT jumps to
    # 02:00 BST), so the span runs from the jump (01:00 UTC) to 03:00 BST (02:00 UTC): 1 h.
    calendar = LONDON_NIGHT.from_dict(
        {"timezone": "Europe/London", "weekly": {"sun": [["01:30", "03:00"]]}}
    )
    start = utc(2026, 3, 28)
    assert business_time_between(start, utc(2026, 3, 30), calendar) == H
    assert add_business_time(start, dt.timedelta(0), calendar) == utc(2026, 3, 29, 1)
    assert business_time_between(start, utc(2026, 3, 23), calendar) == dt.timedelta(0)
    assert business_time_between(utc(2026, 3, 21), utc(2026, 3, 23), calendar) == 1.5 * H


def test_spans_in_the_repeated_and_skipped_hours():
    # Sunday 00:30-01:15 and 01:30-03:00 in London. Spring (29 Mar 2026): 00:30 GMT until the
    # jump at 01:00 UTC, then the jump until 03:00 BST = 02:00 UTC: 0.5 h + 1 h, touching.
    # Autumn (25 Oct 2026): repeated wall times take their first (BST) occurrence, so
    # 00:30-01:15 BST is 45 min and 01:30 BST (00:30 UTC) to 03:00 GMT is 2.5 h.
    sunday = {"spring": (2026, 3, 29), "autumn": (2026, 10, 25)}
    expected = {"spring": 1.5 * H, "autumn": 3.25 * H}
    for season, (year, month, day) in sunday.items():
        start = local(LONDON_EDGES, year, month, day, 0, 20)
        end = start + 5 * H
        assert business_time_between(start, end, LONDON_EDGES) == expected[season]
    spring_due = add_business_time(local(LONDON_EDGES, 2026, 3, 29, 0, 20), 45 * MIN, LONDON_EDGES)
    assert spring_due == utc(2026, 3, 29, 1, 15)
    autumn_due = add_business_time(local(LONDON_EDGES, 2026, 10, 25, 0, 20), H, LONDON_EDGES)
    assert autumn_due == utc(2026, 10, 25, 0, 45)  # 45 min, gap 01:15-01:30 BST, 15 min


def test_start_outside_hours_and_zero_duration():
    monday_lunch = local(SH, 2026, 9, 14, 12, 30)
    assert next_working_instant(monday_lunch, SH) == utc(2026, 9, 14, 5, 30)
    inside = local(SH, 2026, 9, 14, 10, 15)
    assert next_working_instant(inside, SH) == inside
    # Spans are half-open: 12:00 itself is not working time.
    noon = local(SH, 2026, 9, 14, 12)
    assert not is_working_time(noon, SH)
    assert is_working_time(noon - dt.timedelta(microseconds=1), SH)
    assert add_business_time(noon, dt.timedelta(0), SH) == utc(2026, 9, 14, 5, 30)
    # Holiday and weekend starts.
    assert next_working_instant(local(SH, 2026, 10, 3, 10), SH) == utc(2026, 10, 8, 1)
    assert not is_working_time(local(SH, 2026, 10, 2, 10), SH)
    assert is_working_time(local(SH, 2026, 10, 10, 10), SH)  # make-up Saturday


def test_night_span_belongs_to_the_day_it_starts():
    assert is_working_time(local(SH, 2026, 9, 19, 5, 59), SHANGHAI_NIGHT)  # Friday's night
    assert not is_working_time(local(SH, 2026, 9, 19, 6), SHANGHAI_NIGHT)
    assert not is_working_time(local(SH, 2026, 9, 19, 23), SHANGHAI_NIGHT)  # Saturday: off
    assert is_working_time(local(SH, 2026, 9, 22, 3), SHANGHAI_NIGHT)  # Monday's, into holiday
    assert not is_working_time(local(SH, 2026, 9, 22, 23), SHANGHAI_NIGHT)  # holiday's own
    assert next_working_instant(local(SH, 2026, 9, 20, 5), SHANGHAI_NIGHT) == utc(2026, 9, 21, 14)


def test_always_open_is_plain_timedelta_arithmetic():
    start = dt.datetime(2026, 3, 29, 0, 30, tzinfo=LONDON_NIGHT.zone)
    duration = dt.timedelta(days=17, hours=3, microseconds=5)
    # Real (UTC) time: adding to the London wall clock would be an hour off across the change.
    due = add_business_time(start, duration, ALWAYS_OPEN)
    assert due == start.astimezone(dt.UTC) + duration
    assert due - (start + duration) == dt.timedelta(hours=1)
    assert business_time_between(start, due, ALWAYS_OPEN) == duration
    starts = np.array([0.0, 1.5e9])
    np.testing.assert_array_equal(
        add_business_time_many(starts, [10.0, 20.0], ALWAYS_OPEN), starts + np.array([10.0, 20.0])
    )


def test_microseconds_are_exact():
    start = local(SH, 2026, 9, 14, 11, 59) + dt.timedelta(seconds=59, microseconds=999_999)
    due = add_business_time(start, dt.timedelta(microseconds=2), SH)
    assert due == utc(
        2026,
        9,
        14,
        5,
        30,
    ) + dt.timedelta(microseconds=1)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(dt.datetime(2026, 1, 1), H, SH)
    with pytest.raises(ValueError, match="negative"):
        add_business_time(utc(2026, 1, 1), -H, SH)
    with pytest.raises(ValueError, match="negative"):
        add_business_time_many([0.0], [-1.0], SH)
    with pytest.raises(ValueError, match="same length"):
        business_seconds_between_many([0.0, 1.0], [2.0], SH)
