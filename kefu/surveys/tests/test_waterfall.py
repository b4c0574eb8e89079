"""Customer-service waterfall: stages, transitions, recovery and the four kinds of business."""

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.surveys.waterfall import (
    STAGES,
    loyal_flows,
    recovered_count,
    service_business_kind,
    transition_matrix,
    waterfall_stage,
)


def test_waterfall_stage_rules_in_order():
    stages = waterfall_stage(
        satisfaction=[5, 5, 4, 3, 1, 2, 5, np.nan, np.nan, 4],
        complained=[0, 0, 0, 0, 0, 1, 1, 0, 1, 1],
        public_complaint=[0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        repurchased=[1, 0, 1, 1, 1, 1, 1, 0, 0, 1],
    )
    assert stages.tolist() == [
        "loyal",  # very satisfied and bought again
        "very_satisfied",  # very satisfied, no repurchase yet
        "satisfied",  # satisfied repurchasers are not loyal (满意客户是随机购买)
        "dissatisfied",
        "angry",  # satisfaction at the bottom of the scale
        "angry",  # complained to us while not satisfied
        "loyal",  # complained but recovered: very satisfied and bought again
        "unknown",  # no answer and no complaint
        "angry",  # complained, no answer
        "complaining",  # a public complaint outranks everything
    ]


def test_waterfall_stage_thresholds_for_a_ten_point_scale():
    stages = waterfall_stage(
        [10, 8, 7, 2], 0, 0, 1, satisfied_min=7, very_satisfied_min=9, angry_max=2
    )
    assert stages.tolist() == ["loyal", "satisfied", "satisfied", "angry"]


BEFORE = ["loyal", "loyal", "satisfied", "angry", "complaining", "complaining", "unknown"]
AFTER = ["loyal", "satisfied", "loyal", "very_satisfied", "dissatisfied", "loyal", "loyal"]


def test_transition_matrix_hand_computed():
    matrix = transition_matrix(BEFORE, AFTER)
    loyal, very, satisfied, dissatisfied, angry, complaining = range(6)
    assert matrix.stages == STAGES
    assert matrix.counts.sum() == 6  # the unknown → loyal pair is not a transition
    assert matrix.counts[loyal, loyal] == 1 and matrix.counts[loyal, satisfied] == 1
    assert matrix.counts[complaining, dissatisfied] == 1
    assert matrix.counts[complaining, loyal] == 1
    assert matrix.shares[loyal, satisfied] == pytest.approx(0.5)
    assert matrix.shares[angry, very] == 1.0
    assert np.isnan(matrix.shares[dissatisfied]).all()  # nobody started there
    frame = matrix.to_frame()
    assert frame.height == 36
    assert frame["count"].sum() == 6


def test_transition_matrix_needs_the_same_customers():
    with pytest.raises(ValueError, match="same customers"):
        transition_matrix(["loyal"], ["loyal", "angry"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([*STAGES, "unknown"]), st.sampled_from([*STAGES, "unknown"])),
        min_size=1,
        max_size=200,
    )
)
def test_transition_rows_sum_to_one(pairs):
    before, after = zip(*pairs, strict=True)
    matrix = transition_matrix(list(before), list(after))
    started = matrix.counts.sum(axis=1) > 0
    np.testing.assert_allclose(matrix.shares[started].sum(axis=1), 1.0)
    assert matrix.counts.sum() == sum(b in STAGES and a in STAGES for b, a in pairs)


def test_recovered_count():
    # complainers: angry → very satisfied (lifted), complaining → dissatisfied (not),
    # complaining → loyal (lifted)
    assert recovered_count(BEFORE, AFTER) == 2
    assert recovered_count(BEFORE, AFTER, lifted_to="loyal") == 1
    assert (
        recovered_count(BEFORE, AFTER, from_stages=("complaining",), lifted_to="dissatisfied") == 2
    )
    with pytest.raises(ValueError, match="Unknown waterfall stage"):
        recovered_count(BEFORE, AFTER, lifted_to="ecstatic")


def test_loyal_flows():
    flows = loyal_flows(BEFORE, AFTER)
    # loyal at start 2; lost 1 (loyal → satisfied); gained 3 (satisfied, complaining, new)
    assert (flows.loyal_at_start, flows.loyal_lost, flows.loyal_gained) == (2, 1, 3)


def test_service_business_kinds_of_the_2_by_2():
    kinds = service_business_kind(
        loyal_lost=[2, 30, 2, 30], loyal_gained=[40, 40, 1, 1], loyal_at_start=[100] * 4
    )
    assert kinds.tolist() == ["thriving", "revolving_door", "stagnant", "declining"]


def test_service_business_kind_thresholds_and_empty_base():
    assert (
        service_business_kind(5, 5, 100, many_lost_rate=0.05, many_gained_rate=0.05)
        == "revolving_door"
    )
    assert service_business_kind(0, 3, 0).tolist() == "thriving"  # new firm gaining loyal customers
    with pytest.raises(ValueError, match="loyal_lost"):
        service_business_kind(5, 0, 3)


def test_transition_matrix_accepts_polars_series():
    from_numpy = transition_matrix(np.array(BEFORE), np.array(AFTER))
    from_polars = transition_matrix(pl.Series(BEFORE), pl.Series(AFTER))
    np.testing.assert_array_equal(from_numpy.counts, from_polars.counts)
