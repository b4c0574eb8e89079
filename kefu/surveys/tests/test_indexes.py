"""RATER index, CSI, importance–performance quadrants, customer utility and loyalty."""

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.surveys.scoring import (
    RATER_DIMENSIONS,
    csi,
    customer_utility,
    loyalty_index,
    priority_matrix,
    rater_index,
    satisfied_not_loyal,
)

SCORES = {
    "reliability": [7, 5],  # mean 6 → (6 − 1)/6 = 83.33
    "assurance": [4, 4],  # 50
    "tangibles": [1, np.nan],  # 0
    "empathy": [[7, 7], [7, 7]],  # item columns are pooled: 100
    "responsiveness": [2.5, 5.5],  # 4 → 50
}


def test_rater_index_hand_computed():
    result = rater_index(SCORES)
    assert result == pytest.approx(
        {
            "reliability": 250 / 3,
            "assurance": 50,
            "tangibles": 0,
            "empathy": 100,
            "responsiveness": 50,
            "overall": (250 / 3 + 50 + 0 + 100 + 50) / 5,
        }
    )


def test_rater_index_on_a_five_point_scale():
    result = rater_index({d: [3] for d in RATER_DIMENSIONS}, scale_min=1, scale_max=5)
    assert result["overall"] == pytest.approx(50)


def test_rater_index_validates_scale_and_dimensions():
    with pytest.raises(ValueError, match="tangibles: value 8 at position 0"):
        rater_index({**SCORES, "tangibles": [8]})
    with pytest.raises(ValueError, match="Missing RATER dimensions: empathy"):
        rater_index({d: v for d, v in SCORES.items() if d != "empathy"})


def test_rater_index_per_group_from_a_polars_frame():
    frame = pl.DataFrame(
        {
            "team": ["a", "a", "b", "b", "b"],
            "channel": ["phone", "phone", "chat", "chat", "phone"],
            "reliability": [7, 1, 4, 4, 7],
            "assurance": [7, 7, 1, None, 1],
            "tangibles": [4.0, 4.0, 7.0, 7.0, float("nan")],
            "empathy": [1, 1, 1, 1, 1],
            "responsiveness": [7, 7, 7, 7, 7],
        }
    )
    by_team = rater_index(frame, group_by=["team"])
    assert by_team["team"].to_list() == ["a", "b"]
    assert by_team["n"].to_list() == [2, 3]
    # team b: reliability 4, 4, 7 → mean 5 → (5 − 1)/6 = 66.67
    assert by_team["reliability"].to_list() == pytest.approx([50, 200 / 3])
    assert by_team["assurance"].to_list() == pytest.approx([100, 0])  # missing answer ignored
    assert by_team["tangibles"].to_list() == pytest.approx([50, 100])  # NaN ignored
    row_a = by_team.row(0, named=True)
    assert row_a["overall"] == pytest.approx((50 + 100 + 50 + 0 + 100) / 5)
    # Each group equals the index of that group's answers alone.
    alone = rater_index(
        {d: frame.filter(pl.col("team") == "a")[d].to_numpy() for d in RATER_DIMENSIONS}
    )
    assert row_a["overall"] == pytest.approx(alone["overall"])

    by_team_channel = rater_index(frame, group_by=["team", "channel"])
    assert by_team_channel.height == 3
    whole = rater_index(frame)
    assert whole.height == 1 and whole["n"][0] == 5


def test_csi_hand_computed():
    # Σ w·s / Σ w = (5 + 6 + 4)/4 = 3.75 on 1–5 → (3.75 − 1)/4 = 68.75
    assert csi([1, 2, 1], [5, 3, 4]) == pytest.approx(68.75)


def test_csi_matches_the_acsi_form_on_a_ten_point_scale():
    weights, means = np.array([0.3, 0.5, 0.2]), np.array([8.0, 7.0, 9.0])
    acsi = (weights @ means - weights.sum()) / (9 * weights.sum()) * 100  # Fornell et al. 1996
    assert csi(weights, means, scale_min=1, scale_max=10) == pytest.approx(acsi)


def test_csi_per_respondent_skips_unanswered_attributes():
    result = csi([1, 1, 2], [[5, 5, 5], [1, np.nan, 3]])
    # second respondent: (1·1 + 2·3)/3 = 7/3 → (7/3 − 1)/4·100 = 33.33
    np.testing.assert_allclose(result, [100, 100 / 3])


def test_csi_validates_weights_and_shape():
    with pytest.raises(ValueError, match="non-negative"):
        csi([1, -1], [3, 3])
    with pytest.raises(ValueError, match="same number of attributes"):
        csi([1, 1], [3, 3, 3])


def test_priority_matrix_quadrants_split_at_the_means():
    frame = priority_matrix(
        [5, 5, 1, 1], [1, 5, 1, 5], ["speed", "courtesy", "decor", "parking"]
    )  # means 3 and 3
    assert frame["quadrant"].to_list() == [
        "concentrate_here",
        "keep_up_the_good_work",
        "low_priority",
        "possible_overkill",
    ]
    assert frame["attribute"].to_list() == ["speed", "courtesy", "decor", "parking"]


def test_priority_matrix_rejects_missing_values():
    with pytest.raises(ValueError, match="every attribute"):
        priority_matrix([1, np.nan], [1, 2])


def test_customer_utility_weighted_sum_per_segment():
    utility = customer_utility([5, 3, 2], [[4, 3, 5], [5, 5, 1]])  # weights → 0.5, 0.3, 0.2
    np.testing.assert_allclose(utility, [3.9, 4.2])


def test_customer_utility_on_a_frame_of_segments_and_periods():
    frame = pl.DataFrame(
        {
            "segment": ["A", "A", "B"],
            "period": ["2025", "2026", "2026"],
            "price": [4, 5, 2],
            "speed": [2, 3, None],
        }
    )
    result = customer_utility({"price": 0.75, "speed": 0.25}, frame)
    assert result.columns == ["segment", "period", "price", "speed", "utility"]
    assert result["utility"].to_list() == pytest.approx([3.5, 4.5, 2.0])


def test_customer_utility_frame_needs_named_weights():
    with pytest.raises(ValueError, match="column: weight"):
        customer_utility([1, 1], pl.DataFrame({"a": [1], "b": [2]}))


def test_loyalty_index_hand_computed():
    # intention 5 → 1, recommend 10 → 1, repeat 0.5, tenure 2.5 of 5 years → 0.5; mean 0.75
    index = loyalty_index([5, 1], [10, 0], [0.5, 0.0], [2.5, 9.0])
    # second: 0, 0, 0, tenure capped at 1 → 0.25
    np.testing.assert_allclose(index, [75, 25])


def test_loyalty_index_custom_weights_and_missing_parts():
    weights = {"repurchase_intention": 0, "recommend": 0, "repeat_purchase_rate": 3, "tenure": 1}
    np.testing.assert_allclose(loyalty_index([3], [5], [1.0], [0], weights=weights), [75])
    # An unknown recommendation is left out and the other weights renormalised.
    np.testing.assert_allclose(loyalty_index([5], [np.nan], [1.0], [5]), [100])


def test_loyalty_index_validation():
    with pytest.raises(ValueError, match=r"Repeat purchase rate: value 1\.5"):
        loyalty_index([5], [10], [1.5], [1])
    with pytest.raises(ValueError, match="Loyalty weights need exactly"):
        loyalty_index([5], [10], [1], [1], weights={"tenure": 1})


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.integers(0, 10), st.floats(0, 1), st.floats(0, 40)),
        min_size=1,
        max_size=30,
    )
)
def test_loyalty_index_stays_within_0_and_100(rows):
    intention, recommend, repeat, tenure = (np.array(column) for column in zip(*rows, strict=True))
    index = loyalty_index(intention, recommend, repeat, tenure)
    assert ((index >= 0) & (index <= 100 + 1e-9)).all()


def test_satisfied_not_loyal_mask():
    mask = satisfied_not_loyal([5, 5, 2, np.nan, 4], [30, 80, 10, 10, np.nan], 4, 50)
    assert mask.tolist() == [True, False, False, False, False]


def test_empty_rater_dimension_gives_nan():
    result = rater_index({**SCORES, "empathy": [np.nan]})
    assert math.isnan(result["empathy"]) and math.isnan(result["overall"])


def test_rater_frame_validation():
    frame = pl.DataFrame({d: [3] for d in RATER_DIMENSIONS} | {"team": ["a"]})
    with pytest.raises(ValueError, match="empathy: value 9 at position 0"):
        rater_index(frame.with_columns(empathy=pl.lit(9)), group_by=["team"])
    with pytest.raises(ValueError, match="Missing columns: site"):
        rater_index(frame, group_by=["site"])
    with pytest.raises(ValueError, match="greater than scale_min"):
        rater_index(frame, scale_min=5, scale_max=5)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("xyz"), *[st.integers(1, 7) for _ in RATER_DIMENSIONS]),
        min_size=1,
        max_size=40,
    )
)
def test_rater_groups_equal_the_index_of_each_group_alone(rows):
    frame = pl.DataFrame(rows, schema=["team", *RATER_DIMENSIONS], orient="row")
    grouped = rater_index(frame, group_by=["team"])
    for row in grouped.iter_rows(named=True):  # few groups; an independent computation each
        members = frame.filter(pl.col("team") == row["team"])
        alone = rater_index({d: members[d].to_numpy() for d in RATER_DIMENSIONS})
        assert row["overall"] == pytest.approx(alone["overall"])
        assert 0 <= row["overall"] <= 100
