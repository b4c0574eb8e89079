"""Churn features per customer at a cut-off instant (M45): purchases (recency, frequency,
monetary trend, BG/NBD probability alive), service history (complaints, repeat complaints,
SLA breaches, compensation, CSAT/NPS), tenure and tier. Pure numpy/polars, no Django.

Times are epoch seconds; money is in any unit (the loaders give integer minor units). Only
events strictly before the cut-off are used, so features at an earlier cut-off with labels from
the following horizon give an honest time-based split.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from kefu.analytics.bgnbd import fit_bgnbd

DAY = 86_400
WEEK = 7 * DAY

FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "frequency_90d",
    "monetary_90d",
    "monetary_trend",
    "average_order_value",
    "prob_alive",
    "tickets_365d",
    "complaints_365d",
    "repeat_complaints_365d",
    "sla_breaches_365d",
    "compensation_365d",
    "csat_mean",
    "nps_mean",
    "has_survey",
    "tenure_days",
    "tier_rank",
)
TIER_RANK = {"A": 4.0, "B": 3.0, "C": 2.0, "D": 1.0}


@dataclass
class EventLog:
    """The raw columns the features are computed from (one array per column, equal lengths
    within a group). Empty arrays are fine."""

    purchase_customer: np.ndarray
    purchase_seconds: np.ndarray
    purchase_amount: np.ndarray
    ticket_customer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ticket_seconds: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ticket_is_complaint: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    ticket_is_repeat: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    ticket_sla_breached: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    compensation_customer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    compensation_seconds: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    compensation_amount: np.ndarray = field(default_factory=lambda: np.zeros(0, float))
    survey_customer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    survey_seconds: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    survey_csat: np.ndarray = field(default_factory=lambda: np.zeros(0, float))  # 1–5 or NaN
    survey_nps: np.ndarray = field(default_factory=lambda: np.zeros(0, float))  # 0–10 or NaN


def _index(customer_ids: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of each owner in the sorted `customer_ids`, and a mask of known owners.

    Database ids are nearly dense, so a lookup table over [min id, max id] (one gather per
    event) replaces the binary search when it is at most four times the number of customers:
    a binary search of tens of millions of unsorted events was half of the feature time."""
    owners = np.asarray(owners, dtype=np.int64)
    n = customer_ids.size
    if n == 0:
        return np.zeros(owners.size, np.int64), np.zeros(owners.size, bool)
    low, high = int(customer_ids[0]), int(customer_ids[-1])
    if high - low < 4 * n + 1024:
        # slot 0 and the last slot (-1) catch the owners below and above the customer ids
        table = np.full(high - low + 3, -1, dtype=np.int64)
        table[customer_ids - (low - 1)] = np.arange(n, dtype=np.int64)
        # in place (mode="clip" clamps to the catch slots): every fresh array of tens of
        # millions of events costs page faults, on a busy machine as much as the work itself
        slot = owners - (low - 1)
        position = np.take(table, slot, mode="clip", out=slot)
        known = position >= 0
        np.maximum(position, 0, out=position)
        return position, known
    position = np.searchsorted(customer_ids, owners)
    position = np.clip(position, 0, n - 1)
    return position, customer_ids[position] == owners


def _per_customer(n: int, position: np.ndarray, mask: np.ndarray, weights=None) -> np.ndarray:
    w = None if weights is None else np.asarray(weights, dtype=np.float64)[mask]
    return np.bincount(position[mask], weights=w, minlength=n).astype(np.float64, copy=False)


def _count(n: int, position: np.ndarray) -> np.ndarray:
    return np.bincount(position, minlength=n).astype(np.float64)


def _mean_per_customer(n: int, position: np.ndarray, mask: np.ndarray, values) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    mask = mask & ~np.isnan(values)
    total = _per_customer(n, position, mask, values)
    count = _per_customer(n, position, mask)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def churn_features(
    customer_ids,
    events: EventLog,
    *,
    cutoff: int,
    first_seen=None,
    tiers=None,
    window_days: int = 90,
    threads: int | None = 1,
) -> pl.DataFrame:
    """One row per customer (sorted by id) with the FEATURES columns at `cutoff`, plus
    `purchases_before` (lifetime purchase count). Probability alive is Fader–Hardie–Lee (2005)
    BG/NBD fitted on weekly buckets of the purchases before the cut-off.

    `threads` caps BLAS threads: the BG/NBD fit makes many small vector products, which
    oversubscribed BLAS threads on a busy machine made 5–10 times slower."""
    with threadpool_limits(limits=threads):
        return _churn_features(customer_ids, events, cutoff, first_seen, tiers, window_days)


def _churn_features(customer_ids, events, cutoff, first_seen, tiers, window_days):
    ids = np.asarray(customer_ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    n = ids.size
    window = window_days * DAY
    year = 365 * DAY

    # --- purchases: the ones before the cut-off are selected once, then summed by window
    pos, known = _index(ids, events.purchase_customer)
    seconds = np.asarray(events.purchase_seconds, dtype=np.int64)
    amount = np.asarray(events.purchase_amount, dtype=np.float64)
    before = known & (seconds < cutoff)
    if not before.all():
        pos, seconds, amount = pos[before], seconds[before], amount[before]
    age = cutoff - seconds  # seconds before the cut-off, ≥ 1
    count = _count(n, pos)
    recent = age <= window
    previous = (age > window) & (age <= 2 * window)
    recent_pos = pos[recent]
    frequency_recent = _count(n, recent_pos)
    monetary_recent = np.bincount(recent_pos, weights=amount[recent], minlength=n)
    monetary_previous = np.bincount(pos[previous], weights=amount[previous], minlength=n)
    spend = np.bincount(pos, weights=amount, minlength=n)
    last = np.full(n, np.iinfo(np.int64).min)
    first = np.full(n, np.iinfo(np.int64).max)
    np.maximum.at(last, pos, seconds)
    np.minimum.at(first, pos, seconds)

    seen = first.astype(np.float64)
    if first_seen is not None:
        seen = np.minimum(np.asarray(first_seen, dtype=np.float64)[order], seen)
    tenure_days = np.clip((cutoff - np.where(np.isfinite(seen), seen, cutoff)) / DAY, 0, None)
    has_purchase = count > 0
    recency_days = np.where(has_purchase, (cutoff - last) / DAY, tenure_days)

    # the weeks overwrite `age` and the bitmap keys `pos`: neither is used after this
    week = np.floor_divide(age, WEEK, out=age)
    prob_alive = _prob_alive(pos, week, n, cutoff, has_purchase, first, last)

    # --- service history in the last year (selected once)
    tpos, tknown = _index(ids, events.ticket_customer)
    tsec = np.asarray(events.ticket_seconds, dtype=np.int64)
    in_year = tknown & (tsec < cutoff) & (tsec >= cutoff - year)
    tpos = tpos[in_year]
    complaint = np.asarray(events.ticket_is_complaint, dtype=bool)[in_year]
    repeat = np.asarray(events.ticket_is_repeat, dtype=bool)[in_year]
    breached = np.asarray(events.ticket_sla_breached, dtype=bool)[in_year]
    cpos, cknown = _index(ids, events.compensation_customer)
    csec = np.asarray(events.compensation_seconds, dtype=np.int64)
    comp_year = cknown & (csec < cutoff) & (csec >= cutoff - year)
    spos, sknown = _index(ids, events.survey_customer)
    ssec = np.asarray(events.survey_seconds, dtype=np.int64)
    survey_before = sknown & (ssec < cutoff)
    csat_mean = _mean_per_customer(n, spos, survey_before, events.survey_csat)
    nps_mean = _mean_per_customer(n, spos, survey_before, events.survey_nps)
    has_survey = ~(np.isnan(csat_mean) & np.isnan(nps_mean))
    # Unknown satisfaction takes the population's mean; `has_survey` keeps the difference.
    csat_fill = np.nanmean(csat_mean) if np.any(~np.isnan(csat_mean)) else 4.0
    nps_fill = np.nanmean(nps_mean) if np.any(~np.isnan(nps_mean)) else 7.0

    tier_rank = np.zeros(n)
    if tiers is not None:
        tier_values = np.asarray(tiers, dtype=object)[order]
        for name, rank in TIER_RANK.items():
            tier_rank[tier_values == name] = rank

    with np.errstate(invalid="ignore", divide="ignore"):
        trend = (monetary_recent - monetary_previous) / (monetary_recent + monetary_previous + 1.0)
        average_order = np.where(count > 0, spend / np.maximum(count, 1), 0.0)
    return pl.DataFrame(
        {
            "customer_id": ids,
            "recency_days": recency_days,
            "frequency": count,
            "frequency_90d": frequency_recent,
            "monetary_90d": monetary_recent,
            "monetary_trend": trend,
            "average_order_value": average_order,
            "prob_alive": prob_alive,
            "tickets_365d": _count(n, tpos),
            "complaints_365d": _count(n, tpos[complaint]),
            "repeat_complaints_365d": _count(n, tpos[complaint & repeat]),
            "sla_breaches_365d": _count(n, tpos[breached]),
            "compensation_365d": _per_customer(n, cpos, comp_year, events.compensation_amount),
            "csat_mean": np.where(np.isnan(csat_mean), csat_fill, csat_mean),
            "nps_mean": np.where(np.isnan(nps_mean), nps_fill, nps_mean),
            "has_survey": has_survey.astype(np.float64),
            "tenure_days": tenure_days,
            "tier_rank": tier_rank,
            "purchases_before": count.astype(np.int64),
        }
    )


def _prob_alive(
    position: np.ndarray,
    week: np.ndarray,
    n: int,
    cutoff: int,
    has_purchase: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
) -> np.ndarray:
    """BG/NBD P(alive) per customer from weekly buckets (0 purchases → NaN replaced by 0).
    `position`/`week`: the purchases before the cut-off (customer row, whole weeks before it;
    `position` is overwritten); `first`/`last`: each customer's first and last purchase second
    before the cut-off."""
    result = np.zeros(n)
    if not np.any(has_purchase):
        return result
    c = np.flatnonzero(has_purchase)
    first_age = ((cutoff - first[c]) // WEEK).astype(np.float64)
    last_age = ((cutoff - last[c]) // WEEK).astype(np.float64)
    x = _distinct_weeks(position, week, n)[c] - 1.0
    T = first_age + 1.0  # weeks from the first purchase's week to the cut-off
    t_x = np.where(x > 0, first_age - last_age, 0.0)
    try:
        model = fit_bgnbd(x, t_x, T)
        result[c] = model.prob_alive(x, t_x, T)
    except (ValueError, FloatingPointError):  # degenerate data: fall back to "alive"
        result[c] = 1.0
    return np.nan_to_num(result, nan=0.0)


def _distinct_weeks(position: np.ndarray, week: np.ndarray, n: int) -> np.ndarray:
    """Number of distinct weeks with a purchase, per customer: a customer × week bitmap when
    it fits in 256 MB, else a sort of the (customer, week) keys. Overwrites `position`."""
    if position.size == 0:
        return np.zeros(n)
    span = int(week.max()) + 1
    key = np.multiply(position, span, out=position)
    key += week
    if n * span <= 256 * 2**20:
        seen = np.zeros(n * span, dtype=bool)
        seen[key] = True
        return seen.reshape(n, span).sum(axis=1, dtype=np.int64).astype(np.float64)
    unique = np.unique(key)
    return np.bincount(unique // span, minlength=n).astype(np.float64)


def churn_labels(
    customer_ids, purchase_customer, purchase_seconds, *, cutoff: int, horizon_days: int
) -> np.ndarray:
    """1 where the customer (sorted ids) made no purchase in [cutoff, cutoff + horizon)."""
    ids = np.sort(np.asarray(customer_ids, dtype=np.int64))
    pos, known = _index(ids, purchase_customer)
    seconds = np.asarray(purchase_seconds, dtype=np.int64)
    after = known & (seconds >= cutoff) & (seconds < cutoff + horizon_days * DAY)
    return (_per_customer(ids.size, pos, after) == 0).astype(np.int8)
