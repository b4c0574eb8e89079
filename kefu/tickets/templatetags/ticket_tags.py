"""Template helpers for ticket pages: status, priority and SLA badges (text, never colour alone).

The badges come from `kefu.tickets.badges`; one `TicketBadges` serves a whole render, so a
status shown many times (recent tickets, an incident's affected tickets) is built once.
"""

from __future__ import annotations

from django import template

from kefu.tickets.badges import TicketBadges

register = template.Library()


def _badges(context, now=None) -> TicketBadges:
    """The render's badges (made on first use; a different `now` gets its own)."""
    cache = context.render_context
    key = ("kefu.tickets.badges", now)
    badges = cache.get(key)
    if badges is None:
        badges = cache[key] = TicketBadges(now)
    return badges


@register.simple_tag(takes_context=True)
def status_badge(context, status: str) -> str:
    return _badges(context).status(status)


@register.simple_tag(takes_context=True)
def priority_badge(context, priority: str) -> str:
    return _badges(context).priority(priority)


@register.simple_tag(takes_context=True)
def sla_badge(context, ticket, now=None) -> str:
    """'Reply in 35 min' / 'Overdue 2 h' as a badge; amber within an hour, red when breached."""
    return _badges(context, now).sla(ticket)


@register.simple_tag(takes_context=True)
def due_text(context, due, now=None) -> str:
    """A due time with how far away it is, for the SLA box on the ticket page."""
    return _badges(context, now).due_text(due)


@register.filter
def ago(value) -> str:
    """How long ago, short: '5 min', '3 h 2 min', '4 d'."""
    return TicketBadges().ago(value)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
