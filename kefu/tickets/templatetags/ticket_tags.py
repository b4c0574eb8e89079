"""Template helpers for ticket pages: status, priority and SLA badges (text, never colour alone)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from kefu.tickets.models import Priority, TicketStatus

register = template.Library()

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


@register.simple_tag
def status_badge(status: str) -> str:
    label = TicketStatus(status).label if status in TicketStatus.values else status
    return format_html(
        '<span class="badge {} t-status-{}">{}</span>',
        STATUS_BADGES.get(status, "badge-neutral"),
        status,
        label,
    )


@register.simple_tag
def priority_badge(priority: str) -> str:
    label = Priority(priority).label if priority in Priority.values else priority
    mark = "!! " if priority == "urgent" else "! " if priority == "high" else ""
    return format_html(
        '<span class="badge {}">{}{}</span>',
        PRIORITY_BADGES.get(priority, "badge-neutral"),
        mark,
        label,
    )


def _duration(delta: dt.timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours = minutes // 60
    if hours < 10:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes % 60}
    if hours < 48:
        return _("%(h)d h") % {"h": hours}
    return _("%(d)d d") % {"d": hours // 24}


def next_due(ticket) -> tuple[str, dt.datetime | None]:
    """The clock that matters now: first response until answered, then resolution."""
    if ticket.status in ("solved", "closed"):
        return "", None
    if ticket.first_response_at is None and ticket.first_response_due_at is not None:
        return "first_response", ticket.first_response_due_at
    return ("resolution", ticket.resolution_due_at) if ticket.resolution_due_at else ("", None)


@register.simple_tag
def sla_badge(ticket, now=None) -> str:
    """'Reply in 35 min' / 'Overdue 2 h' as a badge; amber within an hour, red when breached."""
    which, due = next_due(ticket)
    if due is None:
        return mark_safe('<span class="muted">—</span>')
    now = now or timezone.now()
    delta = due - now
    text = _duration(delta)
    label = _("First response") if which == "first_response" else _("Resolution")
    if delta.total_seconds() <= 0:
        css, shown = "badge-red", _("Overdue %(t)s") % {"t": text}
    elif delta <= dt.timedelta(hours=1):
        css, shown = "badge-amber", _("Due in %(t)s") % {"t": text}
    else:
        css, shown = "badge-neutral", _("Due in %(t)s") % {"t": text}
    return format_html(
        '<span class="badge {}" title="{}: {}">{}</span>',
        css,
        label,
        timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
        shown,
    )


@register.simple_tag
def due_text(due, now=None) -> str:
    """A due time with how far away it is, for the SLA box on the ticket page."""
    if due is None:
        return "—"
    now = now or timezone.now()
    delta = due - now
    when = timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
    if delta.total_seconds() <= 0:
        return _("%(when)s (overdue %(t)s)") % {"when": when, "t": _duration(delta)}
    return _("%(when)s (in %(t)s)") % {"when": when, "t": _duration(delta)}


@register.filter
def ago(value) -> str:
    """How long ago, short: '5 min', '3 h 2 min', '4 d'."""
    if value is None:
        return ""
    return _duration(timezone.now() - value)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
