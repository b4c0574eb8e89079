"""Erlang A: closed forms against the truncated birth–death chain, and the Erlang C limit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.workforce import erlang, erlang_a

CASES = [
    # traffic (Erlangs), agents, AHT s, mean patience s
    (10.0, 11, 180.0, 120.0),
    (10.0, 8, 180.0, 60.0),  # overloaded: Erlang C is unstable, Erlang A is not
    (100.0, 95, 300.0, 600.0),
    (500.0, 520, 300.0, 30.0),
    (2.5, 1, 240.0, 900.0),
    (1500.0, 1480, 200.0, 400.0),  # thousands of states: no factorial overflow
]


@pytest.mark.parametrize(("traffic", "agents", "aht_s", "patience_s"), CASES)
def test_closed_forms_match_birth_death_chain(traffic, agents, aht_s, patience_s):
    chain = erlang_a.birth_death_measures(traffic, agents, aht_s, patience_s, answer_s=20.0)
    assert erlang_a.wait_probability(traffic, agents, aht_s, patience_s) == pytest.approx(
        chain.wait_probability, abs=1e-10
    )
    assert erlang_a.abandonment_probability(traffic, agents, aht_s, patience_s) == pytest.approx(
        chain.abandonment_probability, abs=1e-10
    )
    assert erlang_a.average_wait(traffic, agents, aht_s, patience_s) == pytest.approx(
        chain.average_wait_s, rel=1e-8
    )
    # Contacts answered = all − abandoned, and waits of answered ≤ the mean over all waiting time
    # budget: E[W] = P(answered)·ASA + E[W; abandoned] ≥ P(answered)·ASA.
    answered = 1.0 - chain.abandonment_probability
    assert answered * chain.average_speed_of_answer_s <= chain.average_wait_s + 1e-9
    assert 0.0 <= chain.service_level <= answered + 1e-12


def test_service_level_tends_to_answered_share():
    traffic, agents, aht_s, patience_s = 10.0, 11, 180.0, 120.0
    long_wait = erlang_a.service_level(traffic, agents, aht_s, patience_s, 3_000.0)
    answered = 1.0 - erlang_a.abandonment_probability(traffic, agents, aht_s, patience_s)
    assert long_wait == pytest.approx(answered, abs=1e-9)
    # Nobody waits zero seconds except those who find a free agent.
    immediate = erlang_a.service_level(traffic, agents, aht_s, patience_s, 0.0)
    assert immediate == pytest.approx(
        1.0 - erlang_a.wait_probability(traffic, agents, aht_s, patience_s), abs=1e-12
    )


def test_infinite_patience_limit_is_erlang_c():
    traffic, agents, aht_s = 10.0, 13, 180.0
    patient = 1e8
    assert erlang_a.wait_probability(traffic, agents, aht_s, patient) == pytest.approx(
        erlang.erlang_c(traffic, agents), abs=1e-6
    )
    assert erlang_a.wait_probability(traffic, agents, aht_s, np.inf) == erlang.erlang_c(
        traffic, agents
    )
    assert erlang_a.abandonment_probability(traffic, agents, aht_s, np.inf) == 0.0
    assert erlang_a.service_level(traffic, agents, aht_s, patient, 20.0) == pytest.approx(
        erlang.service_level(traffic, agents, aht_s, 20.0), abs=1e-6
    )
    assert erlang_a.average_speed_of_answer(traffic, agents, aht_s, patient) == pytest.approx(
        erlang.average_speed_of_answer(traffic, agents, aht_s), rel=1e-5
    )
    # With short patience fewer contacts wait and the answered ones wait less.
    assert erlang_a.average_speed_of_answer(traffic, agents, aht_s, 60.0) < 17.1


def test_broadcasting_and_validation():
    grid = erlang_a.wait_probability(np.array([[8.0], [10.0]]), np.array([9, 10, 12]), 180, 120)
    assert grid.shape == (2, 3)
    levels = erlang_a.service_level(10.0, np.array([10, 12]), 180.0, 120.0, 20.0)
    assert levels.shape == (2,) and levels[0] < levels[1]
    with pytest.raises(ValueError, match="positive whole number"):
        erlang_a.wait_probability(10, 0, 180, 120)
    with pytest.raises(ValueError, match="finite"):
        erlang_a.birth_death_measures(10, 11, 180, np.inf)


def test_required_agents_is_minimal_and_below_erlang_c():
    agents = erlang_a.required_agents(100, 1800, 180, 120, 0.8, 20)
    traffic = 10.0
    assert erlang_a.service_level(traffic, agents, 180, 120, 20) >= 0.8
    assert erlang_a.service_level(traffic, agents - 1, 180, 120, 20) < 0.8
    assert agents <= erlang.required_agents(100, 1800, 180, 0.8, 20)
    strict = erlang_a.required_agents(100, 1800, 180, 120, 0.5, 20, max_abandonment=0.01)
    assert erlang_a.abandonment_probability(traffic, strict, 180, 120) <= 0.01
    assert erlang_a.abandonment_probability(traffic, strict - 1, 180, 120) > 0.01
    assert erlang_a.required_agents(0, 1800, 180, 120, 0.8, 20) == 0


@settings(max_examples=40, deadline=None)
@given(
    traffic=st.floats(0.5, 80.0),
    agents=st.integers(1, 90),
    patience_s=st.floats(5.0, 3000.0),
)
def test_probabilities_are_ordered(traffic, agents, patience_s):
    waiting = erlang_a.wait_probability(traffic, agents, 180.0, patience_s)
    abandoning = erlang_a.abandonment_probability(traffic, agents, 180.0, patience_s)
    assert 0.0 <= abandoning <= waiting <= 1.0
    more = erlang_a.wait_probability(traffic, agents + 1, 180.0, patience_s)
    assert more <= waiting + 1e-12
