"""KPI computation benchmark (issue 11): 500 agents over a year with 5,000,000 tickets in < 10 s.

    .venv/bin/python bench/bench_quality.py --quick     # 50 agents, 200,000 tickets
    .venv/bin/python bench/bench_quality.py             # 500 agents, 5,000,000 tickets
    KEFU_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kefu_bench_quality \
        .venv/bin/python bench/bench_quality.py --pg     # the fact table on PostgreSQL
    .venv/bin/python bench/bench_quality.py --events    # also time the old all-events path

Draws a synthetic year of stored facts in the shape kefu.quality.loaders produces (tickets,
status and assignment events with transfers, pending pauses and reopenings, public messages,
agent actions, calls, SLA outcomes, CSAT answers, QA scores, compensation) with numpy (not
timed), then times:

1. building the per-agent-per-day fact table (kefu.quality.facts.day_facts) for the year —
   the background refresh's work; in production it runs a month at a time;
2. a dashboard request on 31 December at 15:30 (agent × week, team × month, company × day
   over the year), as kefu.quality.selectors.kpi_report answers it: the whole closed periods
   read from the fact table (polars, and with --pg in PostgreSQL after a bulk COPY of the
   fact rows: kefu.quality.factstore.report), plus the current period = its closed days from
   the table and today from the events of today's tickets
   (kefu.quality.facts.current_period_report);
3. with --events, the old path: compute_kpis over the whole year of events.

The target is judged on 2. Loading today's events from the database is not timed here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kefu.quality.facts import aggregate_facts, current_period_report, day_facts, report_from_facts
from kefu.quality.kpis import KpiFrames, compute_kpis

TARGET_S = 10.0
YEAR_START = dt.datetime(2026, 1, 1)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_frames(n_tickets: int, n_agents: int, seed: int = 7) -> KpiFrames:
    rng = np.random.default_rng(seed)
    n_teams = max(1, n_agents // 25)
    us = 1_000_000
    year_us = 365 * 86_400 * us
    ids = np.arange(1, n_tickets + 1, dtype=np.int64)
    created = rng.integers(0, year_us, n_tickets)
    agent = rng.integers(1, n_agents + 1, n_tickets)
    team = (agent - 1) % n_teams + 1
    first_reply = created + rng.exponential(1800 * us, n_tickets).astype(np.int64)
    solved = first_reply + rng.exponential(6 * 3600 * us, n_tickets).astype(np.int64)
    paused = rng.random(n_tickets) < 0.3  # waited for the customer
    pause_start = first_reply + 60 * us
    pause_end = pause_start + rng.exponential(3600 * us, n_tickets).astype(np.int64)
    solved = np.where(paused, np.maximum(solved, pause_end + 60 * us), solved)
    reopened = rng.random(n_tickets) < 0.08
    reopen_at = solved + rng.exponential(86_400 * us, n_tickets).astype(np.int64)
    resolved_again = reopen_at + rng.exponential(3 * 3600 * us, n_tickets).astype(np.int64)
    transferred = rng.random(n_tickets) < 0.1
    transfer_at = first_reply + 30 * us
    new_agent = rng.integers(1, n_agents + 1, n_tickets)

    def ts(values) -> pl.Series:
        return pl.Series(values + int(YEAR_START.timestamp()) * us).cast(pl.Datetime("us"))

    def cat(*parts):
        return np.concatenate(parts)

    p, r = np.flatnonzero(paused), np.flatnonzero(reopened)
    status = pl.DataFrame(
        {
            "ticket_id": cat(ids, ids[p], ids[p], ids, ids[r], ids[r]),
            "at": ts(
                cat(
                    first_reply,
                    pause_start[p],
                    pause_end[p],
                    solved,
                    reopen_at[r],
                    resolved_again[r],
                )
            ),
            "status": ["open"] * n_tickets
            + ["pending"] * p.size
            + ["open"] * p.size
            + ["solved"] * n_tickets
            + ["open"] * r.size
            + ["solved"] * r.size,
        }
    )
    t = np.flatnonzero(transferred)
    owner = pl.DataFrame(
        {
            "ticket_id": ids[t],
            "at": ts(transfer_at[t]),
            "field": ["assignee"] * t.size,
            "old": agent[t],
            "new": new_agent[t],
        }
    )
    final_agent = np.where(transferred, new_agent, agent)
    messages = pl.DataFrame(
        {
            "ticket_id": cat(ids, ids[p], ids[p]),
            "at": ts(cat(first_reply, pause_end[p] - 30 * us, pause_end[p] + 600 * us)),
            "kind": ["reply"] * n_tickets + ["customer"] * p.size + ["reply"] * p.size,
            "author_id": cat(agent, np.zeros(p.size, dtype=np.int64), final_agent[p]),
        }
    ).with_columns(pl.col("author_id").replace(0, None))
    work = pl.DataFrame(
        {
            "ticket_id": cat(ids, ids, ids[p]),
            "at": ts(cat(first_reply, solved, pause_end[p] + 600 * us)),
            "actor_id": cat(agent, final_agent, final_agent[p]),
        }
    )
    phone = rng.random(n_tickets) < 0.3
    c = np.flatnonzero(phone)
    calls = pl.DataFrame(
        {
            "ticket_id": ids[c],
            "agent_id": agent[c],
            "at": ts(created[c] + 20 * us),
            "talk_s": rng.exponential(240, c.size),
            "wrap_s": rng.exponential(45, c.size),
        }
    )
    sla = pl.DataFrame(
        {
            "ticket_id": cat(ids, ids),
            "at": ts(cat(first_reply, solved)),
            "breached": rng.random(2 * n_tickets) < 0.12,
        }
    )
    s = np.flatnonzero(rng.random(n_tickets) < 0.2)
    csat = pl.DataFrame(
        {
            "ticket_id": ids[s],
            "agent_id": final_agent[s],
            "team_id": team[s],
            "at": ts(solved[s] + 3600 * us),
            "value": rng.integers(1, 6, s.size).astype(float),
        }
    )
    q = np.flatnonzero(rng.random(n_tickets) < 0.02)
    qa = pl.DataFrame(
        {
            "ticket_id": ids[q],
            "agent_id": final_agent[q],
            "team_id": team[q],
            "at": ts(solved[q] + 86_400 * us),
            "score": rng.uniform(50, 100, q.size),
        }
    )
    m = np.flatnonzero(rng.random(n_tickets) < 0.03)
    compensation = pl.DataFrame(
        {
            "ticket_id": ids[m],
            "agent_id": final_agent[m],
            "at": ts(solved[m] - 600 * us),
            "amount": rng.uniform(10, 500, m.size),
        }
    )
    tickets = pl.DataFrame(
        {"ticket_id": ids, "created_at": ts(created), "assignee_id": final_agent, "team_id": team}
    )
    return KpiFrames(
        tickets=tickets,
        status_events=status,
        owner_events=owner,
        messages=messages,
        work_events=work,
        calls=calls,
        sla=sla,
        csat=csat,
        qa=qa,
        compensation=compensation,
    )


def timed(label: str, func, *args, **kwargs):
    t0 = time.perf_counter()
    result = func(*args, **kwargs)
    elapsed = time.perf_counter() - t0
    rows = f"{result.height:,} rows " if isinstance(result, pl.DataFrame) else ""
    print(f"  {label}: {rows}in {elapsed:.2f} s")
    return result, elapsed


def touched_today(frames: KpiFrames, low: dt.datetime, now: dt.datetime) -> KpiFrames:
    """What the loader reads for today: tickets with an event, message or action since local
    midnight (`low`, naive UTC) or still open at `now`, with all their rows."""
    touched = [
        getattr(frames, name).filter(pl.col("at").is_between(low, now))["ticket_id"]
        for name in ("status_events", "messages", "work_events")
    ]
    last_status = (
        frames.status_events.filter(pl.col("at") <= now)
        .sort("at")
        .group_by("ticket_id")
        .agg(pl.col("status").last())
    )
    open_now = frames.tickets.filter(pl.col("created_at") <= now).join(
        last_status, on="ticket_id", how="left"
    )
    open_now = open_now.filter(pl.col("status").is_null() | (pl.col("status") != "solved"))
    ids = pl.concat([*touched, open_now["ticket_id"]]).unique().implode()
    return KpiFrames(
        **{
            name: getattr(frames, name).filter(pl.col("ticket_id").is_in(ids))
            for name in frames.__dataclass_fields__
        }
    )


def copy_to_postgres(facts: pl.DataFrame) -> float:
    """Create quality_kpiday (schema from the model) and COPY the fact rows into it."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    django.setup()
    from django.db import connection

    from kefu.quality import facts as F
    from kefu.quality.models import KpiDay, KpiFactState

    assert connection.vendor == "postgresql", "set KEFU_DATABASE_URL to a PostgreSQL database"
    with connection.schema_editor() as editor:
        for model in (KpiDay, KpiFactState):
            with connection.cursor() as cursor:
                cursor.execute(f'DROP TABLE IF EXISTS "{model._meta.db_table}" CASCADE')
            editor.create_model(model)
    columns = list(F.FACT_SCHEMA)
    buffer = io.BytesIO()
    facts.select(columns).write_csv(buffer, include_header=False, null_value="")
    t0 = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        names = ", ".join(f'"{c}"' for c in columns)
        with cursor.copy(f"COPY quality_kpiday ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        cursor.execute("ANALYZE quality_kpiday")
    raw.commit()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 agents, 200,000 tickets")
    parser.add_argument("--tickets", type=int, help="number of tickets (default 5,000,000)")
    parser.add_argument("--agents", type=int, help="number of agents (default 500)")
    parser.add_argument("--pg", action="store_true", help="also COPY to PostgreSQL and time SQL")
    parser.add_argument("--events", action="store_true", help="also time the all-events path")
    args = parser.parse_args()
    n_tickets, n_agents = (200_000, 50) if args.quick else (5_000_000, 500)
    n_tickets, n_agents = args.tickets or n_tickets, args.agents or n_agents
    scale = 5_000_000 / n_tickets
    tz = "Asia/Shanghai"
    t0 = time.perf_counter()
    frames = synthetic_frames(n_tickets, n_agents)
    rows = sum(getattr(frames, name).height for name in frames.__dataclass_fields__)
    print(
        f"generated {n_tickets:,} tickets, {n_agents} agents, {rows:,} fact rows "
        f"in {time.perf_counter() - t0:.1f} s; load average {os.getloadavg()[0]:.1f}"
    )
    today = dt.date(2026, 12, 31)
    now = dt.datetime(2026, 12, 31, 7, 30)  # 15:30 in Shanghai, naive UTC
    midnight = dt.datetime(2026, 12, 30, 16)  # local 31 December 00:00
    yesterday = today - dt.timedelta(days=1)
    # (level, period, range start, start of the current period)
    runs = [
        ("agent", "week", dt.date(2025, 12, 29), dt.date(2026, 12, 28)),
        ("team", "month", dt.date(2026, 1, 1), dt.date(2026, 12, 1)),
        ("company", "day", dt.date(2026, 1, 1), today),
    ]

    print("1. fact table for the year, a month at a time (the background refresh's work):")
    months, month_times = [], []
    for m in range(1, 13):
        first = dt.date(2026, m, 1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        load_from = first - dt.timedelta(days=first.weekday())
        # The month's tickets and those of the 20 days before (the synthetic histories are
        # short; the real refresh loads every ticket touched in the month).
        low = dt.datetime.combine(load_from - dt.timedelta(days=20), dt.time())
        ids = frames.tickets.filter(
            pl.col("created_at").is_between(low, dt.datetime.combine(last, dt.time(23, 59)))
        )["ticket_id"].implode()
        part = KpiFrames(
            **{
                name: getattr(frames, name).filter(pl.col("ticket_id").is_in(ids))
                for name in frames.__dataclass_fields__
            }
        )
        t0 = time.perf_counter()
        month = day_facts(part, start=load_from, end=last, tz=tz)
        month_times.append(time.perf_counter() - t0)
        months.append(month.filter(pl.col("day").is_between(first, last)))
    facts = pl.concat(months)
    print(
        f"  day_facts: {facts.height:,} rows; per month {min(month_times):.1f}–"
        f"{max(month_times):.1f} s, year {sum(month_times):.1f} s"
    )
    closed = facts.filter(pl.col("day") <= yesterday)
    sql = None
    if args.pg:
        copy_s = copy_to_postgres(closed)
        print(f"  COPY {closed.height:,} fact rows to PostgreSQL in {copy_s:.1f} s")
        from kefu.quality import factstore as sql

    print("2. dashboard requests on 31 December, 15:30:")
    today_frames = touched_today(frames, midnight, now)
    print(f"  today's tickets: {today_frames.tickets.height:,}")
    totals = {}
    for level, period, first, current in runs:
        scope = dict(level=level, period=period)
        whole = dict(start=first, end=current - dt.timedelta(days=1))
        prefix = dict(start=current, end=yesterday, backlog_on=[])
        spent = 0.0
        if sql is not None:
            _, s1 = timed(
                f"{level} × {period}: closed periods, PostgreSQL", sql.report, **scope, **whole
            )
            if current < today:
                (closed_sums, _), s2 = timed(
                    "  current period's closed days, PostgreSQL", sql.fact_sums, **scope, **prefix
                )
            else:
                closed_sums, s2 = (
                    pl.DataFrame(schema={"period_start": pl.Date, "level_key": pl.Utf8}),
                    0.0,
                )
        else:
            _, s1 = timed(
                f"{level} × {period}: closed periods, polars",
                report_from_facts,
                closed,
                **scope,
                **whole,
            )
            if current < today:
                (closed_sums, _), s2 = timed(
                    "  current period's closed days, polars",
                    aggregate_facts,
                    closed,
                    **scope,
                    **prefix,
                )
            else:
                closed_sums, s2 = (
                    pl.DataFrame(schema={"period_start": pl.Date, "level_key": pl.Utf8}),
                    0.0,
                )
        t0 = time.perf_counter()
        live = day_facts(today_frames, start=current, end=today, tz=tz, now=now)
        current_period_report(closed_sums, live, **scope, period_start=current, today=today)
        s3 = time.perf_counter() - t0
        print(f"  today live (day_facts + merge): in {s3:.2f} s")
        totals[(level, period)] = (s1 + s2, s3)
    for (level, period), (table_s, live_s) in totals.items():
        spent = table_s + live_s
        # The table's rows grow with agents × days, today's part with tickets per day: scale
        # each by its own ratio when the run is smaller than the target size.
        at_5m = table_s * max(1.0, 500 / n_agents) + live_s * max(1.0, scale)
        verdict = "OK" if at_5m < TARGET_S else "SLOW"
        note = "" if at_5m == spent else f", ≈ {at_5m:.2f} s scaled to 500 agents × 5 M"
        print(
            f"KPIs per {level} × {period} for the year: {spent:.2f} s"
            f" ({n_tickets:,} tickets, {n_agents} agents{note})"
            f" — target < {TARGET_S:.0f} s: {verdict}"
        )
    if args.events:
        print("3. the old path, the whole year from events:")
        for level, period, first, _ in runs:
            timed(
                f"compute_kpis {level} × {period}",
                compute_kpis,
                frames,
                level=level,
                period=period,
                start=first,
                end=today,
                tz=tz,
                now=now,
            )
    print(f"peak memory {peak_mb():,.0f} MB; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
