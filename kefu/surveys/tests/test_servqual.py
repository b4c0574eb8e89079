"""SERVQUAL gap scores (Parasuraman, Zeithaml & Berry 1988)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kefu.surveys.instruments import SERVQUAL_ITEM_DIMENSIONS, SERVQUAL_ITEMS
from kefu.surveys.scoring import SERVQUAL_DIMENSIONS, servqual

NAN = np.nan
DIMENSIONS_OF_SIX_ITEMS = [
    "tangibles",
    "tangibles",
    "reliability",
    "responsiveness",
    "assurance",
    "empathy",
]
EXPECTATIONS = [[5, 6, 7, 5, 6, 7], [4, NAN, 6, 5, 6, 7]]
PERCEPTIONS = [[4, 6, 5, 6, 6, 4], [5, 5, 6, 3, 7, 6]]
POINTS = {"tangibles": 10, "reliability": 30, "responsiveness": 20, "assurance": 20, "empathy": 20}


def test_hand_computed_gaps_per_item_dimension_and_score():
    result = servqual(EXPECTATIONS, PERCEPTIONS, DIMENSIONS_OF_SIX_ITEMS, POINTS)
    # Gaps P − E: respondent 1 [−1, 0, −2, 1, 0, −3]; respondent 2 [1, —, 0, −2, 1, −1].
    np.testing.assert_allclose(result.item_gaps, [0, 0, -1, -0.5, 0.5, -2])
    assert result.dimension_gaps == pytest.approx(
        {"tangibles": 0, "reliability": -1, "responsiveness": -0.5, "assurance": 0.5, "empathy": -2}
    )
    assert result.unweighted_score == pytest.approx(-0.6)  # (0 − 1 − 0.5 + 0.5 − 2) / 5
    # 0·0.1 − 1·0.3 − 0.5·0.2 + 0.5·0.2 − 2·0.2 = −0.7
    assert result.weighted_score == pytest.approx(-0.7)


def test_hand_computed_scores_per_respondent():
    result = servqual(EXPECTATIONS, PERCEPTIONS, DIMENSIONS_OF_SIX_ITEMS, POINTS)
    np.testing.assert_allclose(
        result.respondent_dimension_gaps, [[-0.5, -2, 1, 0, -3], [1, 0, -2, 1, -1]]
    )
    np.testing.assert_allclose(result.respondent_unweighted, [-0.9, -0.2])
    np.testing.assert_allclose(result.respondent_weighted, [-1.05, -0.3])


def test_item_dimensions_may_be_a_mapping_and_points_are_optional():
    mapping = dict(enumerate(DIMENSIONS_OF_SIX_ITEMS))
    result = servqual(EXPECTATIONS, PERCEPTIONS, mapping)
    assert result.unweighted_score == pytest.approx(-0.6)
    assert math.isnan(result.weighted_score)
    assert np.isnan(result.respondent_weighted).all()


def test_points_must_sum_to_100():
    with pytest.raises(ValueError, match="sum to 100, not 90"):
        servqual(EXPECTATIONS, PERCEPTIONS, DIMENSIONS_OF_SIX_ITEMS, {**POINTS, "empathy": 10})


def test_points_must_name_the_five_dimensions():
    with pytest.raises(ValueError, match="exactly the five dimensions"):
        servqual(EXPECTATIONS, PERCEPTIONS, DIMENSIONS_OF_SIX_ITEMS, {"tangibles": 100})


def test_negative_points_are_rejected():
    points = {**POINTS, "tangibles": -10, "reliability": 50}
    with pytest.raises(ValueError, match="non-negative"):
        servqual(EXPECTATIONS, PERCEPTIONS, DIMENSIONS_OF_SIX_ITEMS, points)


def test_unknown_dimension_names_the_item():
    dimensions = [*DIMENSIONS_OF_SIX_ITEMS[:5], "price"]
    with pytest.raises(ValueError, match="Item 5 has dimension 'price'"):
        servqual(EXPECTATIONS, PERCEPTIONS, dimensions)


def test_shapes_must_agree():
    with pytest.raises(ValueError, match="same shape"):
        servqual(EXPECTATIONS, [[1, 2, 3, 4, 5, 6]], DIMENSIONS_OF_SIX_ITEMS)
    with pytest.raises(ValueError, match="names 5 items but the answers have 6"):
        servqual(EXPECTATIONS, PERCEPTIONS, DIMENSIONS_OF_SIX_ITEMS[:5])


def test_weighted_score_of_a_dimension_with_zero_points_ignores_it():
    only_empathy = {d: 0 for d in SERVQUAL_DIMENSIONS} | {"empathy": 100}
    result = servqual([[1, 1]], [[2, 4]], ["tangibles", "empathy"], only_empathy)
    assert result.weighted_score == pytest.approx(3.0)
    assert result.unweighted_score == pytest.approx(2.0)  # mean of the two dimensions present


def test_the_22_item_instrument_scores_end_to_end():
    rng = np.random.default_rng(7)
    expectations = rng.integers(1, 8, size=(50, 22)).astype(float)
    perceptions = rng.integers(1, 8, size=(50, 22)).astype(float)
    result = servqual(expectations, perceptions, SERVQUAL_ITEM_DIMENSIONS)
    gaps = perceptions - expectations
    for dimension in SERVQUAL_DIMENSIONS:  # independent per-dimension computation
        columns = [i for i, d in enumerate(SERVQUAL_ITEM_DIMENSIONS) if d == dimension]
        assert result.dimension_gaps[dimension] == pytest.approx(gaps[:, columns].mean())


def test_servqual_instrument_has_22_items_in_five_dimensions_in_two_languages():
    assert len(SERVQUAL_ITEMS) == 22
    counts = {d: SERVQUAL_ITEM_DIMENSIONS.count(d) for d in SERVQUAL_DIMENSIONS}
    assert counts == {
        "tangibles": 4,
        "reliability": 5,
        "responsiveness": 4,
        "assurance": 4,
        "empathy": 5,
    }
    assert len({item.code for item in SERVQUAL_ITEMS}) == 22
    for item in SERVQUAL_ITEMS:
        assert item.expectation_en != item.perception_en
        assert item.expectation_zh.startswith("优秀的服务企业")
        assert item.perception_zh.startswith("本公司")


answers = arrays(
    np.float64,
    st.tuples(st.integers(1, 12), st.just(10)),
    elements=st.one_of(st.integers(1, 7).map(float), st.just(np.nan)),
)


@settings(max_examples=40, deadline=None)
@given(answers, answers)
def test_weighted_with_equal_points_equals_unweighted(expected, perceived):
    rows = min(len(expected), len(perceived))
    dimensions = [*SERVQUAL_DIMENSIONS, *SERVQUAL_DIMENSIONS]
    equal = {d: 20 for d in SERVQUAL_DIMENSIONS}
    result = servqual(expected[:rows], perceived[:rows], dimensions, equal)
    if not np.isnan(list(result.dimension_gaps.values())).any():
        assert result.weighted_score == pytest.approx(result.unweighted_score)
    complete = ~np.isnan(result.respondent_dimension_gaps).any(axis=1)
    np.testing.assert_allclose(
        result.respondent_weighted[complete], result.respondent_unweighted[complete]
    )


def test_an_item_nobody_answered_is_left_out_of_its_dimension():
    expectations = [[5, np.nan, 5, 5, 5, 5], [5, np.nan, 5, 5, 5, 5]]
    perceptions = [[6, 7, 5, 5, 5, 5], [4, 7, 5, 5, 5, 5]]
    result = servqual(expectations, perceptions, DIMENSIONS_OF_SIX_ITEMS)
    assert np.isnan(result.item_gaps[1])
    assert result.dimension_gaps["tangibles"] == pytest.approx(0.0)  # only item 0: (1 − 1)/2


def test_infinite_answers_are_rejected():
    with pytest.raises(ValueError, match=r"Perception: value inf at position \(0, 2\)"):
        servqual([[1, 1, 1, 1, 1, 1]], [[1, 1, np.inf, 1, 1, 1]], DIMENSIONS_OF_SIX_ITEMS)
