"""Build-option cost table and weighted decision matrix, checked by hand."""

import pytest

from kefu.workforce.build_options import SourcingOption, compare_build_options, weighted_decision

OPTIONS = [
    SourcingOption(
        "self-built", seat_cost_per_month=100.0, fixed_per_month=2000.0, price_per_minute=0.01
    ),
    SourcingOption("hosted", seat_cost_per_month=150.0, price_per_minute=0.02),
    SourcingOption("outsourced", pays_wages=False, price_per_agent_hour=30.0),
]


def test_cost_table_by_hand():
    # Two half hours: 100 contacts (10 Erlangs → 14 agents) and 0 contacts (0 agents).
    # Shrinkage 30 %: ⌈14 / 0.7⌉ = 20 scheduled → 10 agent-hours per period, 4 periods a month.
    table = compare_build_options(
        [100, 0],
        1800,
        180,
        0.8,
        20,
        OPTIONS,
        hourly_wage=20.0,
        shrinkage=0.3,
        periods_per_month=4,
    )
    rows = {row["option"]: row for row in table.iter_rows(named=True)}
    agent_hours, contacts, minutes, seats = 40.0, 400.0, 1200.0, 20
    assert rows["self-built"]["agent_hours"] == pytest.approx(agent_hours)
    assert rows["self-built"]["peak_seats"] == seats
    self_built = agent_hours * 20 + seats * 100 + 2000 + minutes * 0.01
    hosted = agent_hours * 20 + seats * 150 + minutes * 0.02
    outsourced = agent_hours * 30
    assert rows["self-built"]["total"] == pytest.approx(self_built)
    assert rows["hosted"]["total"] == pytest.approx(hosted)
    assert rows["outsourced"]["total"] == pytest.approx(outsourced)
    assert rows["outsourced"]["cost_per_contact"] == pytest.approx(outsourced / contacts)
    assert table["option"].to_list() == ["outsourced", "hosted", "self-built"]
    assert table["rank"].to_list() == [1, 2, 3]
    with pytest.raises(ValueError, match="at least one option"):
        compare_build_options([100], 1800, 180, 0.8, 20, [], hourly_wage=20.0)


def test_weighted_decision_by_hand():
    ranking = weighted_decision(
        {"cost": 3, "control": 1, "speed": 1},
        {
            "self-built": {"cost": 2, "control": 5, "speed": 1},
            "hosted": {"cost": 4, "control": 3, "speed": 4},
            "outsourced": {"cost": 5, "control": 1, "speed": 5},
        },
    )
    # Weights normalise to 0.6 / 0.2 / 0.2.
    totals = dict(zip(ranking["option"], ranking["total"], strict=True))
    assert totals["self-built"] == pytest.approx(0.6 * 2 + 0.2 * 5 + 0.2 * 1)
    assert totals["hosted"] == pytest.approx(0.6 * 4 + 0.2 * 3 + 0.2 * 4)
    assert totals["outsourced"] == pytest.approx(0.6 * 5 + 0.2 * 1 + 0.2 * 5)
    assert ranking["option"].to_list() == ["outsourced", "hosted", "self-built"]
    assert ranking["rank"].to_list() == [1, 2, 3]
    assert ranking.row(0, named=True)["cost"] == pytest.approx(3.0)


def test_weighted_decision_ties_share_a_rank():
    ranking = weighted_decision({"a": 1}, {"x": {"a": 2}, "y": {"a": 2}, "z": {"a": 1}})
    assert ranking["rank"].to_list() == [1, 1, 3]


@pytest.mark.parametrize(
    ("weights", "scores", "message"),
    [
        ({"cost": -1, "speed": 1}, {"x": {"cost": 1, "speed": 1}}, "cost"),
        ({"cost": 1, "speed": 1}, {"x": {"cost": 1}}, "speed"),
        ({"cost": 1}, {"x": {"cost": 1, "risk": 2}}, "risk"),
        ({"cost": 1}, {"x": {"cost": float("nan")}}, "cost"),
        ({"cost": 0}, {"x": {"cost": 1}}, "positive weight"),
    ],
)
def test_weighted_decision_errors_name_the_criterion(weights, scores, message):
    with pytest.raises(ValueError, match=message):
        weighted_decision(weights, scores)
