"""Gamma-Gamma: likelihood against math.lgamma, shrinkage property, correlation guard, recovery."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.analytics import GammaGammaModel, fit_gamma_gamma, gamma_gamma_log_likelihood


def _slow_log_likelihood(p, q, v, x, m):
    """Fader & Hardie (2013) eq. (3) density of the mean m̄ of x Gamma(p, ν) spends."""
    return (
        math.lgamma(p * x + q)
        - math.lgamma(p * x)
        - math.lgamma(q)
        + q * math.log(v)
        + (p * x - 1) * math.log(m)
        + p * x * math.log(x)
        - (p * x + q) * math.log(x * m + v)
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 200), st.floats(0.5, 5000.0)), min_size=1, max_size=20),
    st.floats(0.1, 30.0),
    st.floats(1.1, 30.0),
    st.floats(0.1, 500.0),
)
def test_log_likelihood_matches_slow_version(rows, p, q, v) -> None:
    x, m = (np.asarray(column, dtype=float) for column in zip(*rows, strict=True))
    fast = gamma_gamma_log_likelihood((p, q, v), x, m)
    slow = [_slow_log_likelihood(p, q, v, *row) for row in rows]
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-8)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 100), st.floats(1.0, 1000.0))
def test_expected_spend_lies_between_population_mean_and_own_mean(x, m) -> None:
    model = GammaGammaModel(p=6.25, q=3.74, v=15.44, log_likelihood=0.0, n_customers=0)
    spend = float(model.expected_average_spend(x, m))
    low, high = sorted([model.population_mean_spend, m])
    assert low - 1e-9 <= spend <= high + 1e-9


def test_customer_without_repeats_gets_population_mean() -> None:
    model = GammaGammaModel(p=6.25, q=3.74, v=15.44, log_likelihood=0.0, n_customers=0)
    assert float(model.expected_average_spend(0, 0.0)) == pytest.approx(6.25 * 15.44 / 2.74)


def _simulated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 15, n)
    nu = rng.gamma(4.0, 1 / 15.0, n)
    # The mean of x Gamma(p, ν) draws is Gamma(p·x, x·ν).
    m = rng.gamma(6.0 * x, 1.0 / (x * nu))
    return x, m


def test_fit_recovers_simulated_parameters() -> None:
    x, m = _simulated(30_000, 1)
    model = fit_gamma_gamma(np.concatenate([x, [0, 0]]), np.concatenate([m, [0.0, 0.0]]))
    assert model.n_customers == 30_000
    assert model.population_mean_spend == pytest.approx(6.0 * 15.0 / 3.0, rel=0.03)
    assert model.p == pytest.approx(6.0, rel=0.1)
    assert model.q == pytest.approx(4.0, rel=0.1)
    assert model.v == pytest.approx(15.0, rel=0.15)


def test_correlated_frequency_and_spend_is_refused_unless_forced() -> None:
    x, _ = _simulated(2_000, 2)
    m = 10.0 * x + np.random.default_rng(3).uniform(0, 1, x.size)
    with pytest.raises(ValueError, match="correlated"):
        fit_gamma_gamma(x, m)
    assert fit_gamma_gamma(x, m, force=True).p > 0
    assert fit_gamma_gamma(x, m, max_correlation=1.0).p > 0
