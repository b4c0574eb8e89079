"""Real-data checks on the CDNOW 1/10 sample against the published estimates.

References: Fader, Hardie & Lee (2005) "Counting your customers the easy way", Marketing Science
24(2) (BG/NBD on 2,357 customers, 39-week calibration: r=0.243, α=4.414, a=0.793, b=2.426,
LL=−9582.4); Fader & Hardie (2013) "The Gamma-Gamma model of monetary value" (946 repeat
customers: p=6.25, q=3.74, γ=15.44).
"""

import numpy as np
import polars as pl
import pytest
from scipy.stats import spearmanr

from kefu.analytics import customer_lifetime_value, fit_bgnbd, fit_gamma_gamma
from kefu.analytics.tests.conftest import CALIBRATION_END, HOLDOUT_END

HOLDOUT_WEEKS = 39.0
# Measured: 1,653 predicted vs 1,882 actual repeat purchase days in weeks 40–78 (−12.1%); the
# model under-forecasts this holdout, as FHL's conditional-expectation plot (Figure 4) shows for
# low-frequency customers. The stated tolerance is 15%.
HOLDOUT_TOLERANCE = 0.15


def _significant(value: float, digits: int = 3) -> float:
    return float(f"{value:.{digits - 1}e}")


@pytest.fixture(scope="module")
def bgnbd(cdnow_calibration: pl.DataFrame):
    s = cdnow_calibration
    return fit_bgnbd(s["frequency"], s["recency"], s["T"])


@pytest.fixture(scope="module")
def gamma_gamma(cdnow_calibration: pl.DataFrame):
    return fit_gamma_gamma(cdnow_calibration["frequency"], cdnow_calibration["monetary_value"])


def test_calibration_summary_matches_the_papers_data(cdnow_calibration: pl.DataFrame) -> None:
    s = cdnow_calibration
    assert s.height == 2357
    assert int((s["frequency"] > 0).sum()) == 946
    assert int(s["frequency"].sum()) == 2457
    # Customer 1 in Fader & Hardie's spreadsheet: x=2, t_x=30.43, T=38.86, zbar=22.35.
    first = s.row(0, named=True)
    assert first["frequency"] == 2
    assert first["recency"] == pytest.approx(30.43, abs=0.005)
    assert first["T"] == pytest.approx(38.86, abs=0.005)
    assert first["monetary_value"] == pytest.approx(22.35, abs=0.005)


def test_bgnbd_reproduces_fader_hardie_lee_estimates(bgnbd) -> None:
    assert _significant(bgnbd.r) == 0.243
    assert _significant(bgnbd.alpha) == 4.41
    assert _significant(bgnbd.a) == 0.793
    assert _significant(bgnbd.b) == 2.43
    assert bgnbd.alpha == pytest.approx(4.414, abs=5e-4)
    assert bgnbd.b == pytest.approx(2.426, abs=5e-4)
    assert bgnbd.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    assert bgnbd.n_customers == 2357


def test_gamma_gamma_reproduces_fader_hardie_estimates(gamma_gamma) -> None:
    assert gamma_gamma.n_customers == 946
    assert gamma_gamma.p == pytest.approx(6.25, abs=0.005)
    assert gamma_gamma.q == pytest.approx(3.74, abs=0.005)
    assert gamma_gamma.v == pytest.approx(15.44, abs=0.005)


def test_holdout_repeat_purchases_match_in_aggregate(
    cdnow_transactions: pl.DataFrame, cdnow_calibration: pl.DataFrame, bgnbd
) -> None:
    holdout = cdnow_transactions.filter(
        (pl.col("date") > CALIBRATION_END) & (pl.col("date") <= HOLDOUT_END)
    )
    actual = holdout.select(pl.struct("customer_id", "date").n_unique()).item()
    s = cdnow_calibration
    predicted = float(
        bgnbd.expected_purchases(HOLDOUT_WEEKS, s["frequency"], s["recency"], s["T"]).sum()
    )
    error = predicted / actual - 1.0
    print(f"CDNOW holdout: actual {actual}, BG/NBD predicted {predicted:.1f}, error {error:+.2%}")
    assert abs(error) < HOLDOUT_TOLERANCE


def test_holdout_prediction_ranks_customers(
    cdnow_transactions: pl.DataFrame, cdnow_calibration: pl.DataFrame, bgnbd
) -> None:
    holdout = (
        cdnow_transactions.filter(
            (pl.col("date") > CALIBRATION_END) & (pl.col("date") <= HOLDOUT_END)
        )
        .group_by("customer_id")
        .agg(pl.col("date").n_unique().alias("actual"))
    )
    s = cdnow_calibration.join(holdout, on="customer_id", how="left").fill_null(0)
    predicted = bgnbd.expected_purchases(HOLDOUT_WEEKS, s["frequency"], s["recency"], s["T"])
    actual = s["actual"].to_numpy()
    frequency = s["frequency"].to_numpy()
    # Conditional expectations grouped by calibration frequency track the holdout means
    # (FHL 2005, Figure 4); measured gaps are at most 25% (x = 1).
    group_means = []
    for x in range(7):
        group = frequency == x
        group_means.append(predicted[group].mean())
        assert group_means[-1] == pytest.approx(actual[group].mean(), rel=0.3)
    assert np.all(np.diff(group_means) > 0)
    assert spearmanr(predicted, actual).statistic > 0.4


def test_lifetime_value_on_cdnow_is_positive_and_ordered(
    cdnow_calibration: pl.DataFrame, bgnbd, gamma_gamma
) -> None:
    s = cdnow_calibration
    clv = customer_lifetime_value(
        bgnbd,
        gamma_gamma,
        s["frequency"],
        s["recency"],
        s["T"],
        s["monetary_value"],
        horizon_periods=52,
        discount_rate=0.002,
        margin=0.3,
    )
    assert np.all(clv >= 0)
    heavy = np.asarray(s["frequency"] >= 5) & np.asarray(s["T"] - s["recency"] < 4)
    inactive = np.asarray(s["frequency"] == 0)
    assert clv[heavy].mean() > 10 * clv[inactive].mean()
