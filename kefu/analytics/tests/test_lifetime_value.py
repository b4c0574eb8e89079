"""CLV against an independent per-customer loop and limiting cases."""

import numpy as np
import pytest

from kefu.analytics import BgNbdModel, GammaGammaModel, customer_lifetime_value

BGNBD = BgNbdModel(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0, n_customers=0)
GG = GammaGammaModel(p=6.25, q=3.74, v=15.44, log_likelihood=0.0, n_customers=0)
X = np.array([0, 2, 7])
T_X = np.array([0.0, 30.43, 35.0])
T = np.array([38.86, 38.86, 38.86])
M = np.array([0.0, 22.35, 40.0])


def test_matches_per_customer_loop() -> None:
    clv = customer_lifetime_value(BGNBD, GG, X, T_X, T, M, 10, 0.01, 0.3)
    for i in range(3):
        spend = 0.3 * float(GG.expected_average_spend(X[i], M[i]))
        expected = 0.0
        for k in range(1, 11):
            step = float(BGNBD.expected_purchases(k, X[i], T_X[i], T[i])) - float(
                BGNBD.expected_purchases(k - 1, X[i], T_X[i], T[i])
            )
            expected += spend * step / 1.01**k
        assert clv[i] == pytest.approx(expected, rel=1e-12)


def test_undiscounted_value_is_spend_times_expected_purchases() -> None:
    clv = customer_lifetime_value(BGNBD, GG, X, T_X, T, M, 39, 0.0, 1.0)
    expected = GG.expected_average_spend(X, M) * BGNBD.expected_purchases(39, X, T_X, T)
    np.testing.assert_allclose(clv, expected, rtol=1e-10)


def test_discounting_lowers_value_and_zero_horizon_is_zero() -> None:
    plain = customer_lifetime_value(BGNBD, GG, X, T_X, T, M, 52, 0.0, 0.3)
    discounted = customer_lifetime_value(BGNBD, GG, X, T_X, T, M, 52, 0.01, 0.3)
    assert np.all(discounted < plain)
    assert np.all(customer_lifetime_value(BGNBD, GG, X, T_X, T, M, 0, 0.01, 0.3) == 0)
