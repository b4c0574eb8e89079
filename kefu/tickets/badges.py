"""Status, priority and SLA badges and short durations for ticket pages (text, never colour
alone).

A `TicketBadges` serves one rendered page: each distinct status and priority badge, and the
translated duration formats, are built once per page rather than once per row (the inbox
shows up to 100 rows, and translating and formatting per row was most of its CPU time).
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kefu.tickets.models import Priority, TicketStatus

STATUS_BADGES = {
    "new": "badge-blue",
    "open": "badge-violet",
    "pending": "badge-amber",
    "on_hold": "badge-neutral",
    "solved": "badge-green",
    "closed": "badge-neutral",
}
PRIORITY_BADGES = {
    "low": "badge-neutral",
    "normal": "badge-blue",
    "high": "badge-amber",
    "urgent": "badge-red",
}
NO_DUE = mark_safe('<span class="muted">—</span>')


def next_due(ticket) -> tuple[str, dt.datetime | None]:
    """The clock that matters now: first response until answered, then resolution."""
    if ticket.status in ("solved", "closed"):
        return "", None
    if ticket.first_response_at is None and ticket.first_response_due_at is not None:
        return "first_response", ticket.first_response_due_at
    return ("resolution", ticket.resolution_due_at) if ticket.resolution_due_at else ("", None)


def local_minute(value: dt.datetime) -> str:
    """'2026-11-13 20:40' in the current time zone (what the `date:'Y-m-d H:i'` filter gives)."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


class TicketBadges:
    """Badges and durations for one page, in the language active when it is made."""

    def __init__(self, now: dt.datetime | None = None) -> None:
        self.now = now or timezone.now()
        self._status: dict[str, SafeString] = {}
        self._priority: dict[str, SafeString] = {}

    @cached_property
    def _texts(self) -> dict[str, str]:
        return {
            "min": _("%(n)d min"),
            "h_min": _("%(h)d h %(m)d min"),
            "h": _("%(h)d h"),
            "d": _("%(d)d d"),
            "overdue": _("Overdue %(t)s"),
            "due_in": _("Due in %(t)s"),
            "first_response": _("First response"),
            "resolution": _("Resolution"),
        }

    def status(self, status: str) -> SafeString:
        badge = self._status.get(status)
        if badge is None:
            label = TicketStatus(status).label if status in TicketStatus.values else status
            badge = self._status[status] = format_html(
                '<span class="badge {} t-status-{}">{}</span>',
                STATUS_BADGES.get(status, "badge-neutral"),
                status,
                label,
            )
        return badge

    def priority(self, priority: str) -> SafeString:
        badge = self._priority.get(priority)
        if badge is None:
            label = Priority(priority).label if priority in Priority.values else priority
            mark = "!! " if priority == "urgent" else "! " if priority == "high" else ""
            badge = self._priority[priority] = format_html(
                '<span class="badge {}">{}{}</span>',
                PRIORITY_BADGES.get(priority, "badge-neutral"),
                mark,
                label,
            )
        return badge

    def duration(self, delta: dt.timedelta) -> str:
        """'35 min', '3 h 2 min', '20 h', '4 d' (the sign is ignored)."""
        texts = self._texts
        minutes = int(abs(delta.total_seconds()) // 60)
        if minutes < 60:
            return texts["min"] % {"n": minutes}
        hours = minutes // 60
        if hours < 10:
            return texts["h_min"] % {"h": hours, "m": minutes % 60}
        if hours < 48:
            return texts["h"] % {"h": hours}
        return texts["d"] % {"d": hours // 24}

    def ago(self, value: dt.datetime | None) -> str:
        """How long before now, short: '5 min', '3 h 2 min', '4 d'."""
        return "" if value is None else self.duration(self.now - value)

    def sla(self, ticket) -> SafeString:
        """'Due in 35 min' / 'Overdue 2 h' as a badge; amber within an hour, red when breached."""
        which, due = next_due(ticket)
        if due is None:
            return NO_DUE
        texts = self._texts
        delta = due - self.now
        text = self.duration(delta)
        if delta.total_seconds() <= 0:
            css, shown = "badge-red", texts["overdue"] % {"t": text}
        elif delta <= dt.timedelta(hours=1):
            css, shown = "badge-amber", texts["due_in"] % {"t": text}
        else:
            css, shown = "badge-neutral", texts["due_in"] % {"t": text}
        return format_html(
            '<span class="badge {}" title="{}: {}">{}</span>',
            css,
            texts["first_response" if which == "first_response" else "resolution"],
            local_minute(due),
            shown,
        )

    def due_text(self, due: dt.datetime | None) -> str:
        """A due time with how far away it is, for the SLA box on the ticket page."""
        if due is None:
            return "—"
        delta = due - self.now
        when = local_minute(due)
        if delta.total_seconds() <= 0:
            return _("%(when)s (overdue %(t)s)") % {"when": when, "t": self.duration(delta)}
        return _("%(when)s (in %(t)s)") % {"when": when, "t": self.duration(delta)}
