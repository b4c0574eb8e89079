"""Chart and table builders for the report pages: each chart has a title, units, a plotly
figure and the data table shown under it (the page works without JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.reports.pivot.engine import PivotResult
from kefu.reports.pivot.fields import datasets
from kefu.reports.pivot.present import (
    chart_data,
    display_value,
    figure_json,
    plotly_figure,
    raw_value,
)


@dataclass
class Chart:
    key: str
    title: str
    units: str
    columns: list[str]
    rows: list[list[Any]]
    figure: dict[str, Any] | None = None

    def figure_json(self) -> str:
        return figure_json(self.figure) if self.figure else ""


def _layout(title: str, x: str, y: str, **extra) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "xaxis": {"title": {"text": x}, "automargin": True},
        "yaxis": {"title": {"text": y}, "automargin": True},
        "legend": {"orientation": "h", "y": -0.3},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 80},
        "font": {"family": "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif"},
        "height": 360,
        **extra,
    }


def pivot_context(result: PivotResult) -> dict[str, Any]:
    """Table rows (display values, drill-down link per row) and the chart of a pivot result."""
    spec = result.spec
    dataset = datasets()[spec.dataset]
    base = spec.as_json()
    params: list[tuple[str, str]] = [("dataset", spec.dataset)]
    params += [("dimensions", d) for d in spec.dimensions]
    params += [("measures", m) for m in base["measures"]]
    for dim, values in spec.filters.items():
        params += [(f"f_{dim}", v) for v in values]
    params += [(k, base[k]) for k in ("start", "end") if base[k]]
    n = len(spec.dimensions)
    rows = []
    for row in result.rows:
        cells = [display_value(dataset, d, row[i]) for i, d in enumerate(spec.dimensions)]
        link = ""
        if dataset.key != "kpis":
            drill = params + [(f"v_{d}", raw_value(row[i])) for i, d in enumerate(spec.dimensions)]
            link = f"{reverse('reports:drill')}?{urlencode(drill)}"
        rows.append({"dims": cells, "measures": row[n:], "link": link})
    chart = chart_data(result)
    return {
        "result": result,
        "rows": rows,
        "chart": chart,
        "figure_json": figure_json(plotly_figure(chart)) if chart else "",
        "spec_json": base,
    }


def dashboard_charts(context: dict[str, Any]) -> list[Chart]:
    cards = {c.key: c for c in context["cards"]}
    volume, complaints = cards.get("tickets_created"), cards.get("complaints")
    charts = []
    if volume and volume.series:
        months = [m for m, _v in volume.series]
        rows = [
            [m, v, c] for (m, v), (_m, c) in zip(volume.series, complaints.series, strict=False)
        ]
        charts.append(
            Chart(
                "volume",
                _("Tickets and complaints per month"),
                _("tickets per month"),
                [_("Month"), _("Tickets created"), _("Complaints")],
                rows,
                {
                    "data": [
                        {
                            "type": "bar",
                            "name": str(_("Tickets created")),
                            "x": months,
                            "y": [r[1] for r in rows],
                        },
                        {
                            "type": "scatter",
                            "mode": "lines+markers",
                            "name": str(_("Complaints")),
                            "x": months,
                            "y": [r[2] for r in rows],
                        },
                    ],
                    "layout": _layout(
                        str(_("Tickets and complaints per month")),
                        str(_("Month")),
                        str(_("tickets")),
                    ),
                },
            )
        )
    if context["causes"]:
        names = [str(c) for c, _n in context["causes"]]
        counts = [n for _c, n in context["causes"]]
        charts.append(
            Chart(
                "causes",
                _("Top complaint causes (last 90 days)"),
                _("complaints"),
                [_("Cause"), _("Complaints")],
                [[c, n] for c, n in zip(names, counts, strict=True)],
                {
                    "data": [
                        {
                            "type": "bar",
                            "orientation": "h",
                            "x": counts[::-1],
                            "y": names[::-1],
                            "name": str(_("Complaints")),
                        }
                    ],
                    "layout": _layout(
                        str(_("Top complaint causes (last 90 days)")), str(_("complaints")), ""
                    ),
                },
            )
        )
    return charts


def cluster_name(z_means: dict[str, float]) -> str:
    """A translated name from the two features furthest from the mean ("high complaints …")."""
    from kefu.reports.selectors import feature_label

    top = sorted(z_means.items(), key=lambda item: -abs(item[1]))[:2]
    parts = [
        (_("high %s") if z > 0 else _("low %s")) % feature_label(name)
        for name, z in top
        if abs(z) >= 0.25
    ]
    return _(", ").join(parts) or _("average")


def churn_charts(run) -> list[Chart]:
    from kefu.reports.selectors import feature_label

    charts = []
    importance = run.importance[:10]
    if importance:
        names = [feature_label(r["feature"]) for r in importance]
        values = [round(r["mean"], 4) for r in importance]
        charts.append(
            Chart(
                "importance",
                _("Permutation importance (held-out period)"),
                _("drop in ROC AUC when the feature is shuffled"),
                [_("Feature"), _("Importance"), _("Std. dev.")],
                [
                    [n, v, round(r["std"], 4)]
                    for n, v, r in zip(names, values, importance, strict=True)
                ],
                {
                    "data": [
                        {
                            "type": "bar",
                            "orientation": "h",
                            "x": values[::-1],
                            "y": names[::-1],
                            "name": str(_("Importance")),
                        }
                    ],
                    "layout": _layout(
                        str(_("Permutation importance (held-out period)")),
                        str(_("drop in ROC AUC")),
                        "",
                    ),
                },
            )
        )
    if run.calibration:
        predicted = [round(c["predicted"], 3) for c in run.calibration]
        observed = [round(c["observed"], 3) for c in run.calibration]
        charts.append(
            Chart(
                "calibration",
                _("Calibration: predicted vs observed churn"),
                _("share of customers, 0–1"),
                [_("Mean predicted probability"), _("Observed churn rate")],
                [[p, o] for p, o in zip(predicted, observed, strict=True)],
                {
                    "data": [
                        {
                            "type": "scatter",
                            "mode": "lines+markers",
                            "x": predicted,
                            "y": observed,
                            "name": str(_("Model")),
                        },
                        {
                            "type": "scatter",
                            "mode": "lines",
                            "x": [0, 1],
                            "y": [0, 1],
                            "name": str(_("Perfect calibration")),
                            "line": {"dash": "dot"},
                        },
                    ],
                    "layout": _layout(
                        str(_("Calibration: predicted vs observed churn")),
                        str(_("predicted probability")),
                        str(_("observed churn rate")),
                    ),
                },
            )
        )
    if run.partial_dependence:
        rows, traces = [], []
        for item in run.partial_dependence:
            label = feature_label(item["feature"])
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": label,
                    "x": list(range(len(item["grid"]))),
                    "y": item["average"],
                    "text": [f"{g:.2f}" for g in item["grid"]],
                }
            )
            rows += [
                [label, round(g, 3), round(a, 4)]
                for g, a in zip(item["grid"], item["average"], strict=True)
            ]
        charts.append(
            Chart(
                "dependence",
                _("Partial dependence of the churn probability"),
                _("probability, 0–1, over each feature's grid (low → high)"),
                [_("Feature"), _("Feature value"), _("Average churn probability")],
                rows,
                {
                    "data": traces,
                    "layout": _layout(
                        str(_("Partial dependence of the churn probability")),
                        str(_("grid step (low → high)")),
                        str(_("churn probability")),
                    ),
                },
            )
        )
    clusters = run.clusters or {}
    if clusters.get("profiles"):
        features = clusters["features"]
        rows = [
            [p["cluster"], cluster_name(p["z_means"]), p["size"], round(100 * p["share"], 1)]
            + [round(p["means"][f], 2) for f in features]
            for p in clusters["profiles"]
        ]
        points = clusters.get("projection", [])
        labels = clusters.get("projection_labels", [])
        traces = []
        for p in clusters["profiles"]:
            xs = [pt[0] for pt, lab in zip(points, labels, strict=True) if lab == p["cluster"]]
            ys = [pt[1] for pt, lab in zip(points, labels, strict=True) if lab == p["cluster"]]
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{p['cluster']}: {cluster_name(p['z_means'])}",
                    "x": xs,
                    "y": ys,
                    "marker": {"size": 5, "opacity": 0.6},
                }
            )
        charts.append(
            Chart(
                "clusters",
                _("Customer clusters (k-means, k = %(k)s by silhouette)") % {"k": clusters["k"]},
                _("principal components of standardised features"),
                [_("Cluster"), _("Suggested name"), _("Customers"), _("Share (%)")]
                + [feature_label(f) for f in features],
                rows,
                {
                    "data": traces,
                    "layout": _layout(str(_("Customer clusters: 2-D projection")), "PC1", "PC2"),
                },
            )
        )
    behaviour = run.behaviour or {}
    if behaviour.get("paths"):
        charts.append(
            Chart(
                "paths",
                _("Contact reasons before churning (last three contacts)"),
                _("customers"),
                [_("Path"), _("Churned"), _("Retained"), _("Lift")],
                [
                    [p["path"], p["churned"], p["retained"], round(p["lift"], 2)]
                    for p in behaviour["paths"]
                ],
            )
        )
    if behaviour.get("switching"):
        charts.append(
            Chart(
                "switching",
                _("Channel switching between consecutive contacts"),
                _("contacts; share of the 'from' channel"),
                [_("From"), _("To"), _("Contacts"), _("Share")],
                [
                    [s["from_channel"], s["to_channel"], s["count"], round(s["share_of_from"], 3)]
                    for s in behaviour["switching"]
                ],
            )
        )
    if behaviour.get("time_of_day"):
        matrix = behaviour["time_of_day"]
        days = [
            str(_("Mon")),
            str(_("Tue")),
            str(_("Wed")),
            str(_("Thu")),
            str(_("Fri")),
            str(_("Sat")),
            str(_("Sun")),
        ]
        charts.append(
            Chart(
                "time_of_day",
                _("Contacts by weekday and hour"),
                _("contacts (local time)"),
                [_("Weekday")] + [f"{h:02d}" for h in range(24)],
                [[d, *row] for d, row in zip(days, matrix, strict=True)],
                {
                    "data": [
                        {
                            "type": "heatmap",
                            "z": matrix,
                            "x": [f"{h:02d}" for h in range(24)],
                            "y": days,
                            "colorscale": "Blues",
                        }
                    ],
                    "layout": _layout(str(_("Contacts by weekday and hour")), str(_("hour")), ""),
                },
            )
        )
    return charts
