"""ABCD customer tiers by value rank (ABC analysis after the Pareto principle; Juran)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata


def _(message: str) -> str:
    return message


DEFAULT_TIER_CUTOFFS = (0.10, 0.30, 0.60)
TIER_NAMES = ("A", "B", "C", "D")


def abcd_tiers(
    values: ArrayLike,
    cutoffs: tuple[float, ...] = DEFAULT_TIER_CUTOFFS,
    names: tuple[str, ...] = TIER_NAMES,
) -> np.ndarray:
    """Tier by descending-value rank share: rank/n < cutoffs[0] → A, < cutoffs[1] → B, … .

    Equal values get the tier of the best-ranked among them, so ties never split a tier.
    """
    data = np.ravel(np.asarray(values, dtype=np.float64))
    bounds = np.asarray(cutoffs, dtype=np.float64)
    if len(names) != len(bounds) + 1:
        raise ValueError(_("Give one more tier name than cut-offs."))
    if np.any(np.diff(bounds) <= 0) or np.any((bounds <= 0) | (bounds >= 1)):
        raise ValueError(_("Tier cut-offs must increase strictly between 0 and 1."))
    if np.any(np.isnan(data)):
        raise ValueError(_("Tier values must not be missing."))
    if data.size == 0:
        return np.zeros(0, dtype=f"<U{max(len(n) for n in names)}")
    position = rankdata(-data, method="min") - 1  # 0 for the highest value
    tier_index = np.searchsorted(bounds, position / data.size, side="right")
    return np.asarray(names)[tier_index]
