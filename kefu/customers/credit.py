"""6C credit rating (M3, 6C法则): a weighted mean of six 1–5 scores, graded A–D by cut-offs.

The six Cs extend the classic "five Cs of credit" (Character, Capacity, Capital, Collateral,
Conditions; e.g. Thomas, Edelman & Crook, *Credit Scoring and Its Applications*, 2002, §1.3)
with Continuity, as in 《客户服务管理工具》 §7.3 (6C法则). No Django imports here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

SIX_C: tuple[str, ...] = (
    "character",
    "capacity",
    "capital",
    "collateral",
    "condition",
    "continuity",
)
GRADES: tuple[str, ...] = ("A", "B", "C", "D")
DEFAULT_WEIGHTS: dict[str, float] = {name: 1.0 for name in SIX_C}
DEFAULT_CUTOFFS: dict[str, float] = {"A": 4.0, "B": 3.0, "C": 2.0}


def _(message: str) -> str:
    return message


class CreditInputError(ValueError):
    """Scores, weights or cut-offs that cannot be graded; `field` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _weight_vector(weights: Mapping[str, float]) -> np.ndarray:
    vector = np.array([float(weights.get(name, 0.0)) for name in SIX_C])
    unknown = set(weights) - set(SIX_C)
    if unknown:
        raise CreditInputError(sorted(unknown)[0], _("Unknown 6C factor."))
    if np.any(vector < 0) or not np.all(np.isfinite(vector)):
        raise CreditInputError("weights", _("Weights must be zero or positive numbers."))
    if vector.sum() <= 0:
        raise CreditInputError("weights", _("At least one weight must be positive."))
    return vector


def validate_cutoffs(cutoffs: Mapping[str, float]) -> tuple[float, float, float]:
    """Return (A, B, C) cut-offs; they must be within 1–5 and strictly decreasing."""
    try:
        a, b, c = (float(cutoffs[g]) for g in ("A", "B", "C"))
    except (KeyError, TypeError, ValueError) as exc:
        raise CreditInputError("cutoffs", _("Give numeric cut-offs for A, B and C.")) from exc
    if not (5 >= a > b > c >= 1):
        raise CreditInputError("cutoffs", _("Cut-offs must satisfy 5 ≥ A > B > C ≥ 1."))
    return a, b, c


def credit_scores(scores: np.ndarray, weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> np.ndarray:
    """Weighted mean score per row of an (n, 6) matrix of 1–5 scores: s = Σ wᵢxᵢ / Σ wᵢ."""
    matrix = np.atleast_2d(np.asarray(scores, dtype=float))
    if matrix.shape[-1] != len(SIX_C):
        raise CreditInputError("scores", _("Give six scores."))
    if np.any((matrix < 1) | (matrix > 5)):
        raise CreditInputError("scores", _("Each score must be between 1 and 5."))
    vector = _weight_vector(weights)
    return matrix @ vector / vector.sum()


def credit_grades(
    scores: np.ndarray,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    cutoffs: Mapping[str, float] = DEFAULT_CUTOFFS,
) -> np.ndarray:
    """Grades 'A'–'D' per row: A if s ≥ cutoff A, B if s ≥ cutoff B, C if s ≥ cutoff C, else D."""
    a, b, c = validate_cutoffs(cutoffs)
    weighted = np.round(credit_scores(scores, weights), 2)
    index = np.select([weighted >= a, weighted >= b, weighted >= c], [0, 1, 2], default=3)
    return np.array(GRADES)[index]


def credit_score(
    scores: Mapping[str, int], weights: Mapping[str, float] = DEFAULT_WEIGHTS
) -> float:
    """Weighted mean 6C score of one customer, rounded to 2 decimals."""
    missing = [name for name in SIX_C if name not in scores]
    if missing:
        raise CreditInputError(missing[0], _("This score is required."))
    row = np.array([[scores[name] for name in SIX_C]], dtype=float)
    return round(float(credit_scores(row, weights)[0]), 2)


def credit_grade(
    scores: Mapping[str, int],
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    cutoffs: Mapping[str, float] = DEFAULT_CUTOFFS,
) -> str:
    """The credit grade A–D of one customer's six scores (see credit_grades)."""
    score = credit_score(scores, weights)
    a, b, c = validate_cutoffs(cutoffs)
    if score >= a:
        return "A"
    if score >= b:
        return "B"
    if score >= c:
        return "C"
    return "D"
