"""Six Sigma defect rates: DPMO and short-term sigma level with the 1.5σ shift (Harry 1988;
Pyzdek, "The Six Sigma Handbook")."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import norm


def _(message: str) -> str:
    return message


SIGMA_SHIFT = 1.5


def dpmo(defects: ArrayLike, units: ArrayLike, opportunities: ArrayLike = 1) -> np.ndarray | float:
    """Defects per million opportunities = defects / (units · opportunities) · 10^6."""
    d, u, o = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (defects, units, opportunities))
    )
    if np.any(u * o <= 0):
        raise ValueError(_("Units and opportunities per unit must be positive."))
    if np.any(d < 0) or np.any(d > u * o):
        raise ValueError(_("Defects must lie between 0 and units × opportunities."))
    result = d / (u * o) * 1e6
    return float(result) if result.ndim == 0 else result


def sigma_level(dpmo_value: ArrayLike, shift: float = SIGMA_SHIFT) -> np.ndarray | float:
    """Short-term process sigma = Φ⁻¹(1 − DPMO/10^6) + 1.5 (the conventional 1.5σ shift)."""
    rate = np.asarray(dpmo_value, dtype=np.float64) / 1e6
    if np.any((rate < 0) | (rate > 1)):
        raise ValueError(_("DPMO must lie between 0 and 1,000,000."))
    result = norm.isf(rate) + shift
    return float(result) if result.ndim == 0 else result
