"""Pure mining cores: features on a hand example, the churn model recovers a planted
mechanism, clustering is deterministic and finds planted groups, behaviour summaries."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from kefu.analytics.mining import (
    EventLog,
    channel_switching,
    churn_features,
    churn_labels,
    cluster_customers,
    contact_reason_paths,
    precision_at_k,
    run_churn_pipeline,
    simulate_churn,
    time_of_day,
)

DAY = 86_400


def test_features_on_a_hand_example():
    cutoff = 1_000 * DAY
    events = EventLog(
        purchase_customer=np.array([1, 1, 1, 2, 3]),
        purchase_seconds=np.array([900, 950, 990, 500, 1_100]) * DAY,  # customer 3: after cutoff
        purchase_amount=np.array([10.0, 20.0, 30.0, 5.0, 99.0]),
        ticket_customer=np.array([1, 1, 2]),
        ticket_seconds=np.array([980, 200, 990]) * DAY,  # the 200-day ticket is over a year old
        ticket_is_complaint=np.array([True, True, False]),
        ticket_is_repeat=np.array([True, False, False]),
        ticket_sla_breached=np.array([False, True, True]),
        survey_customer=np.array([1, 1]),
        survey_seconds=np.array([985, 986]) * DAY,
        survey_csat=np.array([2.0, 4.0]),
        survey_nps=np.array([np.nan, np.nan]),
    )
    frame = churn_features([3, 1, 2], events, cutoff=cutoff, tiers=["D", "A", ""])
    row = frame.row(0, named=True)  # sorted by id: customer 1 first
    assert frame["customer_id"].to_list() == [1, 2, 3]
    assert row["recency_days"] == 10 and row["frequency"] == 3 and row["frequency_90d"] == 2
    assert row["monetary_90d"] == 50 and row["average_order_value"] == 20
    # last 90 days 50, previous 90 days 10: (50 − 10) / (50 + 10 + 1)
    assert row["monetary_trend"] == pytest.approx(40 / 61)
    assert row["complaints_365d"] == 1 and row["repeat_complaints_365d"] == 1
    assert row["sla_breaches_365d"] == 0 and row["tickets_365d"] == 1
    assert row["csat_mean"] == 3.0 and row["has_survey"] == 1.0 and row["tier_rank"] == 4.0
    customer_2 = frame.row(1, named=True)
    assert customer_2["recency_days"] == 500 and customer_2["sla_breaches_365d"] == 1
    customer_3 = frame.row(2, named=True)
    assert customer_3["frequency"] == 0  # customer 3 bought only after the cut-off
    labels = churn_labels(
        [1, 2, 3],
        events.purchase_customer,
        events.purchase_seconds,
        cutoff=cutoff,
        horizon_days=200,
    )
    assert labels.tolist() == [1, 1, 0]


def test_precision_at_k():
    assert precision_at_k([1, 0, 1, 0, 0, 0, 0, 0, 0, 1], np.arange(10) / 10, k=0.2) == 0.5
    assert precision_at_k([1, 1, 0, 0], [0.9, 0.8, 0.1, 0.2], k=0.5) == 1.0


@pytest.fixture(scope="module")
def churn_run():
    sim = simulate_churn(4_000, seed=11)
    run = run_churn_pipeline(
        sim.customer_ids,
        sim.events,
        as_of=sim.end,
        first_seen=sim.first_seen,
        tiers=sim.tiers,
        seed=0,
        max_iter=80,
    )
    return sim, run


def test_churn_model_recovers_the_planted_mechanism(churn_run):
    sim, run = churn_run
    metrics = run.model.metrics
    assert metrics["auc"] > 0.85  # chance is 0.5
    assert (
        metrics["precision_at_k"] > 2 * metrics["churn_rate_test"]
        or metrics["precision_at_k"] > 0.9
    )
    assert {r["feature"] for r in run.model.importance[:3]} & {"recency_days", "prob_alive"}
    # Among customers who bought recently, the predicted risk follows the hidden trouble s.
    scored = run.scores.join(run.features.select("customer_id", "recency_days"), on="customer_id")
    recent = scored.filter(pl.col("recency_days") < 45)
    trouble = sim.trouble[recent["customer_id"].to_numpy() - 1]
    rho, p = spearmanr(recent["probability"].to_numpy(), trouble)
    assert rho > 0.1 and p < 1e-4
    # The hidden propensity itself separates the held-out churners (sanity of the simulation).
    assert 0 <= metrics["brier"] < 0.25 and len(run.model.calibration) >= 5


def test_scores_have_factors_and_revenue_at_risk(churn_run):
    _sim, run = churn_run
    scores = run.scores
    assert scores["probability"].is_between(0, 1).all()
    assert (scores["revenue_at_risk"] >= 0).all()
    assert scores.filter(pl.col("probability") > 0.5)["factor_1"].str.len_chars().min() > 0
    assert len(run.model.partial_dependence) == 4


def test_logistic_baseline_is_reported_and_worse_than_chance_is_impossible(churn_run):
    _sim, run = churn_run
    assert 0.5 < run.model.metrics["auc_baseline"] <= 1.0


def test_clustering_is_deterministic_and_finds_planted_groups():
    rng = np.random.default_rng(5)
    centres = np.array([[0, 0, 0], [8, 0, 1], [0, 9, -4]])
    X = np.vstack([c + rng.normal(0, 0.5, (150, 3)) for c in centres])
    names = ["recency_days", "frequency", "complaints_365d"]
    first = cluster_customers(X, names, seed=3)
    second = cluster_customers(X, names, seed=3)
    assert first.k == 3
    assert np.array_equal(first.labels, second.labels)
    truth = np.repeat([0, 1, 2], 150)
    # every planted group maps to one cluster
    for group in range(3):
        assert len(np.unique(first.labels[truth == group])) == 1
    assert sorted(p.size for p in first.profiles) == [150, 150, 150]
    assert first.projection.shape == (450, 2)
    assert max(first.silhouette_by_k, key=first.silhouette_by_k.get) == 3
    assert "high" in first.profiles[0].name or "low" in first.profiles[0].name


def test_contact_reason_paths_and_lift():
    paths = contact_reason_paths(
        customer=[1, 1, 2, 2, 3],
        seconds=[1, 2, 1, 2, 1],
        reason=["billing", "delivery", "billing", "delivery", "praise"],
        churned_customers=[1],
    )
    row = paths.filter(pl.col("path") == "billing → delivery").row(0, named=True)
    assert row["churned"] == 1 and row["retained"] == 1
    assert row["churned_share"] == 1.0


def test_channel_switching_counts_consecutive_contacts():
    frame = channel_switching(
        [1, 1, 1, 2, 2], [3, 1, 2, 1, 2], ["chat", "email", "phone", "email", "email"]
    )
    got = {(r["from_channel"], r["to_channel"]): r["count"] for r in frame.iter_rows(named=True)}
    assert got == {("email", "phone"): 1, ("phone", "chat"): 1, ("email", "email"): 1}
    shares = {
        (r["from_channel"], r["to_channel"]): r["share_of_from"]
        for r in frame.iter_rows(named=True)
    }
    assert shares[("email", "phone")] == 0.5


def test_time_of_day_in_local_time():
    # 1970-01-05 was a Monday; 01:00 UTC is 09:00 in UTC+8
    monday_9 = 4 * DAY + 3600
    matrix = time_of_day([monday_9, monday_9 + 60, monday_9 + DAY], utc_offset_hours=8)
    assert matrix.shape == (7, 24)
    assert matrix[0, 9] == 2 and matrix[1, 9] == 1 and matrix.sum() == 3


def test_reported_auc_matches_an_independent_computation(churn_run):
    sim, run = churn_run
    from kefu.analytics.mining.features import DAY as day

    test_cutoff = run.cutoffs["test"]
    features = churn_features(
        sim.customer_ids, sim.events, cutoff=test_cutoff, first_seen=sim.first_seen, tiers=sim.tiers
    )
    labels = churn_labels(
        sim.customer_ids,
        sim.events.purchase_customer,
        sim.events.purchase_seconds,
        cutoff=test_cutoff,
        horizon_days=90,
    )
    active = features["purchases_before"].to_numpy() > 0
    from kefu.analytics.mining.features import FEATURES

    probability = run.model.predict(features.filter(active).select(FEATURES).to_numpy())
    assert roc_auc_score(labels[active], probability) == pytest.approx(run.model.metrics["auc"])
    assert test_cutoff == sim.end - 90 * day


def test_tree_walk_factors_equal_the_reprediction_definition(churn_run):
    """The fast factors (one walk of every tree, re-walking only the leaves the median leaves)
    equal the definition — predict every customer again with each candidate feature set to
    the training median — on every customer, also across chunk boundaries and with missing
    values; and the probability is the model's own."""
    from kefu.analytics.mining import FEATURES, contributing_factors

    _sim, run = churn_run
    model = run.model
    X = run.features.select(FEATURES).to_numpy().astype(np.float64)
    candidates = [FEATURES.index(r["feature"]) for r in model.importance[:4]]
    rng = np.random.default_rng(3)
    for index in candidates[:2]:  # NaN takes the missing-value branch of each split
        X[rng.choice(X.shape[0], 40, replace=False), index] = np.nan
    fast = contributing_factors(model, X, chunk=997)
    slow = contributing_factors(model, X, brute_force=True)
    threaded = contributing_factors(model, X, chunk=500, threads=2)  # chunks on 2 threads
    for a, b in zip(fast, threaded, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(fast[0], model.predict(X), rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast[0], slow[0], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(fast[1], slow[1])
    np.testing.assert_allclose(fast[2], slow[2], rtol=0, atol=1e-12)
    assert fast[1].shape == (X.shape[0], 3)
    assert np.count_nonzero(fast[2] > 0.01) > X.shape[0] // 10  # real effects, not all zero
    # the definition by hand for a few customers: their first factor's drop
    for row in rng.choice(X.shape[0], 5, replace=False):
        feature = fast[1][row, 0]
        changed = X[row : row + 1].copy()
        changed[0, feature] = model.reference[feature]
        expected = model.predict(X[row : row + 1])[0] - model.predict(changed)[0]
        assert fast[2][row, 0] == pytest.approx(expected, abs=1e-12)


def test_tree_walk_skips_leaves_the_median_does_not_leave(churn_run):
    """The saving is real: in some tree, for every candidate, some leaves are kept at the
    median (their customers are not walked again)."""
    from kefu.analytics.mining import FEATURES
    from kefu.analytics.mining.churn import _tree_plan

    _sim, run = churn_run
    hgb = run.model.model
    candidates = [FEATURES.index(r["feature"]) for r in run.model.importance[:4]]
    median_bins = hgb._bin_mapper.transform(run.model.reference.reshape(1, -1))[0]
    plan = _tree_plan(hgb, candidates, median_bins)
    assert plan is not None and len(plan) == hgb.n_iter_
    for column in range(len(candidates)):
        bit = 1 << column
        kept = [
            np.count_nonzero((t.moving[t.predictor.nodes["is_leaf"] == 1] & bit) == 0) for t in plan
        ]
        assert sum(kept) > 0
    assert any(t.moves for t in plan)


def test_factors_of_another_model_use_the_definition(churn_run):
    """A model without trees (the logistic baseline) falls back to re-prediction."""
    from dataclasses import replace

    from kefu.analytics.mining import FEATURES, contributing_factors

    _sim, run = churn_run
    logistic = replace(run.model, model=run.model.baseline)
    X = run.features.select(FEATURES).to_numpy().astype(np.float64)[:300]
    probability, factors, effects = contributing_factors(logistic, X)
    np.testing.assert_allclose(probability, run.model.baseline.predict_proba(X)[:, 1])
    assert factors.shape == (300, 3) and np.all(effects[:, 0] >= effects[:, 1])


def test_dense_and_sparse_customer_ids_give_the_same_features():
    """The lookup-table fast path (dense ids) and the binary search (sparse ids) agree."""
    sim = simulate_churn(400, seed=5)
    ev = sim.events
    dense = churn_features(sim.customer_ids, ev, cutoff=sim.end, tiers=sim.tiers)
    scale = 10_000  # ids far apart: the binary-search path

    def spread(a):
        return np.asarray(a) * scale

    sparse_events = EventLog(
        purchase_customer=spread(ev.purchase_customer),
        purchase_seconds=ev.purchase_seconds,
        purchase_amount=ev.purchase_amount,
        ticket_customer=spread(ev.ticket_customer),
        ticket_seconds=ev.ticket_seconds,
        ticket_is_complaint=ev.ticket_is_complaint,
        ticket_is_repeat=ev.ticket_is_repeat,
        ticket_sla_breached=ev.ticket_sla_breached,
        compensation_customer=spread(ev.compensation_customer),
        compensation_seconds=ev.compensation_seconds,
        compensation_amount=ev.compensation_amount,
        survey_customer=spread(ev.survey_customer),
        survey_seconds=ev.survey_seconds,
        survey_csat=ev.survey_csat,
        survey_nps=ev.survey_nps,
    )
    sparse = churn_features(
        spread(sim.customer_ids), sparse_events, cutoff=sim.end, tiers=sim.tiers
    )
    # P(alive) comes from a fit whose row order is a hash group-by's: equal to rounding
    exact = [c for c in dense.columns if c not in ("customer_id", "prob_alive")]
    assert dense.select(exact).equals(sparse.select(exact))
    np.testing.assert_allclose(dense["prob_alive"], sparse["prob_alive"], rtol=1e-9, atol=1e-12)
    assert dense["complaints_365d"].sum() > 0 and dense["prob_alive"].max() > 0
    # events of customers outside the list are ignored on both paths
    extra = EventLog(
        purchase_customer=np.array([0, 10**9], dtype=np.int64),
        purchase_seconds=np.array([sim.end - DAY, sim.end - DAY]),
        purchase_amount=np.array([5.0, 5.0]),
    )
    assert churn_features(sim.customer_ids, extra, cutoff=sim.end)["frequency"].sum() == 0
