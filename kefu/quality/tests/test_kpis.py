"""KPI formulas on a hand-built event history: pauses, a reopening and a transfer (M36)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from kefu.quality.kpis import KPI_CODES, KPI_DEFINITIONS, KpiFrames, compute_kpis, totals

A, B, TEAM = 1, 2, 10
D1, D2 = dt.date(2026, 3, 2), dt.date(2026, 3, 3)  # a Monday and the Tuesday after


def t(day: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hh, mm)


def history() -> KpiFrames:
    """Ticket 1: A replies, waits for the customer 1 h, is transferred to B, solved, reopened the
    next day and solved again. Ticket 2: one reply, solved. Ticket 3: never touched."""
    tickets = pl.DataFrame(
        {
            "ticket_id": [1, 2, 3],
            "created_at": [t(2, 9), t(2, 12), t(2, 15)],
            "assignee_id": [B, A, None],  # current owners
            "team_id": [TEAM, TEAM, TEAM],
        }
    )
    status_events = pl.DataFrame(
        {
            "ticket_id": [1, 1, 1, 1, 1, 2],
            "at": [t(2, 9, 20), t(2, 10, 20), t(2, 11), t(3, 9), t(3, 10), t(2, 13)],
            "status": ["pending", "open", "solved", "open", "solved", "solved"],
        }
    )
    owner_events = pl.DataFrame(
        {"ticket_id": [1], "at": [t(2, 10, 30)], "field": ["assignee"], "old": [A], "new": [B]}
    )
    messages = pl.DataFrame(
        {
            "ticket_id": [1, 1, 1, 1, 1, 2],
            "at": [t(2, 9, 10), t(2, 10, 20), t(2, 10, 50), t(3, 9), t(3, 9, 30), t(2, 12, 30)],
            "kind": ["reply", "customer", "reply", "customer", "reply", "reply"],
            "author_id": [A, None, B, None, B, A],
        }
    )
    work_events = pl.DataFrame(
        {
            "ticket_id": [1, 1, 1, 1, 2, 2],
            "at": [t(2, 9, 10), t(2, 9, 20), t(2, 10, 50), t(2, 11), t(2, 12, 30), t(2, 13)],
            "actor_id": [A, A, B, B, A, A],
        }
    )
    calls = pl.DataFrame(
        {"ticket_id": [1], "agent_id": [A], "at": [t(2, 9, 5)], "talk_s": [240.0], "wrap_s": [60.0]}
    )
    sla = pl.DataFrame(
        {
            "ticket_id": [1, 1, 2],
            "at": [t(2, 9, 10), t(2, 10), t(2, 12, 30)],
            "breached": [False, True, False],
        }
    )
    csat = pl.DataFrame(
        {
            "ticket_id": [2, 2, 1],
            "agent_id": [A, A, B],
            "team_id": [TEAM, TEAM, TEAM],
            "at": [t(2, 14), t(2, 15), t(3, 11)],
            "value": [3.0, 4.0, 5.0],
        }
    )
    qa = pl.DataFrame(
        {
            "ticket_id": [1, 2],
            "agent_id": [A, A],
            "team_id": [TEAM, TEAM],
            "at": [t(2, 15), t(2, 17)],
            "score": [80.0, 90.0],
        }
    )
    compensation = pl.DataFrame(
        {"ticket_id": [1], "agent_id": [B], "at": [t(3, 9, 45)], "amount": [50.0]}
    )
    return KpiFrames(
        tickets=tickets,
        status_events=status_events,
        owner_events=owner_events,
        messages=messages,
        work_events=work_events,
        calls=calls,
        sla=sla,
        csat=csat,
        qa=qa,
        compensation=compensation,
    )


def row(report: pl.DataFrame, day: dt.date, key: str = "company") -> dict:
    rows = report.filter((pl.col("period_start") == day) & (pl.col("level_key") == key)).to_dicts()
    assert len(rows) == 1, rows
    return rows[0]


@pytest.fixture
def daily():
    return compute_kpis(history(), level="company", period="day", start=D1, end=D2)


def test_columns_and_types(daily):
    assert daily.columns == ["period_start", "level_key", *KPI_CODES]
    assert daily.schema["period_start"] == pl.Date
    assert all(daily.schema[c] == pl.Float64 for c in KPI_CODES)
    assert set(KPI_DEFINITIONS) == set(KPI_CODES)


def test_counts_and_response_times(daily):
    day1, day2 = row(daily, D1), row(daily, D2)
    assert day1["tickets_created"] == 3 and day2["tickets_created"] == 0
    assert day1["tickets_solved"] == 2 and day2["tickets_solved"] == 1  # re-solve counts again
    assert day1["first_response_s"] == pytest.approx((600 + 1800) / 2)
    # After the pending period the customer wrote at 10:20; B answered at 10:50.
    assert day1["next_response_s"] == pytest.approx(1800)
    assert day2["next_response_s"] == pytest.approx(1800)
    assert day2["first_response_s"] is None


def test_resolution_excludes_pending_time(daily):
    # Ticket 1: 2 h to the first solve less 1 h pending; ticket 2: 1 h.
    assert row(daily, D1)["resolution_s"] == pytest.approx(3600)
    # The second solve: 25 h after creation, less the same hour pending.
    assert row(daily, D2)["resolution_s"] == pytest.approx(24 * 3600)


def test_fcr_and_reopen_use_first_solves(daily):
    day1, day2 = row(daily, D1), row(daily, D2)
    # Ticket 1 was reopened, had two replies and a transfer; ticket 2 was solved at once.
    assert day1["fcr_rate"] == pytest.approx(50)
    assert day1["reopen_rate"] == pytest.approx(50)
    assert day2["fcr_rate"] is None and day2["reopen_rate"] is None


def test_handling_time_counts_calls_and_sessions(daily):
    # A on ticket 1: call 300 s + session 120 + 600; B on ticket 1: 120 + 600;
    # A on ticket 2: two separate sessions of 120 s (30 min apart). Two tickets worked.
    assert row(daily, D1)["handling_s"] == pytest.approx((300 + 720 + 720 + 240) / 2)


def test_backlog_at_period_end(daily):
    day1, day2 = row(daily, D1), row(daily, D2)
    assert day1["backlog"] == 1  # ticket 3, open since 15:00
    assert day1["backlog_age_s"] == pytest.approx(9 * 3600)
    assert day2["backlog"] == 1 and day2["backlog_age_s"] == pytest.approx(33 * 3600)


def test_sla_csat_qa_compensation(daily):
    day1, day2 = row(daily, D1), row(daily, D2)
    assert day1["sla_compliance"] == pytest.approx(200 / 3)
    assert day1["csat"] == pytest.approx(50) and day2["csat"] == pytest.approx(100)
    assert day1["qa_score"] == pytest.approx(85)
    assert day1["compensation_amount"] == 0 and day2["compensation_amount"] == 50


def test_agent_level_follows_the_transfer():
    report = compute_kpis(history(), level="agent", period="day", start=D1, end=D2)
    a, b = row(report, D1, str(A)), row(report, D1, str(B))
    assert a["tickets_solved"] == 1 and b["tickets_solved"] == 1  # ticket 1 solved by B
    assert a["tickets_created"] == 2  # owner at creation: A (the transfer came later)
    assert b["next_response_s"] == pytest.approx(1800)
    assert a["handling_s"] == pytest.approx((300 + 720 + 240) / 2)
    assert b["handling_s"] == pytest.approx(720)
    assert a["sla_compliance"] == pytest.approx(200 / 3)  # breach at 10:00, before transfer
    assert row(report, D2, str(B))["compensation_amount"] == 50
    assert a["backlog"] == 0  # ticket 3 has no owner
    only_a = compute_kpis(history(), level="agent", period="day", start=D1, end=D2, agent_id=A)
    assert set(only_a["level_key"]) == {str(A)}


def test_team_level_and_week_period():
    report = compute_kpis(history(), level="team", period="week", start=D1, end=D2)
    assert report.height == 1
    week = row(report, D1, str(TEAM))
    assert week["tickets_solved"] == 3 and week["tickets_created"] == 3
    assert week["backlog"] == 1  # open at the end of the week


def test_local_time_zone_moves_the_day():
    frames = history()
    # 15:00 UTC is 23:00 in Shanghai; 17:00 UTC is 01:00 the next day.
    shanghai = compute_kpis(
        frames, level="company", period="day", start=D1, end=D2, tz="Asia/Shanghai"
    )
    assert row(shanghai, D1)["qa_score"] == pytest.approx(80)
    assert row(shanghai, D2)["qa_score"] == pytest.approx(90)


def test_empty_frames_give_zero_counts_and_empty_means():
    report = compute_kpis(KpiFrames(), level="company", period="month", start=D1, end=D2)
    only = report.to_dicts()[0]
    assert only["period_start"] == dt.date(2026, 3, 1)
    assert only["tickets_solved"] == 0 and only["csat"] is None


def test_totals_sum_counts_and_average_rates(daily):
    whole = totals(daily)
    assert whole["tickets_solved"] == 3
    assert whole["csat"] == pytest.approx(75)


def test_rejects_unknown_level():
    with pytest.raises(ValueError):
        compute_kpis(KpiFrames(), level="planet", period="day", start=D1, end=D2)


def test_drill_down_lists_the_tickets_behind_a_figure():
    from kefu.quality.kpis import drill_down, kpi_records

    records = kpi_records(history(), level="agent", period="day", start=D1, end=D2)
    assert drill_down(records, "tickets_solved", period_start=D1, level_key=str(B)) == [1]
    assert drill_down(records, "fcr_rate", period_start=D1, level_key=str(A)) == [2]
    company = kpi_records(history(), level="company", period="day", start=D1, end=D2)
    assert drill_down(company, "backlog", period_start=D1, level_key="company") == [3]
    assert drill_down(company, "tickets_created", period_start=D1, level_key="company") == [1, 2, 3]


def test_large_ticket_ids_take_the_grouped_join_with_the_same_result():
    frames = history()
    shift = 1 << 24  # beyond the combined-key range
    big = KpiFrames(
        **{
            name: getattr(frames, name).with_columns(pl.col("ticket_id") + shift)
            if "ticket_id" in getattr(frames, name).columns
            else getattr(frames, name)
            for name in frames.__dataclass_fields__
        }
    )
    small = compute_kpis(frames, level="agent", period="day", start=D1, end=D2)
    large = compute_kpis(big, level="agent", period="day", start=D1, end=D2)
    assert small.equals(large)


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "America/New_York", "Europe/Berlin"])
@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_bucketing_matches_row_by_row_local_time(tz, period):
    import numpy as np

    from kefu.quality.kpis import _bucket

    rng = np.random.default_rng(3)
    base = np.datetime64("2026-01-01T00:00:00", "us")
    at = base + rng.integers(0, 365 * 86_400, 5000).astype("timedelta64[s]")
    frame = pl.DataFrame({"at": pl.Series(at).cast(pl.Datetime("us")), "i": range(5000)})
    start, end = dt.date(2026, 3, 5), dt.date(2026, 11, 20)
    fast = _bucket(frame, period=period, tz=tz, start=start, end=end).sort("i")
    local = pl.col("at").dt.replace_time_zone("UTC").dt.convert_time_zone(tz).dt.date()
    truncate = {"day": "1d", "week": "1w", "month": "1mo"}[period]
    slow = (
        frame.with_columns(local.alias("day"))
        .filter((pl.col("day") >= start) & (pl.col("day") <= end))
        .with_columns(pl.col("day").dt.truncate(truncate).alias("period_start"))
        .select("at", "i", "period_start")
        .sort("i")
    )
    assert fast.select("at", "i", "period_start").equals(slow)
