"""Template helpers of the workforce pages: plotly charts, percentages and durations."""

from __future__ import annotations

import math

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


@register.simple_tag
def plotly_chart(figure_json: str, element_id: str, label: str = ""):
    """A chart container plus its figure as inert JSON; workforce/charts.js draws it."""
    data = mark_safe(str(figure_json).translate(_ESCAPES))
    return format_html(
        '<div class="wf-chart" id="{}" role="img" aria-label="{}"></div>'
        '<script type="application/json" data-plotly-for="{}">{}</script>',
        element_id,
        label,
        element_id,
        data,
    )


def _number(value):
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@register.filter
def pct(value, digits: int = 1):
    """0.8123 → "81.2 %"; empty for missing or infinite values."""
    number = _number(value)
    return "–" if number is None else f"{number * 100:.{int(digits)}f} %"


@register.filter
def num(value, digits: int = 1):
    number = _number(value)
    if number is None:
        return "–" if value is None or value == "" else "∞"
    return f"{number:,.{int(digits)}f}"


@register.filter
def duration(seconds):
    """Seconds → "1 h 05 min", "3 min 20 s" or "45 s"."""
    number = _number(seconds)
    if number is None:
        return "–"
    total = round(number)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def get_index(sequence, index):
    try:
        return sequence[int(index)]
    except (IndexError, TypeError, ValueError):
        return None
