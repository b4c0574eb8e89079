"""Synthetic transaction logs drawn from the BG/NBD purchase process (Fader, Hardie & Lee 2005)
with Gamma-Gamma spend (Fader & Hardie 2013), for benchmarks and parameter-recovery tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

SECONDS_PER_WEEK = 7 * 86_400


@dataclass(frozen=True)
class SimulatedCustomers:
    """Transaction log plus the per-customer truth it was drawn from."""

    transactions: pl.DataFrame  # customer_id, date (to the second), amount
    observation_end: np.datetime64
    purchase_rate: np.ndarray  # λ per week
    dropout_probability: np.ndarray  # p
    alive_at_end: np.ndarray


def simulate_bgnbd_transactions(
    n_customers: int,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    p: float,
    q: float,
    v: float,
    acquisition_weeks: float = 52.0,
    observation_weeks: float = 104.0,
    start: str = "2024-01-01",
    seed: int = 0,
) -> SimulatedCustomers:
    """Draw λ ~ Gamma(r, rate α) per week and p ~ Beta(a, b) per customer; each customer buys at
    a uniform time in the first `acquisition_weeks`, then repeats as a Poisson(λ) process and
    drops out after each repeat with probability p (FHL 2005 §3). Spend per purchase is
    Gamma(p, rate ν) with ν ~ Gamma(q, rate v).

    Vectorised: the first K of N Poisson arrivals on [0, τ] are uniform order statistics,
    drawn as partial sums of K exponentials over (that sum + Gamma(N + 1 − K)).
    """
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1.0 / alpha, n_customers)
    dropout = rng.beta(a, b, n_customers)
    birth = rng.uniform(0.0, acquisition_weeks, n_customers)
    exposure = observation_weeks - birth
    repeats_before_dropout = rng.geometric(dropout)
    arrivals_in_window = rng.poisson(rate * exposure)
    repeats = np.minimum(repeats_before_dropout, arrivals_in_window)
    alive_at_end = repeats_before_dropout > arrivals_in_window

    total_repeats = int(repeats.sum())
    owner = np.repeat(np.arange(n_customers), repeats)
    partial_sums = np.cumsum(rng.standard_exponential(total_repeats))
    segment_end = np.cumsum(repeats)
    segment_start = segment_end - repeats
    before_segment = np.concatenate([[0.0], partial_sums])[segment_start]
    partial_sums -= before_segment[owner]
    segment_sum = np.zeros(n_customers)
    has_repeats = repeats > 0
    segment_sum[has_repeats] = partial_sums[segment_end[has_repeats] - 1]
    remainder = rng.gamma(arrivals_in_window - repeats + 1.0)
    repeat_weeks = birth[owner] + exposure[owner] * partial_sums / (segment_sum + remainder)[owner]

    customer = np.concatenate([np.arange(n_customers), owner])
    weeks = np.concatenate([birth, repeat_weeks])
    spend_rate = rng.gamma(q, 1.0 / v, n_customers)
    amount = rng.gamma(p, 1.0 / spend_rate[customer])
    origin = np.datetime64(start, "s")
    offsets = np.round(weeks * SECONDS_PER_WEEK).astype("timedelta64[s]")
    dates = (origin + offsets).astype("datetime64[ms]")
    transactions = pl.DataFrame({"customer_id": customer, "date": dates, "amount": amount})
    observation_end = origin + np.timedelta64(round(observation_weeks * SECONDS_PER_WEEK), "s")
    return SimulatedCustomers(transactions, observation_end, rate, dropout, alive_at_end)
