"""Plotly figures of the quality pages, built in Python and embedded as JSON. Each has a
title, axis titles with units and a legend; pages show the same numbers in a table."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
from django.utils.translation import gettext as _

from kefu.quality.kpis import KPI_DEFINITIONS

LAYOUT = {
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "height": 320,
    "legend": {"orientation": "h", "y": -0.25},
    "font": {"family": "-apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif"},
    "paper_bgcolor": "rgba(0,0,0,0)",
}
BLUE, ORANGE, GREEN = "#2563eb", "#d97706", "#15803d"


def unit_label(unit: str) -> str:
    return {
        "s": _("minutes"),
        "%": "%",
        "count": _("tickets"),
        "score": _("points (0–100)"),
        "amount": _("CNY"),
    }[unit]


def display_value(value, unit: str):
    """Seconds are charted in minutes; everything else as is."""
    if value is None:
        return None
    return value / 60 if unit == "s" else value


def kpi_trend_figure(report: pl.DataFrame, code: str, target: float | None) -> str:
    """One KPI per period (one line per level key), with the target as a dashed line."""
    definition = KPI_DEFINITIONS[code]
    figure = go.Figure()
    for _key, rows in report.group_by("level_key", maintain_order=True):
        figure.add_trace(
            go.Scatter(
                x=[d.isoformat() for d in rows["period_start"]],
                y=[display_value(v, definition.unit) for v in rows[code]],
                mode="lines+markers",
                name=rows["level_name"][0],
            )
        )
    if target is not None and report.height:
        figure.add_hline(
            y=display_value(target, definition.unit),
            line={"dash": "dash", "color": ORANGE},
            annotation_text=_("Target"),
        )
    figure.update_layout(
        title=f"{definition.label} ({unit_label(definition.unit)})",
        xaxis_title=_("Period"),
        yaxis_title=unit_label(definition.unit),
        **LAYOUT,
    )
    return figure.to_json()


def radar_figure(axes: list[str], values: list[float], title: str) -> str:
    """Competency profile (0–100) as a radar chart."""
    figure = go.Figure(
        go.Scatterpolar(
            r=[*values, values[0]] if values else [],
            theta=[*axes, axes[0]] if axes else [],
            fill="toself",
            name=_("Competency score (0–100)"),
            line={"color": BLUE},
        )
    )
    figure.update_layout(
        title=title,
        polar={"radialaxis": {"range": [0, 100], "title": _("points")}},
        showlegend=True,
        **LAYOUT,
    )
    return figure.to_json()


def balanced_figure(names: list[str], scores: list[float]) -> str:
    figure = go.Figure(
        go.Bar(x=names, y=scores, marker_color=GREEN, name=_("Balanced score (0–100)"))
    )
    figure.update_layout(
        title=_("Balanced score: quality, CSAT and first-contact resolution"),
        xaxis_title=_("Agent"),
        yaxis_title=_("points (0–100)"),
        showlegend=True,
        **LAYOUT,
    )
    return figure.to_json()
