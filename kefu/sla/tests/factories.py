"""Factories for SLA tests: calendars and policies through the services, like real callers."""

from __future__ import annotations

import itertools

from kefu.sla import services

_n = itertools.count(1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE_SPANS = [["09:00", "12:00"], ["13:30", "18:00"]]


def office_calendar(name: str = "", **fields):
    fields.setdefault("timezone", "Asia/Shanghai")
    fields.setdefault("weekly", {day: OFFICE_SPANS for day in WEEKDAYS})
    fields.setdefault("holidays", [f"2026-10-0{day}" for day in range(1, 8)])
    fields.setdefault("makeup_days", ["2026-09-20", {"date": "2026-10-10", "as_weekday": "fri"}])
    return services.calendar_create(actor=None, name=name or f"Office {next(_n)}", **fields)


def always_calendar(name: str = ""):
    return services.calendar_create(
        actor=None, name=name or f"24x7 {next(_n)}", timezone="UTC", always_open=True
    )


def make_policy(calendar, name: str = "", **fields):
    fields.setdefault("first_response_minutes", 120)
    fields.setdefault("resolution_minutes", 16 * 60)
    return services.policy_create(
        actor=None, name=name or f"Policy {next(_n)}", calendar=calendar, **fields
    )
