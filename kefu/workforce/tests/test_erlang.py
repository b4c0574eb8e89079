"""Erlang B/C against textbook values, the independent pyworkforce package, and properties."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyworkforce.queuing import ErlangC

from kefu.workforce.erlang import (
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    occupancy,
    required_agents,
    schedule_requirement,
    service_level,
    traffic_erlangs,
)


def test_classic_call_centre_example():
    # The classic worked example (Call Centre Helper, "Erlang C formula – made simple"):
    # 100 calls in 30 minutes, AHT 180 s → A = 10 Erlangs; Pw = 68.21 % / 44.94 % / 28.53 % /
    # 17.41 % with 11–14 agents; target 80 % answered in 20 s → 14 agents (SL 88.8 %).
    traffic = traffic_erlangs(100, 1800, 180)
    assert traffic == pytest.approx(10.0)
    agents = np.array([11, 12, 13, 14])
    np.testing.assert_allclose(
        erlang_c(traffic, agents), [0.6821, 0.4494, 0.2853, 0.1741], atol=5e-5
    )
    np.testing.assert_allclose(
        service_level(traffic, agents, 180, 20), [0.3896, 0.6402, 0.7956, 0.8884], atol=5e-5
    )
    np.testing.assert_allclose(
        average_speed_of_answer(traffic, agents, 180), [122.8, 40.4, 17.1, 7.8], atol=0.05
    )
    np.testing.assert_allclose(occupancy(traffic, agents), 10 / agents)
    assert required_agents(100, 1800, 180, 0.8, 20) == 14


def test_erlang_b_table_values():
    # Standard Erlang B table (e.g. erlang.com calculator manual: 15 lines at 1 % blocking carry
    # 8.108 Erlangs; 1 % row: 10 → 4.461, 20 → 12.031, 50 → 37.901, 100 → 84.064 Erlangs;
    # 2 % row: 10 → 5.084) and B(10 E, 15) = 0.0365.
    assert erlang_b(10, 15) == pytest.approx(0.0365, abs=5e-5)
    np.testing.assert_allclose(
        erlang_b([8.108, 4.461, 12.031, 37.901, 84.064], [15, 10, 20, 50, 100]), 0.01, atol=2e-5
    )
    assert erlang_b(5.084, 10) == pytest.approx(0.02, abs=2e-5)
    # Wolfram Language ErlangB documentation: 30 lines, 25 Erlangs → about 0.05.
    assert erlang_b(25, 30) == pytest.approx(0.0526, abs=5e-5)


def _erlang_b_recursion(traffic: float, agents: int) -> float:
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return blocking


def test_thousands_of_agents_without_overflow():
    agents = np.array([1000, 2500, 5000, 5100])
    traffic = np.array([950.0, 2450.0, 4950.0, 5000.0])
    expected = [_erlang_b_recursion(a, n) for a, n in zip(traffic, agents, strict=True)]
    np.testing.assert_allclose(erlang_b(traffic, agents), expected, rtol=1e-10)
    waiting = erlang_c(traffic, agents)
    assert np.all(np.isfinite(waiting)) and np.all((waiting > 0) & (waiting < 1))
    # Heavily overloaded: the Poisson cdf underflows and the recursion fallback is used.
    assert erlang_b(1e6, 1000) == pytest.approx(_erlang_b_recursion(1e6, 1000), rel=1e-12)


def test_unstable_queue_limits():
    traffic = np.array([10.0, 10.0, 12.5])
    agents = np.array([10, 5, 12])
    np.testing.assert_array_equal(erlang_c(traffic, agents), 1.0)
    np.testing.assert_array_equal(service_level(traffic, agents, 180, 20), 0.0)
    np.testing.assert_array_equal(average_speed_of_answer(traffic, agents, 180), np.inf)
    assert occupancy(12.5, 12) == 1.0
    assert erlang_c(0.0, 3) == 0.0 and service_level(0.0, 0, 180, 20) == 1.0


def test_broadcasting_and_validation():
    grid = erlang_c(np.array([[5.0], [10.0]]), np.array([6, 8, 12]))
    assert grid.shape == (2, 3)
    assert required_agents([[100], [200]], 1800, [180, 240], 0.8, 20).shape == (2, 2)
    with pytest.raises(ValueError, match="whole number"):
        erlang_c(10, 11.5)
    with pytest.raises(ValueError, match="service-level target"):
        required_agents(100, 1800, 180, 1.2, 20)
    with pytest.raises(ValueError, match="maximum occupancy"):
        required_agents(100, 1800, 180, 0.8, 20, max_occupancy=0)


def test_required_agents_with_occupancy_and_asa_caps():
    assert required_agents(0, 1800, 180, 0.8, 20) == 0
    # Occupancy cap 85 % at 10 Erlangs needs ⌈10 / 0.85⌉ = 12 agents, less than the SL needs.
    assert required_agents(100, 1800, 180, 0.5, 20, max_occupancy=0.85) == 12
    assert required_agents(100, 1800, 180, 0.5, 20, max_occupancy=0.7) == 15
    # ASA ≤ 10 s needs 14 agents (ASA(13) = 17.1 s, ASA(14) = 7.8 s).
    assert required_agents(100, 1800, 180, 0.5, 20, max_asa_s=10) == 14


def test_schedule_requirement():
    np.testing.assert_array_equal(schedule_requirement([14, 12, 0], 0.3), [20, 18, 0])
    assert schedule_requirement(8, 0.2) == 10  # 8 / 0.8 = 10 exactly, not 11
    with pytest.raises(ValueError, match="Shrinkage"):
        schedule_requirement(10, 1.0)


def test_agrees_with_pyworkforce_on_random_cases():
    rng = np.random.default_rng(20261122)
    cases = 300
    volume = rng.uniform(5, 800, cases)
    interval_min = rng.choice([15.0, 30.0, 60.0], cases)
    aht_min = rng.uniform(1, 12, cases)
    asa_min = rng.uniform(0.1, 1.0, cases) * aht_min
    target = rng.uniform(0.5, 0.95, cases)
    max_occupancy = rng.uniform(0.75, 1.0, cases)
    ours = required_agents(
        volume, interval_min * 60, aht_min * 60, target, asa_min * 60, max_occupancy=max_occupancy
    )
    for i in range(cases):
        theirs = ErlangC(
            transactions=volume[i], aht=aht_min[i], asa=asa_min[i], interval=interval_min[i]
        )
        expected = theirs.required_positions(target[i], max_occupancy=max_occupancy[i])
        assert ours[i] == expected["raw_positions"], i
        traffic = volume[i] * aht_min[i] / interval_min[i]
        for agents in (ours[i], ours[i] + 3):
            assert erlang_c(traffic, agents) == pytest.approx(
                theirs.waiting_probability(int(agents)), abs=1e-9
            )
            assert service_level(traffic, agents, aht_min[i], asa_min[i]) == pytest.approx(
                theirs.service_level(int(agents)), abs=1e-9
            )


@settings(max_examples=60, deadline=None)
@given(
    traffic=st.floats(0.1, 400.0),
    extra=st.integers(1, 60),
    answer_s=st.floats(0.0, 120.0),
    aht_s=st.floats(10.0, 900.0),
)
def test_service_level_increases_with_agents(traffic, extra, answer_s, aht_s):
    agents = math.floor(traffic) + np.arange(extra, extra + 5)
    levels = service_level(traffic, agents, aht_s, answer_s)
    waits = erlang_c(traffic, agents)
    assert np.all((waits >= 0) & (waits <= 1))
    assert np.all(np.diff(levels) >= -1e-12)
    assert np.all(np.diff(waits) <= 1e-12)


@settings(max_examples=60, deadline=None)
@given(
    volume=st.floats(1.0, 3000.0),
    aht_s=st.floats(30.0, 900.0),
    target=st.floats(0.05, 0.99),
    answer_s=st.floats(0.0, 60.0),
)
def test_required_agents_is_minimal(volume, aht_s, target, answer_s):
    agents = int(required_agents(volume, 1800, aht_s, target, answer_s))
    traffic = traffic_erlangs(volume, 1800, aht_s)
    assert agents > traffic
    assert service_level(traffic, agents, aht_s, answer_s) >= target
    if agents - 1 > traffic:
        assert service_level(traffic, agents - 1, aht_s, answer_s) < target
