"""QA scorecard arithmetic and calibration spread (M37). Pure: numpy in, numbers out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import ArrayLike

ALLOWED_VALUES = (0.0, 0.5, 1.0)  # not met, partly met, met; NaN = not applicable


@dataclass(frozen=True)
class ScoreResult:
    score: float  # 0–100
    auto_failed: bool
    failed_auto_fail: tuple[int, ...]  # positions of the auto-fail criteria that were missed


def score_evaluation(values: ArrayLike, weights: ArrayLike, auto_fail: ArrayLike) -> ScoreResult:
    """Weighted score = 100 · Σ wᵢ·vᵢ / Σ wᵢ over applicable criteria (vᵢ ∈ {0, ½, 1}).

    Any auto-fail criterion not fully met makes the score 0 (a "critical error" in contact
    center QA practice). All criteria not applicable → score 100 (nothing to fault)."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    af = np.asarray(auto_fail, dtype=bool)
    if not (v.shape == w.shape == af.shape):
        raise ValueError("values, weights and auto_fail must have the same length")
    if np.any(w < 0):
        raise ValueError("weights must not be negative")
    applicable = ~np.isnan(v)
    if np.any(~np.isin(v[applicable], ALLOWED_VALUES)):
        raise ValueError("values must be 0, 0.5, 1 or empty (not applicable)")
    missed = np.flatnonzero(af & applicable & (np.nan_to_num(v, nan=1.0) < 1.0))
    if missed.size:
        return ScoreResult(0.0, True, tuple(int(i) for i in missed))
    total = float(w[applicable].sum())
    if total == 0:
        return ScoreResult(100.0, False, ())
    return ScoreResult(float(100 * (w[applicable] * v[applicable]).sum() / total), False, ())


@dataclass(frozen=True)
class Spread:
    n_evaluators: int
    mean: float
    std: float  # sample standard deviation (ddof=1); 0 with a single evaluator
    range: float  # max − min


def spread(scores: ArrayLike) -> Spread:
    """Spread of several evaluators' scores of the same contact (calibration)."""
    s = np.asarray(scores, dtype=float)
    s = s[~np.isnan(s)]
    if s.size == 0:
        nan = float("nan")
        return Spread(0, nan, nan, nan)
    std = float(s.std(ddof=1)) if s.size > 1 else 0.0
    return Spread(int(s.size), float(s.mean()), std, float(s.max() - s.min()))


def criterion_spread(frame: pl.DataFrame) -> pl.DataFrame:
    """Per criterion: evaluators, mean, std (ddof=1), range and agreement (share giving the
    most common value). `frame`: evaluator_id, criterion_id, value."""
    scored = frame.drop_nulls("value").filter(~pl.col("value").is_nan())
    agreement = (
        scored.group_by("criterion_id", "value")
        .len()
        .group_by("criterion_id")
        .agg((pl.col("len").max() / pl.col("len").sum()).alias("agreement"))
    )
    return (
        scored.group_by("criterion_id")
        .agg(
            pl.len().alias("evaluators"),
            pl.col("value").mean().alias("mean"),
            pl.col("value").std(ddof=1).fill_null(0.0).alias("std"),
            (pl.col("value").max() - pl.col("value").min()).alias("range"),
        )
        .join(agreement, on="criterion_id")
        .sort("criterion_id")
    )
