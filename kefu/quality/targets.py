"""Decomposing a company target to teams and agents (目标分解, M38). Pure."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def decompose(
    total: float, *, method: str, n: int, weights: ArrayLike | None = None, additive: bool = True
) -> np.ndarray:
    """Split a parent target among `n` children.

    Additive KPIs (counts, amounts): "equal" splits evenly, "share" in proportion to `weights`
    (e.g. last period's volume); either way the children sum to the parent exactly.
    Non-additive KPIs (times, rates, scores) and method "same": every child gets the parent
    target (a 90 % CSAT target means 90 % for each team)."""
    if n <= 0:
        return np.zeros(0)
    if method == "same" or not additive:
        return np.full(n, float(total))
    if method == "equal":
        shares = np.full(n, 1.0 / n)
    elif method == "share":
        w = np.asarray(weights, dtype=float)
        if w.shape != (n,) or np.any(w < 0) or not np.isfinite(w).all():
            raise ValueError("weights must be n non-negative numbers")
        shares = w / w.sum() if w.sum() > 0 else np.full(n, 1.0 / n)
    else:
        raise ValueError("method must be equal, share or same")
    parts = shares * float(total)
    parts[-1] = float(total) - parts[:-1].sum()  # no rounding drift: exact sum
    return parts


def progress(actual: float | None, target: float, higher_is_better: bool) -> float | None:
    """Attainment in % (100 = on target), inverted for lower-is-better KPIs, capped at 200 %
    (a near-zero time would otherwise read as thousands of per cent)."""
    if actual is None or target is None:
        return None
    if higher_is_better:
        value = 100.0 * actual / target if target else None
    else:
        value = 100.0 * target / actual if actual else PROGRESS_CAP
    return None if value is None else float(min(max(value, 0.0), PROGRESS_CAP))


PROGRESS_CAP = 200.0
