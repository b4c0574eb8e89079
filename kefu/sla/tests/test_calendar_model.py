"""Calendar construction: JSON round trip and the validation errors."""

import datetime as dt

import pytest

from kefu.sla.calendar import BusinessCalendar, MakeUpDay, WorkingSpan

from .sample_calendars import ALL_CALENDARS, SHANGHAI_OFFICE


def office(**extra):
    data = {"timezone": "Asia/Shanghai", "weekly": {"mon": [["09:00", "18:00"]]}}
    data.update(extra)
    return BusinessCalendar.from_dict(data)


@pytest.mark.parametrize("name", sorted(ALL_CALENDARS))
def test_json_round_trip(name):
    calendar = ALL_CALENDARS[name]
    assert BusinessCalendar.from_dict(calendar.to_dict()) == calendar
    assert hash(BusinessCalendar.from_dict(calendar.to_dict())) == hash(calendar)


def test_spans_and_special_days():
    assert SHANGHAI_OFFICE.nominal_week_seconds == 37.5 * 3600
    assert SHANGHAI_OFFICE.spans_on(dt.date(2026, 10, 1)) == ()  # holiday
    monday = SHANGHAI_OFFICE.spans_on(dt.date(2026, 9, 14))
    assert [span.to_pair() for span in monday] == [["09:00", "12:00"], ["13:30", "18:00"]]
    assert SHANGHAI_OFFICE.spans_on(dt.date(2026, 9, 20)) == monday  # make-up Sunday
    assert SHANGHAI_OFFICE.spans_on(dt.date(2026, 9, 19)) == ()  # ordinary Saturday
    night = WorkingSpan.parse("22:00", "06:00")
    assert night.crosses_midnight and night.nominal_seconds == 8 * 3600
    full_day = WorkingSpan.parse("00:00", "24:00")
    assert not full_day.crosses_midnight and full_day.nominal_seconds == 86_400


def test_makeup_default_spans():
    calendar = office(makeup_days=["2026-10-10"], makeup_spans=[["10:00", "16:00"]])
    assert calendar.spans_on(dt.date(2026, 10, 10)) == (WorkingSpan.parse("10:00", "16:00"),)
    assert calendar.makeup_days == (MakeUpDay(dt.date(2026, 10, 10)),)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"weekly": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}},
            "Monday 09:00–12:00 and Monday 11:00–13:00 overlap",
        ),
        ({"weekly": {"mon": [["09:00", "09:00"]]}}, "same start and end"),
        (
            {"weekly": {"mon": [["22:00", "06:00"]], "tue": [["05:00", "09:00"]]}},
            "Monday 22:00–06:00 and Tuesday 05:00–09:00 overlap",
        ),
        (
            {"weekly": {"sun": [["22:00", "06:00"]], "mon": [["05:30", "09:00"]]}},
            "overlap",
        ),
        ({"timezone": "Mars/Olympus_Mons"}, "Unknown time zone 'Mars/Olympus_Mons'"),
        (
            {"holidays": ["2026-10-10"], "makeup_days": ["2026-10-10"]},
            "2026-10-10 is both a holiday and a make-up working day",
        ),
        ({"weekly": {}}, "at least one weekly working span"),
        ({"weekly": {"caturday": [["09:00", "10:00"]]}}, "Unknown weekday 'caturday'"),
        ({"weekly": {"mon": [["9am", "10:00"]]}}, "Invalid time '9am'"),
        ({"weekly": {"mon": [["24:00", "10:00"]]}}, "cannot start at 24:00"),
        ({"holidays": ["2026-02-30"]}, "invalid date '2026-02-30'"),
        ({"always_open": True, "holidays": ["2026-10-01"]}, "24×7 calendar takes no"),
        ({"colour": "red"}, "Unknown calendar keys: colour"),
        (
            # Sunday make-up day working Monday's 00:00-24:00 after Saturday's night span.
            {
                "weekly": {"mon": [["00:00", "24:00"]], "sat": [["20:00", "02:00"]]},
                "makeup_days": [{"date": "2026-10-11", "as_weekday": "mon"}],
            },
            "2026-10-10 20:00–02:00 and 2026-10-11 00:00–24:00 overlap",
        ),
    ],
)
def test_validation_errors(data, message):
    full = {"timezone": "Asia/Shanghai", "weekly": {"mon": [["09:00", "18:00"]]}, **data}
    with pytest.raises(ValueError, match=message):
        BusinessCalendar.from_dict(full)


def test_touching_spans_are_allowed():
    calendar = BusinessCalendar.from_dict(
        {
            "timezone": "UTC",
            "weekly": {"mon": [["22:00", "24:00"]], "tue": [["00:00", "06:00"]]},
        }
    )
    assert calendar.nominal_week_seconds == 8 * 3600


def test_with_special_days_revalidates():
    calendar = office(holidays=["2026-10-01"])
    with pytest.raises(ValueError, match="both a holiday"):
        calendar.with_special_days(makeup_days=(MakeUpDay(dt.date(2026, 10, 1)),))
