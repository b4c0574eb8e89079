"""Per-agent-per-day KPI facts: the additive parts of every KPI, so a report over a year reads
about 365 × agents rows instead of millions of events (issue 11 performance).

Pure polars. The facts are *derived from* `kefu.quality.kpis.kpi_records` — the one place the
KPI definitions of docs/kpis.md are implemented — and only add them up per local day, agent
and team; `report_from_sums` turns the sums back into the same figures as
`kpis.compute_kpis` (tests check both paths give identical figures).

Means and rates are stored as (sum, count) pairs. Average handling time divides by *distinct*
tickets worked, which does not add up across days, agents or teams: for each period (day, ISO
week, month) and each way of telling tickets apart (by ticket alone, per team, per agent, per
agent and team) the facts count a ticket once, on the first day (and lowest agent, team) it
was worked in that period. Summing the right count over the rows of whole periods gives the
distinct count exactly, whatever the filters.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from kefu.quality.kpis import (
    KPI_CODES,
    PERIODS,
    ZERO_WHEN_EMPTY,
    KpiFrames,
    KpiSettings,
    kpi_records,
    next_period_start,
    period_starts,
)

KEYS = ("day", "agent_id", "team_id")
# How tickets are told apart for distinct counts: key columns besides the ticket.
WORK_COMBOS: dict[str, tuple[str, ...]] = {
    "c": (),
    "t": ("team_id",),
    "a": ("agent_id",),
    "at": ("agent_id", "team_id"),
}
WORK_TICKET_COLUMNS = tuple(f"wt_{p}_{c}" for p in PERIODS for c in WORK_COMBOS)
COUNT_COLUMNS = (
    "created_n",
    "solved_n",
    "resolution_n",
    "first_solve_n",
    "fcr_n",
    "reopen_n",
    "first_resp_n",
    "next_resp_n",
    "backlog_n",
    "sla_n",
    "sla_met_n",
    "csat_n",
    "csat_top_n",
    "qa_n",
    "activity_n",  # records of any kind (tells which agents/teams appear in a report)
    *WORK_TICKET_COLUMNS,
)
SUM_COLUMNS = (
    "resolution_sum",
    "first_resp_sum",
    "next_resp_sum",
    "work_sum",
    "backlog_age_sum",
    "qa_sum",
    "comp_sum",
)
FACT_COLUMNS = COUNT_COLUMNS + SUM_COLUMNS
# The columns a report adds up (the distinct-ticket count is picked per period and filter).
SUMMED = tuple(c for c in FACT_COLUMNS if c not in WORK_TICKET_COLUMNS and c[:7] != "backlog")
FACT_SCHEMA: dict[str, pl.DataType] = {
    "day": pl.Date,
    "week": pl.Date,
    "month": pl.Date,
    "agent_id": pl.Int64,
    "team_id": pl.Int64,
    **{c: pl.Int64 for c in COUNT_COLUMNS},
    **{c: pl.Float64 for c in SUM_COLUMNS},
}
_TRUNC = {"week": "1w", "month": "1mo"}


def empty_facts() -> pl.DataFrame:
    return pl.DataFrame(schema=FACT_SCHEMA)


def day_facts(
    frames: KpiFrames,
    *,
    start: dt.date,
    end: dt.date,
    tz: str,
    now: dt.datetime | None = None,
    settings: KpiSettings | None = None,
) -> pl.DataFrame:
    """One row per (local day, agent, team) of [start, end] with anything to count (`now`,
    naive UTC, caps today's backlog instant as compute_kpis does).

    The distinct-ticket counts of weeks and months are right for every day whose week and
    month start on or after `start` (the refresh loads from the Monday before the month)."""
    r = kpi_records(
        frames,
        level="company",
        period="day",
        start=start,
        end=end,
        tz=tz,
        now=now,
        settings=settings,
    )
    keyed = {
        name: frame.rename({"period_start": "day"})
        for name, frame in r.items()
        if name != "periods"
    }
    n = pl.len().cast(pl.Int64)
    parts = [
        keyed["created"].group_by(KEYS).agg(n.alias("created_n"), n.alias("activity_n")),
        keyed["solves"]
        .group_by(KEYS)
        .agg(
            n.alias("solved_n"),
            n.alias("activity_n"),
            pl.col("resolution_s").count().cast(pl.Int64).alias("resolution_n"),
            pl.col("resolution_s").sum().alias("resolution_sum"),
            pl.col("first_solve").sum().cast(pl.Int64).alias("first_solve_n"),
            (pl.col("fcr") & pl.col("first_solve")).sum().cast(pl.Int64).alias("fcr_n"),
            (pl.col("reopened") & pl.col("first_solve")).sum().cast(pl.Int64).alias("reopen_n"),
        ),
        keyed["first"]
        .group_by(KEYS)
        .agg(
            n.alias("activity_n"),
            pl.col("seconds").count().cast(pl.Int64).alias("first_resp_n"),
            pl.col("seconds").sum().alias("first_resp_sum"),
        ),
        keyed["next"]
        .group_by(KEYS)
        .agg(
            n.alias("activity_n"),
            pl.col("seconds").count().cast(pl.Int64).alias("next_resp_n"),
            pl.col("seconds").sum().alias("next_resp_sum"),
        ),
        keyed["work"]
        .group_by(KEYS)
        .agg(n.alias("activity_n"), pl.col("seconds").sum().alias("work_sum")),
        keyed["backlog"]
        .group_by(KEYS)
        .agg(n.alias("backlog_n"), pl.col("age_s").sum().alias("backlog_age_sum")),
        keyed["sla"]
        .group_by(KEYS)
        .agg(
            n.alias("activity_n"),
            pl.col("breached").count().cast(pl.Int64).alias("sla_n"),
            (~pl.col("breached")).sum().cast(pl.Int64).alias("sla_met_n"),
        ),
        keyed["csat"]
        .group_by(KEYS)
        .agg(
            n.alias("activity_n"),
            pl.col("value").count().cast(pl.Int64).alias("csat_n"),
            (pl.col("value") >= 4).sum().cast(pl.Int64).alias("csat_top_n"),
        ),
        keyed["qa"]
        .group_by(KEYS)
        .agg(
            n.alias("activity_n"),
            pl.col("score").count().cast(pl.Int64).alias("qa_n"),
            pl.col("score").sum().alias("qa_sum"),
        ),
        keyed["compensation"]
        .group_by(KEYS)
        .agg(n.alias("activity_n"), pl.col("amount").sum().alias("comp_sum")),
        *_work_ticket_counts(keyed["work"]),
    ]
    parts = [p.with_columns(pl.col("agent_id", "team_id").cast(pl.Int64)) for p in parts]
    facts = (
        pl.concat(parts, how="diagonal_relaxed")
        .group_by(KEYS)
        .agg([pl.col(c).sum() for c in FACT_COLUMNS if c in _columns(parts)])
    )
    facts = facts.with_columns(
        [
            pl.lit(0 if c in COUNT_COLUMNS else 0.0, dtype=FACT_SCHEMA[c]).alias(c)
            for c in FACT_COLUMNS
            if c not in facts.columns
        ]
    ).with_columns(
        pl.col("day").dt.truncate("1w").alias("week"),
        pl.col("day").dt.truncate("1mo").alias("month"),
    )
    return (
        facts.select([pl.col(c).cast(t).alias(c) for c, t in FACT_SCHEMA.items()])
        .with_columns([pl.col(c).fill_null(0) for c in FACT_COLUMNS])
        .sort(KEYS, nulls_last=True)
    )


def _columns(parts: list[pl.DataFrame]) -> set[str]:
    return {c for p in parts for c in p.columns}


def _work_ticket_counts(work: pl.DataFrame) -> list[pl.DataFrame]:
    """For each period and combo: per (day, agent, team), the tickets first worked there."""
    base = (
        work.filter(pl.col("ticket_id").is_not_null())
        .select("ticket_id", *KEYS)
        .with_columns(
            pl.col("day").dt.truncate("1w").alias("week"),
            pl.col("day").dt.truncate("1mo").alias("month"),
        )
        .sort("day", "agent_id", "team_id", nulls_last=True)
    )
    out = []
    for period in PERIODS:
        for combo, cols in WORK_COMBOS.items():
            firsts = base.unique(
                subset=["ticket_id", period, *cols], keep="first", maintain_order=True
            )
            out.append(
                firsts.group_by(KEYS).agg(pl.len().cast(pl.Int64).alias(f"wt_{period}_{combo}"))
            )
    return out


def work_combo(level: str, *, team_id=None, agent_id=None) -> str:
    """Which distinct-ticket count a report reads: by team when the level or a filter is the
    team, by agent when the level or a filter is the agent."""
    by_team = level == "team" or team_id is not None
    by_agent = level == "agent" or agent_id is not None
    return {(False, False): "c", (True, False): "t", (False, True): "a", (True, True): "at"}[
        (by_team, by_agent)
    ]


def check_whole_periods(
    start: dt.date, end: dt.date, period: str, *, prefix: bool = False
) -> list[dt.date]:
    """The period starts of [start, end]; an error unless the range is whole periods (or, with
    `prefix`, starts a period: the distinct-ticket counts of a period's first days are right,
    the backlog is then the caller's)."""
    starts = period_starts(start, end, period)
    whole_end = next_period_start(starts[-1], period) == end + dt.timedelta(1)
    if starts[0] != start or not (whole_end or prefix):
        raise ValueError("the fact table answers whole periods only")
    return starts


def backlog_days(starts: list[dt.date], period: str) -> list[dt.date]:
    """The days whose end is a period's end (the backlog instant)."""
    return [next_period_start(s, period) - dt.timedelta(1) for s in starts]


def aggregate_facts(
    facts: pl.DataFrame,
    *,
    level: str,
    period: str,
    start: dt.date,
    end: dt.date,
    team_id: int | None = None,
    agent_id: int | None = None,
    backlog_on: list[dt.date] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(sums, backlog) per period_start and level_key, the same shape as the SQL aggregation
    of kefu.quality.factstore.fact_sums. The backlog is read on the periods' last days, or on
    `backlog_on` (then the range may end inside its last period)."""
    starts = check_whole_periods(start, end, period, prefix=backlog_on is not None)
    rows = facts.filter(pl.col("day").is_between(start, end))
    if team_id is not None:
        rows = rows.filter(pl.col("team_id") == team_id)
    if agent_id is not None:
        rows = rows.filter(pl.col("agent_id") == agent_id)
    if level == "company":
        key = pl.lit("company")
    else:
        column = "team_id" if level == "team" else "agent_id"
        rows = rows.filter(pl.col(column).is_not_null())
        key = pl.col(column).cast(pl.Utf8)
    rows = rows.with_columns(pl.col(period).alias("period_start"), key.alias("level_key"))
    combo = work_combo(level, team_id=team_id, agent_id=agent_id)
    sums = rows.group_by("period_start", "level_key").agg(
        *[pl.col(c).sum() for c in SUMMED],
        pl.col(f"wt_{period}_{combo}").sum().alias("work_tickets"),
    )
    last_days = backlog_days(starts, period) if backlog_on is None else backlog_on
    backlog = (
        rows.filter(pl.col("day").is_in(last_days))
        .group_by("period_start", "level_key")
        .agg(pl.col("backlog_n").sum(), pl.col("backlog_age_sum").sum())
    )
    return sums, backlog


def report_from_sums(
    sums: pl.DataFrame, backlog: pl.DataFrame, *, level: str, starts: list[dt.date]
) -> pl.DataFrame:
    """The compute_kpis frame (period_start, level_key, one Float64 per KPI) from summed facts."""
    keys = ["period_start", "level_key"]

    def ratio(num: str, den: str, scale: float = 1.0) -> pl.Expr:
        return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den) * scale)

    def pct(num: str, den: str) -> pl.Expr:
        # The same operations as polars' mean of a boolean × 100.
        return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den) * 100)

    sums = sums.with_columns(pl.col("period_start").cast(pl.Date), pl.col("level_key").cast(str))
    backlog = backlog.with_columns(
        pl.col("period_start").cast(pl.Date), pl.col("level_key").cast(str)
    )
    values = sums.select(
        *keys,
        pl.col("activity_n").alias("_activity"),
        pl.col("created_n").cast(pl.Float64).alias("tickets_created"),
        pl.col("solved_n").cast(pl.Float64).alias("tickets_solved"),
        ratio("first_resp_sum", "first_resp_n").alias("first_response_s"),
        ratio("next_resp_sum", "next_resp_n").alias("next_response_s"),
        ratio("work_sum", "work_tickets").alias("handling_s"),
        pct("fcr_n", "first_solve_n").alias("fcr_rate"),
        pct("reopen_n", "first_solve_n").alias("reopen_rate"),
        ratio("resolution_sum", "resolution_n").alias("resolution_s"),
        pct("sla_met_n", "sla_n").alias("sla_compliance"),
        pct("csat_top_n", "csat_n").alias("csat"),
        ratio("qa_sum", "qa_n").alias("qa_score"),
        pl.col("comp_sum").cast(pl.Float64).alias("compensation_amount"),
    )
    backlog = backlog.filter(pl.col("backlog_n") > 0).select(
        *keys,
        pl.col("backlog_n").cast(pl.Float64).alias("backlog"),
        ratio("backlog_age_sum", "backlog_n").alias("backlog_age_s"),
    )
    present = pl.concat(
        [values.filter(pl.col("_activity") > 0).select(*keys), backlog.select(*keys)]
    )
    report = values.drop("_activity").join(backlog, on=keys, how="full", coalesce=True)
    report = report.join(present.unique(), on=keys, how="semi")
    return combine_reports([report], starts=starts, level=level)


def combine_reports(
    parts: list[pl.DataFrame], *, starts: list[dt.date], level: str
) -> pl.DataFrame:
    """Put reports of disjoint periods together on the full grid: every period × every key
    that has a figure anywhere (compute_kpis's rule), zeros for empty counts."""
    keys = ["period_start", "level_key"]
    parts = [
        p.select(
            pl.col("period_start").cast(pl.Date),
            pl.col("level_key").cast(pl.Utf8),
            *[pl.col(c).cast(pl.Float64) for c in KPI_CODES],
        )
        for p in parts
    ]
    values = pl.concat(parts) if parts else pl.DataFrame()
    if level == "company":
        level_keys = pl.DataFrame({"level_key": ["company"]})
    else:
        level_keys = values.select("level_key").unique()
    grid = pl.DataFrame({"period_start": starts}, schema={"period_start": pl.Date}).join(
        level_keys, how="cross"
    )
    result = grid.join(values, on=keys, how="left") if parts else grid
    return (
        result.with_columns(
            [
                pl.col(c).cast(pl.Float64).fill_null(0.0)
                if c in ZERO_WHEN_EMPTY
                else pl.col(c).cast(pl.Float64)
                for c in KPI_CODES
            ]
        )
        .select(keys + list(KPI_CODES))
        .sort(keys)
    )


def report_from_facts(
    facts: pl.DataFrame,
    *,
    level: str,
    period: str,
    start: dt.date,
    end: dt.date,
    team_id: int | None = None,
    agent_id: int | None = None,
) -> pl.DataFrame:
    """compute_kpis's answer for whole periods, read from day facts."""
    sums, backlog = aggregate_facts(
        facts,
        level=level,
        period=period,
        start=start,
        end=end,
        team_id=team_id,
        agent_id=agent_id,
    )
    starts = check_whole_periods(start, end, period)
    return report_from_sums(sums, backlog, level=level, starts=starts)


def add_sums(*parts: pl.DataFrame) -> pl.DataFrame:
    """Sums of several fact aggregations (e.g. the closed days of the current period from the
    table plus today's live facts)."""
    frames = [p.with_columns(pl.col(pl.Int64, pl.Int32).cast(pl.Float64)) for p in parts]
    return pl.concat(frames, how="diagonal_relaxed").group_by("period_start", "level_key").sum()


def current_period_report(
    closed_sums: pl.DataFrame,
    today_facts: pl.DataFrame,
    *,
    level: str,
    period: str,
    period_start: dt.date,
    today: dt.date,
    team_id: int | None = None,
    agent_id: int | None = None,
) -> pl.DataFrame:
    """The current period: the table's sums of its closed days plus today's facts, computed
    live with the earlier work of today's tickets (so a ticket worked on Monday and today
    counts once in the week); the backlog is today's, as of now."""
    sums, backlog = aggregate_facts(
        today_facts.filter(pl.col("day") == today),
        level=level,
        period=period,
        start=period_start,
        end=today,
        team_id=team_id,
        agent_id=agent_id,
        backlog_on=[today],
    )
    return report_from_sums(
        add_sums(closed_sums, sums), backlog, level=level, starts=[period_start]
    )
