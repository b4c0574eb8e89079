"""Erlang A: the M/M/N+M queue, where waiting contacts abandon after an exponential patience.

Closed forms (probability of waiting, of abandoning, mean wait) follow Garnett, Mandelbaum &
Reiman, "Designing a call center with impatient customers", MSOM 4(3), 2002, §3, with the
incomplete-gamma function as in Mandelbaum & Zeltyn's "4CallCenters" notes. Service level and the
answered contacts' ASA come from the birth–death chain (Palm 1943) truncated where the remaining
probability is below 1e-16, which is also the independent check of the closed forms.

Arguments broadcast like ``kefu.workforce.erlang``: traffic A in Erlangs, agents N, mean handling
time ``aht_s`` and mean patience ``patience_s`` (θ⁻¹) in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse, special
from scipy.sparse.linalg import expm_multiply

from kefu.workforce import erlang

__all__ = [
    "BirthDeathMeasures",
    "abandonment_probability",
    "average_speed_of_answer",
    "average_wait",
    "birth_death_measures",
    "required_agents",
    "service_level",
    "wait_probability",
]


def _(message: str) -> str:
    return message


def _log_a_function(x: NDArray, y: NDArray) -> NDArray:
    """log A(x, y), A(x, y) = x·e^y·y^(−x)·γ(x, y) = Σ_k y^k / ((x+1)…(x+k)) (GMR 2002, eq. 3)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = special.gammainc(x, y)
        log_a = np.log(x) + y - x * np.log(y) + special.gammaln(x) + np.log(lower)
    tiny = ~(lower > 1e-250)
    if np.any(tiny):
        # y ≪ x: the regularised gamma underflows, but the series converges geometrically.
        xs, ys = x[tiny], y[tiny]
        total = np.ones_like(xs)
        term = np.ones_like(xs)
        for k in range(1, 2000):
            term = term * ys / (xs + k)
            total += term
            if np.all(term < 1e-17 * total):
                break
        log_a = log_a.copy()
        log_a[tiny] = np.log(total)
    return log_a


def _prepare(
    traffic: ArrayLike, agents: ArrayLike, aht_s: ArrayLike, patience_s: ArrayLike
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    arrays = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (traffic, agents, aht_s, patience_s))
    )
    traffic_a, agents_a, aht_a, patience_a = (np.atleast_1d(a) for a in arrays)
    if np.any(traffic_a <= 0) or np.any(aht_a <= 0) or np.any(patience_a <= 0):
        raise ValueError(_("Traffic, handling time and patience must be positive."))
    if np.any(agents_a < 1) or np.any(agents_a != np.floor(agents_a)):
        raise ValueError(_("The number of agents must be a positive whole number."))
    return traffic_a, agents_a, aht_a, patience_a


def _shape_of(*values: ArrayLike) -> tuple[int, ...]:
    return np.broadcast_shapes(*(np.shape(v) for v in values))


def wait_probability(
    traffic: ArrayLike, agents: ArrayLike, aht_s: ArrayLike, patience_s: ArrayLike
) -> NDArray:
    """P(W > 0) = A·E / (1 + (A − 1)·E), E = Erlang B(N, A) (Garnett et al. 2002, eq. 3.2).

    An infinite patience gives Erlang C.
    """
    shape = _shape_of(traffic, agents, aht_s, patience_s)
    traffic_a, agents_a, aht_a, patience_a = _prepare(traffic, agents, aht_s, patience_s)
    finite = np.isfinite(patience_a)
    blocking = erlang.erlang_b(traffic_a, agents_a)
    patient = np.where(finite, patience_a, 1.0)
    a_value = np.exp(_log_a_function(agents_a * patient / aht_a, traffic_a * patient / aht_a))
    with np.errstate(invalid="ignore"):
        waiting = a_value * blocking / (1.0 + (a_value - 1.0) * blocking)
    waiting = np.where(np.isinf(a_value), 1.0, waiting)
    result = np.where(finite, waiting, erlang.erlang_c(traffic_a, agents_a))
    return result.reshape(shape)


def abandonment_probability(
    traffic: ArrayLike, agents: ArrayLike, aht_s: ArrayLike, patience_s: ArrayLike
) -> NDArray:
    """P(Ab) = P(W > 0)·(1/(ρ·A(x, y)) + 1 − 1/ρ), ρ = A/N (Garnett et al. 2002, eq. 3.3)."""
    shape = _shape_of(traffic, agents, aht_s, patience_s)
    traffic_a, agents_a, aht_a, patience_a = _prepare(traffic, agents, aht_s, patience_s)
    finite = np.isfinite(patience_a)
    patient = np.where(finite, patience_a, 1.0)
    log_a = _log_a_function(agents_a * patient / aht_a, traffic_a * patient / aht_a)
    rho = traffic_a / agents_a
    given_wait = np.exp(-np.log(rho) - log_a) + 1.0 - 1.0 / rho
    waiting = wait_probability(traffic_a, agents_a, aht_a, patience_a)
    result = np.where(finite, np.clip(given_wait, 0.0, 1.0) * waiting, 0.0)
    return result.reshape(shape)


def average_wait(
    traffic: ArrayLike, agents: ArrayLike, aht_s: ArrayLike, patience_s: ArrayLike
) -> NDArray:
    """Mean time in queue over all contacts, answered or abandoned: E[W] = P(Ab)/θ.

    Little's law on the abandonment flow θ·E[Q] = λ·P(Ab) (Garnett et al. 2002, §3).
    """
    return abandonment_probability(traffic, agents, aht_s, patience_s) * np.asarray(
        patience_s, dtype=float
    )


@dataclass(frozen=True)
class BirthDeathMeasures:
    """Measures of one M/M/N+M case from its truncated birth–death chain."""

    wait_probability: float
    abandonment_probability: float
    average_wait_s: float
    average_speed_of_answer_s: float
    service_level: float
    states: int


def birth_death_measures(
    traffic: float, agents: int, aht_s: float, patience_s: float, answer_s: float = 20.0
) -> BirthDeathMeasures:
    """Solve M/M/N+M as a birth–death chain (Palm 1943; Koole 2013, §4.4) truncated at 1e-16.

    Service level is P(answered within t) over all contacts, via the tagged contact's pure-death
    chain (rates Nμ + (i+1)θ with i contacts ahead) and a sparse matrix exponential.
    """
    if patience_s <= 0 or not np.isfinite(patience_s):
        raise ValueError(_("Patience must be a positive, finite number of seconds."))
    arrival = traffic / aht_s
    service_rate = 1.0 / aht_s
    abandon_rate = 1.0 / patience_s
    capacity = agents * service_rate
    # Past this many waiting contacts the chain's ratios λ/(Nμ + jθ) fall well below 1.
    queue_cap = int(
        max(0.0, (arrival - capacity) / abandon_rate)
        + 14 * np.sqrt(arrival / abandon_rate + 1.0)
        + 60
    )
    busy = np.arange(1, agents + queue_cap + 1, dtype=float)
    death = np.minimum(busy, agents) * service_rate + np.maximum(busy - agents, 0) * abandon_rate
    log_weights = np.concatenate([[0.0], np.cumsum(np.log(arrival) - np.log(death))])
    weights = np.exp(log_weights - log_weights.max())
    probabilities = weights / weights.sum()
    waiting_states = probabilities[agents:]
    ahead = np.arange(waiting_states.size, dtype=float)
    wait_prob = float(waiting_states.sum())
    abandon_prob = float(abandon_rate * np.dot(ahead, waiting_states) / arrival)
    # Tagged contact finding j waiting ahead: leaves the state i at rate r_i = Nμ + (i+1)θ.
    exit_rate = capacity + (ahead + 1.0) * abandon_rate
    step_served = (capacity + ahead * abandon_rate) / exit_rate
    served_from = np.cumprod(step_served)
    wait_if_served = served_from * np.cumsum(1.0 / exit_rate)
    answered = float(probabilities[:agents].sum() + np.dot(waiting_states, served_from))
    asa = float(np.dot(waiting_states, wait_if_served) / answered)
    generator = sparse.diags(
        [np.concatenate([[0.0], -exit_rate]), exit_rate], offsets=[0, -1], format="csr"
    )
    absorbed = np.zeros(exit_rate.size + 1)
    absorbed[0] = 1.0
    reached_by_t = expm_multiply(generator * answer_s, absorbed)[1:] if answer_s > 0 else 0.0
    level = float(probabilities[:agents].sum() + np.dot(waiting_states, served_from * reached_by_t))
    return BirthDeathMeasures(
        wait_probability=wait_prob,
        abandonment_probability=abandon_prob,
        average_wait_s=abandon_prob * patience_s,
        average_speed_of_answer_s=asa,
        service_level=level,
        states=int(probabilities.size),
    )


def _per_case(field: str, *values: ArrayLike) -> NDArray:
    shape = _shape_of(*values)
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values))
    flat = [a.ravel() for a in arrays]
    out = np.array(
        [
            getattr(birth_death_measures(t, int(n), h, p, s), field)
            for t, n, h, p, s in zip(*flat, strict=True)
        ]
    )
    return out.reshape(shape)


def service_level(
    traffic: ArrayLike,
    agents: ArrayLike,
    aht_s: ArrayLike,
    patience_s: ArrayLike,
    answer_s: ArrayLike,
) -> NDArray:
    """P(answered within t) over all contacts in M/M/N+M (birth–death chain, Koole 2013 §4.4)."""
    _prepare(traffic, agents, aht_s, patience_s)
    return _per_case("service_level", traffic, agents, aht_s, patience_s, answer_s)


def average_speed_of_answer(
    traffic: ArrayLike, agents: ArrayLike, aht_s: ArrayLike, patience_s: ArrayLike
) -> NDArray:
    """Mean wait of the answered contacts, E[W | answered], in M/M/N+M (birth–death chain)."""
    _prepare(traffic, agents, aht_s, patience_s)
    return _per_case("average_speed_of_answer_s", traffic, agents, aht_s, patience_s, 0.0)


def required_agents(
    volume: float,
    interval_s: float,
    aht_s: float,
    patience_s: float,
    target_service_level: float,
    answer_s: float,
    max_abandonment: float | None = None,
) -> int:
    """Smallest N with P(answered within t) ≥ target (and P(Ab) ≤ max) in Erlang A.

    Galloping then bisection over N (service level rises with N; Garnett et al. 2002, §4).
    """
    if not 0 <= target_service_level < 1:
        raise ValueError(_("The service-level target must be at least 0 and below 1."))
    if volume <= 0:
        return 0
    traffic = volume * aht_s / interval_s

    def meets(agents: int) -> bool:
        measures = birth_death_measures(traffic, agents, aht_s, patience_s, answer_s)
        ok = measures.service_level >= target_service_level
        if max_abandonment is not None:
            ok = ok and measures.abandonment_probability <= max_abandonment
        return ok

    low, high = 0, 1
    while not meets(high):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return high
