"""Plotly figures of the workforce pages, built in Python and embedded as JSON.

Every figure has a title, axis titles with units and a legend; the pages show the same numbers
in a table next to it (so they also work without JavaScript).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext as _

LAYOUT = {
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "height": 360,
    "legend": {"orientation": "h", "y": -0.2},
    "font": {"family": "-apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif"},
    "paper_bgcolor": "rgba(0,0,0,0)",
}
BLUE, ORANGE, GREEN, RED = "#2563eb", "#d97706", "#15803d", "#b91c1c"


def _json(figure: go.Figure) -> str:
    return figure.to_json()


def staffing_figure(result: dict[str, Any], target: float) -> str:
    """Service level (and occupancy) against the number of agents, with the target line."""
    curve = result["curve"]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=curve["agents"],
            y=[v * 100 for v in curve["service_level"]],
            mode="lines+markers",
            name=_("Service level, Erlang C (%)"),
            line={"color": BLUE},
        )
    )
    if "service_level_a" in curve:
        figure.add_trace(
            go.Scatter(
                x=curve["agents"],
                y=[v * 100 for v in curve["service_level_a"]],
                mode="lines+markers",
                name=_("Service level, Erlang A (%)"),
                line={"color": GREEN},
            )
        )
    figure.add_trace(
        go.Scatter(
            x=curve["agents"],
            y=[v * 100 for v in curve["occupancy"]],
            mode="lines",
            name=_("Occupancy (%)"),
            line={"color": ORANGE, "dash": "dot"},
        )
    )
    figure.add_hline(
        y=target * 100,
        line={"color": RED, "dash": "dash"},
        annotation_text=_("Target"),
    )
    figure.add_vline(x=result["required"], line={"color": "#888", "dash": "dot"})
    figure.update_layout(
        **LAYOUT,
        title=_("Service level vs agents"),
        xaxis_title=_("Number of agents"),
        yaxis_title=_("Percent"),
        yaxis_range=[0, 101],
    )
    return _json(figure)


def heatmap_figure(
    values: list[list[Any]], slot_labels: list[str], title: str, unit: str, diverging=False
) -> str:
    """A week heat map: weekdays (rows) × intervals of the day (columns)."""
    days = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    figure = go.Figure(
        go.Heatmap(
            z=values,
            x=slot_labels,
            y=days,
            colorscale="RdBu" if diverging else "Blues",
            zmid=0 if diverging else None,
            colorbar={"title": {"text": unit}},
            hoverongaps=False,
        )
    )
    figure.update_layout(
        **{**LAYOUT, "height": 330},
        title=title,
        xaxis_title=_("Time of day (local)"),
        yaxis_title=_("Weekday"),
        yaxis_autorange="reversed",
    )
    return _json(figure)


def forecast_figure(result: dict[str, Any]) -> str:
    """Forecast volume and scheduled agents per interval over the horizon."""
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=result["interval_start"],
            y=result["volume"],
            name=_("Forecast volume (contacts per interval)"),
            line={"color": BLUE},
        )
    )
    figure.add_trace(
        go.Scatter(
            x=result["interval_start"],
            y=result["scheduled"],
            name=_("Agents to schedule"),
            yaxis="y2",
            line={"color": ORANGE, "shape": "hv"},
        )
    )
    figure.update_layout(
        **LAYOUT,
        title=_("Forecast and schedule requirement"),
        xaxis_title=_("Interval start (local time)"),
        yaxis_title=_("Contacts per interval"),
        yaxis2={"title": _("Number of agents"), "overlaying": "y", "side": "right"},
    )
    return _json(figure)


def simulation_figures(results: dict[str, Any]) -> list[dict[str, str]]:
    """Per-interval mean and 95 % band of SL, ASA, abandonment and queue length (baseline and
    plan)."""
    specs = [
        ("service_level", _("Service level over time"), _("Service level (%)"), 100.0),
        ("asa_s", _("Average speed of answer over time"), _("ASA (s)"), 1.0),
        ("abandonment_rate", _("Abandonment over time"), _("Abandonment rate (%)"), 100.0),
        ("mean_queue_length", _("Queue length over time"), _("Contacts waiting (mean)"), 1.0),
    ]
    hours = [s / 3600.0 for s in results["baseline"]["interval_start_s"]]
    series = [(_("Baseline"), results["baseline"], BLUE, "rgba(37,99,235,0.15)")]
    if results.get("plan"):
        series.append((_("With emergency plan"), results["plan"], GREEN, "rgba(21,128,61,0.15)"))
    figures = []
    for metric, title, unit, scale in specs:
        figure = go.Figure()
        for name, run, colour, fill in series:
            band = run["intervals"][metric]

            def scaled(values, scale=scale):
                return [None if v is None else v * scale for v in values]

            figure.add_trace(
                go.Scatter(
                    x=hours + hours[::-1],
                    y=scaled(band["high"]) + scaled(band["low"])[::-1],
                    fill="toself",
                    fillcolor=fill,
                    line={"width": 0},
                    name=name + " · " + _("95% CI"),
                    hoverinfo="skip",
                )
            )
            figure.add_trace(
                go.Scatter(x=hours, y=scaled(band["mean"]), name=name, line={"color": colour})
            )
        figure.update_layout(
            **LAYOUT, title=title, xaxis_title=_("Hours from start"), yaxis_title=unit
        )
        figures.append({"id": f"sim-{metric}", "json": _json(figure), "title": title})
    return figures


def build_options_figure(rows: list[dict[str, Any]]) -> str:
    """Stacked monthly cost per sourcing option."""
    parts = [
        ("wages", _("Wages")),
        ("seats", _("Seats")),
        ("fixed", _("Fixed")),
        ("usage", _("Usage")),
    ]
    figure = go.Figure()
    for key, label in parts:
        figure.add_trace(go.Bar(x=[r["label"] for r in rows], y=[r[key] for r in rows], name=label))
    figure.update_layout(
        **LAYOUT,
        barmode="stack",
        title=_("Monthly cost by option"),
        xaxis_title=_("Option"),
        yaxis_title=_("Cost per month (CNY)"),
    )
    return _json(figure)
