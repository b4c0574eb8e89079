"""Template helpers of the quality pages: plotly charts and KPI values in their unit."""

from __future__ import annotations

import math

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


@register.simple_tag
def quality_chart(figure_json: str, element_id: str, label: str = ""):
    """A chart container plus its figure as inert JSON; quality/charts.js draws it."""
    data = mark_safe(str(figure_json).translate(_ESCAPES))
    return format_html(
        '<div class="q-chart" id="{}" role="img" aria-label="{}"></div>'
        '<script type="application/json" data-plotly-for="{}">{}</script>',
        element_id,
        label,
        element_id,
        data,
    )


@register.filter
def kpi_value(value, unit: str) -> str:
    """A KPI in its unit: durations as h/min/s, rates with %, counts whole."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    value = float(value)
    if unit == "s":
        if value >= 3600:
            return f"{int(value // 3600)} h {int(value % 3600 // 60):02d} min"
        if value >= 60:
            return f"{int(value // 60)} min {int(value % 60):02d} s"
        return f"{value:.0f} s"
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "amount":
        return f"¥{value:,.2f}"
    return f"{value:.1f}"


@register.filter
def value_of(row: dict, key: str):
    return row.get(key)
