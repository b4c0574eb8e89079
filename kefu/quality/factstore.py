"""The KPI fact table on the database side: refresh the days touched since the watermark, and
add up whole periods in SQL for kpi_report (see kefu.quality.facts and docs/kpis.md).

The refresh works a month at a time: it loads the month's events from the Monday before the
1st (so week and month distinct-ticket counts start at their period's beginning), computes
the day facts with the same code as every KPI, and replaces the month's closed days in one
transaction. Idempotent: running it twice gives the same table.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.db.models import FloatField, Q, Sum
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone

from kefu.quality import facts as F
from kefu.quality.kpis import next_period_start

STATE_KEY = "kpi"


def _tz() -> str:
    return settings.TIME_ZONE


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _month_end(day: dt.date) -> dt.date:
    return next_period_start(_month_start(day), "month") - dt.timedelta(days=1)


def complete_through() -> dt.date | None:
    from kefu.quality.models import KpiFactState

    return (
        KpiFactState.objects.filter(key=STATE_KEY).values_list("complete_through", flat=True)
    ).first()


def touched_days(since: dt.datetime) -> set[dt.date]:
    """Local days whose facts may have changed because of data stored at or after `since`:
    the days of new events, messages, calls, SLA outcomes, survey answers, evaluations and
    compensation, and every event day of a ticket touched since (a reopening changes the
    earlier solve; a mystery-customer mark removes the ticket from every day)."""
    from kefu.channels.models import CallRecord
    from kefu.quality.models import Evaluation, MysteryContact
    from kefu.sla.models import TicketSlaTarget
    from kefu.surveys.models import Response
    from kefu.tickets.models import Compensation, Message, Ticket, TicketEvent

    zone = ZoneInfo(_tz())

    def days(qs, field: str) -> set[dt.date]:
        return set(
            qs.annotate(_d=TruncDate(field, tzinfo=zone))
            .values_list("_d", flat=True)
            .distinct()
            .order_by()
        )

    tickets = set(TicketEvent.objects.filter(at__gte=since).values_list("ticket_id", flat=True))
    tickets |= set(
        MysteryContact.objects.filter(updated_at__gte=since).values_list("ticket_id", flat=True)
    )
    out: set[dt.date] = set()
    out |= days(TicketEvent.objects.filter(ticket_id__in=tickets), "at")
    out |= days(Ticket.objects.filter(pk__in=tickets), "created_at")
    out |= days(Message.objects.filter(created_at__gte=since), "created_at")
    out |= days(CallRecord.objects.filter(updated_at__gte=since), "answered_at")
    out |= days(
        TicketSlaTarget.objects.annotate(_o=Coalesce("breached_at", "met_at")).filter(
            _o__gte=since
        ),
        "_o",
    )
    out |= days(Response.objects.filter(submitted_at__gte=since), "submitted_at")
    out |= days(Evaluation.objects.filter(updated_at__gte=since), "created_at")
    out |= days(
        Compensation.objects.filter(updated_at__gte=since).annotate(
            _w=Coalesce("decided_at", "created_at")
        ),
        "_w",
    )
    return {d for d in out if d is not None}


def _first_day() -> dt.date | None:
    from kefu.tickets.models import Ticket

    first = Ticket.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return timezone.localtime(first, ZoneInfo(_tz())).date() if first else None


def refresh_month(month: dt.date, *, last_closed: dt.date) -> int:
    """Recompute the closed days of one month; returns how many fact rows were written."""
    from kefu.quality.loaders import load_kpi_frames
    from kefu.quality.models import KpiDay

    first = _month_start(month)
    last = min(_month_end(month), last_closed)
    if last < first:
        return 0
    load_from = min(first, first - dt.timedelta(days=first.weekday()))
    tz = _tz()
    frames = load_kpi_frames(start=load_from, end=last, tz=tz)
    facts = F.day_facts(frames, start=load_from, end=last, tz=tz).filter(
        pl.col("day").is_between(first, last)
    )
    fields = list(F.FACT_SCHEMA)
    rows = [KpiDay(**dict(zip(fields, r, strict=True))) for r in facts.iter_rows()]
    with transaction.atomic():
        KpiDay.objects.filter(day__gte=first, day__lte=last).delete()
        KpiDay.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def refresh(*, full: bool = False, now: dt.datetime | None = None) -> dict:
    """Bring the fact table up to date: the months with days touched since the last scan and
    the days closed since (all months when `full` or on the first run)."""
    from kefu.quality.models import KpiFactState

    now = now or timezone.now()
    today = timezone.localtime(now, ZoneInfo(_tz())).date()
    last_closed = today - dt.timedelta(days=1)
    state, _ = KpiFactState.objects.get_or_create(key=STATE_KEY)
    months: set[dt.date] = set()
    if full or state.complete_through is None or state.scanned_at is None:
        first = _first_day()
        day = _month_start(first) if first else None
        while day is not None and day <= last_closed:
            months.add(day)
            day = next_period_start(day, "month")
    else:
        months |= {_month_start(d) for d in touched_days(state.scanned_at) if d <= last_closed}
        day = state.complete_through + dt.timedelta(days=1)
        while day <= last_closed:
            months.add(_month_start(day))
            day += dt.timedelta(days=1)
    rows = sum(refresh_month(m, last_closed=last_closed) for m in sorted(months))
    state.complete_through = last_closed
    state.scanned_at = now
    state.refreshed_at = timezone.now()
    state.days_refreshed = len(months)
    state.save()
    return {"months": sorted(months), "rows": rows, "complete_through": last_closed}


def fact_sums(
    *,
    level: str,
    period: str,
    start: dt.date,
    end: dt.date,
    team_id: int | None = None,
    agent_id: int | None = None,
    backlog_on: list[dt.date] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """kefu.quality.facts.aggregate_facts in SQL (two queries): (sums, backlog) of whole
    periods (or, with `backlog_on`, a period's first days) per period_start and level_key."""
    from kefu.quality.models import KpiDay

    starts = F.check_whole_periods(start, end, period, prefix=backlog_on is not None)
    qs = KpiDay.objects.filter(day__gte=start, day__lte=end)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if agent_id is not None:
        qs = qs.filter(agent_id=agent_id)
    group = [period]
    if level != "company":
        column = "team_id" if level == "team" else "agent_id"
        qs = qs.filter(~Q(**{f"{column}__isnull": True}))
        group.append(column)
    combo = F.work_combo(level, team_id=team_id, agent_id=agent_id)
    columns = [*F.SUMMED, "work_tickets"]
    sources = [*F.SUMMED, f"wt_{period}_{combo}"]
    last_days = F.backlog_days(starts, period) if backlog_on is None else backlog_on

    def aggregate(rows_qs, names: list[str], fields: list[str]) -> list[tuple]:
        # SUM(bigint) is numeric in PostgreSQL: cast to float8 so rows arrive as floats.
        annotations = {n: Cast(Sum(f), FloatField()) for n, f in zip(names, fields, strict=True)}
        return list(
            rows_qs.values(*group).order_by().annotate(**annotations).values_list(*group, *names)
        )

    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A year of agent × week groups fits in memory: hash them instead of a disk sort.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'")
                cursor.execute("SET LOCAL jit = off")
        sums = aggregate(qs, columns, sources)
        backlog = aggregate(
            qs.filter(day__in=last_days),
            ["backlog_n", "backlog_age_sum"],
            ["backlog_n", "backlog_age_sum"],
        )

    def frame(rows: list[tuple], names: list[str]) -> pl.DataFrame:
        schema = {"period_start": pl.Date, "level_key": pl.Utf8} | {c: pl.Float64 for c in names}
        if not rows:
            return pl.DataFrame(schema=schema)
        width = len(group)
        raw = pl.DataFrame(
            rows,
            schema=[("period_start", pl.Date)]
            + ([("_key", pl.Int64)] if width == 2 else [])
            + [(c, pl.Float64) for c in names],
            orient="row",
        )
        key = pl.lit("company") if width == 1 else pl.col("_key").cast(pl.Utf8)
        return raw.with_columns(key.alias("level_key")).select(list(schema)).fill_null(0.0)

    return frame(sums, columns), frame(backlog, ["backlog_n", "backlog_age_sum"])


def report(
    *,
    level: str,
    period: str,
    start: dt.date,
    end: dt.date,
    team_id: int | None = None,
    agent_id: int | None = None,
) -> pl.DataFrame:
    """compute_kpis's frame for whole, closed periods, read from the fact table."""
    sums, backlog = fact_sums(
        level=level, period=period, start=start, end=end, team_id=team_id, agent_id=agent_id
    )
    starts = F.check_whole_periods(start, end, period)
    return F.report_from_sums(sums, backlog, level=level, starts=starts)


def current_period(
    *,
    level: str,
    period: str,
    period_start: dt.date,
    today: dt.date,
    now: dt.datetime,
    team_id: int | None = None,
    agent_id: int | None = None,
) -> pl.DataFrame:
    """The period containing today: its closed days from the table, today from the events."""
    from kefu.quality.loaders import load_kpi_frames

    tz = _tz()
    if today > period_start:
        closed, _ = fact_sums(
            level=level,
            period=period,
            start=period_start,
            end=today - dt.timedelta(days=1),
            team_id=team_id,
            agent_id=agent_id,
            backlog_on=[],
        )
    else:
        closed = pl.DataFrame(schema={"period_start": pl.Date, "level_key": pl.Utf8})
    # Today's tickets with their work since the period began (for the distinct count).
    frames = load_kpi_frames(start=today, end=today, tz=tz, work_from=period_start)
    today_facts = F.day_facts(frames, start=period_start, end=today, tz=tz, now=now)
    return F.current_period_report(
        closed,
        today_facts,
        level=level,
        period=period,
        period_start=period_start,
        today=today,
        team_id=team_id,
        agent_id=agent_id,
    )
