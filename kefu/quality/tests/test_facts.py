"""The per-day KPI fact table gives the same figures as the KPIs computed from the events."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from kefu.quality import facts as F
from kefu.quality.kpis import KPI_CODES, KpiFrames, compute_kpis
from kefu.quality.tests.test_kpis import TEAM, A, history

RANGES = {
    "day": (dt.date(2026, 3, 2), dt.date(2026, 3, 3)),
    "week": (dt.date(2026, 3, 2), dt.date(2026, 3, 15)),
    "month": (dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
}
FILTERS = [{}, {"agent_id": A}, {"team_id": TEAM}, {"agent_id": A, "team_id": TEAM}]


def assert_same(events: pl.DataFrame, facts: pl.DataFrame) -> None:
    """Same rows, same keys, same nulls; values equal to 1e-9 (sums are added in another
    order, so the last bits of a mean may differ)."""
    assert events.columns == facts.columns
    assert events.select("period_start", "level_key").equals(
        facts.select("period_start", "level_key")
    )
    for code in KPI_CODES:
        a, b = events[code], facts[code]
        assert a.is_null().equals(b.is_null()), code
        diff = (a - b).abs() / (a.abs() + 1.0)
        assert (diff.max() or 0.0) < 1e-9, (code, a.to_list(), b.to_list())


def facts_for(frames: KpiFrames, start: dt.date, end: dt.date, tz: str) -> pl.DataFrame:
    # As the refresh does: load from the Monday before the first month.
    first = start.replace(day=1)
    return F.day_facts(frames, start=first - dt.timedelta(days=first.weekday()), end=end, tz=tz)


@pytest.mark.parametrize("period", list(RANGES))
@pytest.mark.parametrize("level", ["company", "team", "agent"])
@pytest.mark.parametrize("filters", FILTERS)
def test_hand_built_history_same_figures(period, level, filters):
    start, end = RANGES[period]
    facts = facts_for(history(), dt.date(2026, 3, 1), dt.date(2026, 3, 31), "UTC")
    expected = compute_kpis(history(), level=level, period=period, start=start, end=end, **filters)
    got = F.report_from_facts(facts, level=level, period=period, start=start, end=end, **filters)
    assert_same(expected, got)
    assert got.height > 0


def test_hand_built_history_reference_values_from_facts():
    """Independent of compute_kpis: the day figures written out by hand in test_kpis."""
    facts = facts_for(history(), dt.date(2026, 3, 1), dt.date(2026, 3, 31), "UTC")
    day = dt.date(2026, 3, 2)
    report = F.report_from_facts(facts, level="company", period="day", start=day, end=day)
    row = report.to_dicts()[0]
    assert row["tickets_created"] == 3
    assert row["tickets_solved"] == 2
    assert row["first_response_s"] == pytest.approx((600 + 1800) / 2)
    assert row["sla_compliance"] == pytest.approx(200 / 3)
    assert row["csat"] == 50.0
    assert row["qa_score"] == 85.0
    # Agent A on ticket 1: call 300 s + a session of 120 + 600; ticket 2: two sessions
    # (30 minutes apart) of 120 each.
    agents = F.report_from_facts(facts, level="agent", period="day", start=day, end=day)
    a = agents.filter(pl.col("level_key") == str(A)).to_dicts()[0]
    assert a["handling_s"] == pytest.approx((300 + 120 + 600 + 120 + 120) / 2)


def random_history(seed: int, n: int = 400) -> KpiFrames:
    """Tickets over Jan–Mar 2026 with pauses, reopenings, transfers between agents and teams,
    several replies and customer messages, calls, SLA clocks, CSAT, QA and compensation."""
    rng = np.random.default_rng(seed)
    base = dt.datetime(2026, 1, 1)
    agents, teams = [1, 2, 3, 4, 5], [10, 20]

    def when(offset_h: float) -> dt.datetime:
        return base + dt.timedelta(hours=float(offset_h))

    tickets, status, owner, messages, work, calls, sla, csat, qa, comp = ([] for _ in range(10))
    for tid in range(1, n + 1):
        c = rng.uniform(0, 88 * 24)
        agent = int(rng.choice(agents)) if rng.random() > 0.05 else None
        team = int(rng.choice(teams))
        t = c + rng.exponential(2)
        current_agent, current_team = agent, team
        messages.append((tid, when(t), "reply", agent))
        work.append((tid, when(t), agent))
        status.append((tid, when(t), "open"))
        if rng.random() < 0.3:  # transfer to another agent (and maybe team)
            t += rng.exponential(5)
            new = int(rng.choice(agents))
            owner.append((tid, when(t), "assignee", current_agent, new))
            current_agent = new
            if rng.random() < 0.5:
                new_team = 30 - current_team
                owner.append((tid, when(t), "team", current_team, new_team))
                current_team = new_team
        if rng.random() < 0.4:  # waits for the customer
            t += rng.exponential(3)
            status.append((tid, when(t), "pending"))
            t += rng.exponential(20)
            messages.append((tid, when(t), "customer", None))
            status.append((tid, when(t), "open"))
            t += rng.exponential(1)
            messages.append((tid, when(t), "reply", current_agent))
            work.append((tid, when(t), current_agent))
        if rng.random() < 0.85:
            t += rng.exponential(10)
            status.append((tid, when(t), "solved"))
            work.append((tid, when(t) + dt.timedelta(minutes=3), current_agent))
            if rng.random() < 0.2:  # reopened by the customer, solved again
                t += rng.exponential(30)
                messages.append((tid, when(t), "customer", None))
                status.append((tid, when(t), "open"))
                t += rng.exponential(5)
                messages.append((tid, when(t), "reply", current_agent))
                status.append((tid, when(t), "solved"))
            if rng.random() < 0.3:
                csat.append(
                    (tid, current_agent, current_team, when(t + 2), float(rng.integers(1, 6)))
                )
        if rng.random() < 0.3:
            calls.append((tid, agent, when(c + 0.1), float(rng.exponential(200)), 30.0))
        for _ in range(int(rng.integers(0, 3))):
            sla.append((tid, when(c + rng.exponential(8)), bool(rng.random() < 0.2)))
        if rng.random() < 0.1:
            qa.append((tid, current_agent, current_team, when(t + 30), float(rng.uniform(40, 100))))
        if rng.random() < 0.05:
            comp.append((tid, current_agent, when(t + 1), float(rng.uniform(10, 200))))
        tickets.append((tid, when(c), current_agent, current_team))

    def frame(rows, columns):
        return pl.DataFrame(rows, schema=columns, orient="row", strict=False)

    return KpiFrames(
        tickets=frame(tickets, ["ticket_id", "created_at", "assignee_id", "team_id"]),
        status_events=frame(status, ["ticket_id", "at", "status"]),
        owner_events=frame(owner, ["ticket_id", "at", "field", "old", "new"]),
        messages=frame(messages, ["ticket_id", "at", "kind", "author_id"]),
        work_events=frame(work, ["ticket_id", "at", "actor_id"]),
        calls=frame(calls, ["ticket_id", "agent_id", "at", "talk_s", "wrap_s"]),
        sla=frame(sla, ["ticket_id", "at", "breached"]),
        csat=frame(csat, ["ticket_id", "agent_id", "team_id", "at", "value"]),
        qa=frame(qa, ["ticket_id", "agent_id", "team_id", "at", "score"]),
        compensation=frame(comp, ["ticket_id", "agent_id", "at", "amount"]),
    )


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("day", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        ("week", dt.date(2026, 1, 5), dt.date(2026, 3, 29)),
        ("month", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    ],
)
@pytest.mark.parametrize("level", ["company", "team", "agent"])
def test_random_history_same_figures(period, start, end, level):
    frames = random_history(11)
    tz = "Asia/Shanghai"
    facts = facts_for(frames, dt.date(2026, 1, 1), dt.date(2026, 3, 31), tz)
    for filters in ({}, {"team_id": 10}, {"agent_id": 3}):
        expected = compute_kpis(
            frames, level=level, period=period, start=start, end=end, tz=tz, **filters
        )
        got = F.report_from_facts(
            facts, level=level, period=period, start=start, end=end, **filters
        )
        assert_same(expected, got)
    # The distinct-ticket counts matter: a ticket worked on two days of a week counts once.
    weekly = F.report_from_facts(
        facts, level="company", period="week", start=dt.date(2026, 1, 5), end=dt.date(2026, 1, 11)
    )
    daily_sum = facts.filter(pl.col("week") == dt.date(2026, 1, 5))["wt_day_c"].sum()
    assert facts.filter(pl.col("week") == dt.date(2026, 1, 5))["wt_week_c"].sum() < daily_sum
    assert weekly["handling_s"][0] is not None


def test_combined_facts_and_live_parts_equal_one_computation():
    """Facts for whole months, events for the partial edges: the same report as one pass."""
    frames = random_history(5)
    tz = "Asia/Shanghai"
    facts = facts_for(frames, dt.date(2026, 1, 1), dt.date(2026, 3, 31), tz)
    start, end = dt.date(2026, 1, 14), dt.date(2026, 3, 10)
    expected = compute_kpis(frames, level="agent", period="month", start=start, end=end, tz=tz)
    parts = [
        compute_kpis(
            frames, level="agent", period="month", start=start, end=dt.date(2026, 1, 31), tz=tz
        ),
        F.report_from_facts(
            facts,
            level="agent",
            period="month",
            start=dt.date(2026, 2, 1),
            end=dt.date(2026, 2, 28),
        ),
        compute_kpis(
            frames, level="agent", period="month", start=dt.date(2026, 3, 1), end=end, tz=tz
        ),
    ]
    starts = expected["period_start"].unique().sort().to_list()
    assert_same(expected, F.combine_reports(parts, starts=starts, level="agent"))


def test_partial_periods_are_refused():
    facts = F.empty_facts()
    with pytest.raises(ValueError, match="whole periods"):
        F.report_from_facts(
            facts,
            level="company",
            period="week",
            start=dt.date(2026, 3, 3),
            end=dt.date(2026, 3, 8),
        )
    empty = F.report_from_facts(
        facts, level="company", period="week", start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 8)
    )
    assert empty["tickets_created"].to_list() == [0.0]
    assert empty["csat"].to_list() == [None]


@pytest.mark.parametrize("period", ["day", "week", "month"])
@pytest.mark.parametrize("level", ["company", "team", "agent"])
def test_current_period_from_closed_days_plus_today(period, level):
    """The open period: the table's closed days + today's live facts = the events path."""
    frames = random_history(23, n=600)
    tz = "Asia/Shanghai"
    today = dt.date(2026, 3, 19)  # a Thursday
    now = dt.datetime(2026, 3, 19, 7, 30)  # 15:30 in Shanghai, naive UTC
    period_start = {"day": today, "week": dt.date(2026, 3, 16), "month": dt.date(2026, 3, 1)}[
        period
    ]
    facts = facts_for(frames, dt.date(2026, 1, 1), dt.date(2026, 3, 31), tz)
    for filters in ({}, {"team_id": 20}, {"agent_id": 2}):
        if today > period_start:
            closed, _ = F.aggregate_facts(
                facts,
                level=level,
                period=period,
                start=period_start,
                end=today - dt.timedelta(days=1),
                backlog_on=[],
                **filters,
            )
        else:
            closed = pl.DataFrame(schema={"period_start": pl.Date, "level_key": pl.Utf8})
        today_facts = F.day_facts(frames, start=period_start, end=today, tz=tz, now=now)
        got = F.current_period_report(
            closed,
            today_facts,
            level=level,
            period=period,
            period_start=period_start,
            today=today,
            **filters,
        )
        expected = compute_kpis(
            frames,
            level=level,
            period=period,
            start=period_start,
            end=today,
            tz=tz,
            now=now,
            **filters,
        )
        assert_same(expected, got)
