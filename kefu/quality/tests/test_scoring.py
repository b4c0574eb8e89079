"""Rubric scoring with weights and auto-fail; calibration spread; target split; PDCA rules."""

from __future__ import annotations

import math
import statistics

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.quality import pdca, people, scoring, targets

NAN = float("nan")


def test_weighted_score_ignores_not_applicable():
    # (2·1 + 1·0.5 + 1·0) / (2 + 1 + 1) = 2.5 / 4; the n/a criterion (weight 5) is left out.
    result = scoring.score_evaluation([1, 0.5, 0, NAN], [2, 1, 1, 5], [False] * 4)
    assert result.score == pytest.approx(62.5)
    assert not result.auto_failed


def test_auto_fail_makes_the_score_zero_and_names_the_criterion():
    result = scoring.score_evaluation([1, 0.5, 1], [1, 1, 1], [False, True, False])
    assert result.score == 0 and result.auto_failed and result.failed_auto_fail == (1,)
    # Met or not applicable auto-fail criteria do not fail.
    assert not scoring.score_evaluation([1, NAN], [1, 1], [True, True]).auto_failed


def test_all_not_applicable_scores_full_marks_and_bad_values_are_refused():
    assert scoring.score_evaluation([NAN], [1], [False]).score == 100
    with pytest.raises(ValueError):
        scoring.score_evaluation([0.7], [1], [False])
    with pytest.raises(ValueError):
        scoring.score_evaluation([1], [-1], [False])


def test_spread_matches_the_statistics_module():
    scores = [72.5, 80.0, 91.0, 65.0]
    s = scoring.spread(scores)
    assert s.std == pytest.approx(statistics.stdev(scores))
    assert s.mean == pytest.approx(statistics.mean(scores))
    assert s.range == pytest.approx(26.0) and s.n_evaluators == 4
    assert scoring.spread([80]).std == 0
    assert math.isnan(scoring.spread([]).mean)


def test_criterion_spread_and_agreement():
    frame = pl.DataFrame(
        {
            "evaluator_id": [1, 2, 3, 1, 2, 3],
            "criterion_id": [10, 10, 10, 11, 11, 11],
            "value": [1.0, 1.0, 0.0, 0.5, 0.5, 0.5],
        }
    )
    rows = {r["criterion_id"]: r for r in scoring.criterion_spread(frame).to_dicts()}
    assert rows[10]["range"] == 1 and rows[10]["agreement"] == pytest.approx(2 / 3)
    assert rows[10]["std"] == pytest.approx(statistics.stdev([1, 1, 0]))
    assert rows[11]["std"] == 0 and rows[11]["agreement"] == 1


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # busy CI machines
@given(
    total=st.floats(min_value=0, max_value=1e7, allow_nan=False),
    weights=st.lists(
        st.floats(min_value=0, max_value=1e4, allow_nan=False), min_size=1, max_size=40
    ),
)
def test_additive_split_sums_to_the_parent(total, weights):
    parts = targets.decompose(total, method="share", n=len(weights), weights=weights)
    assert parts.sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
    equal = targets.decompose(total, method="equal", n=len(weights))
    assert equal.sum() == pytest.approx(total, rel=1e-9, abs=1e-6)


def test_split_by_share_is_proportional_and_rates_are_not_split():
    parts = targets.decompose(600, method="share", n=3, weights=[1, 2, 3])
    assert np.allclose(parts, [100, 200, 300])
    assert np.allclose(targets.decompose(90, method="equal", n=3, additive=False), [90, 90, 90])
    with pytest.raises(ValueError):
        targets.decompose(10, method="share", n=2, weights=[1, -1])


def test_progress_inverts_lower_is_better():
    assert targets.progress(90, 100, True) == pytest.approx(90)
    assert targets.progress(1200, 1800, False) == pytest.approx(150)  # faster than target
    assert targets.progress(1, 1800, False) == targets.PROGRESS_CAP


def _facts(state, **over):
    base = dict(
        has_owner=True,
        has_due_date=True,
        has_kpi=True,
        has_plan=True,
        has_baseline=True,
        has_result=False,
        has_conclusion=False,
    )
    base.update(over)
    return pdca.ActionFacts(state=pdca.State(state), **base)


def test_pdca_order_and_requirements():
    assert pdca.check_move(_facts("plan"), "do") == []
    assert [v.field for v in pdca.check_move(_facts("plan", has_owner=False), "do")] == ["owner"]
    assert pdca.check_move(_facts("plan"), "check")[0].field == "state"  # no skipping Do
    assert pdca.check_move(_facts("do"), "check") == []
    assert pdca.check_move(_facts("check"), "act")[0].field == "result_value"
    assert pdca.check_move(_facts("check", has_result=True), "act") == []
    assert pdca.check_move(_facts("act", has_result=True), "closed")[0].field == "conclusion"
    ok = _facts("act", has_result=True, has_conclusion=True)
    assert pdca.check_move(ok, "closed") == [] and pdca.check_move(ok, "plan") == []
    assert pdca.check_move(_facts("closed"), "plan")[0].field == "state"
    assert pdca.improvement(1800, 1200, higher_is_better=False) == 600


def test_balanced_score_never_uses_volume_and_needs_all_parts():
    agents = pl.DataFrame(
        {
            "level_key": ["1", "2", "3", "4"],
            "qa_score": [90.0, 70.0, 80.0, None],
            "csat": [80.0, 95.0, 85.0, 99.0],
            "fcr_rate": [70.0, 60.0, 90.0, 99.0],
            "tickets_solved": [10.0, 500.0, 50.0, 900.0],
        }
    )
    ranked = people.balanced_scores(agents)
    assert ranked["level_key"].to_list() == ["3", "1", "2"]  # agent 4 lacks a QA score
    # Percentile ranks: 3 → (0.5 + 0.5 + 1)/3, 1 → (1 + 0 + 0.5)/3, 2 → (0 + 1 + 0)/3.
    assert ranked["balanced"].to_list() == pytest.approx([200 / 3, 50, 100 / 3])


def test_care_figures_count_consecutive_difficult_contacts():
    import datetime as dt

    t0 = dt.datetime(2026, 3, 2, 9)
    flags = [True, True, False, True, True, True, False]
    contacts = pl.DataFrame(
        {
            "agent_id": [1] * 7 + [2],
            "at": [t0 + dt.timedelta(minutes=10 * i) for i in range(8)],
            "day": [dt.date(2026, 3, 2)] * 6 + [dt.date(2026, 3, 3)] * 2,
            "difficult": [*flags, False],
        }
    )
    rows = people.care_figures(
        contacts, max_per_day=3, max_difficult_share=50, max_consecutive=3
    ).to_dicts()
    one, two = rows
    assert one["max_consecutive_difficult"] == 3 and one["warn_consecutive"]
    assert one["difficult_share"] == pytest.approx(500 / 7) and one["warn_difficult_share"]
    assert one["per_day"] == pytest.approx(3.5) and one["warn_workload"]
    assert two["max_consecutive_difficult"] == 0 and not two["warn_workload"]


def test_consistency_and_competency_profile():
    agents = pl.DataFrame({"csat": [80.0, 90.0, None], "qa_score": [70.0, 70.0, 70.0]})
    c = people.consistency(agents)
    assert c["csat"]["n"] == 2 and c["csat"]["std"] == pytest.approx(statistics.stdev([80, 90]))
    assert c["qa_score"]["cv"] == 0
    scores = pl.DataFrame(
        {"agent_id": [1, 1, 1, 1], "competency_id": [1, 1, 2, 2], "value": [1.0, 0.5, 0.0, None]}
    )
    profile = people.competency_profile(scores).to_dicts()
    assert profile[0]["score"] == pytest.approx(75) and not profile[0]["weakest"]
    assert profile[1]["score"] == 0 and profile[1]["weakest"] and profile[1]["n"] == 1
