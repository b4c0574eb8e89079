"""BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, Marketing Science 24(2))."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import ArrayLike
from scipy.special import betaln, expit, gammaln, hyp2f1, psi

from kefu.analytics.threads import lbfgs


def _(message: str) -> str:
    return message


@dataclass(frozen=True)
class BgNbdModel:
    """Fitted BG/NBD parameters: λ ~ Gamma(r, α), dropout p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int

    def prob_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
        """P(alive | x, t_x, T), Fader, Hardie & Lee (2005) note, eq. (1)."""
        x, t_x, T = _as_float(frequency, recency, T)
        return 1.0 / (1.0 + _dead_odds(self, x, t_x, T))

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next t periods, FHL (2005) eq. (10)."""
        t, x, t_x, T = _as_float(t, frequency, recency, T)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + T + t)
        log_ratio = (r + x) * np.log((alpha + T) / (alpha + T + t))
        numerator = 1.0 - np.exp(log_ratio) * hyp2f1(r + x, b + x, a + b + x - 1.0, z)
        return (a + b + x - 1.0) / (a - 1.0) * numerator / (1.0 + _dead_odds(self, x, t_x, T))

    def expected_purchases_new(self, t: ArrayLike) -> np.ndarray:
        """E[X(t)] for a customer just acquired at time 0, FHL (2005) eq. (9)."""
        (t,) = _as_float(t)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        tail = (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1.0, t / (alpha + t))
        return (a + b - 1.0) / (a - 1.0) * (1.0 - tail)


def _as_float(*arrays: ArrayLike) -> tuple[np.ndarray, ...]:
    return tuple(np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in arrays)))


def _dead_odds(model: BgNbdModel, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x), computed in logs to survive large x."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        log_odds = (
            np.log(model.a)
            - np.log(np.maximum(model.b + x - 1.0, 1e-300))
            + (model.r + x) * (np.log(model.alpha + T) - np.log(model.alpha + t_x))
        )
        return np.where(x > 0, np.exp(log_odds), 0.0)


def _compress(
    x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge identical (x, t_x, T) rows, summing their weights (hash group-by), in sorted order:
    a hash group-by's output order varies from run to run, and with it the rounding of the
    likelihood's sums and where the optimiser stops — the same data must give the same fit."""
    merged = (
        pl.DataFrame({"x": x, "t_x": t_x, "T": T, "w": weights})
        .group_by("x", "t_x", "T")
        .agg(pl.col("w").sum())
        .sort("x", "t_x", "T")
    )
    return tuple(merged[column].to_numpy() for column in ("x", "t_x", "T", "w"))


class _BgNbdLikelihood:
    """Weighted log-likelihood and gradient.

    Per row, ll = c(x) − (r+x)·ln(α+T) + ln(1 + e) (evaluated as a log-sum-exp), where
    e = exp(d(x) − (r+x)·ln((α+t_x)/(α+T))) is the ratio of the "dropped out after t_x" to the
    "still alive" term (0 when x = 0).
    Terms that depend only on x are computed once per distinct x and gathered, so the per-row
    work is a few logs and exps.
    """

    def __init__(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weights: np.ndarray):
        self.distinct_x, self.x_index = np.unique(x, return_inverse=True)
        self.x_index = self.x_index.ravel()
        self.x, self.t_x, self.T, self.weights = x, t_x, T, weights
        self.weight_per_x = np.bincount(self.x_index, weights=weights)
        self.total_weight = float(weights.sum())

    def row_terms(
        self, r: float, alpha: float, a: float, b: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per-row log-likelihood, e/(1+e) (posterior "dropped out" weight), ln(α+T), ln(α+t_x)."""
        ux, ix, x = self.distinct_x, self.x_index, self.x
        with np.errstate(invalid="ignore", divide="ignore"):
            dead_minus_alive = np.where(
                ux > 0,
                betaln(a + 1.0, np.maximum(b + ux - 1.0, 1e-12)) - betaln(a, b + ux),
                -np.inf,
            )
        per_x = gammaln(r + ux) - gammaln(r) + betaln(a, b + ux) - betaln(a, b)
        log_alpha_T = np.log(alpha + self.T)
        log_alpha_tx = np.log(alpha + self.t_x)
        r_x = r + x
        log_ratio = dead_minus_alive[ix] - r_x * (log_alpha_tx - log_alpha_T)
        row_ll = per_x[ix] + r * np.log(alpha) - r_x * log_alpha_T + np.logaddexp(0.0, log_ratio)
        share_dead = expit(log_ratio)
        return row_ll, share_dead, log_alpha_T, log_alpha_tx

    def value_and_gradient(
        self, r: float, alpha: float, a: float, b: float
    ) -> tuple[float, np.ndarray]:
        ux, ix, x, w = self.distinct_x, self.x_index, self.x, self.weights
        row_ll, share_dead, log_alpha_T, log_alpha_tx = self.row_terms(r, alpha, a, b)
        w_dead = w * share_dead
        dead_per_x = np.bincount(ix, weights=w_dead, minlength=ux.size)
        total = self.total_weight
        psi_abx = psi(a + b + ux)
        d_r = (
            (psi(r + ux) - psi(r)) @ self.weight_per_x
            + total * np.log(alpha)
            - w @ log_alpha_T
            + w_dead @ (log_alpha_T - log_alpha_tx)
        )
        inverse_T = 1.0 / (alpha + self.T)
        d_alpha = (
            total * r / alpha
            - ((r + x) * w) @ inverse_T
            - ((r + x) * w_dead) @ (1.0 / (alpha + self.t_x) - inverse_T)
        )
        d_a = (
            total * (psi(a + b) - psi(a))
            + (psi(a) - psi_abx) @ self.weight_per_x
            + dead_per_x.sum() / a
        )
        with np.errstate(divide="ignore"):
            dead_b = np.where(ux > 0, -1.0 / (b + ux - 1.0), 0.0)
        d_b = (
            total * (psi(a + b) - psi(b))
            + (psi(b + ux) - psi_abx) @ self.weight_per_x
            + dead_b @ dead_per_x
        )
        return float(w @ row_ll), np.array([d_r, d_alpha, d_a, d_b])


def bgnbd_log_likelihood(
    params: tuple[float, float, float, float],
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood, FHL (2005) eq. (6), with log-sum-exp for stability."""
    x, t_x, T = _as_float(frequency, recency, T)
    likelihood = _BgNbdLikelihood(x.ravel(), t_x.ravel(), T.ravel(), np.ones(x.size))
    return likelihood.row_terms(*params)[0].reshape(x.shape)


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> BgNbdModel:
    """Maximum-likelihood BG/NBD fit (Fader, Hardie & Lee 2005) by L-BFGS on log-parameters
    with the analytic gradient; identical (x, t_x, T) rows are merged into weights first."""
    x, t_x, T = (np.ravel(v) for v in _as_float(frequency, recency, T))
    w = np.ones_like(x) if weights is None else np.ravel(np.asarray(weights, dtype=np.float64))
    if x.size == 0:
        raise ValueError(_("Cannot fit the BG/NBD model without customers."))
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > T) or np.any((x > 0) & (t_x <= 0)):
        raise ValueError(
            _("Need frequency ≥ 0 and 0 ≤ recency ≤ T, with recency > 0 when frequency > 0.")
        )
    x, t_x, T, w = _compress(x, t_x, T, w)
    start = np.log([1.0, max(float(np.average(T, weights=w)) / 10.0, 1e-3), 1.0, 1.0])
    if x.size > _WARM_START_ROWS:
        # Most iterations are spent far from the optimum; take them on a subsample.
        sample = np.random.default_rng(0).choice(x.size, _WARM_START_ROWS, replace=False)
        sample_fit = _maximise(
            _BgNbdLikelihood(x[sample], t_x[sample], T[sample], w[sample]), start
        )
        start = np.log(sample_fit)
    likelihood = _BgNbdLikelihood(x, t_x, T, w)
    r, alpha, a, b = _maximise(likelihood, start)
    log_likelihood = likelihood.value_and_gradient(r, alpha, a, b)[0]
    return BgNbdModel(
        r=float(r),
        alpha=float(alpha),
        a=float(a),
        b=float(b),
        log_likelihood=log_likelihood,
        n_customers=round(likelihood.total_weight),
    )


_WARM_START_ROWS = 100_000


def _maximise(likelihood: _BgNbdLikelihood, start: np.ndarray) -> np.ndarray:
    """L-BFGS-B on log-parameters (keeps r, α, a, b positive); returns (r, α, a, b)."""
    scale = likelihood.total_weight

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(log_params)
        # The line search may try extreme parameters, where the terms overflow: it backs off
        # from the non-finite value it gets, so numpy's warnings are noise here.
        with np.errstate(all="ignore"):
            value, gradient = likelihood.value_and_gradient(*params)
        return -value / scale, -gradient * params / scale

    return np.exp(lbfgs(objective, start, ftol=1e-13, gtol=1e-9))
