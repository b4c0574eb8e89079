"""The churn pipeline from an event log: time-based split, training, held-out evaluation and
scoring of every current purchaser with contributing factors and revenue at risk."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from kefu.analytics.mining.churn import ChurnModel, contributing_factors, train_churn_model
from kefu.analytics.mining.features import DAY, FEATURES, EventLog, churn_features, churn_labels


@dataclass
class ChurnRun:
    model: ChurnModel
    scores: pl.DataFrame  # customer_id, probability, revenue_at_risk, factor_1..3, effect_1..3
    features: pl.DataFrame  # the scoring features (for clustering and the model page)
    cutoffs: dict[str, int]


def _design(frame: pl.DataFrame) -> np.ndarray:
    return frame.select(FEATURES).to_numpy().astype(np.float64)


def run_churn_pipeline(
    customer_ids,
    events: EventLog,
    *,
    as_of: int,
    horizon_days: int = 90,
    first_seen=None,
    tiers=None,
    seed: int = 0,
    max_iter: int = 120,
    threads: int | None = 1,
    score_threads: int | None = None,
) -> ChurnRun:
    """Train on features at as_of − 2·horizon with churn = no purchase in the next horizon,
    evaluate the same way one horizon later (held out in time), then score features at
    `as_of`. Only customers with at least one purchase before a cut-off are in its population.
    Revenue at risk = probability × spend in the last 90 days × 4 (annual run rate).

    `threads` caps the OpenMP/BLAS threads of the features and the training; `score_threads`
    the Python threads that walk the trees for the scores (None = every core: they do not
    spin on a busy machine as OpenMP threads do)."""
    ids = np.asarray(customer_ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    seen = None if first_seen is None else np.asarray(first_seen)[order]
    tier = None if tiers is None else np.asarray(tiers, dtype=object)[order]
    horizon = horizon_days * DAY
    cutoffs = {"train": as_of - 2 * horizon, "test": as_of - horizon, "score": as_of}

    def period(cutoff: int) -> tuple[np.ndarray, np.ndarray, pl.DataFrame]:
        frame = churn_features(ids, events, cutoff=cutoff, first_seen=seen, tiers=tier)
        labels = churn_labels(
            ids,
            events.purchase_customer,
            events.purchase_seconds,
            cutoff=cutoff,
            horizon_days=horizon_days,
        )
        active = frame["purchases_before"].to_numpy() > 0
        return _design(frame.filter(active)), labels[active], frame

    X_train, y_train, _ = period(cutoffs["train"])
    X_test, y_test, _ = period(cutoffs["test"])
    model = train_churn_model(
        X_train,
        y_train,
        X_test,
        y_test,
        list(FEATURES),
        seed=seed,
        max_iter=max_iter,
        threads=threads,
    )
    current = churn_features(ids, events, cutoff=as_of, first_seen=seen, tiers=tier)
    current = current.filter(pl.col("purchases_before") > 0)
    probability, factor_index, effect = contributing_factors(
        model, _design(current), threads=score_threads
    )
    names = np.asarray(FEATURES, dtype=object)
    columns = {
        "customer_id": current["customer_id"],
        "probability": probability,
        "revenue_at_risk": probability * current["monetary_90d"].to_numpy() * 4.0,
    }
    for j in range(3):
        has = j < factor_index.shape[1]
        columns[f"factor_{j + 1}"] = names[factor_index[:, j]] if has else [""] * current.height
        columns[f"effect_{j + 1}"] = effect[:, j] if has else np.zeros(current.height)
    scores = pl.DataFrame(columns)
    return ChurnRun(model=model, scores=scores, features=current, cutoffs=cutoffs)
