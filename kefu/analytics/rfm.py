"""RFM scoring (Hughes 1994, "Strategic Database Marketing") and rule-based RFM segments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata


def _(message: str) -> str:
    return message


@dataclass(frozen=True)
class SegmentRule:
    """A segment matches when r ∈ [r_min, r_max] and fm = (f + m)/2 ∈ [fm_min, fm_max]."""

    name: str
    r_min: float
    r_max: float
    fm_min: float
    fm_max: float


def _grid(rows: dict[int, tuple[str, str, str, str]]) -> tuple[SegmentRule, ...]:
    fm_bands = ((1.0, 1.5), (2.0, 2.5), (3.0, 3.5), (4.0, 5.0))
    return tuple(
        SegmentRule(name, r, r, low, high)
        for r, names in rows.items()
        for name, (low, high) in zip(names, fm_bands, strict=True)
    )


# Recency score (rows) × mean of frequency and monetary scores (columns: 1–1.5, 2–2.5, 3–3.5,
# 4–5), after the usual R × FM segment grid used in CRM tools; configurable as data.
DEFAULT_SEGMENTS: tuple[SegmentRule, ...] = _grid(
    {
        5: ("new customers", "potential loyalists", "potential loyalists", "champions"),
        4: ("promising", "potential loyalists", "loyal", "champions"),
        3: ("about to sleep", "need attention", "need attention", "loyal"),
        2: ("hibernating", "hibernating", "at risk", "at risk"),
        1: ("lost", "lost", "at risk", "cannot lose them"),
    }
)
UNCLASSIFIED = "unclassified"


def quantile_scores(values: ArrayLike, bins: int = 5) -> np.ndarray:
    """Score 1..bins by rank quantile, higher value → higher score; tied values share a score
    (average rank), so the score is a monotone function of the value."""
    data = np.ravel(np.asarray(values, dtype=np.float64))
    if bins < 1:
        raise ValueError(_("The number of RFM bins must be at least 1."))
    if data.size == 0:
        return np.zeros(0, dtype=np.int64)
    share = rankdata(data, method="average") / data.size
    return np.clip(np.ceil(share * bins - 1e-9), 1, bins).astype(np.int64)


def rfm_scores(
    recency_days: ArrayLike, frequency: ArrayLike, monetary: ArrayLike, bins: int = 5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Recency, frequency and monetary quantile scores 1..bins (bins = best: most recent,
    most frequent, highest spend), Hughes (1994) quintile RFM."""
    return (
        quantile_scores(-np.asarray(recency_days, dtype=np.float64), bins),
        quantile_scores(frequency, bins),
        quantile_scores(monetary, bins),
    )


def rfm_segments(
    r: ArrayLike,
    f: ArrayLike,
    m: ArrayLike,
    rules: tuple[SegmentRule, ...] = DEFAULT_SEGMENTS,
) -> np.ndarray:
    """Segment name per customer: the first rule that matches (R, (F+M)/2) wins."""
    r_score, f_score, m_score = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (r, f, m))
    )
    fm = (f_score + m_score) / 2.0
    conditions = [
        (r_score >= rule.r_min)
        & (r_score <= rule.r_max)
        & (fm >= rule.fm_min)
        & (fm <= rule.fm_max)
        for rule in rules
    ]
    names = [rule.name for rule in rules]
    width = max([len(name) for name in names] + [len(UNCLASSIFIED)])
    return np.select(conditions, names, default=UNCLASSIFIED).astype(f"<U{width}")
