"""Chart builders: each returns a `Chart` — plotly figure, title, units, and the data table the
page shows below it and the Excel export writes (one source for all three)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.analytics import selectors
from kefu.analytics.models import AnalyticsRun
from kefu.analytics.tiers import TIER_NAMES

# The segment names of kefu.analytics.rfm (stored in English), for translation.
SEGMENT_LABELS = {
    "champions": gettext_lazy("champions"),
    "loyal": gettext_lazy("loyal"),
    "potential loyalists": gettext_lazy("potential loyalists"),
    "new customers": gettext_lazy("new customers"),
    "promising": gettext_lazy("promising"),
    "need attention": gettext_lazy("need attention"),
    "about to sleep": gettext_lazy("about to sleep"),
    "at risk": gettext_lazy("at risk"),
    "cannot lose them": gettext_lazy("cannot lose them"),
    "hibernating": gettext_lazy("hibernating"),
    "lost": gettext_lazy("lost"),
    "no purchases": gettext_lazy("no purchases"),
    "unclassified": gettext_lazy("unclassified"),
}


def segment_label(name: str) -> str:
    return str(SEGMENT_LABELS.get(name, name))


TIER_COLOURS = {"A": "#2f9e44", "B": "#1c7ed6", "C": "#f08c00", "D": "#868e96", "": "#ced4da"}


@dataclass
class Chart:
    key: str
    title: str
    units: str
    columns: list[str]
    rows: list[list[Any]]
    figure: dict[str, Any] | None = None
    note: str = ""
    links: list[int | None] = field(default_factory=list)  # customer id per row, for tables

    def table(self) -> list[tuple[int | None, list[tuple[Any, bool]]]]:
        """Rows for the template: (customer id to link or None, [(cell, is numeric)])."""
        links = self.links or [None] * len(self.rows)
        return [
            (link, [(cell, isinstance(cell, int | float)) for cell in row])
            for link, row in zip(links, self.rows, strict=True)
        ]

    def figure_json(self) -> str:
        import plotly.io

        if self.figure is None:
            return ""
        text = plotly.io.to_json(self.figure, validate=False)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _layout(title: str, x_title: str, y_title: str, **extra) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "xaxis": {"title": {"text": x_title}, "automargin": True},
        "yaxis": {"title": {"text": y_title}, "automargin": True},
        "legend": {"orientation": "h", "y": -0.25},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 80},
        "font": {"family": "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif"},
        "height": 380,
        **extra,
    }


def _money(value: float) -> str:
    return f"{value:,.0f}"


def value_distribution(run: AnalyticsRun) -> Chart:
    data = selectors.value_distribution(run)
    labels = [f"{_money(a)}–{_money(b)}" for a, b in zip(data.edges, data.edges[1:], strict=False)]
    title = _("Customers by value band")
    figure = {
        "data": [
            {
                "type": "bar",
                "name": _("Historic value"),
                "x": labels,
                "y": data.historic.tolist(),
            },
            {
                "type": "bar",
                "name": _("Predicted lifetime value (CLV)"),
                "x": labels,
                "y": data.clv.tolist(),
            },
        ],
        "layout": _layout(title, _("Value band (CNY)"), _("Customers"), barmode="group"),
    }
    rows = [
        [label, int(h), int(c)] for label, h, c in zip(labels, data.historic, data.clv, strict=True)
    ]
    return Chart(
        "value-distribution",
        title,
        _("customers per band; bands in CNY"),
        [_("Value band (CNY)"), _("Customers (historic value)"), _("Customers (CLV)")],
        rows,
        figure,
    )


def pareto_curve(run: AnalyticsRun) -> Chart:
    data = selectors.pareto_figures(run)
    title = _("Pareto curve: share held by the top customers")
    if data is None:
        return Chart("pareto", title, "%", [], [], None)
    x = (data.customer_share * 100).round(1).tolist()
    series = [
        (_("Revenue"), data.revenue_share, data.gini_revenue),
        (_("Profit"), data.profit_share, data.gini_profit),
        (_("Complaints"), data.complaint_share, data.gini_complaints),
    ]
    figure = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": _("{name} (Gini {gini:.2f})").format(name=name, gini=gini),
                "x": x,
                "y": (share * 100).round(2).tolist(),
            }
            for name, share, gini in series
        ]
        + [
            {
                "type": "scatter",
                "mode": "lines",
                "name": _("Equal shares"),
                "x": [0, 100],
                "y": [0, 100],
                "line": {"dash": "dot", "color": "#adb5bd"},
            }
        ],
        "layout": _layout(title, _("Top customers (% of customers)"), _("Share of total (%)")),
    }
    rows = [
        [
            f"{pct:g}",
            round(float(data.revenue_share[i]) * 100, 2),
            round(float(data.profit_share[i]) * 100, 2),
            round(float(data.complaint_share[i]) * 100, 2),
        ]
        for i, pct in enumerate(x)
        if i % 5 == 0
    ]
    note = _("Gini coefficient — revenue {r:.3f}, profit {p:.3f}, complaints {c:.3f}.").format(
        r=data.gini_revenue, p=data.gini_profit, c=data.gini_complaints
    )
    return Chart(
        "pareto",
        title,
        "%",
        [
            _("Top customers (%)"),
            _("Share of revenue (%)"),
            _("Share of profit (%)"),
            _("Share of complaints (%)"),
        ],
        rows,
        figure,
        note,
    )


def rfm_heatmap(run: AnalyticsRun) -> Chart:
    grid = selectors.rfm_grid(run)
    title = _("RFM grid: customers by recency and frequency score")
    scores = [1, 2, 3, 4, 5]
    counts = [[grid.get((r, f), {}).get("customers", 0) for f in scores] for r in scores]
    values = [[round(grid.get((r, f), {}).get("value", 0.0), 2) for f in scores] for r in scores]
    figure = {
        "data": [
            {
                "type": "heatmap",
                "x": [f"F{f}" for f in scores],
                "y": [f"R{r}" for r in scores],
                "z": counts,
                "colorscale": "Blues",
                "reversescale": True,
                "name": _("Customers"),
                "showscale": True,
                "colorbar": {"title": {"text": _("Customers")}},
                "texttemplate": "%{z}",
                "hovertemplate": "%{y} %{x}: %{z}<extra></extra>",
            }
        ],
        "layout": _layout(
            title,
            _("Frequency score (5 = most purchases)"),
            _("Recency score (5 = most recent)"),
        ),
    }
    rows = [
        [f"R{r}", f"F{f}", counts[r - 1][f - 1], values[r - 1][f - 1]]
        for r in scores
        for f in scores
    ]
    return Chart(
        "rfm",
        title,
        _("customers; value in CNY"),
        [_("Recency score"), _("Frequency score"), _("Customers"), _("Historic value (CNY)")],
        rows,
        figure,
    )


def segments_table(run: AnalyticsRun) -> Chart:
    rows = [
        [
            segment_label(row["segment"]),
            row["customers"],
            round(float(row["value"] or 0), 2),
            round(float(row["clv"] or 0), 2),
        ]
        for row in selectors.segment_summary(run)
    ]
    title = _("RFM segments")
    figure = {
        "data": [
            {
                "type": "bar",
                "name": _("Customers"),
                "x": [r[0] for r in rows],
                "y": [r[1] for r in rows],
            }
        ],
        "layout": _layout(title, _("Segment"), _("Customers")),
    }
    return Chart(
        "segments",
        title,
        _("customers; value in CNY"),
        [_("Segment"), _("Customers"), _("Historic value (CNY)"), _("CLV (CNY)")],
        rows,
        figure,
    )


def tier_migration(previous: AnalyticsRun | None, current: AnalyticsRun) -> Chart:
    title = _("Tier migration between the last two snapshots")
    labels = [*TIER_NAMES, _("none")]
    if previous is None:
        return Chart("migration", title, _("customers"), [], [], None, _("Needs two snapshots."))
    matrix = selectors.tier_migration(previous, current)
    figure = {
        "data": [
            {
                "type": "heatmap",
                "x": [_("to {tier}").format(tier=t) for t in labels],
                "y": [_("from {tier}").format(tier=t) for t in labels],
                "z": matrix.tolist(),
                "colorscale": "Greens",
                "reversescale": True,
                "name": _("Customers"),
                "colorbar": {"title": {"text": _("Customers")}},
                "texttemplate": "%{z}",
            }
        ],
        "layout": _layout(
            title,
            _("Tier in run #{run}").format(run=current.pk),
            _("Tier in run #{run}").format(run=previous.pk),
            yaxis={
                "autorange": "reversed",
                "automargin": True,
                "title": {"text": _("Tier in run #{run}").format(run=previous.pk)},
            },
        ),
    }
    rows = [[labels[i], *matrix[i].tolist()] for i in range(len(labels))]
    moved = int(matrix.sum() - np.trace(matrix))
    note = _("{moved} customers changed tier.").format(moved=moved)
    return Chart(
        "migration",
        title,
        _("customers"),
        [_("From \\ to"), *labels],
        rows,
        figure,
        note,
    )


def profitability_quadrant(run: AnalyticsRun) -> Chart:
    data = selectors.profitability_quadrant(run)
    title = _("Profitability quadrant: value × cost to serve")
    traces = []
    tiers = np.asarray(data.tier)
    for tier in [*TIER_NAMES, ""]:
        mine = tiers == tier
        if not mine.any():
            continue
        traces.append(
            {
                "type": "scattergl",
                "mode": "markers",
                "name": _("Tier {tier}").format(tier=tier) if tier else _("No tier"),
                "x": data.value[mine].round(2).tolist(),
                "y": data.cost[mine].round(2).tolist(),
                "marker": {"color": TIER_COLOURS[tier], "size": 6, "opacity": 0.7},
            }
        )
    dashed = {"dash": "dash", "color": "#868e96"}
    shapes = [
        {"type": "line", "xref": "x", "yref": "paper", "x0": data.value_split,
         "x1": data.value_split, "y0": 0, "y1": 1, "line": dashed},
        {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1,
         "y0": data.cost_split, "y1": data.cost_split, "line": dashed},
    ]  # fmt: skip
    figure = {
        "data": traces,
        "layout": _layout(
            title, _("Historic value (CNY)"), _("Cost to serve (CNY)"), shapes=shapes
        ),
    }
    names = {
        "high_value_low_cost": _("High value, low cost: protect"),
        "high_value_high_cost": _("High value, high cost: streamline service"),
        "low_value_low_cost": _("Low value, low cost: grow"),
        "low_value_high_cost": _("Low value, high cost: reduce cost or reprice"),
    }
    rows = [[names[key], count] for key, count in data.counts.items()]
    note = _("Split at the medians: value {v:,.2f} CNY, cost to serve {c:,.2f} CNY.").format(
        v=data.value_split, c=data.cost_split
    )
    return Chart("quadrant", title, "CNY", [_("Quadrant"), _("Customers")], rows, figure, note)


def _driver_label(driver: str) -> str:
    if driver == "compensation":
        return _("compensation")
    if driver == "none":
        return _("none")
    return _("{channel} handling").format(channel=_channel_label(driver))


def _channel_label(channel: str) -> str:
    from kefu.tickets.models import Channel

    return str(dict(Channel.choices).get(channel, channel))


def customer_list(run: AnalyticsRun, group: str) -> Chart:
    """Top customers (group="top") or loss-makers (group="loss"), with their cost drivers."""
    rows_qs = selectors.snapshot_list(run=run, group=group)[: selectors.LIST_LIMIT]
    title = _("Top customers by profit") if group == "top" else _("Loss-making customers")
    rows, links = [], []
    for s in rows_qs:
        rows.append(
            [
                s.customer.number,
                s.customer.name,
                s.tier,
                segment_label(s.segment),
                float(s.historic_value),
                float(s.gross_margin),
                float(s.cost_to_serve),
                float(s.compensation),
                round(s.handling_minutes, 1),
                s.ticket_count,
                float(s.profit),
                _driver_label(s.cost_driver),
            ]
        )
        links.append(s.customer_id)
    return Chart(
        "top" if group == "top" else "loss",
        title,
        "CNY",
        [
            _("Customer number"),
            _("Name"),
            _("Tier"),
            _("Segment"),
            _("Historic value (CNY)"),
            _("Gross margin (CNY)"),
            _("Cost to serve (CNY)"),
            _("Compensation (CNY)"),
            _("Handling minutes"),
            _("Tickets"),
            _("Profit (CNY)"),
            _("Largest cost driver"),
        ],
        rows,
        None,
        links=links,
    )


def complaint_iceberg(run: AnalyticsRun) -> Chart:
    data = (run.aggregates or {}).get("iceberg") or {}
    title = _("Complaint iceberg: voiced and estimated silent dissatisfied customers")
    ratios = (run.parameters or {}).get("iceberg_ratios", {})
    note = _(
        "Estimate, not a count: each voiced complaint is assumed to stand for a fixed number of "
        "dissatisfied customers who did not complain (TARP found about 26). Ratios used: {ratios}."
    ).format(ratios=", ".join(f"{k}: {v:g}" for k, v in ratios.items()) or "—")
    rows_in = data.get("rows", [])
    rows = [
        [
            _channel_label(r["group"]),
            int(r["voiced"]),
            r["silent_per_voiced"],
            round(r["silent_estimate"]),
            round(r["dissatisfied_estimate"]),
        ]
        for r in rows_in
    ]
    figure = None
    if rows:
        figure = {
            "data": [
                {
                    "type": "bar",
                    "name": _("Voiced complaints"),
                    "x": [r[0] for r in rows],
                    "y": [r[1] for r in rows],
                    "marker": {"color": "#e03131"},
                },
                {
                    "type": "bar",
                    "name": _("Estimated silent dissatisfied"),
                    "x": [r[0] for r in rows],
                    "y": [-r[3] for r in rows],
                    "marker": {"color": "#a5d8ff"},
                },
            ],
            "layout": _layout(
                title,
                _("Channel"),
                _("Customers (silent shown below zero)"),
                barmode="relative",
            ),
        }
    return Chart(
        "iceberg",
        title,
        _("customers"),
        [
            _("Channel"),
            _("Voiced complaints"),
            _("Silent per voiced"),
            _("Estimated silent"),
            _("Estimated dissatisfied"),
        ],
        rows,
        figure,
        note,
    )


def six_sigma(run: AnalyticsRun) -> Chart:
    names = {
        "first_response_breach": _("First response SLA breached"),
        "resolution_breach": _("Resolution SLA breached"),
        "reopened": _("Reopened tickets"),
        "repeat_complaint": _("Repeat complaints"),
    }
    units = {
        "first_response_breach": _("tickets with a first-response target"),
        "resolution_breach": _("tickets with a resolution target"),
        "reopened": _("tickets"),
        "repeat_complaint": _("complaints"),
    }
    data = (run.aggregates or {}).get("six_sigma", [])
    rows = [
        [
            names.get(r["key"], r["key"]),
            units.get(r["key"], ""),
            r["units"],
            r["defects"],
            None if r["dpmo"] is None else round(r["dpmo"], 1),
            None if r["sigma"] is None else round(r["sigma"], 2),
        ]
        for r in data
    ]
    title = _("Six Sigma levels of service defects")
    plotted = [r for r in rows if r[5] is not None]
    figure = None
    if plotted:
        figure = {
            "data": [
                {
                    "type": "bar",
                    "name": _("Sigma level"),
                    "x": [r[0] for r in plotted],
                    "y": [r[5] for r in plotted],
                    "marker": {"color": "#5c7cfa"},
                },
            ],
            "layout": _layout(title, _("Defect"), _("Sigma level (σ, 1.5σ shift)")),
        }
    note = _(
        "DPMO = defects ÷ units × 1,000,000 (one opportunity per unit); sigma level = "
        "Φ⁻¹(1 − DPMO/10⁶) + 1.5. A defect-free measure has no finite sigma level."
    )
    return Chart(
        "sigma",
        title,
        "σ",
        [_("Defect"), _("Unit"), _("Units"), _("Defects"), _("DPMO"), _("Sigma level")],
        rows,
        figure,
        note,
    )


def tier_table(run: AnalyticsRun) -> Chart:
    rows = [
        [
            row["tier"] or "—",
            row["customers"],
            round(float(row["value"] or 0), 2),
            round(float(row["clv"] or 0), 2),
            round(float(row["profit"] or 0), 2),
            int(row["complaints"] or 0),
        ]
        for row in selectors.tier_summary(run)
    ]
    title = _("Customers and value by tier")
    figure = {
        "data": [
            {
                "type": "bar",
                "name": _("Historic value (CNY)"),
                "x": [r[0] for r in rows],
                "y": [r[2] for r in rows],
            },
            {
                "type": "bar",
                "name": _("Profit (CNY)"),
                "x": [r[0] for r in rows],
                "y": [r[4] for r in rows],
            },
        ],
        "layout": _layout(title, _("Tier"), "CNY", barmode="group"),
    }
    return Chart(
        "tiers",
        title,
        "CNY",
        [
            _("Tier"),
            _("Customers"),
            _("Historic value (CNY)"),
            _("CLV (CNY)"),
            _("Profit (CNY)"),
            _("Complaints"),
        ],
        rows,
        figure,
    )


BUILDERS = {
    "value-distribution": value_distribution,
    "pareto": pareto_curve,
    "rfm": rfm_heatmap,
    "segments": segments_table,
    "tiers": tier_table,
    "quadrant": profitability_quadrant,
    "top": lambda run: customer_list(run, "top"),
    "loss": lambda run: customer_list(run, "loss"),
    "iceberg": complaint_iceberg,
    "sigma": six_sigma,
}


def build(key: str, runs: list[AnalyticsRun]) -> Chart:
    """The chart `key` for the newest run (tier migration compares the two newest)."""
    if key == "migration":
        return tier_migration(runs[1] if len(runs) > 1 else None, runs[0])
    return BUILDERS[key](runs[0])


CHART_KEYS = (*BUILDERS, "migration")


def workbook_response(chart: Chart, run: AnalyticsRun):
    """The chart's data table as an .xlsx download (title, units and run in the first rows)."""
    from io import BytesIO

    from django.http import HttpResponse
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from kefu.core.spreadsheet import safe_row

    book = Workbook()
    sheet = book.active
    sheet.title = chart.key[:31]
    sheet.append(safe_row([chart.title]))
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([_("Units"), chart.units])
    sheet.append([_("Run"), run.pk, _("as of"), run.as_of.isoformat()])
    if chart.note:
        sheet.append([chart.note])
    sheet.append([])
    sheet.append(safe_row(chart.columns))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in chart.rows:  # segment, product and customer names are user data
        sheet.append(safe_row(row))
    buffer = BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="kefu-analytics-{chart.key}-{run.as_of:%Y%m%d}.xlsx"'
    )
    return response
