"""Business calendars and business-time arithmetic for SLA timers (pure, no Django).

``add_business_time`` / ``business_time_between`` are exact scalar walkers;
``add_business_time_many`` / ``business_seconds_between_many`` are their vectorised twins.
"""

from .arithmetic import (
    add_business_time,
    business_time_between,
    is_working_time,
    next_working_instant,
)
from .holiday_files import (
    HolidayEntry,
    apply_holiday_entries,
    parse_holiday_csv,
    parse_holiday_ics,
)
from .model import BusinessCalendar, MakeUpDay, WorkingSpan
from .vectorised import add_business_time_many, business_seconds_between_many

__all__ = [
    "BusinessCalendar",
    "HolidayEntry",
    "MakeUpDay",
    "WorkingSpan",
    "add_business_time",
    "add_business_time_many",
    "apply_holiday_entries",
    "business_seconds_between_many",
    "business_time_between",
    "is_working_time",
    "next_working_instant",
    "parse_holiday_csv",
    "parse_holiday_ics",
]
