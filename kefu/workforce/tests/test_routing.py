"""The pure routing strategies: each picks the agent its rule names, and says why."""

import pytest

from kefu.workforce.routing import NEVER, Candidate, choose_agent


def agent(agent_id, *, load=0, capacity=1, idle=100.0, routed=NEVER, skills=None):
    return Candidate(agent_id, load, capacity, idle, routed, skills or {})


def test_full_agents_are_never_chosen_and_nobody_free_gives_none():
    busy = [agent(1, load=1), agent(2, load=3, capacity=3)]
    for strategy in ("round_robin", "least_loaded", "longest_idle", "skill_based", "tier_aware"):
        choice = choose_agent(busy, strategy)
        assert choice.agent_id is None and choice.eligible == 0
        assert "no available agent" in choice.reason


def test_round_robin_prefers_never_routed_then_routed_longest_ago():
    pool = [agent(1, routed=50.0), agent(2, routed=10.0), agent(3, routed=30.0)]
    assert choose_agent(pool, "round_robin").agent_id == 2
    pool.append(agent(4))  # never routed by this queue
    choice = choose_agent(pool, "round_robin")
    assert choice.agent_id == 4 and "never routed" in choice.reason


def test_least_loaded_compares_share_of_capacity_then_idle_time():
    pool = [
        agent(1, load=1, capacity=3, idle=10.0),  # 33 % in use
        agent(2, load=1, capacity=2, idle=5.0),  # 50 %
        agent(3, load=0, capacity=3, idle=90.0),  # 0 %, idle since 90
        agent(4, load=0, capacity=1, idle=20.0),  # 0 %, idle since 20 → longer idle
    ]
    choice = choose_agent(pool, "least_loaded")
    assert choice.agent_id == 4
    assert choice.reason == "least loaded: 0/1 in use"
    assert choice.eligible == 4


def test_longest_idle_ignores_load():
    pool = [agent(1, load=2, capacity=3, idle=5.0), agent(2, idle=50.0)]
    assert choose_agent(pool, "longest_idle").agent_id == 1


def test_skill_based_needs_every_skill_then_best_total_level_then_idle():
    pool = [
        agent(1, idle=1.0, skills={"presales": 5}),  # lacks english
        agent(2, idle=30.0, skills={"presales": 3, "english": 4}),  # total 7
        agent(3, idle=40.0, skills={"presales": 4, "english": 3}),  # total 7, idle less long
        agent(4, idle=2.0, skills={"presales": 2, "english": 2}),  # total 4
    ]
    choice = choose_agent(pool, "skill_based", required_skills=["presales", "english"])
    assert choice.agent_id == 2
    assert "best level total 7" in choice.reason
    assert choice.eligible == 3
    # Nobody with both skills: the contact waits rather than going to the wrong agent.
    assert choose_agent(pool[:1], "skill_based", required_skills=["english"]).agent_id is None
    # A queue without required skills falls back to the longest idle.
    assert choose_agent(pool, "skill_based").agent_id == 1


def test_tier_aware_sends_tier_a_to_senior_agents():
    pool = [
        agent(1, idle=1.0),
        agent(2, load=1, capacity=3, skills={"senior": 5}),
        agent(3, load=2, capacity=3, skills={"senior": 4}),
    ]
    choice = choose_agent(pool, "tier_aware", customer_tier="A")
    assert choice.agent_id == 2 and "senior" in choice.reason
    # Other tiers: least loaded over everyone (agent 1 is idle with 0 in use).
    choice = choose_agent(pool, "tier_aware", customer_tier="C")
    assert choice.agent_id == 1 and "tier C" in choice.reason
    # No senior agent free: the tier-A customer still gets the least loaded agent, and the
    # reason says so.
    choice = choose_agent(
        [pool[0], agent(5, load=1, skills={"senior": 5})], "tier_aware", customer_tier="A"
    )
    assert choice.agent_id == 1 and "no senior agent free" in choice.reason


def test_ties_end_on_the_lowest_agent_id():
    pool = [agent(7), agent(3), agent(5)]
    for strategy in ("round_robin", "least_loaded", "longest_idle", "skill_based"):
        assert choose_agent(pool, strategy).agent_id == 3


def test_unknown_strategy_is_refused():
    with pytest.raises(ValueError, match="Unknown routing strategy"):
        choose_agent([agent(1)], "random")
