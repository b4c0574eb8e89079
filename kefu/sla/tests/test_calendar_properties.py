"""Hypothesis properties: add/between are inverse, due times sit in working spans, monotonicity,
additivity, and the vectorised tables agree exactly with the scalar day walker."""

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.sla.calendar import (
    BusinessCalendar,
    add_business_time,
    add_business_time_many,
    business_seconds_between_many,
    business_time_between,
    is_working_time,
)

from .sample_calendars import ALL_CALENDARS

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
FIRST = int(dt.datetime(2025, 6, 1, tzinfo=dt.UTC).timestamp())
LAST = int(dt.datetime(2027, 12, 31, tzinfo=dt.UTC).timestamp())
WEEK = 7 * 86_400

calendars = st.sampled_from(sorted(ALL_CALENDARS)).map(ALL_CALENDARS.__getitem__)
# Clock changes in London (01:00 UTC) and New York (07:00 / 06:00 UTC) in 2026 and 2027.
CLOCK_CHANGES = [
    int(dt.datetime(*moment, tzinfo=dt.UTC).timestamp())
    for moment in [
        (2026, 3, 29, 1),
        (2026, 10, 25, 1),
        (2027, 3, 28, 1),
        (2027, 10, 31, 1),
        (2026, 3, 8, 7),
        (2026, 11, 1, 6),
        (2027, 3, 14, 7),
        (2027, 11, 7, 6),
    ]
]
near_clock_changes = st.tuples(
    st.sampled_from(CLOCK_CHANGES), st.integers(-3 * 86_400, 3 * 86_400)
).map(sum)
instants = st.one_of(st.integers(FIRST, LAST), near_clock_changes)
# Short durations, exact multiples of a working week (week skipping), and long ones.
durations = st.one_of(
    st.integers(0, 12 * 3600),
    st.integers(0, 6).map(lambda weeks: weeks * 37 * 3600 + 1800),
    st.integers(0, 30 * 8 * 3600),
)


def at(seconds: int) -> dt.datetime:
    return EPOCH + dt.timedelta(seconds=seconds)


def epoch(moment: dt.datetime) -> int:
    return (moment - EPOCH) // dt.timedelta(seconds=1)


@settings(max_examples=150, deadline=None)
@given(calendars, instants, durations)
def test_between_inverts_add(calendar: BusinessCalendar, start: int, duration: int) -> None:
    due = add_business_time(at(start), dt.timedelta(seconds=duration), calendar)
    assert due >= at(start)
    assert business_time_between(at(start), due, calendar) == dt.timedelta(seconds=duration)


@settings(max_examples=150, deadline=None)
@given(calendars, instants, durations)
def test_due_is_inside_or_at_end_of_a_span(
    calendar: BusinessCalendar, start: int, duration: int
) -> None:
    due = add_business_time(at(start), dt.timedelta(seconds=duration), calendar)
    if duration == 0:
        assert is_working_time(due, calendar)
    else:
        assert is_working_time(due - dt.timedelta(microseconds=1), calendar)


@settings(max_examples=100, deadline=None)
@given(calendars, instants, durations, durations)
def test_monotonic_in_duration(
    calendar: BusinessCalendar, start: int, first: int, second: int
) -> None:
    shorter, longer = sorted((first, second))
    due_shorter = add_business_time(at(start), dt.timedelta(seconds=shorter), calendar)
    due_longer = add_business_time(at(start), dt.timedelta(seconds=longer), calendar)
    assert due_shorter <= due_longer
    if shorter < longer:
        assert due_shorter < due_longer


@settings(max_examples=100, deadline=None)
@given(calendars, st.lists(instants, min_size=3, max_size=3))
def test_between_is_additive(calendar: BusinessCalendar, points: list[int]) -> None:
    a, b, c = sorted(points)
    whole = business_time_between(at(a), at(c), calendar)
    parts = business_time_between(at(a), at(b), calendar) + business_time_between(
        at(b), at(c), calendar
    )
    assert whole == parts
    assert dt.timedelta(0) <= whole <= at(c) - at(a)


@settings(max_examples=60, deadline=None)
@given(calendars, st.lists(st.tuples(instants, durations), min_size=1, max_size=25))
def test_vectorised_add_equals_scalar(
    calendar: BusinessCalendar, pairs: list[tuple[int, int]]
) -> None:
    starts = np.array([start for start, _ in pairs], dtype=np.float64)
    lengths = np.array([duration for _, duration in pairs], dtype=np.float64)
    vectorised = add_business_time_many(starts, lengths, calendar)
    scalar = [
        epoch(add_business_time(at(start), dt.timedelta(seconds=duration), calendar))
        for start, duration in pairs
    ]
    np.testing.assert_array_equal(vectorised, np.array(scalar, dtype=np.float64))


@settings(max_examples=60, deadline=None)
@given(calendars, st.lists(st.tuples(instants, instants), min_size=1, max_size=25))
def test_vectorised_between_equals_scalar(
    calendar: BusinessCalendar, pairs: list[tuple[int, int]]
) -> None:
    starts = np.array([start for start, _ in pairs], dtype=np.float64)
    ends = np.array([end for _, end in pairs], dtype=np.float64)
    vectorised = business_seconds_between_many(starts, ends, calendar)
    scalar = [
        business_time_between(at(start), at(end), calendar).total_seconds() for start, end in pairs
    ]
    np.testing.assert_array_equal(vectorised, np.array(scalar))


@settings(max_examples=40, deadline=None)
@given(instants, st.integers(0, 400 * 86_400))
def test_always_open_equals_timedelta(start: int, duration: int) -> None:
    calendar = ALL_CALENDARS["always_open"]
    due = add_business_time(at(start), dt.timedelta(seconds=duration), calendar)
    assert due == at(start) + dt.timedelta(seconds=duration)
    assert add_business_time_many([start], [duration], calendar)[0] == start + duration


def test_table_grows_for_far_future_and_past() -> None:
    calendar = BusinessCalendar.from_dict(ALL_CALENDARS["shanghai_office"].to_dict())
    far = [epoch(dt.datetime(2031, 5, 5, 10, tzinfo=dt.UTC)), FIRST - 3 * 365 * 86_400]
    long = [37.5 * 3600 * 60, 3600.0]  # 60 working weeks: the table must extend forward
    expected = [
        epoch(add_business_time(at(start), dt.timedelta(seconds=seconds), calendar))
        for start, seconds in zip(far, long, strict=True)
    ]
    np.testing.assert_array_equal(add_business_time_many(far, long, calendar), expected)
    assert len(calendar._cache["table"].starts) > 0
    assert calendar._cache["table"].first_day.year == 2022
