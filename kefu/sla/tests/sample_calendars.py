"""Calendars shared by the SLA tests (hand-checked definitions, no Django)."""

import datetime as dt

from kefu.sla.calendar import BusinessCalendar

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE_SPANS = [["09:00", "12:00"], ["13:30", "18:00"]]  # 7.5 h a day, 37.5 h a week

# Modelled on China's 2026 National Day arrangement: 1–7 October off, Sunday 20 September and
# Saturday 10 October worked (调休上班). Sunday 20 September uses the default make-up spans
# (Monday's), Saturday 10 October works Friday's spans.
SHANGHAI_OFFICE = BusinessCalendar.from_dict(
    {
        "timezone": "Asia/Shanghai",
        "weekly": {day: OFFICE_SPANS for day in WEEKDAYS},
        "holidays": [f"2026-10-0{day}" for day in range(1, 8)],
        "makeup_days": ["2026-09-20", {"date": "2026-10-10", "as_weekday": "fri"}],
    }
)

# Night shift: each weekday evening 22:00 until 06:00 the next morning; Tuesday 22 September
# 2026 is a holiday (its own night span is off, Monday night's span still runs into it).
SHANGHAI_NIGHT = BusinessCalendar.from_dict(
    {
        "timezone": "Asia/Shanghai",
        "weekly": {day: [["22:00", "06:00"]] for day in WEEKDAYS},
        "holidays": ["2026-09-22"],
    }
)

# Every night 22:00–06:00 in London: the night spanning a clock change is 7 h (spring) or 9 h.
LONDON_NIGHT = BusinessCalendar.from_dict(
    {
        "timezone": "Europe/London",
        "weekly": {day: [["22:00", "06:00"]] for day in (*WEEKDAYS, "sat", "sun")},
    }
)

# New York office with Sunday morning cover 00:00–12:00 (11 h real on 8 March 2026, 13 h on
# 1 November 2026) and a lunch break on weekdays.
NEW_YORK_OFFICE = BusinessCalendar.from_dict(
    {
        "timezone": "America/New_York",
        "weekly": {
            **{day: [["08:30", "12:00"], ["13:00", "17:30"]] for day in WEEKDAYS},
            "sun": [["00:00", "12:00"]],
        },
        "holidays": ["2026-07-03", "2026-11-26", "2026-12-25"],
    }
)

ALWAYS_OPEN = BusinessCalendar.from_dict({"timezone": "UTC", "always_open": True})

# Spans that start or end inside the hour London skips (spring) or repeats (autumn).
LONDON_EDGES = BusinessCalendar.from_dict(
    {
        "timezone": "Europe/London",
        "weekly": {
            **{day: [["09:00", "17:00"]] for day in WEEKDAYS},
            "sat": [["20:00", "00:15"]],
            "sun": [["00:30", "01:15"], ["01:30", "03:00"]],
        },
    }
)

ALL_CALENDARS = {
    "shanghai_office": SHANGHAI_OFFICE,
    "shanghai_night": SHANGHAI_NIGHT,
    "london_night": LONDON_NIGHT,
    "new_york_office": NEW_YORK_OFFICE,
    "always_open": ALWAYS_OPEN,
    "london_edges": LONDON_EDGES,
}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def local(
    calendar: BusinessCalendar, year: int, month: int, day: int, hour: int = 0, minute: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=calendar.zone)
