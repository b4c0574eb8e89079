"""Simulator checked against Erlang C / Erlang A theory, hand-worked traces and plan effects."""

import json
from dataclasses import asdict

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.workforce import erlang, erlang_a
from kefu.workforce.scenario import (
    AgentGroup,
    Deflection,
    EmergencyPlan,
    OverflowRule,
    QueueSpec,
    RatePeriod,
    Scenario,
    ServiceTime,
    scenario_from_dict,
    with_plan,
)
from kefu.workforce.simulation import replicate, replicate_intervals, simulate

HOUR = 3600.0


def single_queue(agents: int, traffic: float, aht_s: float = 180.0, **queue_options) -> Scenario:
    return Scenario(
        queues=[
            QueueSpec(
                "phone",
                rate_per_hour=traffic / aht_s * HOUR,
                service=ServiceTime(mean_s=aht_s),
                **queue_options,
            )
        ],
        agent_groups=[AgentGroup("team", ["phone"], agents)],
        duration_s=40 * HOUR,
        warmup_s=2 * HOUR,
    )


def interval_of(summary: pl.DataFrame, metric: str) -> tuple[float, float]:
    row = summary.filter(pl.col("metric") == metric).row(0, named=True)
    return row["ci_low"], row["ci_high"]


def test_agrees_with_erlang_c_within_confidence_interval():
    traffic, agents, aht_s = 10.0, 13, 180.0
    summary = replicate(single_queue(agents, traffic, aht_s), n=12, seed=11)
    low, high = interval_of(summary, "service_level")
    assert low <= erlang.service_level(traffic, agents, aht_s, 20.0) <= high
    low, high = interval_of(summary, "asa_s")
    assert low <= erlang.average_speed_of_answer(traffic, agents, aht_s) <= high
    low, high = interval_of(summary, "occupancy")
    assert low <= traffic / agents <= high
    assert high - low < 0.02  # the interval is tight enough for the check to mean something


def test_agrees_with_erlang_a_within_confidence_interval():
    traffic, agents, aht_s, patience_s = 10.0, 10, 180.0, 120.0
    scenario = single_queue(agents, traffic, aht_s, patience_mean_s=patience_s)
    summary = replicate(scenario, n=12, seed=5)
    theory = erlang_a.birth_death_measures(traffic, agents, aht_s, patience_s, answer_s=20.0)
    low, high = interval_of(summary, "service_level")
    assert low <= theory.service_level <= high
    low, high = interval_of(summary, "abandonment_rate")
    assert low <= theory.abandonment_probability <= high
    low, high = interval_of(summary, "average_wait_s")
    assert low <= theory.average_wait_s <= high
    # Erlang C says this staffing is unstable; with abandonment the queue stays finite.
    assert erlang.erlang_c(traffic, agents) == 1.0


def test_fast_path_matches_event_loop_and_is_deterministic():
    scenario = single_queue(12, 10.0, patience_mean_s=90.0)
    scenario.deflections = [Deflection(0.2, from_s=10 * HOUR)]
    scenario.queues[0].service = ServiceTime("lognormal", mean_s=180.0, cv=0.8)
    fast = simulate(scenario, seed=3)
    loop = simulate(scenario, seed=3, fast_path=False)
    assert fast.totals == pytest.approx(loop.totals)
    assert fast.intervals.equals(loop.intervals)
    assert simulate(scenario, seed=3).intervals.equals(fast.intervals)
    assert simulate(scenario, seed=4).totals["answered"] != fast.totals["answered"]


def test_replayed_arrivals_by_hand():
    # One agent, contacts at 0, 10, 20 s, each handled in 15 s: starts 0, 15, 30 → waits 0, 5, 10.
    scenario = Scenario(
        queues=[
            QueueSpec(
                "mail",
                arrival_times_s=[0.0, 10.0, 20.0],
                service=ServiceTime("empirical", samples_s=[15.0]),
            )
        ],
        agent_groups=[AgentGroup("one", ["mail"], 1)],
        duration_s=60.0,
        interval_s=60.0,
        answer_target_s=6.0,
    )
    for fast_path in (True, False):
        totals = simulate(scenario, seed=0, fast_path=fast_path).totals
        assert totals["offered"] == 3 and totals["answered"] == 3
        assert totals["asa_s"] == pytest.approx(5.0)
        assert totals["service_level"] == pytest.approx(2 / 3)
        assert totals["occupancy"] == pytest.approx(45.0 / 60.0)
        # Queue-time integral: waits 0 + 5 + 10 = 15 s over a 60 s interval.
        assert totals["mean_queue_length"] == pytest.approx(15.0 / 60.0)


def test_json_round_trip_gives_the_same_run():
    scenario = single_queue(12, 10.0, patience_mean_s=100.0)
    scenario.overflow_rules = [OverflowRule("phone", "phone", 30.0)]
    scenario.queues[0].rate_changes = [RatePeriod(5 * HOUR, 500.0)]
    text = json.dumps(asdict(scenario))
    rebuilt = scenario_from_dict(json.loads(text))
    assert rebuilt == scenario
    assert simulate(rebuilt, 9).totals == simulate(scenario, 9).totals


def two_queue_center(**options) -> Scenario:
    return Scenario(
        queues=[
            QueueSpec(
                "billing",
                rate_per_hour=260.0,
                service=ServiceTime(mean_s=180.0),
                patience_mean_s=180.0,
            ),
            QueueSpec(
                "sales",
                rate_per_hour=100.0,
                service=ServiceTime(mean_s=180.0),
                patience_mean_s=180.0,
            ),
        ],
        agent_groups=[
            AgentGroup("billing team", ["billing"], 12),
            AgentGroup("sales team", ["sales"], 9),
        ],
        duration_s=20 * HOUR,
        warmup_s=HOUR,
        **options,
    )


def by_queue(result) -> dict[str, dict]:
    return {row["queue"]: row for row in result.queues.iter_rows(named=True)}


def test_overflow_moves_waiting_contacts_to_idle_agents():
    plain = by_queue(simulate(two_queue_center(), seed=2))
    overflow = by_queue(
        simulate(two_queue_center(overflow_rules=[OverflowRule("billing", "sales", 30.0)]), 2)
    )
    assert overflow["billing"]["abandonment_rate"] < plain["billing"]["abandonment_rate"] - 0.03
    assert overflow["billing"]["service_level"] > plain["billing"]["service_level"]
    assert overflow["sales"]["service_level"] <= plain["sales"]["service_level"]
    # Billing contacts still wait at least 30 s before a sales agent may take them, so billing's
    # answered-within-20 s share cannot beat a pool of 21 shared agents.
    shared = erlang.service_level(260 * 180 / HOUR, 21, 180.0, 20.0)
    assert overflow["billing"]["service_level"] < shared


def test_priority_serves_the_high_priority_queue_first():
    scenario = Scenario(
        queues=[
            QueueSpec("vip", rate_per_hour=150.0, service=ServiceTime(mean_s=180.0), priority=1),
            QueueSpec("standard", rate_per_hour=150.0, service=ServiceTime(mean_s=180.0)),
        ],
        agent_groups=[AgentGroup("all", ["vip", "standard"], 17)],
        duration_s=20 * HOUR,
        warmup_s=HOUR,
    )
    queues = by_queue(simulate(scenario, seed=8))
    assert queues["vip"]["asa_s"] < 0.5 * queues["standard"]["asa_s"]
    assert queues["vip"]["service_level"] > queues["standard"]["service_level"]


def test_agents_leaving_and_joining():
    scenario = Scenario(
        queues=[QueueSpec("chat", rate_per_hour=60.0, service=ServiceTime(mean_s=120.0))],
        agent_groups=[
            AgentGroup("morning", ["chat"], 4, end_s=2 * HOUR),
            AgentGroup("late", ["chat"], 4, start_s=3 * HOUR),
        ],
        duration_s=5 * HOUR,
        interval_s=HOUR,
    )
    result = simulate(scenario, seed=1)
    frame = result.intervals
    # Between 2 h and 3 h nobody is on shift: contacts then wait for the late shift.
    # Morning agents busy at 2 h finish their contact before leaving; nobody else is on shift.
    np.testing.assert_allclose(frame["staffed_agents"].to_numpy()[[0, 1, 3, 4]], 4.0)
    assert frame["staffed_agents"][2] < 0.5
    assert frame["asa_s"][2] > 600.0
    assert frame["service_level"][2] == 0.0
    assert result.totals["answered"] == result.totals["offered"]
    assert frame["mean_queue_length"][2] > 0.5


def test_emergency_plan_helps_during_a_surge():
    base = Scenario(
        queues=[
            QueueSpec(
                "hotline",
                rate_per_hour=300.0,
                rate_changes=[RatePeriod(2 * HOUR, 600.0)],
                service=ServiceTime(mean_s=180.0),
                patience_mean_s=240.0,
            )
        ],
        agent_groups=[AgentGroup("day", ["hotline"], 18)],
        duration_s=6 * HOUR,
        interval_s=HOUR,
    )
    plan = EmergencyPlan(
        "outage",
        extra_agents=[AgentGroup("backup", ["hotline"], 10, start_s=2 * HOUR + 600)],
        deflections=[Deflection(0.3, from_s=2.5 * HOUR, queue="hotline")],
    )
    without = simulate(base, seed=4)
    planned = simulate(with_plan(base, plan), seed=4)
    assert planned.totals["service_level"] > without.totals["service_level"] + 0.2
    assert planned.totals["abandonment_rate"] < without.totals["abandonment_rate"]
    late = planned.intervals.filter(pl.col("interval_start_s") >= 3 * HOUR)
    share = late["deflected"].sum() / (late["deflected"].sum() + late["offered"].sum())
    assert share == pytest.approx(0.3, abs=0.03)
    # Before the surge both runs see the same arrivals and the same staff.
    assert planned.intervals.row(0) == without.intervals.row(0)


def test_validation_names_the_bad_part():
    scenario = single_queue(10, 5.0)
    scenario.agent_groups[0].skills = ["fax"]
    with pytest.raises(ValueError, match="team"):
        simulate(scenario)
    with pytest.raises(ValueError, match="two replications"):
        replicate(single_queue(10, 5.0), n=1)
    lognormal = single_queue(20, 10.0)
    lognormal.queues[0].service = ServiceTime("lognormal", mean_s=180.0, cv=2.0)
    occupancy = simulate(lognormal, seed=1).totals["occupancy"]
    assert occupancy == pytest.approx(0.5, abs=0.03)
    assert np.isfinite(occupancy)


def test_event_loop_pools_two_queues_like_one_erlang_c_queue():
    # Two queues with the same handling time, served by one group with both skills, are one
    # M/M/N queue at the summed traffic (the general event loop, not the single-pool path).
    scenario = Scenario(
        queues=[
            QueueSpec("a", rate_per_hour=120.0, service=ServiceTime(mean_s=180.0)),
            QueueSpec("b", rate_per_hour=80.0, service=ServiceTime(mean_s=180.0)),
        ],
        agent_groups=[AgentGroup("both", ["a", "b"], 13)],
        duration_s=40 * HOUR,
        warmup_s=2 * HOUR,
    )
    summary = replicate(scenario, n=10, seed=21)
    low, high = interval_of(summary, "service_level")
    assert low <= erlang.service_level(10.0, 13, 180.0, 20.0) <= high
    low, high = interval_of(summary, "asa_s")
    assert low <= erlang.average_speed_of_answer(10.0, 13, 180.0) <= high


@settings(max_examples=25, deadline=None)
@given(
    agents=st.integers(1, 6),
    traffic=st.floats(0.2, 8.0),
    patience=st.one_of(st.none(), st.floats(5.0, 600.0)),
    deflect=st.floats(0.0, 0.5),
    seed=st.integers(0, 10_000),
)
def test_fast_path_equals_event_loop_property(agents, traffic, patience, deflect, seed):
    scenario = Scenario(
        queues=[
            QueueSpec(
                "q",
                rate_per_hour=traffic / 120.0 * HOUR,
                service=ServiceTime(mean_s=120.0),
                patience_mean_s=patience,
            )
        ],
        agent_groups=[AgentGroup("g", ["q"], agents)],
        duration_s=2 * HOUR,
        deflections=[Deflection(deflect, from_s=HOUR)],
    )
    fast = simulate(scenario, seed)
    loop = simulate(scenario, seed, fast_path=False)
    assert fast.intervals.equals(loop.intervals)
    totals = fast.totals
    assert totals["answered"] + totals["abandoned"] == totals["offered"]
    assert 0.0 <= totals["service_level"] <= 1.0 or totals["offered"] == 0


def test_overflow_opened_later_by_a_plan():
    base = two_queue_center()
    plan = EmergencyPlan(
        "open overflow", overflow_rules=[OverflowRule("billing", "sales", 30.0, 10 * HOUR)]
    )
    plain = simulate(base, seed=6).intervals
    planned = simulate(with_plan(base, plan), seed=6).intervals
    before = pl.col("interval_start_s") < 10 * HOUR - 1800
    # Until the rule opens, the runs are identical contact by contact.
    assert planned.filter(before).equals(plain.filter(before))
    after = pl.col("interval_start_s") >= 10 * HOUR
    assert planned.filter(after)["abandoned"].sum() < 0.7 * plain.filter(after)["abandoned"].sum()


def test_replicate_intervals_bands_cover_the_erlang_c_value():
    scenario = single_queue(13, 10.0)
    scenario.duration_s = 6 * HOUR
    scenario.interval_s = 2 * HOUR
    scenario.warmup_s = 0.0
    bands = replicate_intervals(scenario, n=30, seed=2)
    service = bands.filter(pl.col("metric") == "service_level")
    assert service.height == 3
    assert (service["replications"] == 30).all()
    theory = float(erlang.service_level(10.0, 13, 180.0, 20.0))
    later = service.filter(pl.col("interval_start_s") > 0)
    assert ((later["ci_low"] <= theory) & (theory <= later["ci_high"])).all()
    assert (service["ci_high"] - service["ci_low"] < 0.15).all()
