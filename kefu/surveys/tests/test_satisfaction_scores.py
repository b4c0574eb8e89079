"""NPS, CSAT, CES and the confidence intervals behind them."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from kefu.surveys.scoring import ces, csat, mean_ci, nps, validated_scores, wilson_interval


def test_nps_hand_computed_case():
    result = nps([10, 9, 8, 7, 6, 0])
    # (2 promoters − 2 detractors) / 6 = 0; var = (2/6 + 2/6 − 0²)/6 = 1/9, se = 1/3.
    assert result.nps == 0
    assert (result.promoters, result.passives, result.detractors, result.n) == (2, 2, 2, 6)
    assert result.promoter_share == pytest.approx(1 / 3)
    assert result.ci_high == pytest.approx(100 * 1.959964 / 3, rel=1e-6)
    assert result.ci_low == pytest.approx(-100 * 1.959964 / 3, rel=1e-6)


def test_nps_ignores_missing_answers_and_counts_boundaries():
    result = nps([9, 7, 6, np.nan, 10])
    # promoters 9, 10; passive 7; detractor 6 → (2 − 1)/4 = 25.
    assert result.nps == pytest.approx(25.0)
    assert result.n == 4
    assert result.passive_share == pytest.approx(0.25)


def test_nps_variance_equals_variance_of_plus_minus_one_coding():
    # Independent check: code promoter +1, passive 0, detractor −1; var(mean) = var(x)/n.
    scores = np.array([10, 10, 9, 8, 7, 6, 5, 3, 9, 10, 0, 7])
    coded = np.select([scores >= 9, scores <= 6], [1.0, -1.0], 0.0)
    result = nps(scores)
    half = 1.959963984540054 * math.sqrt(coded.var() / coded.size)
    assert result.nps == pytest.approx(100 * coded.mean())
    assert result.ci_high - result.nps == pytest.approx(100 * half)


def test_nps_all_promoters_interval_collapses_to_100():
    result = nps([10, 9, 10])
    assert (result.nps, result.ci_low, result.ci_high) == (100.0, 100.0, 100.0)


def test_nps_empty_is_nan():
    result = nps([np.nan])
    assert result.n == 0 and math.isnan(result.nps)


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ([10, 11, 3], "value 11 at position 1"),
        ([5, -1], "value -1 at position 1"),
        ([7.5], "value 7.5 at position 0"),
        ([3, np.inf], "value inf at position 1"),
    ],
)
def test_nps_rejects_out_of_range_scores_naming_them(scores, message):
    with pytest.raises(ValueError, match=message):
        nps(scores)


def test_validation_reports_row_and_column_for_tables():
    with pytest.raises(ValueError, match=r"value 9 at position \(1, 0\)"):
        validated_scores([[1, 2], [9, 3]], name="Item", low=1, high=5)


@given(st.lists(st.one_of(st.integers(0, 10), st.just(float("nan"))), min_size=1, max_size=300))
def test_nps_stays_in_range_and_inside_its_interval(scores):
    result = nps(scores)
    if result.n == 0:
        return
    assert -100 <= result.ci_low <= result.nps <= result.ci_high <= 100
    assert result.promoters + result.passives + result.detractors == result.n
    assert result.promoter_share + result.passive_share + result.detractor_share == pytest.approx(1)


def test_csat_top_two_box_mean_and_wilson_interval():
    result = csat([5, 4, 3, 2, 5, np.nan])
    assert result.csat == pytest.approx(60.0)  # 3 of 5 answers are 4 or 5
    assert result.mean == pytest.approx(3.8)
    assert result.n == 5
    low, high = proportion_confint(3, 5, alpha=0.05, method="wilson")
    assert (result.ci_low, result.ci_high) == pytest.approx((100 * low, 100 * high))


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    # Newcombe (1998), Statistics in Medicine 17:857–872, Table II, method 3 (Wilson score).
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_newcombe_1998(successes, n, low, high):
    assert wilson_interval(successes, n) == pytest.approx((low, high), abs=5e-5)


def test_csat_rejects_zero():
    with pytest.raises(ValueError, match="CSAT score: value 0 at position 2"):
        csat([4, 5, 0])


@given(st.lists(st.integers(1, 5), min_size=1, max_size=200))
def test_csat_is_a_percentage_inside_its_interval(scores):
    result = csat(scores)
    assert 0 <= result.ci_low <= result.csat <= result.ci_high <= 100


def test_ces_mean_and_low_effort_share_on_seven_point_scale():
    result = ces([7, 6, 5, 4, 1])
    assert result.mean == pytest.approx(4.6)
    assert result.low_effort_share == pytest.approx(0.6)  # 5, 6, 7 are above the midpoint 4
    assert result.mean_ci.low < 4.6 < result.mean_ci.high


def test_ces_effort_scale_where_low_numbers_mean_little_effort():
    result = ces([1, 2, 3, 4, 5], scale=5, higher_is_easier=False)
    assert result.low_effort_share == pytest.approx(0.4)  # 1 and 2 are below the midpoint 3


def test_ces_rejects_values_above_scale():
    with pytest.raises(ValueError, match="value 8 at position 0"):
        ces([8], scale=7)


def test_mean_ci_matches_t_table_and_statsmodels():
    interval = mean_ci([1, 2, 3, 4, 5, np.nan])
    # t(0.975, 4) = 2.776 (Student t table); s = √2.5, se = √0.5.
    assert interval.n == 5 and interval.mean == 3
    assert interval.high - 3 == pytest.approx(2.776445 * math.sqrt(0.5), rel=1e-6)
    expected = DescrStatsW(np.array([1.0, 2, 3, 4, 5])).tconfint_mean()
    assert (interval.low, interval.high) == pytest.approx(expected)


def test_mean_ci_with_one_value_has_no_interval():
    interval = mean_ci([4.0])
    assert interval.mean == 4 and math.isnan(interval.low)
