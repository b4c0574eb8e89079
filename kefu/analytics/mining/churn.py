"""Churn prediction (M45): gradient boosting with a logistic-regression baseline, held-out
ROC AUC, precision at top-k and calibration, sensitivity analysis (permutation importance,
partial dependence) and per-customer contributing factors. Pure scikit-learn, no Django.

Sensitivity analysis follows Breiman (2001, "Random forests", Machine Learning 45:5) for
permutation importance and Friedman (2001, Annals of Statistics 29:1189) for partial
dependence; calibration is the reliability diagram of Niculescu-Mizil & Caruana (2005).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import partial_dependence, permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

SAMPLE_ROWS = 5_000  # rows used for permutation importance and partial dependence
FACTOR_FEATURES = 4  # features tried per customer for the contributing factors


def precision_at_k(y_true, scores, k: float = 0.1) -> float:
    """Share of actual churners among the top `k` fraction of customers by score."""
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=np.float64)
    top = max(1, round(k * y.size))
    order = np.argsort(-s, kind="stable")[:top]
    return float(y[order].mean()) if y.size else float("nan")


@dataclass
class ChurnModel:
    """A fitted model with its held-out evaluation; pickle-able for storage."""

    feature_names: list[str]
    model: Any
    baseline: Any
    reference: np.ndarray  # per-feature median of the training rows (for contributing factors)
    metrics: dict[str, float] = field(default_factory=dict)
    importance: list[dict[str, float]] = field(default_factory=list)
    partial_dependence: list[dict[str, Any]] = field(default_factory=list)
    calibration: list[dict[str, float]] = field(default_factory=list)

    def predict(self, X) -> np.ndarray:
        """Churn probability per row."""
        return self.model.predict_proba(np.asarray(X, dtype=np.float64))[:, 1]


def _sample(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.sort(rng.choice(n, SAMPLE_ROWS, replace=False)) if n > SAMPLE_ROWS else np.arange(n)


def train_churn_model(
    X_train,
    y_train,
    X_test,
    y_test,
    feature_names: list[str],
    *,
    seed: int = 0,
    top_k: float = 0.1,
    max_iter: int = 120,
    threads: int | None = 1,
) -> ChurnModel:
    """Fit gradient boosting and a logistic baseline on the earlier period, evaluate both on
    the later one (time-based split): ROC AUC, precision@k, Brier score, calibration bins,
    permutation importance and partial dependence of the most important features.

    `threads` caps OpenMP/BLAS threads (None = all cores); on a shared machine one thread is
    much faster than oversubscribed cores."""
    with threadpool_limits(limits=threads):
        return _train(X_train, y_train, X_test, y_test, feature_names, seed, top_k, max_iter)


def _train(X_train, y_train, X_test, y_test, feature_names, seed, top_k, max_iter) -> ChurnModel:
    X_train = np.asarray(X_train, dtype=np.float64)
    X_test = np.asarray(X_test, dtype=np.float64)
    y_train = np.asarray(y_train).astype(int)
    y_test = np.asarray(y_test).astype(int)
    if len(np.unique(y_train)) < 2 or len(np.unique(y_test)) < 2:
        raise ValueError("Both periods need churned and retained customers.")
    model = HistGradientBoostingClassifier(
        max_iter=max_iter, learning_rate=0.1, max_leaf_nodes=31, early_stopping=False,
        random_state=seed,
    )  # fmt: skip
    model.fit(X_train, y_train)
    baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    baseline.fit(X_train, y_train)
    p_model = model.predict_proba(X_test)[:, 1]
    p_base = baseline.predict_proba(X_test)[:, 1]
    metrics = {
        "auc": float(roc_auc_score(y_test, p_model)),
        "auc_baseline": float(roc_auc_score(y_test, p_base)),
        "precision_at_k": precision_at_k(y_test, p_model, top_k),
        "precision_at_k_baseline": precision_at_k(y_test, p_base, top_k),
        "top_k": top_k,
        "brier": float(brier_score_loss(y_test, p_model)),
        "brier_baseline": float(brier_score_loss(y_test, p_base)),
        "churn_rate_train": float(y_train.mean()),
        "churn_rate_test": float(y_test.mean()),
        "n_train": int(y_train.size),
        "n_test": int(y_test.size),
    }
    observed, predicted = calibration_curve(y_test, p_model, n_bins=10, strategy="quantile")
    calibration = [
        {"predicted": float(p), "observed": float(o)}
        for p, o in zip(predicted, observed, strict=True)
    ]
    rng = np.random.default_rng(seed)
    rows = _sample(rng, y_test.size)
    perm = permutation_importance(
        model, X_test[rows], y_test[rows], scoring="roc_auc", n_repeats=3, random_state=seed
    )
    importance = sorted(
        (
            {"feature": name, "mean": float(m), "std": float(s)}
            for name, m, s in zip(
                feature_names, perm.importances_mean, perm.importances_std, strict=True
            )
        ),
        key=lambda row: -row["mean"],
    )
    dependence = []
    for row in importance[:4]:
        index = feature_names.index(row["feature"])
        pd = partial_dependence(model, X_test[rows], [index], grid_resolution=20, kind="average")
        dependence.append(
            {
                "feature": row["feature"],
                "grid": [float(v) for v in pd["grid_values"][0]],
                "average": [float(v) for v in pd["average"][0]],
            }
        )
    return ChurnModel(
        feature_names=list(feature_names),
        model=model,
        baseline=baseline,
        reference=np.median(X_train, axis=0),
        metrics=metrics,
        importance=importance,
        partial_dependence=dependence,
        calibration=calibration,
    )


def contributing_factors(
    churn_model: ChurnModel,
    X,
    *,
    top: int = 3,
    threads: int | None = 1,
    skip_unchanged: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(probability, factor feature indices n×top, factor effects n×top): for the most
    important features, how much each customer's probability drops when that feature is set to
    the training median (one-at-a-time sensitivity); the largest drops are the factors.

    With `skip_unchanged`, customers whose value falls between the same two split thresholds
    of the fitted trees as the median take every tree's same branch either way, so their
    effect is exactly 0 and is not recomputed (the same result, far fewer predictions)."""
    with threadpool_limits(limits=threads):
        return _factors(churn_model, X, top, skip_unchanged)


def split_thresholds(model: Any, n_features: int) -> list[np.ndarray] | None:
    """The sorted split thresholds of each feature over all trees of a fitted
    HistGradientBoostingClassifier (None when the model is of another kind)."""
    try:
        found: list[list[np.ndarray]] = [[] for _ in range(n_features)]
        for trees in model._predictors:
            for tree in trees:
                nodes = tree.nodes
                inner = nodes[nodes["is_leaf"] == 0]
                if np.any(inner["is_categorical"] != 0):
                    return None
                for feature in np.unique(inner["feature_idx"]):
                    found[feature].append(inner["num_threshold"][inner["feature_idx"] == feature])
    except (AttributeError, KeyError, ValueError, IndexError, TypeError):
        return None
    return [np.unique(np.concatenate(v)) if v else np.zeros(0) for v in found]


def _factors(
    churn_model: ChurnModel, X, top: int, skip_unchanged: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    probability = churn_model.predict(X)
    names = churn_model.feature_names
    candidates = [names.index(r["feature"]) for r in churn_model.importance[:FACTOR_FEATURES]]
    if not candidates or X.shape[0] == 0:
        empty = np.zeros((X.shape[0], 0))
        return probability, empty.astype(int), empty
    thresholds = split_thresholds(churn_model.model, X.shape[1]) if skip_unchanged else None
    effects = np.zeros((X.shape[0], len(candidates)))
    for column, index in enumerate(candidates):
        reference = churn_model.reference[index]
        values = X[:, index]
        if thresholds is None or np.isnan(reference):
            rows = np.arange(X.shape[0])
        else:
            cut = thresholds[index]
            side = np.searchsorted(cut, reference, side="left")
            rows = np.flatnonzero(
                (np.searchsorted(cut, values, side="left") != side) | np.isnan(values)
            )
        if rows.size == 0:
            continue
        changed = X[rows]
        changed[:, index] = reference
        effects[rows, column] = probability[rows] - churn_model.predict(changed)
    top = min(top, len(candidates))
    order = np.argsort(-effects, axis=1, kind="stable")[:, :top]
    chosen = np.take_along_axis(effects, order, axis=1)
    return probability, np.asarray(candidates)[order], chosen
