"""Plotly figures of the results pages, built in Python and embedded as JSON (json_script).

Every figure has a title, axis titles with units and a legend; the page shows the same numbers
in a table under it, so the results read without JavaScript too.
"""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from kefu.surveys.analysis import SurveyResults
from kefu.surveys.blueprints import DIMENSION_NAMES
from kefu.surveys.models import _in_language

LAYOUT = {
    "margin": {"l": 60, "r": 20, "t": 50, "b": 60},
    "height": 340,
    "legend": {"orientation": "h", "y": -0.25},
    "font": {"family": "-apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif"},
    "paper_bgcolor": "rgba(0,0,0,0)",
}
BLUE, ORANGE, GREEN, RED, GREY = "#2563eb", "#d97706", "#15803d", "#b91c1c", "#8a94a6"


def group_labels() -> dict[str, str]:
    return {
        "team": _("Team"),
        "agent": _("Agent"),
        "channel": _("Channel"),
        "tier": _("Tier"),
        "period": _("Month"),
    }


def _dict(figure: go.Figure) -> dict[str, Any]:
    return json.loads(figure.to_json())


def dimension_label(code: str) -> str:
    names = DIMENSION_NAMES.get(code)
    if names is None:
        return code
    return _in_language(*names)


def distribution_figure(title: str, rows: list[tuple[str, int, float]]) -> dict[str, Any]:
    figure = go.Figure(
        go.Bar(
            x=[label for label, _n, _s in rows],
            y=[share * 100 for _l, _n, share in rows],
            text=[n for _l, n, _s in rows],
            name=_("Share of answers (%)"),
            marker_color=BLUE,
        )
    )
    figure.update_layout(
        **LAYOUT,
        title=title[:80],
        xaxis_title=_("Answer"),
        yaxis_title=_("Share of answers (%)"),
        showlegend=True,
        xaxis_type="category",
    )
    return _dict(figure)


def trend_figure(title: str, rows: list[dict[str, Any]], unit: str) -> dict[str, Any]:
    figure = go.Figure(
        go.Scatter(
            x=[row["group"] for row in rows],
            y=[row["score"] for row in rows],
            mode="lines+markers",
            name=unit,
            line={"color": BLUE},
        )
    )
    figure.update_layout(
        **LAYOUT, title=title, xaxis_title=_("Month"), yaxis_title=unit, showlegend=True
    )
    return _dict(figure)


def breakdown_figure(title: str, rows: list[dict[str, Any]], unit: str) -> dict[str, Any]:
    figure = go.Figure(
        go.Bar(
            x=[str(row["group"]) for row in rows],
            y=[row["score"] for row in rows],
            text=[row["n"] for row in rows],
            name=unit,
            marker_color=GREEN,
        )
    )
    figure.update_layout(
        **LAYOUT, title=title, yaxis_title=unit, showlegend=True, xaxis_type="category"
    )
    return _dict(figure)


def servqual_figure(block: dict[str, Any]) -> dict[str, Any]:
    items = block["items"]
    codes = [item["code"] for item in items]
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            x=codes,
            y=[i["expectation"] for i in items],
            name=_("Expectation (1–7)"),
            marker_color=GREY,
        )
    )
    figure.add_trace(
        go.Bar(
            x=codes,
            y=[i["perception"] for i in items],
            name=_("Perception (1–7)"),
            marker_color=BLUE,
        )
    )
    figure.add_trace(
        go.Scatter(
            x=codes,
            y=[i["gap"] for i in items],
            name=_("Gap P − E (points)"),
            mode="lines+markers",
            line={"color": RED},
        )
    )
    figure.update_layout(
        **LAYOUT,
        title=_("SERVQUAL: expectation, perception and gap per item"),
        xaxis_title=_("Item"),
        yaxis_title=_("Points on the 1–7 scale"),
        barmode="group",
    )
    return _dict(figure)


def radar_figure(
    title: str, labels: list[str], series: list[tuple[str, list[float]]], unit: str, top: float
) -> dict[str, Any]:
    figure = go.Figure()
    colours = [BLUE, ORANGE, GREEN, RED, GREY]
    for position, (name, values) in enumerate(series):
        figure.add_trace(
            go.Scatterpolar(
                r=[*values, values[0]] if values else [],
                theta=[*labels, labels[0]] if labels else [],
                fill="toself",
                name=name,
                line={"color": colours[position % len(colours)]},
            )
        )
    figure.update_layout(
        **{**LAYOUT, "height": 380},
        title=f"{title} ({unit})",
        polar={"radialaxis": {"range": [0, top], "visible": True}},
        showlegend=True,
    )
    return _dict(figure)


def priority_figure(attributes: list[dict[str, Any]]) -> dict[str, Any]:
    figure = go.Figure(
        go.Scatter(
            x=[a["satisfaction"] for a in attributes],
            y=[a["importance"] for a in attributes],
            text=[a["attribute"] for a in attributes],
            mode="markers+text",
            textposition="top center",
            name=_("Attribute"),
            marker={"size": 12, "color": BLUE},
        )
    )
    if attributes:
        figure.add_vline(
            x=sum(a["satisfaction"] for a in attributes) / len(attributes),
            line={"dash": "dot", "color": GREY},
        )
        figure.add_hline(
            y=sum(a["importance"] for a in attributes) / len(attributes),
            line={"dash": "dot", "color": GREY},
        )
    figure.update_layout(
        **LAYOUT,
        title=_("Priority matrix: importance × satisfaction"),
        xaxis_title=_("Mean satisfaction (1–5)"),
        yaxis_title=_("Importance (% of weight)"),
        showlegend=True,
    )
    return _dict(figure)


def results_charts(results: SurveyResults, metric_unit: str) -> dict[str, dict[str, Any]]:
    """The figures of a survey's results page, keyed by their place on the page."""
    charts: dict[str, dict[str, Any]] = {}
    if results.trend:
        charts["trend"] = trend_figure(_("Trend by month"), results.trend, metric_unit)
    for group in ("team", "channel", "agent", "tier"):
        rows = results.breakdowns.get(group)
        if rows:
            charts[f"by_{group}"] = breakdown_figure(
                _("By %(group)s") % {"group": group_labels()[group]}, rows, metric_unit
            )
    if results.servqual:
        charts["servqual"] = servqual_figure(results.servqual)
        dims = results.servqual["dimensions"]
        figure = go.Figure(
            go.Bar(
                x=[dimension_label(d) for d in dims],
                y=[v for v in dims.values()],
                name=_("Gap P − E (points)"),
                marker_color=[RED if (v or 0) < 0 else GREEN for v in dims.values()],
            )
        )
        figure.update_layout(
            **LAYOUT,
            title=_("Gap per dimension"),
            yaxis_title=_("Gap P − E (points)"),
            showlegend=True,
        )
        charts["servqual_dimensions"] = _dict(figure)
    if results.rater:
        overall = results.rater["overall"]
        dims = [d for d in overall if d not in ("overall", "n")]
        charts["rater"] = radar_figure(
            _("RATER index"),
            [dimension_label(d) for d in dims],
            [(_("Index"), [overall[d] or 0 for d in dims])],
            "0–100",
            100,
        )
    if results.csi:
        charts["csi"] = priority_figure(results.csi["attributes"])
    if results.dimensions:
        categories = results.dimensions["categories"]
        charts["dimensions"] = radar_figure(
            _("Score per category"),
            [c["label"] for c in categories],
            [(_("All respondents"), [c["percent"] for c in categories])],
            _("% of maximum"),
            100,
        )
    for summary in results.questions:
        if summary.distribution and summary.n:
            charts[f"q{summary.question.id}"] = distribution_figure(
                summary.question.text, summary.distribution
            )
    return charts


# --------------------------------------------------------------------------- insights pages


def loyalty_figure(by_satisfaction: list[dict[str, Any]], loyal_min: float) -> dict[str, Any]:
    """Mean loyalty index at each satisfaction score (M7: satisfied is not yet loyal)."""
    figure = go.Figure(
        go.Bar(
            x=[str(row["satisfaction"]) for row in by_satisfaction],
            y=[row["loyalty"] for row in by_satisfaction],
            text=[row["n"] for row in by_satisfaction],
            name=_("Mean loyalty index (0–100)"),
            marker_color=BLUE,
        )
    )
    figure.add_hline(y=loyal_min, line={"dash": "dot", "color": RED})
    figure.update_layout(
        **LAYOUT,
        title=_("Loyalty by satisfaction"),
        xaxis_title=_("Latest CSAT answer (1–5)"),
        yaxis_title=_("Mean loyalty index (0–100)"),
        yaxis_range=[0, 100],
        showlegend=True,
    )
    return _dict(figure)


def waterfall_figure(counts: list[dict[str, Any]], labels: dict[str, str]) -> dict[str, Any]:
    """Customers per waterfall stage and period, stacked (M30)."""
    colours = [GREEN, "#65a30d", BLUE, ORANGE, RED, "#7f1d1d", GREY]
    figure = go.Figure()
    for position, (stage, label) in enumerate(labels.items()):
        figure.add_trace(
            go.Bar(
                x=[row["period"] for row in counts],
                y=[row[stage] for row in counts],
                name=str(label),
                marker_color=colours[position % len(colours)],
            )
        )
    figure.update_layout(
        **{**LAYOUT, "height": 380},
        barmode="stack",
        title=_("Customers per waterfall stage"),
        xaxis_title=_("Period"),
        yaxis_title=_("Customers"),
        showlegend=True,
    )
    return _dict(figure)


def transition_figure(
    shares: list[list[float | None]], labels: list[str], before: str, after: str
) -> dict[str, Any]:
    """Heat map of the row-normalised stage transition matrix (% of the row)."""
    figure = go.Figure(
        go.Heatmap(
            z=[[None if v is None else 100 * v for v in row] for row in shares],
            x=labels,
            y=labels,
            colorscale="Blues",
            zmin=0,
            zmax=100,
            colorbar={"title": "%"},
            name=_("Share of the row (%)"),
        )
    )
    figure.update_layout(
        **{**LAYOUT, "height": 420},
        title=_("Stage in %(before)s → stage in %(after)s (%% of row)")
        % {"before": before, "after": after},
        xaxis_title=after,
        yaxis_title=before,
        yaxis_autorange="reversed",
    )
    return _dict(figure)


def gaps_figure(rows: list[tuple[str, float | None]]) -> dict[str, Any]:
    """The internal indicators of gaps 1–4 as percentages (higher = smaller gap)."""
    figure = go.Figure(
        go.Bar(
            x=[label for label, _v in rows],
            y=[None if v is None else 100 * v for _l, v in rows],
            name=_("Indicator (%)"),
            marker_color=BLUE,
        )
    )
    figure.update_layout(
        **LAYOUT,
        title=_("Internal indicators of gaps 1–4 (%)"),
        xaxis_title=_("Gap"),
        yaxis_title=_("Share (%)"),
        yaxis_range=[0, 100],
        showlegend=True,
    )
    return _dict(figure)
