"""Churn prediction (M45): gradient boosting with a logistic-regression baseline, held-out
ROC AUC, precision at top-k and calibration, sensitivity analysis (permutation importance,
partial dependence) and per-customer contributing factors. Pure scikit-learn, no Django.

Sensitivity analysis follows Breiman (2001, "Random forests", Machine Learning 45:5) for
permutation importance and Friedman (2001, Annals of Statistics 29:1189) for partial
dependence; calibration is the reliability diagram of Niculescu-Mizil & Caruana (2005).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
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
FACTOR_FEATURES = 4  # features tried per customer for the contributing factors (≤ 8)


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
    brute_force: bool = False,
    chunk: int = 1 << 15,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(probability, factor feature indices n×top, factor effects n×top): for the most
    important features, how much each customer's probability drops when that feature is set to
    the training median (one-at-a-time sensitivity); the largest drops are the factors.

    For the gradient-boosting model the effects come from one walk of every tree per customer
    (`_tree_effects`); `brute_force=True` re-predicts every customer once per feature instead
    (the definition, kept for the tests and for models of another kind). Both give the same
    numbers up to float rounding (≤ 1e-12). `threads`: chunks of `chunk` customers are walked
    on this many Python threads (None = every core); it also caps OpenMP/BLAS threads."""
    with threadpool_limits(limits=threads):
        X = np.asarray(X, dtype=np.float64)
        names = churn_model.feature_names
        candidates = [names.index(r["feature"]) for r in churn_model.importance[:FACTOR_FEATURES]]
        fast = None if brute_force else _tree_effects(churn_model, X, candidates, chunk)
        probability, effects = fast or _reprediction_effects(churn_model, X, candidates)
    if not candidates or X.shape[0] == 0:
        empty = np.zeros((X.shape[0], 0))
        return probability, empty.astype(int), empty
    effects[np.abs(effects) < ZERO_EFFECT] = 0.0  # float noise of a change that cancels out
    top = min(top, len(candidates))
    order = np.argsort(-effects, axis=1, kind="stable")[:, :top]
    chosen = np.take_along_axis(effects, order, axis=1)
    return probability, np.asarray(candidates)[order], chosen


ZERO_EFFECT = 1e-12


def _reprediction_effects(
    churn_model: ChurnModel, X: np.ndarray, candidates: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """The definition: predict every customer again with each candidate set to the median."""
    probability = churn_model.predict(X)
    effects = np.zeros((X.shape[0], len(candidates)))
    for column, index in enumerate(candidates):
        if X.shape[0] == 0:
            break
        changed = X.copy()
        changed[:, index] = churn_model.reference[index]
        effects[:, column] = probability - churn_model.predict(changed)
    return probability, effects


@dataclass
class _Tree:
    predictor: Any  # sklearn TreePredictor: leaf value of binned rows
    leaf_ids: Any  # the same tree with node numbers as values: leaf node of binned rows
    values: np.ndarray  # value by node number
    moves: list[tuple[int, int]]  # (column, feature) of the candidates that can move a leaf
    moving: np.ndarray  # by node number: bit `column` set when the median leaves that leaf


def _tree_plan(model: Any, candidates: list[int], median_bins: np.ndarray) -> list[_Tree] | None:
    """For each tree of a binary HistGradientBoostingClassifier without categorical splits,
    and each candidate feature j: the leaves a customer leaves when x_j is set to the median.
    A customer in leaf L keeps L exactly when the median takes the same branch as x_j at every
    split on j along L's path (the other splits see the same values); None for other models."""
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

    try:
        if model.n_trees_per_iteration_ != 1 or model._preprocessor is not None:
            return None
        missing = model._bin_mapper.missing_values_bin_idx_
        plan = []
        for (predictor,) in model._predictors:
            nodes = predictor.nodes
            if np.any(nodes["is_categorical"][nodes["is_leaf"] == 0] != 0):
                return None
            numbered = nodes.copy()
            numbered["value"] = np.arange(nodes.size, dtype=np.float64)
            leaf_ids = TreePredictor(
                numbered, predictor.binned_left_cat_bitsets, predictor.raw_left_cat_bitsets
            )
            moves, moving = [], np.zeros(nodes.size, dtype=np.uint8)
            for column, feature in enumerate(candidates):
                left = _leaves_left(nodes, feature, int(median_bins[feature]), missing)
                if left.any():
                    moves.append((column, feature))
                    moving[left] |= np.uint8(1 << column)
            values = nodes["value"].astype(np.float64)
            plan.append(_Tree(predictor, leaf_ids, values, moves, moving))
    except (AttributeError, KeyError, ValueError, IndexError, TypeError):
        return None
    return plan


def _leaves_left(nodes: np.ndarray, feature: int, median_bin: int, missing: int) -> np.ndarray:
    """By node number: True for the leaves whose path the median bin of `feature` does not
    follow (the branch rule of TreePredictor.predict_binned)."""
    left_at = np.zeros(nodes.size, dtype=bool)
    stack = [(0, False)]
    while stack:
        node, off = stack.pop()
        row = nodes[node]
        if row["is_leaf"]:
            left_at[node] = off
            continue
        if row["feature_idx"] == feature:
            if median_bin == missing:
                goes_left = bool(row["missing_go_to_left"])
            else:
                goes_left = median_bin <= row["bin_threshold"]
            stack.append((int(row["left"]), off or not goes_left))
            stack.append((int(row["right"]), off or goes_left))
        else:
            stack.append((int(row["left"]), off))
            stack.append((int(row["right"]), off))
    return left_at


def _tree_effects(
    churn_model: ChurnModel, X: np.ndarray, candidates: list[int], chunk: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Probability and one-at-a-time effects in one pass over the trees: each customer's leaf
    of each tree (binned features, as the model saw them in training) gives the raw score;
    only the customers whose leaf the median would leave (on average a fifth per tree and
    feature) are walked again, through that one tree. Rows go in chunks that stay in cache."""
    from scipy.special import expit
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    model = churn_model.model
    try:
        mapper = model._bin_mapper
        median_bins = mapper.transform(churn_model.reference.reshape(1, -1))[0]
        baseline = float(np.ravel(model._baseline_prediction)[0])
    except (AttributeError, ValueError, IndexError):
        return None
    plan = _tree_plan(model, candidates, median_bins)
    if plan is None:
        return None
    missing = mapper.missing_values_bin_idx_
    n = X.shape[0]
    raw = np.full(n, baseline)
    delta = np.zeros((len(candidates), n))  # one contiguous row per candidate

    all_binned = np.ascontiguousarray(mapper.transform(X))  # uint8, a row's bins together

    def walk(start: int) -> None:  # one chunk of rows, one thread
        stop = min(start + chunk, n)
        binned = all_binned[start:stop]
        raw_chunk, delta_chunk = raw[start:stop], delta[:, start:stop]
        for tree in plan:
            leaf = tree.leaf_ids.predict_binned(binned, missing, 1).astype(np.intp)
            value = tree.values[leaf]
            raw_chunk += value  # the order of HistGradientBoostingClassifier._raw_predict
            if not tree.moves:
                continue
            moving = tree.moving[leaf]  # bit c: the median leaves this leaf for candidate c
            for column, feature in tree.moves:
                # (nonzero of a bool array is 7× faster than of the uint8 one)
                rows = np.flatnonzero((moving & (1 << column)).astype(bool))
                if rows.size == 0:
                    continue
                moved = np.take(binned, rows, axis=0)  # (4× faster than binned[rows])
                moved[:, feature] = median_bins[feature]
                changed = tree.predictor.predict_binned(moved, missing, 1)
                changed -= np.take(value, rows)
                effect = delta_chunk[column]
                effect[rows] += changed

    # Chunks go to Python threads (the tree walks and numpy release the GIL): unlike OpenMP
    # threads, which spin while they wait, they cost no extra CPU on a busy machine.
    starts = range(0, n, chunk)
    workers = min(_openmp_effective_n_threads(), len(starts))
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(walk, starts))
    else:
        for start in starts:
            walk(start)
    probability = expit(raw)
    effects = probability[:, None] - expit(raw[:, None] + delta.T)
    return probability, effects
