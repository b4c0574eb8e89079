"""The ticket pivot's daily summary (fact) table: build, refresh and answer pivots from it.

`TicketDaySummary` holds, per local creation day × channel × kind × priority × status ×
category × root cause × team × agent, the number of tickets and, for every numeric field, the
count of set values and their sum. A pivot whose dimensions and filters are all among those
and whose aggregates are count, sum or mean is answered from the summary (a few hundred
thousand rows instead of millions of tickets) and gives the same table as the raw path:
counts and dimension values exactly, sums and means up to the order of floating-point
additions. Medians and 90th percentiles, and the customer dimensions (tier, region, cluster:
attributes of the customer that change without the ticket changing), always use the tickets.

Maintenance:
- `summary_refresh()` (task `reports.refresh_summary`, every 10 minutes) re-aggregates the
  days of every ticket saved since the watermark (minus a margin for transactions still open
  at the last run) and the last RECENT_DAYS days, where nearly all changes happen;
- `summary_rebuild()` (task `reports.rebuild_summary`, daily; command
  `kefu reports_summary rebuild`) re-aggregates everything, which also catches what a save
  does not stamp (bulk `.update()` of old tickets, deletions).
The summary is only used when it was built in the current time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, F, FloatField, Func, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone

from kefu.reports.models import SummaryState, TicketDaySummary

NAME = "tickets"
RECENT_DAYS = 35  # always re-aggregated by a refresh
SAVE_MARGIN = dt.timedelta(minutes=15)  # transactions open at the last refresh
GROUP_FIELDS = (
    "channel",
    "kind",
    "priority",
    "status",
    "category_id",
    "root_cause_id",
    "team_id",
    "assignee_id",
)
# Roll-ups kept side by side, by day: 0 is the full key (answers any combination, but with
# many agents and categories it has nearly one row per ticket); the narrower ones are a few
# rows per day and answer the common reports. A pivot reads the smallest roll-up that has
# every column it groups or filters by.
ROLLUPS: tuple[tuple[str, ...], ...] = (
    GROUP_FIELDS,
    ("category_id", "team_id"),
    ("channel", "kind", "priority", "status"),
    ("kind", "category_id", "root_cause_id"),
    ("channel", "kind", "team_id"),
    ("status", "team_id", "assignee_id"),
)
# The pivot's ticket dimensions the summary can group and filter by (besides day/week/...),
# and the summary column each one needs.
COLUMN_OF = {
    "channel": "channel",
    "kind": "kind",
    "priority": "priority",
    "status": "status",
    "category_1": "category_id",
    "category_2": "category_id",
    "root_cause": "root_cause_id",
    "team": "team_id",
    "agent": "assignee_id",
}
DIMENSIONS = frozenset(COLUMN_OF)
AGGREGATES = frozenset({"count", "sum", "mean"})


def _measures() -> dict:
    from kefu.reports.pivot.fields import ticket_dataset

    return {k: m for k, m in ticket_dataset().measures.items() if m.expression() != "pk"}


def _aggregations() -> dict:
    """Per group: tickets and, per numeric field, the count of set values and their sum."""
    out = {"tickets": Count("pk")}
    for key, measure in _measures().items():
        expression = measure.expression()
        expression = F(expression) if isinstance(expression, str) else expression
        out[f"{key}_n"] = Count(expression)
        out[f"{key}_sum"] = Sum(Cast(expression, FloatField()))
    return out


def _insert_days(condition: Q | None, day_q: Q | None) -> None:
    """INSERT … SELECT the aggregates of the (not merged) tickets matching `condition` as
    roll-up 0, then every narrower roll-up from roll-up 0's rows of the same days."""
    from kefu.tickets.models import Ticket

    qs = Ticket.objects.filter(merged_into__isnull=True)
    if condition is not None:
        qs = qs.filter(condition)
    aggregations = _aggregations()
    grouped = (
        qs.annotate(day=TruncDate("created_at"))
        .values("day", *GROUP_FIELDS)
        .annotate(**aggregations)
        .order_by()
    )
    _insert(grouped, 0, ["day", *GROUP_FIELDS, *aggregations])
    for index, fields in enumerate(ROLLUPS[1:], start=1):
        base = TicketDaySummary.objects.filter(rollup=0)
        if day_q is not None:
            base = base.filter(day_q)
        # Sums of counts stay integers; sums of float sums stay NULL when all were NULL.
        rolled = base.values("day", *fields).annotate(**{f"r_{k}": Sum(k) for k in aggregations})
        rolled = rolled.order_by()
        select, params = rolled.query.sql_with_params()
        _insert_sql(
            select,
            params,
            index,
            ["day", *fields, *aggregations],
            ["day", *fields, *(f"r_{k}" for k in aggregations)],
        )


def _insert(grouped, rollup: int, columns: list[str]) -> None:
    select, params = grouped.query.sql_with_params()
    _insert_sql(select, params, rollup, columns, columns)


def _insert_sql(select, params, rollup: int, columns: list[str], aliases: list[str]) -> None:
    qn = connection.ops.quote_name
    table = qn(TicketDaySummary._meta.db_table)
    names = ", ".join(qn(c) for c in ["rollup", *columns])
    sub = ", ".join(f"sub.{qn(c)}" for c in aliases)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT %s, {sub} FROM ({select}) sub",
            (rollup, *params),
        )


def _day_ranges(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Contiguous runs of days as (first, last) pairs."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + dt.timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _created_in(runs: list[tuple[dt.date, dt.date]]) -> Q:
    tz = timezone.get_current_timezone()
    condition = Q(pk__in=[])
    for first, last in runs:
        condition |= Q(
            created_at__gte=dt.datetime.combine(first, dt.time.min, tz),
            created_at__lt=dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tz),
        )
    return condition


def _state() -> SummaryState:
    state, _created = SummaryState.objects.select_for_update().get_or_create(
        name=NAME, defaults={"time_zone": timezone.get_current_timezone_name()}
    )
    return state


@transaction.atomic
def summary_rebuild() -> SummaryState:
    """Re-aggregate every ticket (in the current time zone)."""
    now = timezone.now()
    state = _state()
    TicketDaySummary.objects.all().delete()
    _insert_days(None, None)
    state.time_zone = timezone.get_current_timezone_name()
    state.watermark = state.rebuilt_at = now
    state.days_refreshed = (
        TicketDaySummary.objects.filter(rollup=0).values("day").distinct().count()
    )
    _count_rows(state)
    state.save()
    return state


@transaction.atomic
def summary_refresh() -> SummaryState:
    """Re-aggregate the days touched since the watermark and the last RECENT_DAYS days (a full
    rebuild when there is no summary yet or it was built in another time zone)."""
    from kefu.tickets.models import Ticket

    now = timezone.now()
    state = _state()
    if state.watermark is None or state.time_zone != timezone.get_current_timezone_name():
        return summary_rebuild()
    today = timezone.localdate(now)
    days = {today - dt.timedelta(days=i) for i in range(RECENT_DAYS + 1)}
    touched = (
        Ticket.objects.filter(updated_at__gte=state.watermark - SAVE_MARGIN)
        .annotate(day=TruncDate("created_at"))
        .values_list("day", flat=True)
        .distinct()
    )
    days.update(touched)
    runs = _day_ranges(days)
    day_q = Q(pk__in=[])
    for first, last in runs:
        day_q |= Q(day__gte=first, day__lte=last)
    before = _rows_by_rollup(day_q)
    TicketDaySummary.objects.filter(day_q).delete()
    _insert_days(_created_in(runs), day_q)
    after = _rows_by_rollup(day_q)
    sizes = dict(state.rows_by_rollup or {})
    for i in range(len(ROLLUPS)):
        key = str(i)
        sizes[key] = int(sizes.get(key, 0)) + after.get(i, 0) - before.get(i, 0)
    state.rows_by_rollup = sizes
    state.rows = sum(sizes.values())
    state.watermark = now
    state.days_refreshed = len(days)
    state.save()
    return state


def _rows_by_rollup(day_q: Q | None = None) -> dict[int, int]:
    qs = TicketDaySummary.objects.all() if day_q is None else TicketDaySummary.objects.filter(day_q)
    return dict(qs.values_list("rollup").annotate(n=Count("pk")).order_by())


def _count_rows(state: SummaryState) -> None:
    counts = _rows_by_rollup()
    state.rows_by_rollup = {str(i): int(counts.get(i, 0)) for i in range(len(ROLLUPS))}
    state.rows = sum(state.rows_by_rollup.values())


def _ready_state() -> SummaryState | None:
    """The summary's state when it exists and its days are in the current time zone."""
    state = SummaryState.objects.filter(name=NAME).first()
    if (
        state is None
        or state.watermark is None
        or state.time_zone != timezone.get_current_timezone_name()
    ):
        return None
    return state


def summary_ready() -> bool:
    return _ready_state() is not None


def answerable(spec) -> bool:
    """Can the summary answer this ticket pivot exactly (see the module docstring)?"""
    from kefu.reports.pivot.fields import TIME_GRAINS

    if spec.dataset != "tickets":
        return False
    if any(d not in DIMENSIONS and d not in TIME_GRAINS for d in spec.dimensions):
        return False
    if any(d not in DIMENSIONS for d in spec.filters):
        return False
    return all(a in AGGREGATES for a, _k in spec.measures)


def choose_rollup(spec, state: SummaryState | None = None) -> int | None:
    """The smallest roll-up with every column the spec groups or filters by (None: the
    summary cannot answer it or is not ready)."""
    if not answerable(spec):
        return None
    state = state or _ready_state()
    if state is None:
        return None
    needed = {COLUMN_OF[d] for d in (*spec.dimensions, *spec.filters) if d in COLUMN_OF}
    sizes = state.rows_by_rollup or {}
    covering = [i for i, fields in enumerate(ROLLUPS) if needed <= set(fields)]
    return min(covering, key=lambda i: (sizes.get(str(i), 0), len(ROLLUPS[i]), i))


class _Divide(Func):
    """a / NULLIF(b, 0) as double precision (NULL when no values)."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):
        (a, a_params), (b, b_params) = (compiler.compile(e) for e in self.source_expressions)
        sql = f"(CAST({a} AS DOUBLE PRECISION) / CAST(NULLIF({b}, 0) AS DOUBLE PRECISION))"
        return sql, (*a_params, *b_params)


def summary_rows(dataset, spec, rollup: int, row_limit: int, too_many) -> list[tuple]:
    """The pivot's rows from a roll-up of the summary (same columns, order and NULL handling
    as the raw GROUP BY in kefu.reports.pivot.engine)."""
    from kefu.reports.pivot.engine import NONE
    from kefu.reports.pivot.fields import TIME_GRAINS

    def dimension(key: str):
        if key in TIME_GRAINS:
            return F("day") if key == "day" else TIME_GRAINS[key]("day")
        expression = dataset.dimensions[key].expression()
        return F(expression) if isinstance(expression, str) else expression

    qs = TicketDaySummary.objects.filter(rollup=rollup)
    if spec.start:
        qs = qs.filter(day__gte=spec.start)
    if spec.end:
        qs = qs.filter(day__lte=spec.end)
    for dim, values in spec.filters.items():
        name = f"f_{dim}"
        qs = qs.annotate(**{name: dimension(dim)})
        condition = Q(**{f"{name}__in": [v for v in values if v != NONE]})
        if NONE in values:
            condition |= Q(**{f"{name}__isnull": True})
        qs = qs.filter(condition)
    dims = {f"d{i}": dimension(d) for i, d in enumerate(spec.dimensions)}
    aggregates = {}
    for i, (aggregate, key) in enumerate(spec.measures):
        if dataset.measures[key].expression() == "pk":
            aggregates[f"m{i}"] = Cast(Coalesce(Sum("tickets"), Value(0)), BigIntegerField())
        elif aggregate == "count":
            aggregates[f"m{i}"] = Cast(Coalesce(Sum(f"{key}_n"), Value(0)), BigIntegerField())
        elif aggregate == "sum":
            aggregates[f"m{i}"] = Sum(f"{key}_sum", output_field=FloatField())
        else:
            aggregates[f"m{i}"] = _Divide(Sum(f"{key}_sum"), Sum(f"{key}_n"))
    if dims:
        grouped = qs.annotate(**dims).values(*dims).annotate(**aggregates).order_by(*dims)
        rows = list(grouped.values_list(*dims, *aggregates)[: row_limit + 1])
        if len(rows) > row_limit:
            raise too_many(row_limit)
        return rows
    totals = qs.aggregate(**aggregates)
    return [tuple(totals[k] for k in aggregates)]
