"""The SLA report's plotly figure, built in Python and embedded as JSON (title, units, legend;
the page shows the same numbers in a table)."""

from __future__ import annotations

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from kefu.sla.models import TargetKind
from kefu.sla.reporting import SlaReport

COLOURS = {
    "first_response": "#2563eb",
    "next_response": "#7c3aed",
    "resolution": "#15803d",
    "onsite": "#d97706",
}


def compliance_figure(report: SlaReport) -> dict | None:
    """Grouped bars: compliance (%) per group, one bar per target. None without decided rows."""
    rows = [r for r in report.rows if r["compliance"] is not None]
    if not rows:
        return None
    labels = dict(TargetKind.choices)
    figure = go.Figure()
    for kind in TargetKind.values:
        chosen = [r for r in rows if r["target"] == kind]
        if chosen:
            figure.add_trace(
                go.Bar(
                    x=[r["group"] for r in chosen],
                    y=[r["compliance"] for r in chosen],
                    name=str(labels[kind]),
                    marker={"color": COLOURS[kind]},
                    hovertemplate="%{x}: %{y:.1f} %<extra>" + str(labels[kind]) + "</extra>",
                )
            )
    figure.update_layout(
        title={"text": _("SLA compliance by target (%)")},
        barmode="group",
        yaxis={"title": {"text": _("Met in time (%)")}, "range": [0, 100]},
        xaxis={"title": {"text": _("Group")}},
        legend={"orientation": "h", "y": -0.25},
        margin={"l": 60, "r": 20, "t": 50, "b": 60},
        height=360,
        paper_bgcolor="rgba(0,0,0,0)",
        font={"family": "-apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif"},
    )
    return figure.to_plotly_json()
