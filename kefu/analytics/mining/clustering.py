"""Customer clustering (M45): k-means on standardised RFM + service features, k chosen by the
silhouette coefficient (Rousseeuw 1987, J. Comput. Appl. Math. 20:53), cluster profiles with
names suggested from the dominant features, and a 2-D PCA projection. Deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

SILHOUETTE_SAMPLE = 5_000
PROJECTION_POINTS = 2_000


@dataclass
class ClusterProfile:
    cluster: int
    size: int
    share: float
    means: dict[str, float]
    z_means: dict[str, float]
    name: str  # e.g. "high complaints_365d, low frequency"


@dataclass
class Clustering:
    k: int
    labels: np.ndarray
    silhouette_by_k: dict[int, float]
    profiles: list[ClusterProfile]
    projection: np.ndarray  # (m, 2) PCA coordinates of a sample
    projection_labels: np.ndarray
    explained_variance: list[float]


def _dominant_name(z: np.ndarray, names: list[str], top: int = 2) -> str:
    order = np.argsort(-np.abs(z), kind="stable")[:top]
    parts = [f"{'high' if z[i] > 0 else 'low'} {names[i]}" for i in order if abs(z[i]) >= 0.25]
    return ", ".join(parts) or "average"


def cluster_customers(
    X, feature_names: list[str], *, k_values=range(2, 9), seed: int = 0, threads: int | None = 1
) -> Clustering:
    """k-means (k-means++ start, 10 restarts) for each k; the k with the highest silhouette
    (on a seeded sample) wins. Clusters are renumbered by size, largest first. `threads` caps
    OpenMP threads (oversubscribed cores make k-means far slower)."""
    with threadpool_limits(limits=threads):
        return _cluster(X, feature_names, k_values, seed)


def _cluster(X, feature_names: list[str], k_values, seed: int) -> Clustering:
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    ks = [k for k in k_values if 2 <= k < n]
    if not ks:
        raise ValueError("Need more customers than clusters.")
    Z = StandardScaler().fit_transform(X)
    Z = np.nan_to_num(Z)
    rng = np.random.default_rng(seed)
    sample = rng.choice(n, SILHOUETTE_SAMPLE, replace=False) if n > SILHOUETTE_SAMPLE else None
    scores: dict[int, float] = {}
    fits: dict[int, np.ndarray] = {}
    for k in ks:
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(Z)
        if len(np.unique(labels)) < 2:
            continue
        zs, ls = (Z, labels) if sample is None else (Z[sample], labels[sample])
        scores[k] = float(silhouette_score(zs, ls)) if len(np.unique(ls)) > 1 else -1.0
        fits[k] = labels
    best = max(scores, key=lambda k: (scores[k], -k))
    raw = fits[best]
    sizes = np.bincount(raw, minlength=best)
    rename = np.empty(best, dtype=np.int64)
    rename[np.argsort(-sizes, kind="stable")] = np.arange(best)
    labels = rename[raw]
    profiles = []
    for cluster in range(best):
        members = labels == cluster
        means = X[members].mean(axis=0)
        z = Z[members].mean(axis=0)
        profiles.append(
            ClusterProfile(
                cluster=cluster,
                size=int(members.sum()),
                share=float(members.mean()),
                means={name: float(v) for name, v in zip(feature_names, means, strict=True)},
                z_means={name: float(v) for name, v in zip(feature_names, z, strict=True)},
                name=_dominant_name(z, feature_names),
            )
        )
    pca = PCA(n_components=2, random_state=seed).fit(Z)
    points = (
        np.sort(rng.choice(n, PROJECTION_POINTS, replace=False))
        if n > PROJECTION_POINTS
        else np.arange(n)
    )
    return Clustering(
        k=best,
        labels=labels,
        silhouette_by_k=scores,
        profiles=profiles,
        projection=pca.transform(Z[points]),
        projection_labels=labels[points],
        explained_variance=[float(v) for v in pca.explained_variance_ratio_],
    )
