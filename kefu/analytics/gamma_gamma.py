"""Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, "The Gamma-Gamma Model
of Monetary Value"; Fader, Hardie & Lee 2005, "RFM and CLV", J. Marketing Research 42(4))."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln, psi

from kefu.analytics.threads import lbfgs


def _(message: str) -> str:
    return message


DEFAULT_MAX_CORRELATION = 0.3


@dataclass(frozen=True)
class GammaGammaModel:
    """Fitted parameters: spend z ~ Gamma(p, ν) per transaction, ν ~ Gamma(q, v) per customer."""

    p: float
    q: float
    v: float
    log_likelihood: float
    n_customers: int

    @property
    def population_mean_spend(self) -> float:
        """E[Z] = p·v/(q−1), the mean spend for a customer with no repeat purchase."""
        return self.p * self.v / (self.q - 1.0)

    def expected_average_spend(self, frequency: ArrayLike, monetary_value: ArrayLike) -> np.ndarray:
        """E[Z | x, m̄] = p(v + x·m̄)/(p·x + q − 1), Fader & Hardie (2013) eq. (5)."""
        x, m = np.broadcast_arrays(
            np.asarray(frequency, dtype=np.float64), np.asarray(monetary_value, dtype=np.float64)
        )
        m = np.where(x > 0, m, 0.0)
        return self.p * (self.v + x * m) / (self.p * x + self.q - 1.0)


def gamma_gamma_log_likelihood(
    params: tuple[float, float, float], frequency: ArrayLike, monetary_value: ArrayLike
) -> np.ndarray:
    """Per-customer log-likelihood of mean spend m̄ over x transactions, Fader & Hardie (2013)."""
    p, q, v = params
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary_value, dtype=np.float64)
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1.0) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(x * m + v)
    )


def fit_gamma_gamma(
    frequency: ArrayLike,
    monetary_value: ArrayLike,
    force: bool = False,
    *,
    max_correlation: float = DEFAULT_MAX_CORRELATION,
) -> GammaGammaModel:
    """Maximum-likelihood Gamma-Gamma fit on customers with frequency > 0 (Fader & Hardie 2013).

    The model assumes spend is independent of frequency; a larger |Pearson r| raises ValueError
    unless `force` is true.
    """
    x_all = np.ravel(np.asarray(frequency, dtype=np.float64))
    m_all = np.ravel(np.asarray(monetary_value, dtype=np.float64))
    repeat = x_all > 0
    x, m = x_all[repeat], m_all[repeat]
    if x.size < 3:
        raise ValueError(
            _("The Gamma-Gamma model needs at least 3 customers with repeat purchases.")
        )
    if np.any(m <= 0):
        raise ValueError(_("Monetary values of repeat customers must be positive."))
    correlation = float(np.corrcoef(x, m)[0, 1]) if np.ptp(x) > 0 and np.ptp(m) > 0 else 0.0
    if abs(correlation) > max_correlation and not force:
        raise ValueError(
            _(
                "Frequency and monetary value are correlated (Pearson r = {r:.3f}, limit {limit}); "
                "the Gamma-Gamma model assumes they are independent. Pass force=True to fit anyway."
            ).format(r=correlation, limit=max_correlation)
        )

    distinct_x, x_index = np.unique(x, return_inverse=True)
    log_m, log_x = np.log(m), np.log(x)
    count = float(x.size)

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, v = np.exp(log_params)
        # The line search may try extreme parameters, where the terms overflow: it backs
        # off from the non-finite value it gets, so numpy's warnings are noise here.
        with np.errstate(all="ignore"):
            px = p * x
            log_xm_v = np.log(x * m + v)
            row_ll = (
                (gammaln(p * distinct_x + q) - gammaln(p * distinct_x))[x_index]
                - gammaln(q)
                + q * np.log(v)
                + (px - 1.0) * log_m
                + px * log_x
                - (px + q) * log_xm_v
            )
            psi_pxq = psi(p * distinct_x + q)[x_index]
            d_p = x * (psi_pxq - psi(p * distinct_x)[x_index] + log_m + log_x - log_xm_v)
            d_q = psi_pxq - psi(q) + np.log(v) - log_xm_v
            d_v = q / v - (px + q) / (x * m + v)
            gradient = np.array([d_p.sum(), d_q.sum(), d_v.sum()]) * np.array([p, q, v])
            return -row_ll.sum() / count, -gradient / count

    start = np.log([1.0, 1.0, max(float(np.mean(m)), 1e-6)])
    optimum = lbfgs(objective, start, ftol=1e-14, gtol=1e-10)
    p, q, v = (float(value) for value in np.exp(optimum))
    log_likelihood = float(gamma_gamma_log_likelihood((p, q, v), x, m).sum())
    return GammaGammaModel(p=p, q=q, v=v, log_likelihood=log_likelihood, n_customers=int(x.size))
