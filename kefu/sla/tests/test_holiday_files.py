"""Holiday CSV and iCalendar import: encodings, ranges, make-up days and line-numbered errors."""

import datetime as dt

import pytest

from kefu.sla.calendar import (
    HolidayEntry,
    add_business_time,
    apply_holiday_entries,
    parse_holiday_csv,
    parse_holiday_ics,
)

from .sample_calendars import OFFICE_SPANS, WEEKDAYS, local, utc

CSV_TEXT = """date,kind,name
2026-10-01,holiday,国庆节
2026-10-02,holiday,国庆节

# make-up working days
2026-09-20,workday,国庆节补班
2026-10-10,补班,国庆节补班
"""

ICS_TEXT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//holidays//CN
BEGIN:VEVENT
UID:national-day-2026
DTSTART;VALUE=DATE:20261001
DTEND;VALUE=DATE:20261008
SUMMARY:国庆节
 （休）
END:VEVENT
BEGIN:VEVENT
UID:makeup-1
DTSTART;VALUE=DATE:20260920
SUMMARY:国庆节补班
END:VEVENT
BEGIN:VEVENT
UID:makeup-2
DTSTART;VALUE=DATE:20261010
DURATION:P1D
SUMMARY:National Day workday
END:VEVENT
END:VCALENDAR
"""


def test_csv_in_three_encodings():
    expected = [
        HolidayEntry(dt.date(2026, 9, 20), "workday", "国庆节补班"),
        HolidayEntry(dt.date(2026, 10, 1), "holiday", "国庆节"),
        HolidayEntry(dt.date(2026, 10, 2), "holiday", "国庆节"),
        HolidayEntry(dt.date(2026, 10, 10), "workday", "国庆节补班"),
    ]
    assert parse_holiday_csv(CSV_TEXT) == expected
    assert parse_holiday_csv(CSV_TEXT.encode("utf-8")) == expected
    assert parse_holiday_csv(CSV_TEXT.encode("utf-8-sig")) == expected
    assert parse_holiday_csv(CSV_TEXT.encode("gb18030")) == expected
    assert parse_holiday_csv("\ufeff" + CSV_TEXT) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "date,kind\n2026-10-01,holiday\n2026-13-01,holiday\n",
            "line 3: invalid date '2026-13-01'",
        ),
        ("2026-10-01,off\n", "line 1: unknown kind 'off' \\(expected holiday or workday\\)"),
        ("2026-10-01\n", "line 1: expected date,kind"),
        ("2026-10-01,holiday,a,b\n", "line 1: too many columns"),
        (
            "2026-10-01,holiday\n\n2026-10-01,workday\n",
            "line 3: 2026-10-01 is a workday here but a holiday on line 1",
        ),
    ],
)
def test_csv_errors_name_the_line(text, message):
    with pytest.raises(ValueError, match=message):
        parse_holiday_csv(text)


def test_csv_rejects_undecodable_bytes():
    with pytest.raises(ValueError, match="neither UTF-8 nor GB18030"):
        parse_holiday_csv(b"2026-10-01,holiday,\xff\xff\xff")


def test_ics_ranges_and_makeup_days():
    entries = parse_holiday_ics(ICS_TEXT)
    holidays = [entry.date for entry in entries if entry.kind == "holiday"]
    workdays = [entry.date for entry in entries if entry.kind == "workday"]
    # DTEND is exclusive: 1-7 October.
    assert holidays == [dt.date(2026, 10, day) for day in range(1, 8)]
    assert workdays == [dt.date(2026, 9, 20), dt.date(2026, 10, 10)]
    assert entries[1].name == "国庆节（休）"  # folded SUMMARY line joined
    assert parse_holiday_ics(ICS_TEXT.replace("\n", "\r\n").encode("utf-8-sig")) == entries


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "BEGIN:VEVENT\nDTSTART:20261001T090000\nEND:VEVENT\n",
            "line 2: DTSTART must be an all-day date",
        ),
        (
            "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20261001\nDTEND;VALUE=DATE:20261001\nEND:VEVENT\n",
            "line 3: DTEND must be after DTSTART",
        ),
        ("BEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n", "line 1: VEVENT has no DTSTART"),
        ("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20261001\n", "line 1: VEVENT is not closed"),
        ("BEGIN:VEVENT\nDTSTART;VALUE=DATE:2026101\nEND:VEVENT\n", "line 2: invalid DTSTART"),
        ("BEGIN:VCALENDAR\nnonsense\n", "line 2: expected NAME:VALUE"),
    ],
)
def test_ics_errors_name_the_line(text, message):
    with pytest.raises(ValueError, match=message):
        parse_holiday_ics(text)


def test_imported_holidays_drive_the_arithmetic():
    from kefu.sla.calendar import BusinessCalendar

    plain = BusinessCalendar.from_dict(
        {"timezone": "Asia/Shanghai", "weekly": {day: OFFICE_SPANS for day in WEEKDAYS}}
    )
    calendar = apply_holiday_entries(plain, parse_holiday_ics(ICS_TEXT))
    # Wed 30 Sep 17:00 + 2 h: 1 h, holidays 1-7 Oct, Thu 8 Oct 09:00-10:00 (+08).
    start = local(calendar, 2026, 9, 30, 17)
    assert add_business_time(start, dt.timedelta(hours=2), calendar) == utc(2026, 10, 8, 2)
    # Fri 9 Oct 17:00 + 3 h: make-up Saturday (default = Monday's spans) 09:00-11:00.
    start = local(calendar, 2026, 10, 9, 17)
    assert add_business_time(start, dt.timedelta(hours=3), calendar) == utc(2026, 10, 10, 3)
