"""Presenting a pivot result: display labels, the chart (plotly figure and its data table),
and drill-down to the underlying records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.reports.pivot.engine import (
    NONE,
    PivotError,
    PivotResult,
    PivotSpec,
    _dimension_expression,
    _filtered,
)
from kefu.reports.pivot.fields import Dataset, datasets

UNIT_LABELS = {"count": "", "s": "s", "CNY": "CNY", "amount": "CNY", "%": "%", "score": ""}
DRILL_LIMIT = 100


def display_value(dataset: Dataset, dim: str, value: Any) -> str:
    """The label shown for a dimension value (choices translated, empty shown as —)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.date):
        return value.isoformat()
    choices = dataset.dimensions[dim].choices
    return str(choices.get(str(value), value))


def raw_value(value: Any) -> str:
    """The value as written in a drill-down link (empty → NONE)."""
    if value is None or value == "":
        return NONE
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass
class ChartData:
    title: str
    x_title: str
    y_title: str
    categories: list[str]
    series: dict[str, list[float | None]]  # series name → values per category
    is_time: bool


def chart_data(result: PivotResult) -> ChartData | None:
    """First dimension on the x axis, the second (if any) as series, the first measure as y."""
    spec = result.spec
    dataset = datasets()[spec.dataset]
    if not result.rows or not result.measure_columns:
        return None
    measure = result.measure_columns[0]
    n_dims = len(spec.dimensions)
    unit = UNIT_LABELS.get(measure.unit, measure.unit)
    y_title = f"{measure.label} ({unit})" if unit else measure.label
    if n_dims == 0:
        return ChartData(
            measure.label, "", y_title, [_("All")], {measure.label: [result.rows[0][0]]}, False
        )
    first = spec.dimensions[0]
    categories = list(dict.fromkeys(display_value(dataset, first, r[0]) for r in result.rows))
    index = {c: i for i, c in enumerate(categories)}
    series: dict[str, list[float | None]] = {}
    for row in result.rows:
        name = display_value(dataset, spec.dimensions[1], row[1]) if n_dims > 1 else measure.label
        values = series.setdefault(name, [None] * len(categories))
        values[index[display_value(dataset, first, row[0])]] = row[n_dims]
    title = _("%(measure)s by %(dimension)s") % {
        "measure": measure.label,
        "dimension": dataset.dimensions[first].label,
    }
    return ChartData(
        title,
        str(dataset.dimensions[first].label),
        y_title,
        categories,
        series,
        bool(dataset.dimensions[first].time_grain),
    )


def plotly_figure(chart: ChartData) -> dict[str, Any]:
    kind = "scatter" if chart.is_time else "bar"
    traces = [
        {"type": kind, "name": name, "x": chart.categories, "y": values}
        | ({"mode": "lines+markers"} if kind == "scatter" else {})
        for name, values in chart.series.items()
    ]
    return {
        "data": traces,
        "layout": {
            "title": {"text": chart.title},
            "xaxis": {"title": {"text": chart.x_title}, "automargin": True, "type": "category"},
            "yaxis": {"title": {"text": chart.y_title}, "automargin": True},
            "barmode": "group",
            "legend": {"orientation": "h", "y": -0.3},
            "margin": {"l": 60, "r": 20, "t": 50, "b": 90},
            "font": {"family": "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif"},
            "height": 400,
        },
    }


def figure_json(figure: dict[str, Any]) -> str:
    import plotly.io

    text = plotly.io.to_json(figure, validate=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _period_end(start: dt.date, grain: str) -> dt.date:
    if grain == "day":
        return start + dt.timedelta(days=1)
    if grain == "week":
        return start + dt.timedelta(days=7)
    months = 1 if grain == "month" else 3
    month = start.month - 1 + months
    return dt.date(start.year + month // 12, month % 12 + 1, 1)


@dataclass
class DrillDown:
    columns: list[str]
    rows: list[tuple[int, list[Any]]]  # (pk, cells)
    link: str
    limit: int


def drill_down(spec: PivotSpec, values: dict[str, str], *, limit: int = DRILL_LIMIT) -> DrillDown:
    """The first `limit` records behind one pivot cell: the spec's filters plus one value per
    dimension (time dimensions: the period starting at the ISO date)."""
    dataset = datasets()[spec.dataset]
    if dataset.key == "kpis":
        raise PivotError(
            _("KPI rows have no drill-down; open the quality reports."), code="no_drill"
        )
    qs = _filtered(dataset, spec)
    tz = timezone.get_current_timezone()
    for dim, value in values.items():
        if dim not in spec.dimensions:
            raise PivotError(
                _("“%s” is not a dimension of this report.") % dim[:50],
                fields={dim[:50]: _("Not a dimension of this report.")},
            )
        grain = dataset.dimensions[dim].time_grain
        if grain:
            try:
                start = dt.date.fromisoformat(value)
            except ValueError:
                raise PivotError(
                    _("Give a date as YYYY-MM-DD."), fields={dim: _("Bad date.")}
                ) from None
            begin = dt.datetime.combine(start, dt.time.min, tz)
            end = dt.datetime.combine(_period_end(start, grain), dt.time.min, tz)
            qs = qs.filter(
                **{f"{dataset.date_field}__gte": begin, f"{dataset.date_field}__lt": end}
            )
            continue
        name = f"x_{dim}"
        qs = qs.annotate(**{name: _dimension_expression(dataset, dim)})
        qs = qs.filter(Q(**{f"{name}__isnull": True}) if value == NONE else Q(**{name: value}))
    names = [f for f, _label in dataset.drill_fields]
    records = qs.order_by(F(dataset.date_field).desc(), "-pk").values_list("pk", *names)[:limit]
    rows = []
    for pk, *cells in records:
        shown = []
        for (field, _label), cell in zip(dataset.drill_fields, cells, strict=True):
            if isinstance(cell, dt.datetime):
                cell = timezone.localtime(cell).strftime("%Y-%m-%d %H:%M")
            elif field in dataset.dimensions and cell is not None:
                cell = display_value(dataset, field, cell)
            shown.append(cell)
        rows.append((pk, shown))
    return DrillDown(
        [str(label) for _f, label in dataset.drill_fields], rows, dataset.drill_link, limit
    )
