"""BG/NBD: likelihood against an independent per-row implementation, the 2F1 expectation
against numerical integration, and parameter recovery on simulated data."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import roots_genlaguerre, roots_jacobi

from kefu.analytics import BgNbdModel, bgnbd_log_likelihood, fit_bgnbd
from kefu.analytics.bgnbd import _BgNbdLikelihood
from kefu.analytics.simulation import simulate_bgnbd_transactions
from kefu.analytics.transactions import summarize_transactions

PAPER = BgNbdModel(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0, n_customers=0)


def _slow_log_likelihood(r, alpha, a, b, x, t_x, T):
    """FHL (2005) eq. (6) written directly with math.lgamma, one customer at a time."""

    def log_beta(p, q):
        return math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q)

    common = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) - log_beta(a, b)
    alive = log_beta(a, b + x) - (r + x) * math.log(alpha + T)
    if x == 0:
        return common + alive
    dead = log_beta(a + 1, b + x - 1) - (r + x) * math.log(alpha + t_x)
    top = max(alive, dead)
    return common + top + math.log(math.exp(alive - top) + math.exp(dead - top))


customer = st.tuples(st.integers(0, 400), st.floats(0.01, 1.0), st.floats(0.5, 200.0)).map(
    lambda c: (c[0], c[1] * c[2] if c[0] > 0 else 0.0, c[2])
)
positive = st.floats(0.05, 20.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(customer, min_size=1, max_size=20), positive, positive, positive, positive)
def test_log_likelihood_matches_slow_per_row_version(rows, r, alpha, a, b) -> None:
    x, t_x, T = (np.asarray(column, dtype=float) for column in zip(*rows, strict=True))
    fast = bgnbd_log_likelihood((r, alpha, a, b), x, t_x, T)
    slow = [_slow_log_likelihood(r, alpha, a, b, *row) for row in zip(x, t_x, T, strict=True)]
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-9)


def test_log_likelihood_is_finite_for_very_large_frequencies() -> None:
    ll = bgnbd_log_likelihood((0.5, 3.0, 0.8, 2.0), [5000, 20000], [100.0, 99.0], [100.0, 100.0])
    assert np.all(np.isfinite(ll))


def test_analytic_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 30, 200).astype(float)
    T = rng.uniform(10, 60, 200)
    t_x = np.where(x > 0, rng.uniform(0.1, 1.0, 200) * T, 0.0)
    likelihood = _BgNbdLikelihood(x, t_x, T, rng.uniform(0.5, 2.0, 200))
    params = np.array([0.7, 5.0, 1.3, 3.1])
    _, gradient = likelihood.value_and_gradient(*params)
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-6 * params[i]
        numeric = (
            likelihood.value_and_gradient(*(params + step))[0]
            - likelihood.value_and_gradient(*(params - step))[0]
        ) / (2 * step[i])
        assert gradient[i] == pytest.approx(numeric, rel=1e-5)


def _integrated_expectation(model, t, x, t_x, T, nodes=60):
    """E[Y(t) | x, t_x, T] = ∫∫ P(alive, data | λ, p)·(1 − e^{−λpt})/p dG dB / ∫∫ L dG dB by
    Gauss–Laguerre (λ) × Gauss–Jacobi (p) quadrature — no hypergeometric function involved."""
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    u, u_weights = roots_genlaguerre(nodes, r + x - 1)
    z, z_weights = roots_jacobi(nodes, b + x - 1, a - 1)
    lam = u[:, None] / (alpha + T)
    p = (1 + z[None, :]) / 2
    alive_scale = (alpha + T) ** -(r + x)
    numerator = alive_scale * u_weights @ ((1 - np.exp(-lam * p * t)) / p) @ z_weights
    denominator = alive_scale * u_weights.sum() * z_weights.sum()
    if x > 0:
        _, dead_u = roots_genlaguerre(nodes, r + x - 1)
        _, dead_z = roots_jacobi(nodes, b + x - 2, a)
        denominator += (alpha + t_x) ** -(r + x) * dead_u.sum() * dead_z.sum()
    return numerator / denominator


@pytest.mark.parametrize(("x", "t_x", "T"), [(2, 30.43, 38.86), (1, 5.0, 38.86), (0, 0.0, 20.0)])
def test_conditional_expectation_matches_numerical_integration(x, t_x, T) -> None:
    expected = _integrated_expectation(PAPER, 39.0, x, t_x, T)
    assert PAPER.expected_purchases(39.0, x, t_x, T) == pytest.approx(expected, rel=1e-6)


def test_new_customer_expectation_equals_conditional_at_time_zero() -> None:
    t = np.array([1.0, 10.0, 52.0])
    np.testing.assert_allclose(
        PAPER.expected_purchases_new(t), PAPER.expected_purchases(t, 0, 0.0, 0.0), rtol=1e-12
    )


def test_prob_alive_bounds_and_monotonicity() -> None:
    assert PAPER.prob_alive(0, 0.0, 38.0) == 1.0
    recent, stale = PAPER.prob_alive([5, 5], [37.0, 10.0], [38.0, 38.0])
    assert 0 < stale < recent < 1


def test_compressed_weights_equal_duplicated_rows() -> None:
    x = np.array([0, 1, 3, 0])
    t_x = np.array([0.0, 4.0, 20.0, 0.0])
    T = np.array([30.0, 30.0, 30.0, 25.0])
    counts = np.array([40, 15, 7, 20])
    weighted = fit_bgnbd(x, t_x, T, weights=counts)
    repeated = fit_bgnbd(np.repeat(x, counts), np.repeat(t_x, counts), np.repeat(T, counts))
    # Both fits stop at the optimiser's tolerance, so their optima agree closely, not bitwise.
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-6)
    assert weighted.r == pytest.approx(repeated.r, rel=1e-3)
    # The likelihood itself is exactly the same function of the parameters.
    params = (weighted.r, weighted.alpha, weighted.a, weighted.b)
    per_row = bgnbd_log_likelihood(params, x, t_x, T)
    repeated_rows = bgnbd_log_likelihood(
        params, np.repeat(x, counts), np.repeat(t_x, counts), np.repeat(T, counts)
    )
    assert float(per_row @ counts) == pytest.approx(float(repeated_rows.sum()), rel=1e-12)
    assert weighted.log_likelihood == pytest.approx(float(per_row @ counts), rel=1e-9)


def test_fit_recovers_simulated_parameters() -> None:
    truth = {"r": 1.3, "alpha": 6.0, "a": 0.8, "b": 6.0}
    sim = simulate_bgnbd_transactions(
        40_000, **truth, p=6.0, q=4.0, v=15.0, acquisition_weeks=26, observation_weeks=78, seed=7
    )
    tx = sim.transactions
    s = summarize_transactions(
        tx["customer_id"], tx["date"], tx["amount"], sim.observation_end, "W", resolution="s"
    )
    model = fit_bgnbd(s["frequency"], s["recency"], s["T"])
    assert model.r == pytest.approx(truth["r"], rel=0.08)
    assert model.alpha == pytest.approx(truth["alpha"], rel=0.1)
    assert model.a == pytest.approx(truth["a"], rel=0.15)
    assert model.b == pytest.approx(truth["b"], rel=0.2)


def test_expected_purchases_new_matches_simulation() -> None:
    sim = simulate_bgnbd_transactions(
        50_000,
        r=0.8,
        alpha=5.0,
        a=1.5,
        b=4.0,
        p=6.0,
        q=4.0,
        v=15.0,
        acquisition_weeks=1e-9,
        observation_weeks=30.0,
        seed=11,
    )
    repeats = sim.transactions.height / 50_000 - 1.0
    model = BgNbdModel(r=0.8, alpha=5.0, a=1.5, b=4.0, log_likelihood=0.0, n_customers=0)
    assert repeats == pytest.approx(float(model.expected_purchases_new(30.0)), rel=0.03)


def test_fit_rejects_inconsistent_input() -> None:
    with pytest.raises(ValueError, match="recency"):
        fit_bgnbd([1], [5.0], [3.0])


def test_fits_run_their_optimiser_on_one_blas_thread(monkeypatch) -> None:
    """L-BFGS-B's tiny steps are many times slower when OpenBLAS's thread pool wakes for each;
    the fits limit BLAS to one thread themselves, whatever the caller's setting."""
    from threadpoolctl import threadpool_info

    from kefu.analytics import fit_gamma_gamma, threads

    if not any(lib["user_api"] == "blas" for lib in threadpool_info()):
        pytest.fail("numpy/scipy should load a BLAS library that threadpoolctl can see")
    seen: list[int] = []

    def recording(minimize):
        def wrapper(*args, **kwargs):
            seen.append(
                max(lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas")
            )
            return minimize(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(threads, "minimize", recording(threads.minimize))
    rng = np.random.default_rng(1)
    x = rng.integers(0, 5, 300).astype(float)
    T = np.full(300, 40.0)
    t_x = np.where(x > 0, rng.uniform(1, 40, 300), 0.0)
    fit_bgnbd(x, t_x, T)
    fit_gamma_gamma(x, rng.gamma(6, 2.5, 300), force=True)
    assert seen == [1, 1]


def test_the_same_data_gives_the_same_fit() -> None:
    """Identical rows are merged by a hash group-by whose output order varies between runs;
    the merged rows are sorted, so repeated fits agree to the last bit."""
    sim = simulate_bgnbd_transactions(
        3000, r=0.8, alpha=4.0, a=0.8, b=2.5, p=6.0, q=4.0, v=15.0, observation_weeks=60, seed=5
    )
    tx = sim.transactions
    summary = summarize_transactions(
        tx["customer_id"], tx["date"], tx["amount"], sim.observation_end, "W", resolution="s"
    )
    x, t_x, T = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    fits = {
        (m.r, m.alpha, m.a, m.b, m.log_likelihood) for m in (fit_bgnbd(x, t_x, T) for _ in range(8))
    }
    assert len(fits) == 1
