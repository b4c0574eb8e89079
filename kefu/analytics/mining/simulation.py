"""A generated event log with a planted churn mechanism, for tests, the benchmark and demos.

Each customer has a purchase rate λ ~ Gamma(2, 1/30 per day) and a service-trouble propensity
s ~ Beta(1, 4). Tickets arrive at rate 0.02·(1 + 4s) per day; each is a complaint with
probability s and breaches its SLA with probability 0.1 + 0.5s. The customer stops buying at an
exponential time whose rate is h = 0.0005·exp(3.5·s) per day, so complaints and breaches — which
reveal s — predict churn, and so does low recency. The model must recover this signal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kefu.analytics.mining.features import DAY, EventLog


@dataclass
class SimulatedChurn:
    customer_ids: np.ndarray
    first_seen: np.ndarray
    tiers: np.ndarray
    events: EventLog
    trouble: np.ndarray  # the hidden propensity s
    death_seconds: np.ndarray
    start: int
    end: int


def _events(rng, rate_per_day, start, stop) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events on [start, stop) per customer: (owner index, epoch seconds)."""
    duration = np.clip(stop - start, 0, None)
    counts = rng.poisson(rate_per_day * duration / DAY)
    owner = np.repeat(np.arange(counts.size), counts)
    when = start[owner] + rng.random(owner.size) * duration[owner]
    order = np.argsort(when, kind="stable")
    return owner[order], when[order].astype(np.int64)


def simulate_churn(
    n: int, *, days: int = 720, seed: int = 0, start: int = 1_704_067_200
) -> SimulatedChurn:
    """`n` customers over `days` days from `start` (epoch seconds, default 2024-01-01)."""
    rng = np.random.default_rng(seed)
    end = start + days * DAY
    ids = np.arange(1, n + 1, dtype=np.int64)
    joined = start + (rng.random(n) * days * 0.4 * DAY).astype(np.int64)
    rate = rng.gamma(2.0, 1 / 30, n)
    trouble = rng.beta(1.0, 4.0, n)
    hazard = 0.0005 * np.exp(3.5 * trouble)
    death = joined + (rng.exponential(1 / hazard) * DAY).astype(np.int64)
    alive_until = np.minimum(death, end)
    p_owner, p_when = _events(rng, rate, joined, alive_until)
    amount = np.round(rng.gamma(3.0, 40.0, p_owner.size), 2)
    t_owner, t_when = _events(rng, 0.02 * (1 + 4 * trouble), joined, alive_until)
    complaint = rng.random(t_owner.size) < trouble[t_owner]
    breached = rng.random(t_owner.size) < 0.1 + 0.5 * trouble[t_owner]
    repeat = complaint & (rng.random(t_owner.size) < 0.3)
    comp_mask = complaint & (rng.random(t_owner.size) < 0.3)
    s_mask = rng.random(t_owner.size) < 0.3
    csat = np.clip(np.round(5 - 3 * trouble[t_owner[s_mask]] + rng.normal(0, 0.7, s_mask.sum())),
                   1, 5)  # fmt: skip
    tiers = np.where(rate > 0.1, "A", np.where(rate > 0.06, "B", np.where(rate > 0.03, "C", "D")))
    events = EventLog(
        purchase_customer=ids[p_owner],
        purchase_seconds=p_when,
        purchase_amount=amount,
        ticket_customer=ids[t_owner],
        ticket_seconds=t_when,
        ticket_is_complaint=complaint,
        ticket_is_repeat=repeat,
        ticket_sla_breached=breached,
        compensation_customer=ids[t_owner[comp_mask]],
        compensation_seconds=t_when[comp_mask],
        compensation_amount=np.round(rng.gamma(2.0, 50.0, comp_mask.sum()), 2),
        survey_customer=ids[t_owner[s_mask]],
        survey_seconds=t_when[s_mask],
        survey_csat=csat.astype(np.float64),
        survey_nps=np.clip(2 * csat, 0, 10).astype(np.float64),
    )
    return SimulatedChurn(
        customer_ids=ids,
        first_seen=joined,
        tiers=tiers.astype(object),
        events=events,
        trouble=trouble,
        death_seconds=death,
        start=start,
        end=end,
    )
