"""The pivot engine (M48): a whitelisted spec → one GROUP BY in the database (count, sum, mean;
median and p90 with percentile_cont on PostgreSQL) or, for percentiles on SQLite, a polars
group-by over the bulk-loaded columns. Bounded by a group limit and a statement timeout."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.db import OperationalError, connection, transaction
from django.db.models import Aggregate, Avg, Count, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import KefuError
from kefu.reports.pivot.fields import AGGREGATE_LABELS, Dataset, datasets

MAX_DIMENSIONS = 3
MAX_MEASURES = 6
MAX_FILTER_VALUES = 200
ROW_LIMIT = 5_000
SOURCE_ROW_LIMIT = 2_000_000  # rows loaded for percentiles where the database cannot do them
TIMEOUT_S = 20.0
NONE = "∅"  # how an empty dimension value is written in filters and drill-downs


class PivotError(KefuError):
    """A bad or too-large pivot request (HTTP 400 naming the field)."""

    status = 400
    code = "bad_pivot"


class Percentile(Aggregate):
    """percentile_cont(q) WITHIN GROUP (ORDER BY x): linear interpolation (PostgreSQL)."""

    function = "PERCENTILE_CONT"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra):
        inner, params = compiler.compile(self.source_expressions[0])
        return f"PERCENTILE_CONT({self.fraction:.4f}) WITHIN GROUP (ORDER BY {inner})", params


QUANTILES = {"median": 0.5, "p90": 0.9}


@dataclass
class PivotSpec:
    dataset: str
    dimensions: list[str]
    measures: list[tuple[str, str]]  # (aggregate, measure key)
    filters: dict[str, list[str]] = field(default_factory=dict)
    start: dt.date | None = None
    end: dt.date | None = None  # inclusive

    def as_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "dimensions": list(self.dimensions),
            "measures": [f"{a}:{m}" for a, m in self.measures],
            "filters": {k: list(v) for k, v in self.filters.items()},
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }


@dataclass
class Column:
    key: str
    label: str
    unit: str = ""
    is_dimension: bool = False


@dataclass
class PivotResult:
    spec: PivotSpec
    columns: list[Column]
    rows: list[list[Any]]
    elapsed_s: float = 0.0
    engine: str = "database"

    @property
    def dimension_columns(self) -> list[Column]:
        return [c for c in self.columns if c.is_dimension]

    @property
    def measure_columns(self) -> list[Column]:
        return [c for c in self.columns if not c.is_dimension]


def _bad(field_name: str, message: str) -> PivotError:
    return PivotError(message, fields={field_name: message})


def _date(value: Any, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _bad(name, _("Give a date as YYYY-MM-DD.")) from None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in value.split(",") if v]
    return [str(v) for v in value if str(v)]


def parse_spec(data: Mapping[str, Any]) -> PivotSpec:
    """Validate a request against the whitelist; unknown names → PivotError naming the field.
    `data`: dataset, dimensions (list or comma text), measures ("agg:field"), filters
    ({dimension: [values]}), start, end."""
    all_sets = datasets()
    name = str(data.get("dataset") or "tickets")
    if name not in all_sets:
        raise _bad("dataset", _("Unknown data set “%s”.") % name[:50])
    dataset = all_sets[name]
    dims = _as_list(data.get("dimensions"))
    if len(dims) > MAX_DIMENSIONS:
        raise _bad("dimensions", _("Choose at most %d dimensions.") % MAX_DIMENSIONS)
    for dim in dims:
        if dim not in dataset.dimensions:
            raise _bad("dimensions", _("“%s” is not a dimension of this data set.") % dim[:50])
    if len(set(dims)) != len(dims):
        raise _bad("dimensions", _("Each dimension can be chosen once."))
    if sum(1 for d in dims if dataset.dimensions[d].time_grain) > 1:
        raise _bad("dimensions", _("Choose one time dimension."))
    raw_measures = _as_list(data.get("measures")) or [
        f"{dataset.aggregates[0]}:{next(iter(dataset.measures))}"
    ]
    if len(raw_measures) > MAX_MEASURES:
        raise _bad("measures", _("Choose at most %d measures.") % MAX_MEASURES)
    measures = []
    for raw in raw_measures:
        aggregate, _sep, key = raw.partition(":")
        if aggregate == "count" and not key:
            key = next(iter(dataset.measures))
        if aggregate not in dataset.aggregates:
            raise _bad("measures", _("“%s” is not an aggregate of this data set.") % aggregate[:50])
        if key not in dataset.measures:
            raise _bad("measures", _("“%s” is not a numeric field of this data set.") % key[:50])
        if aggregate != "count" and dataset.measures[key].expression() == "pk":
            raise _bad("measures", _("Records can only be counted."))
        measures.append((aggregate, key))
    filters: dict[str, list[str]] = {}
    for dim, values in dict(data.get("filters") or {}).items():
        if (
            dataset.key == "kpis"
            or dim not in dataset.dimensions
            or dataset.dimensions[dim].time_grain
        ):
            raise _bad(f"filters.{dim[:50]}", _("“%s” cannot be filtered on.") % dim[:50])
        values = _as_list(values)
        if len(values) > MAX_FILTER_VALUES:
            raise _bad(f"filters.{dim}", _("Too many values."))
        if values:
            filters[dim] = values
    start, end = _date(data.get("start"), "start"), _date(data.get("end"), "end")
    if start and end and end < start:
        raise _bad("end", _("The end date is before the start date."))
    return PivotSpec(name, dims, measures, filters, start, end)


@contextlib.contextmanager
def bounded_time(seconds: float) -> Iterator[None]:
    """Abort the queries run inside after `seconds`: statement_timeout on PostgreSQL, a
    progress handler on SQLite. Raises PivotError with a clear message when exceeded."""
    try:
        if connection.vendor == "postgresql":
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('statement_timeout', %s, true)",
                        [str(int(seconds * 1000))],
                    )
                yield
        elif connection.vendor == "sqlite":
            connection.ensure_connection()
            deadline = time.monotonic() + seconds
            raw = connection.connection
            raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 1_000)
            try:
                yield
            finally:
                raw.set_progress_handler(None, 0)
        else:  # pragma: no cover - other databases are not supported
            yield
    except OperationalError as exc:
        text = str(exc).lower()
        if "timeout" in text or "cancel" in text or "interrupt" in text:
            raise PivotError(
                _("The report took longer than %d seconds. Narrow the dates or add filters.")
                % max(1, round(seconds)),
                code="timeout",
            ) from exc
        raise


def _filtered(dataset: Dataset, spec: PivotSpec):
    qs = dataset.queryset()
    tz = timezone.get_current_timezone()
    if spec.start:
        qs = qs.filter(
            **{f"{dataset.date_field}__gte": dt.datetime.combine(spec.start, dt.time.min, tz)}
        )
    if spec.end:
        end = dt.datetime.combine(spec.end + dt.timedelta(days=1), dt.time.min, tz)
        qs = qs.filter(**{f"{dataset.date_field}__lt": end})
    for dim, values in spec.filters.items():
        name = f"f_{dim}"
        qs = qs.annotate(**{name: _dimension_expression(dataset, dim)})
        condition = Q(**{f"{name}__in": [v for v in values if v != NONE]})
        if NONE in values:
            condition |= Q(**{f"{name}__isnull": True})
        qs = qs.filter(condition)
    return qs


def _dimension_expression(dataset: Dataset, dim: str):
    from django.db.models import F

    expression = dataset.dimensions[dim].expression()
    return F(expression) if isinstance(expression, str) else expression


def _measure_expression(dataset: Dataset, key: str):
    from django.db.models import F

    expression = dataset.measures[key].expression()
    return F(expression) if isinstance(expression, str) else expression


def _columns(dataset: Dataset, spec: PivotSpec) -> list[Column]:
    columns = [
        Column(d, str(dataset.dimensions[d].label), is_dimension=True) for d in spec.dimensions
    ]
    for aggregate, key in spec.measures:
        measure = dataset.measures[key]
        unit = "count" if aggregate == "count" else measure.unit
        label = (
            str(measure.label)
            if aggregate in ("count", "kpi")
            else f"{AGGREGATE_LABELS[aggregate]}: {measure.label}"
        )
        if aggregate == "count":
            label = f"{AGGREGATE_LABELS['count']}: {measure.label}"
        columns.append(Column(f"{aggregate}:{key}", label, unit))
    return columns


def run_pivot(
    spec: PivotSpec,
    *,
    row_limit: int = ROW_LIMIT,
    timeout_s: float = TIMEOUT_S,
    use_summary: bool = True,
) -> PivotResult:
    """Aggregate the dataset by the spec's dimensions; rows sorted by the dimensions. Ticket
    pivots the daily summary can answer (kefu.reports.summary) are read from it unless
    `use_summary` is off."""
    from kefu.reports import summary

    dataset = datasets()[spec.dataset]
    started = time.perf_counter()
    columns = _columns(dataset, spec)
    if dataset.key == "kpis":
        rows, engine = _kpi_rows(dataset, spec), "quality.kpi_report"
    else:
        needs_quantile = any(a in QUANTILES for a, _k in spec.measures)
        with bounded_time(timeout_s):
            rollup = summary.choose_rollup(spec) if use_summary else None
            if rollup is not None:
                rows = summary.summary_rows(dataset, spec, rollup, row_limit, _too_many)
                engine = "summary"
            elif needs_quantile and connection.vendor != "postgresql":
                rows, engine = _polars_rows(dataset, spec, row_limit), "polars"
            else:
                rows, engine = _database_rows(dataset, spec, row_limit), "database"
    rows = [_clean(row, len(spec.dimensions)) for row in rows]
    return PivotResult(spec, columns, rows, round(time.perf_counter() - started, 3), engine)


def _clean(row, n_dims: int) -> list[Any]:
    out = []
    for i, value in enumerate(row):
        if i < n_dims and isinstance(value, dt.datetime):
            value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
        elif i >= n_dims and value is not None and not isinstance(value, int):
            value = float(value)
        out.append(value)
    return out


def _too_many(limit: int) -> PivotError:
    return PivotError(
        _("The report has more than %(n)s rows. Choose fewer dimensions or add filters.")
        % {"n": f"{limit:,}"},
        code="too_large",
    )


def _database_rows(dataset: Dataset, spec: PivotSpec, row_limit: int) -> list[tuple]:
    qs = _filtered(dataset, spec)
    dims = {f"d{i}": _dimension_expression(dataset, d) for i, d in enumerate(spec.dimensions)}
    aggregates = {}
    for i, (aggregate, key) in enumerate(spec.measures):
        expression = _measure_expression(dataset, key)
        if aggregate == "count":
            aggregates[f"m{i}"] = Count(expression)
        elif aggregate == "sum":
            aggregates[f"m{i}"] = Sum(Cast(expression, FloatField()))
        elif aggregate == "mean":
            aggregates[f"m{i}"] = Avg(Cast(expression, FloatField()))
        else:
            aggregates[f"m{i}"] = Percentile(expression, QUANTILES[aggregate])
    if dims:
        grouped = qs.annotate(**dims).values(*dims).annotate(**aggregates).order_by(*dims)
        rows = list(grouped.values_list(*dims, *aggregates)[: row_limit + 1])
        if len(rows) > row_limit:
            raise _too_many(row_limit)
        return rows
    totals = qs.aggregate(**aggregates)
    return [tuple(totals[k] for k in aggregates)]


def _polars_rows(dataset: Dataset, spec: PivotSpec, row_limit: int) -> list[tuple]:
    qs = _filtered(dataset, spec)
    dims = {f"d{i}": _dimension_expression(dataset, d) for i, d in enumerate(spec.dimensions)}
    keys = list(dict.fromkeys(k for _a, k in spec.measures))
    values = {f"v_{k}": Cast(_measure_expression(dataset, k), FloatField()) for k in keys}
    data = list(qs.annotate(**dims, **values).values_list(*dims, *values)[: SOURCE_ROW_LIMIT + 1])
    if len(data) > SOURCE_ROW_LIMIT:
        raise PivotError(
            _("Percentiles over more than %s records need PostgreSQL; add filters.")
            % f"{SOURCE_ROW_LIMIT:,}",
            code="too_large",
        )
    names = [*dims, *values]
    frame = pl.DataFrame(data, schema=names, orient="row", infer_schema_length=None)
    exprs = []
    for i, (aggregate, key) in enumerate(spec.measures):
        col = pl.col(f"v_{key}")
        exprs.append(
            {
                "count": col.count(),
                "sum": pl.when(col.count() > 0).then(col.sum()),  # SQL: NULL
                "mean": col.mean(),
                "median": col.quantile(0.5, interpolation="linear"),
                "p90": col.quantile(0.9, interpolation="linear"),
            }[aggregate].alias(f"m{i}")
        )
    if dims:
        out = frame.group_by(list(dims)).agg(exprs).sort(list(dims), nulls_last=True)
    else:
        out = frame.select(exprs)
    if out.height > row_limit:
        raise _too_many(row_limit)
    return out.rows()


def _kpi_rows(dataset: Dataset, spec: PivotSpec) -> list[tuple]:
    from kefu.quality.selectors import kpi_report

    grain = next((d for d in spec.dimensions if dataset.dimensions[d].time_grain), "")
    level = (
        "agent"
        if "agent" in spec.dimensions
        else "team"
        if "team" in spec.dimensions
        else "company"
    )
    end = spec.end or timezone.localdate()
    start = spec.start or (end - dt.timedelta(days=89))
    if (end - start).days > 730:
        raise _bad("start", _("KPI reports cover at most two years."))
    frame = kpi_report(level=level, period=grain or "month", start=start, end=end)
    codes = [key for _a, key in spec.measures]
    if not grain:  # whole range: counts add up over the months, rates and times average
        frame = frame.group_by("level_key", "level_name").agg(
            [
                pl.col(c).sum()
                if dataset.measures[c].unit in ("count", "amount")
                else pl.col(c).mean()
                for c in codes
            ]
        )
    selected = []
    for dim in spec.dimensions:
        selected.append(
            pl.col("period_start") if dataset.dimensions[dim].time_grain else pl.col("level_name")
        )
    frame = frame.sort([c.meta.output_name() for c in selected] or ["level_key"])
    return frame.select(*selected, *codes).rows()
