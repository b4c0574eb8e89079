"""Pareto (80/20) concentration curve and Gini coefficient (Lorenz 1905; Gini 1912)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


def _(message: str) -> str:
    return message


@dataclass(frozen=True)
class ParetoCurve:
    """Concentration curve: the top `customer_share` of customers hold `value_share` of value."""

    customer_share: np.ndarray
    value_share: np.ndarray
    gini: float

    def share_of_top(self, fraction: float | ArrayLike) -> np.ndarray | float:
        """Value share held by the top `fraction` of customers (linear interpolation)."""
        return _scalar_or_array(np.interp(fraction, self.customer_share, self.value_share))

    def top_share_for(self, value_share: float | ArrayLike) -> np.ndarray | float:
        """Smallest fraction of customers (from the top) that holds `value_share` of value."""
        # value_share may be flat (zero-value customers); take the first point that reaches it.
        target = np.asarray(value_share, dtype=np.float64)
        index = np.searchsorted(self.value_share, target - 1e-12, side="left")
        index = np.clip(index, 1, self.value_share.size - 1)
        low_v, high_v = self.value_share[index - 1], self.value_share[index]
        low_c, high_c = self.customer_share[index - 1], self.customer_share[index]
        step = np.where(
            high_v > low_v, (target - low_v) / np.where(high_v > low_v, high_v - low_v, 1), 0
        )
        result = np.where(target <= 0, 0.0, low_c + np.clip(step, 0, 1) * (high_c - low_c))
        return _scalar_or_array(result)


def _scalar_or_array(result: np.ndarray) -> np.ndarray | float:
    return float(result) if np.ndim(result) == 0 else result


def gini_coefficient(values: ArrayLike) -> float:
    """G = 2·Σ i·x_(i) / (n·Σx) − (n+1)/n over ascending x_(i), i = 1..n (Gini mean difference
    over twice the mean)."""
    data = np.sort(np.ravel(np.asarray(values, dtype=np.float64)))
    total = data.sum()
    if data.size == 0 or total == 0:
        return 0.0
    n = data.size
    ranks = np.arange(1, n + 1, dtype=np.float64)
    gini = 2.0 * (ranks @ data) / (n * total) - (n + 1.0) / n
    # Equal values give 0 up to rounding (-2e-16); the coefficient itself lies in [0, 1).
    return float(min(max(gini, 0.0), 1.0))


def pareto(values: ArrayLike) -> ParetoCurve:
    """Concentration curve of non-negative values (revenue, profit, complaints) from the largest
    down, with its Gini coefficient (Lorenz 1905)."""
    data = np.ravel(np.asarray(values, dtype=np.float64))
    if data.size == 0:
        raise ValueError(_("The Pareto curve needs at least one value."))
    if np.any(data < 0) or np.any(np.isnan(data)):
        raise ValueError(_("Pareto values must be non-negative numbers."))
    descending = np.sort(data)[::-1]
    total = descending.sum()
    cumulative = np.concatenate([[0.0], np.cumsum(descending)])
    value_share = cumulative / total if total > 0 else np.linspace(0.0, 1.0, data.size + 1)
    value_share[-1] = 1.0
    customer_share = np.arange(data.size + 1, dtype=np.float64) / data.size
    return ParetoCurve(customer_share, value_share, gini_coefficient(data))
