"""Template helpers of the SLA pages: a ticket's clocks and the report chart."""

from __future__ import annotations

import json

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from kefu.sla import selectors

register = template.Library()

_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


@register.simple_tag
def sla_breach_reasons():
    """(value, label) of the breach reasons, for the ticket page's form."""
    from kefu.sla.models import BreachReason

    return BreachReason.choices


@register.simple_tag
def sla_ticket_clocks(ticket):
    """The ticket's SLA clocks, evaluated now (see selectors.ticket_clocks)."""
    return selectors.ticket_clocks(ticket)


@register.simple_tag
def sla_chart(figure_json: str, element_id: str, label: str = ""):
    """A chart container and its figure as inert JSON; sla/charts.js draws it."""
    if not figure_json:
        return ""
    data = mark_safe(str(figure_json).translate(_ESCAPES))
    return format_html(
        '<div class="sla-chart" id="{}" role="img" aria-label="{}"></div>'
        '<script type="application/json" data-sla-plotly-for="{}">{}</script>',
        element_id,
        label,
        element_id,
        data,
    )


@register.filter
def sla_minutes(value) -> str:
    """Minutes as "2 h 30 min" / "3 d 4 h" (empty for None)."""
    if value is None or value == "":
        return ""
    return selectors.format_duration(float(value) * 60)


@register.filter
def jsonish(value) -> str:
    return json.dumps(value, ensure_ascii=False)
