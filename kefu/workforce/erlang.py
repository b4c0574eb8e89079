"""Erlang B and Erlang C staffing formulas for an M/M/N queue (no abandonment).

All functions accept numpy arrays (or anything array-like) and broadcast. Traffic ``A`` is the
offered load in Erlangs (arrival rate × mean handling time); ``agents`` ``N`` is an integer count.
Where the queue is unstable (N ≤ A) the results are the limits: C = 1, SL = 0, ASA = inf.

References: A. K. Erlang (1917), "Solution of some problems in the theory of probabilities of
significance in automatic telephone exchanges"; R. B. Cooper, "Introduction to Queueing Theory",
2nd ed. (1981), §2.4–2.5 and §4.3; G. Koole, "Call Center Optimization" (2013), ch. 5.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = [
    "average_speed_of_answer",
    "erlang_b",
    "erlang_c",
    "occupancy",
    "required_agents",
    "schedule_requirement",
    "service_level",
    "traffic_erlangs",
]

# Tolerance used when an exact integer ratio (e.g. 10 / 0.8 = 12.5, 12 / 0.8) comes out of float
# arithmetic a hair above the integer, so ceil() would add a whole agent.
_CEIL_EPSILON = 1e-9


def _(message: str) -> str:
    return message


def traffic_erlangs(volume: ArrayLike, interval_s: ArrayLike, aht_s: ArrayLike) -> NDArray:
    """Offered load A = volume × AHT / interval length, in Erlangs (Cooper 1981, §1.3)."""
    return np.asarray(volume, dtype=float) * np.asarray(aht_s, dtype=float) / interval_s


def _log_erlang_b(traffic: NDArray, agents: NDArray) -> NDArray:
    """log B(A, N) = log Poisson pmf(N; A) − log Poisson cdf(N; A); exact for large N.

    Uses B(A, N) = P(X = N) / P(X ≤ N) for X ~ Poisson(A) (Cooper 1981, eq. 2.4.3); the cdf is
    scipy's regularised upper incomplete gamma ``pdtr`` so no factorial is ever formed.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = agents * np.log(traffic) - traffic - special.gammaln(agents + 1.0)
        log_pmf = np.where(traffic > 0, log_pmf, np.where(agents == 0, 0.0, -np.inf))
        cdf = special.pdtr(agents, traffic)
        log_b = log_pmf - np.log(cdf)
    underflow = (cdf <= 1e-280) & (traffic > 0)
    if np.any(underflow):
        # Heavily overloaded (N ≪ A): the Poisson cdf underflows, so use the stable recursion
        # B(A, n) = A·B(A, n−1) / (n + A·B(A, n−1)) (Cooper 1981, eq. 2.4.5) for those cases only.
        log_b = np.where(underflow, np.log(_erlang_b_recursion(traffic, agents, underflow)), log_b)
    return log_b


def _erlang_b_recursion(traffic: NDArray, agents: NDArray, mask: NDArray) -> NDArray:
    traffic_m = traffic[mask]
    agents_m = agents[mask]
    blocking = np.ones_like(traffic_m)
    for n in range(1, int(agents_m.max()) + 1):
        active = agents_m >= n
        step = traffic_m * blocking / (n + traffic_m * blocking)
        blocking = np.where(active, step, blocking)
    out = np.ones_like(traffic)
    out[mask] = blocking
    return out


def _prepare(traffic: ArrayLike, agents: ArrayLike) -> tuple[NDArray, NDArray]:
    traffic_a = np.asarray(traffic, dtype=float)
    agents_a = np.asarray(agents, dtype=float)
    if np.any(traffic_a < 0):
        raise ValueError(_("Traffic must not be negative."))
    if np.any(agents_a < 0) or np.any(agents_a != np.floor(agents_a)):
        raise ValueError(_("The number of agents must be a non-negative whole number."))
    return np.broadcast_arrays(traffic_a, agents_a)


def erlang_b(traffic: ArrayLike, agents: ArrayLike) -> NDArray:
    """Blocking probability of an M/M/N/N loss system, Erlang B (Erlang 1917; Cooper §2.4)."""
    traffic_a, agents_a = _prepare(traffic, agents)
    return np.exp(_log_erlang_b(traffic_a, agents_a))


def erlang_c(traffic: ArrayLike, agents: ArrayLike) -> NDArray:
    """Probability of waiting P(W > 0) in M/M/N, Erlang C = N·B / (N − A(1 − B)) (Cooper §2.5).

    Returns 1 where N ≤ A (unstable queue: every contact waits).
    """
    traffic_a, agents_a = _prepare(traffic, agents)
    blocking = np.exp(_log_erlang_b(traffic_a, agents_a))
    stable = agents_a > traffic_a
    with np.errstate(divide="ignore", invalid="ignore"):
        waiting = agents_a * blocking / (agents_a - traffic_a * (1.0 - blocking))
    waiting = np.where(stable, np.clip(waiting, 0.0, 1.0), 1.0)
    return np.where(traffic_a == 0, 0.0, waiting)


def service_level(
    traffic: ArrayLike, agents: ArrayLike, aht_s: ArrayLike, answer_s: ArrayLike
) -> NDArray:
    """P(answered within t) = 1 − C·exp(−(N − A)·t / AHT) for M/M/N (Cooper §2.5; Koole ch. 5)."""
    traffic_a, agents_a = _prepare(traffic, agents)
    waiting = erlang_c(traffic_a, agents_a)
    headroom = np.maximum(agents_a - traffic_a, 0.0)
    level = 1.0 - waiting * np.exp(-headroom * np.asarray(answer_s, dtype=float) / aht_s)
    return np.where(agents_a > traffic_a, level, np.where(traffic_a == 0, 1.0, 0.0))


def average_speed_of_answer(traffic: ArrayLike, agents: ArrayLike, aht_s: ArrayLike) -> NDArray:
    """Mean wait in queue ASA = C·AHT / (N − A) seconds, inf where N ≤ A (Cooper §2.5)."""
    traffic_a, agents_a = _prepare(traffic, agents)
    waiting = erlang_c(traffic_a, agents_a)
    stable = agents_a > traffic_a
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = waiting * np.asarray(aht_s, dtype=float) / (agents_a - traffic_a)
    return np.where(stable, asa, np.where(traffic_a == 0, 0.0, np.inf))


def occupancy(traffic: ArrayLike, agents: ArrayLike) -> NDArray:
    """Agent occupancy A / N, capped at 1 (the agents cannot be busier than all the time)."""
    traffic_a, agents_a = _prepare(traffic, agents)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = traffic_a / agents_a
    return np.where(agents_a > 0, np.minimum(ratio, 1.0), np.where(traffic_a > 0, 1.0, 0.0))


def _meets_targets(
    traffic: NDArray,
    agents: NDArray,
    aht_s: NDArray,
    target_service_level: NDArray,
    answer_s: NDArray,
    max_asa_s: NDArray | None,
) -> NDArray:
    ok = service_level(traffic, agents, aht_s, answer_s) >= target_service_level
    if max_asa_s is not None:
        ok &= average_speed_of_answer(traffic, agents, aht_s) <= max_asa_s
    return ok


def required_agents(
    volume: ArrayLike,
    interval_s: ArrayLike,
    aht_s: ArrayLike,
    target_service_level: ArrayLike,
    answer_s: ArrayLike,
    max_occupancy: ArrayLike | None = None,
    max_asa_s: ArrayLike | None = None,
) -> NDArray:
    """Smallest integer N with SL ≥ target (and occupancy ≤ max, ASA ≤ max) under Erlang C.

    Traffic A = volume·aht_s/interval_s. Vectorised galloping then bisection search upward from
    the smallest stable N = ⌊A⌋ + 1 (Koole 2013, §5.2); returns 0 where the volume is 0.
    """
    volume_a, interval_a, aht_a, target_a, answer_a = np.broadcast_arrays(
        *(
            np.asarray(x, dtype=float)
            for x in (volume, interval_s, aht_s, target_service_level, answer_s)
        )
    )
    if np.any(interval_a <= 0) or np.any(aht_a <= 0):
        raise ValueError(_("Interval length and handling time must be positive."))
    if np.any((target_a < 0) | (target_a >= 1)):
        raise ValueError(_("The service-level target must be at least 0 and below 1."))
    if np.any(answer_a < 0):
        raise ValueError(_("The answer-time target must not be negative."))
    traffic = traffic_erlangs(volume_a, interval_a, aht_a)
    lower = np.floor(traffic) + 1.0
    if max_occupancy is not None:
        occupancy_cap = np.broadcast_to(np.asarray(max_occupancy, dtype=float), traffic.shape)
        if np.any((occupancy_cap <= 0) | (occupancy_cap > 1)):
            raise ValueError(_("The maximum occupancy must be above 0 and at most 1."))
        lower = np.maximum(lower, np.ceil(traffic / occupancy_cap - _CEIL_EPSILON))
    asa_cap = None
    if max_asa_s is not None:
        asa_cap = np.broadcast_to(np.asarray(max_asa_s, dtype=float), traffic.shape)
        if np.any(asa_cap <= 0):
            raise ValueError(_("The maximum average speed of answer must be positive."))

    traffic_f, aht_f, target_f, answer_f = (x.ravel() for x in (traffic, aht_a, target_a, answer_a))
    asa_f = None if asa_cap is None else asa_cap.ravel()

    def meets(agents: NDArray, index: NDArray) -> NDArray:
        return _meets_targets(
            traffic_f[index],
            agents,
            aht_f[index],
            target_f[index],
            answer_f[index],
            None if asa_f is None else asa_f[index],
        )

    flat = lower.ravel()
    result = flat.copy()
    everything = np.arange(flat.size)
    pending = everything[~meets(flat, everything)]
    # Gallop: `low` fails the targets; the step doubles until `low + step` meets them.
    low_parts, high_parts, index_parts = [], [], []
    searching, low, step = pending, flat[pending], np.ones(pending.size)
    while searching.size:
        candidate = low + step
        ok = meets(candidate, searching)
        low_parts.append(low[ok])
        high_parts.append(candidate[ok])
        index_parts.append(searching[ok])
        searching, low, step = searching[~ok], candidate[~ok], step[~ok] * 2.0
    found_index = np.concatenate(index_parts) if index_parts else pending
    low = np.concatenate(low_parts) if low_parts else np.empty(0)
    high = np.concatenate(high_parts) if high_parts else np.empty(0)
    # Bisect: `low` always fails and `high` always meets the targets.
    while np.any(high - low > 1):
        gap = high - low > 1
        mid = np.floor((low + high) / 2.0)
        ok = meets(mid, found_index)
        high = np.where(gap & ok, mid, high)
        low = np.where(gap & ~ok, mid, low)
    result[found_index] = high
    result = result.reshape(lower.shape)
    return np.where(volume_a <= 0, 0, result).astype(np.int64)


def schedule_requirement(required: ArrayLike, shrinkage: ArrayLike) -> NDArray:
    """Agents to schedule = ⌈required / (1 − shrinkage)⌉ (Koole 2013, §5.6 on shrinkage)."""
    shrinkage_a = np.asarray(shrinkage, dtype=float)
    if np.any((shrinkage_a < 0) | (shrinkage_a >= 1)):
        raise ValueError(_("Shrinkage must be at least 0 and below 1."))
    scheduled = np.asarray(required, dtype=float) / (1.0 - shrinkage_a)
    return np.ceil(scheduled - _CEIL_EPSILON).astype(np.int64)
