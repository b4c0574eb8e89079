"""Discrete-event simulation of a multi-skill, multi-queue contact center (METHODS M28, M34).

One specialised event loop, not a process per contact: arrivals are pre-drawn and sorted, every
random variate (arrival times, handling times, patience, deflection draws) is drawn up front with
numpy, and the loop only keeps a heap of agent-free / timer / shift events and FIFO queues with
lazy removal of abandoned contacts. A single FIFO queue with one pool of agents and a fixed staff
takes a faster path, the agent-free-time recursion (Kiefer & Wolfowitz 1955), with identical
results. Statistics are then computed with numpy per interval.

References: Koole, "Call Center Optimization" (2013), ch. 6 (simulation); Law, "Simulation
Modeling and Analysis", 5th ed. (2015), ch. 9 (replications and confidence intervals).
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy import stats

from kefu.workforce.scenario import QueueSpec, Scenario

__all__ = ["SimulationResult", "replicate", "replicate_intervals", "simulate"]

_FREE, _TIMER, _JOIN, _LEAVE, _WAKE = 0, 1, 2, 3, 4
_WAITING, _SERVED, _ABANDONED = 0, 1, 2


@dataclass
class SimulationResult:
    """Per-interval table, per-queue totals and overall totals of one simulation run."""

    intervals: pl.DataFrame
    queues: pl.DataFrame
    totals: dict[str, float]


@dataclass
class _Contacts:
    arrival: NDArray
    queue: NDArray
    service: NDArray
    patience: NDArray
    deflected: NDArray


def _arrivals(queue: QueueSpec, duration_s: float, rng: np.random.Generator) -> NDArray:
    if queue.arrival_times_s is not None:
        times = np.sort(np.asarray(queue.arrival_times_s, dtype=float))
        return times[(times >= 0) & (times < duration_s)]
    periods = sorted(queue.rate_changes, key=lambda period: period.start_s)
    starts = [0.0] + [p.start_s for p in periods if 0 < p.start_s < duration_s]
    rates = [queue.rate_per_hour]
    for period in periods:
        if period.start_s <= 0:
            rates[0] = period.rate_per_hour
        elif period.start_s < duration_s:
            rates.append(period.rate_per_hour)
    edges = np.append(np.asarray(starts), duration_s)
    lengths = np.diff(edges)
    counts = rng.poisson(np.asarray(rates) / 3600.0 * lengths)
    times = np.repeat(edges[:-1], counts) + rng.random(counts.sum()) * np.repeat(lengths, counts)
    return np.sort(times)


def _handling_times(queue: QueueSpec, size: int, rng: np.random.Generator) -> NDArray:
    service = queue.service
    if service.distribution == "exponential":
        return rng.exponential(service.mean_s, size)
    if service.distribution == "lognormal":
        sigma2 = np.log1p(service.cv**2)
        return rng.lognormal(np.log(service.mean_s) - sigma2 / 2.0, np.sqrt(sigma2), size)
    return rng.choice(np.asarray(service.samples_s, dtype=float), size)


def _draw_contacts(scenario: Scenario, rng: np.random.Generator) -> _Contacts:
    parts = []
    for index, queue in enumerate(scenario.queues):
        times = _arrivals(queue, scenario.duration_s, rng)
        size = times.size
        service = _handling_times(queue, size, rng)
        if queue.patience_mean_s is None:
            patience = np.full(size, np.inf)
        else:
            patience = rng.exponential(queue.patience_mean_s, size)
        deflected = np.zeros(size, dtype=bool)
        applying = [d for d in scenario.deflections if d.queue in (None, queue.name)]
        if applying:
            draw = rng.random(size)
            for deflection in applying:
                deflected |= (times >= deflection.from_s) & (draw < deflection.fraction)
        parts.append((times, np.full(size, index), service, patience, deflected))
    if len(parts) == 1:
        return _Contacts(*parts[0])
    arrival, queue_ids, service, patience, deflected = (
        np.concatenate([part[i] for part in parts]) for i in range(5)
    )
    order = np.argsort(arrival, kind="stable")
    return _Contacts(
        arrival[order], queue_ids[order], service[order], patience[order], deflected[order]
    )


def _single_pool_path(scenario: Scenario) -> bool:
    return (
        len(scenario.queues) == 1
        and not scenario.overflow_rules
        and all(g.start_s <= 0 and g.end_s is None for g in scenario.agent_groups)
        and sum(g.count for g in scenario.agent_groups if g.skills) > 0
    )


def _run_single_pool(scenario: Scenario, contacts: _Contacts) -> tuple[NDArray, NDArray]:
    """FIFO with one agent pool: start = max(arrival, earliest free agent), lazily abandoning."""
    agents = sum(g.count for g in scenario.agent_groups if g.skills)
    free = [0.0] * agents
    heapreplace = heapq.heapreplace
    offered = np.flatnonzero(~contacts.deflected)
    arrival = contacts.arrival[offered].tolist()
    service = contacts.service[offered].tolist()
    starts: list[float] = []
    record = starts.append
    if np.all(np.isinf(contacts.patience)):
        for at, handling in zip(arrival, service, strict=True):
            begin = free[0]
            if begin < at:
                begin = at
            heapreplace(free, begin + handling)
            record(begin)
    else:
        nan = float("nan")
        patience = contacts.patience[offered].tolist()
        for at, handling, patient in zip(arrival, service, patience, strict=True):
            begin = free[0]
            if begin < at:
                begin = at
            elif begin - at >= patient:
                record(nan)
                continue
            heapreplace(free, begin + handling)
            record(begin)
    start = np.full(contacts.arrival.size, np.nan)
    start[offered] = starts
    return start, np.array([[0.0, agents]])


def _run_event_loop(scenario: Scenario, contacts: _Contacts) -> tuple[NDArray, NDArray]:
    """General multi-skill loop; returns start times (NaN = not answered) and staffing steps."""
    queue_count = len(scenario.queues)
    names = {queue.name: i for i, queue in enumerate(scenario.queues)}
    priority = [queue.priority for queue in scenario.queues]
    groups = scenario.agent_groups
    skills = [[names[s] for s in group.skills] for group in groups]
    # Specialists first, so generalists stay free for the queues only they can serve.
    order = sorted(range(len(groups)), key=lambda g: len(skills[g]))
    groups_for_queue = [[g for g in order if q in skills[g]] for q in range(queue_count)]
    rules = [
        (names[r.from_queue], names[r.to_queue], r.after_wait_s, r.active_from_s)
        for r in scenario.overflow_rules
    ]
    # Per group: (queue, min wait, active from) it may answer, own skills with no wait.
    sources = [
        [(q, 0.0, -np.inf) for q in skills[g]]
        + [(src, wait, since) for src, dst, wait, since in rules if dst in skills[g]]
        for g in range(len(groups))
    ]
    rules_from = [
        [(dst, wait, since) for src, dst, wait, since in rules if src == q]
        for q in range(queue_count)
    ]

    arrival = contacts.arrival.tolist()
    queue_of = contacts.queue.tolist()
    service = contacts.service.tolist()
    abandon_at = (contacts.arrival + contacts.patience).tolist()
    deflected = contacts.deflected.tolist()
    size = len(arrival)
    status = [_WAITING] * size
    starts = [np.nan] * size
    waiting = [deque() for _ in range(queue_count)]
    idle = [0] * len(groups)
    leaving = [0] * len(groups)
    staffing: list[tuple[float, int]] = []
    events: list[tuple[float, int, int, int]] = []
    sequence = 0
    push, pop = heapq.heappush, heapq.heappop
    for g, group in enumerate(groups):
        push(events, (group.start_s, sequence, _JOIN, g))
        sequence += 1
        if group.end_s is not None:
            push(events, (group.end_s, sequence, _LEAVE, g))
            sequence += 1
    for _src, _dst, _wait, since in rules:
        push(events, (since, sequence, _WAKE, -1))
        sequence += 1

    def next_contact(g: int, now: float) -> int:
        best, best_key = -1, None
        for q, min_wait, since in sources[g]:
            line = waiting[q]
            while line:
                head = line[0]
                if status[head] != _WAITING:
                    line.popleft()
                elif abandon_at[head] <= now:
                    status[head] = _ABANDONED
                    line.popleft()
                else:
                    break
            if line and now >= since and now - arrival[line[0]] >= min_wait:
                key = (-priority[q], arrival[line[0]])
                if best_key is None or key < best_key:
                    best, best_key = line[0], key
        return best

    def start_work(g: int, now: float) -> bool:
        nonlocal sequence
        contact = next_contact(g, now)
        if contact < 0:
            return False
        status[contact] = _SERVED
        starts[contact] = now
        push(events, (now + service[contact], sequence, _FREE, g))
        sequence += 1
        return True

    def free_agent(g: int, now: float) -> None:
        if leaving[g]:
            leaving[g] -= 1
            staffing.append((now, -1))
        elif not start_work(g, now):
            idle[g] += 1

    i = 0
    inf = float("inf")
    while i < size or events:
        next_arrival = arrival[i] if i < size else inf
        if events and events[0][0] <= next_arrival:
            now, _seq, kind, payload = pop(events)
            if kind == _FREE:
                free_agent(payload, now)
            elif kind == _TIMER:
                contact, target = divmod(payload, queue_count)
                active = any(
                    dst == target and now >= since
                    for dst, _wait, since in rules_from[queue_of[contact]]
                )
                if active and status[contact] == _WAITING and abandon_at[contact] > now:
                    for g in groups_for_queue[target]:
                        if idle[g]:
                            idle[g] -= 1
                            status[contact] = _SERVED
                            starts[contact] = now
                            push(events, (now + service[contact], sequence, _FREE, g))
                            sequence += 1
                            break
            elif kind == _JOIN:
                count = groups[payload].count
                staffing.append((now, count))
                for _agent in range(count):
                    free_agent(payload, now)
            elif kind == _LEAVE:
                count = groups[payload].count
                gone = min(idle[payload], count)
                idle[payload] -= gone
                leaving[payload] += count - gone
                staffing.append((now, -gone))
            else:  # an overflow rule became active: idle agents look again
                for g in range(len(groups)):
                    while idle[g] and start_work(g, now):
                        idle[g] -= 1
            continue
        # Next event is an arrival.
        contact = i
        i += 1
        if deflected[contact]:
            status[contact] = _ABANDONED
            continue
        now = next_arrival
        q = queue_of[contact]
        for g in groups_for_queue[q]:
            if idle[g]:
                idle[g] -= 1
                status[contact] = _SERVED
                starts[contact] = now
                push(events, (now + service[contact], sequence, _FREE, g))
                sequence += 1
                break
        else:
            waiting[q].append(contact)
            for dst, wait, _since in rules_from[q]:
                if now + wait < abandon_at[contact]:
                    push(events, (now + wait, sequence, _TIMER, contact * queue_count + dst))
                    sequence += 1
    return np.asarray(starts, dtype=float), np.asarray(staffing, dtype=float).reshape(-1, 2)


def _integral_per_interval(begin: NDArray, end: NDArray, edges: NDArray) -> NDArray:
    """Σ over segments [begin, end) of their overlap with each interval [edges[k], edges[k+1]).

    Uses F(t) = Σ_{x ≤ t} (t − x) over begin points minus the same over end points, with the
    points binned by interval (O(n), no sort); the edges must be evenly spaced from 0.
    """
    width = edges[1] - edges[0]
    bins = edges.size

    def cumulative(points: NDArray) -> NDArray:
        slot = np.minimum(np.ceil(points / width), bins).astype(np.int64)  # first edge ≥ point
        count = np.cumsum(np.bincount(slot, minlength=bins + 1))[:bins]
        total = np.cumsum(np.bincount(slot, weights=points, minlength=bins + 1))[:bins]
        return count * edges - total

    return np.diff(cumulative(begin) - cumulative(end))


def _staffed_per_interval(staffing: NDArray, edges: NDArray) -> NDArray:
    times, changes = staffing[:, 0], staffing[:, 1]
    order = np.argsort(times, kind="stable")
    times, level = times[order], np.cumsum(changes[order])
    grid = np.union1d(times, edges)
    index = np.searchsorted(times, grid, side="right") - 1
    on_grid = np.where(index >= 0, level[np.maximum(index, 0)], 0.0)
    area = np.concatenate([[0.0], np.cumsum(on_grid[:-1] * np.diff(grid))])
    return np.diff(np.interp(edges, grid, area))


def _summarise(
    scenario: Scenario, contacts: _Contacts, start: NDArray, staffing: NDArray
) -> SimulationResult:
    interval_s = scenario.interval_s
    intervals = int(np.ceil(scenario.duration_s / interval_s))
    edges = interval_s * np.arange(intervals + 1)
    arrival = contacts.arrival
    offered = ~contacts.deflected
    answered = offered & np.isfinite(start)
    wait = np.where(answered, start - arrival, 0.0)
    abandoned = offered & ~answered & np.isfinite(contacts.patience)
    left_queue = np.where(answered, start, arrival + contacts.patience)
    # Contacts never answered nor abandoning (no agent for them) wait until the horizon's end.
    left_queue = np.where(offered & ~answered & ~abandoned, edges[-1], left_queue)
    in_target = answered & (wait <= scenario.answer_target_s)
    queue_time = np.where(offered, left_queue - arrival, 0.0)
    slot = np.minimum((arrival // interval_s).astype(np.int64), intervals - 1)

    def per_slot(mask: NDArray, weights: NDArray | None = None) -> NDArray:
        chosen = None if weights is None else weights[mask]
        return np.bincount(slot[mask], weights=chosen, minlength=intervals).astype(float)

    offered_n = per_slot(offered)
    answered_n = per_slot(answered)
    busy = _integral_per_interval(
        start[answered], start[answered] + contacts.service[answered], edges
    )
    staffed = _staffed_per_interval(staffing, edges)
    queued = _integral_per_interval(arrival[offered], left_queue[offered], edges)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame = pl.DataFrame(
            {
                "interval_start_s": edges[:-1],
                "offered": offered_n,
                "deflected": per_slot(contacts.deflected),
                "answered": answered_n,
                "abandoned": per_slot(abandoned),
                "service_level": per_slot(in_target) / offered_n,
                "asa_s": per_slot(answered, wait) / answered_n,
                "abandonment_rate": per_slot(abandoned) / offered_n,
                "staffed_agents": staffed / interval_s,
                "occupancy": np.minimum(busy / staffed, 1.0),
                "mean_queue_length": queued / interval_s,
            }
        ).fill_nan(None)
    counted = arrival >= scenario.warmup_s
    rows = []
    for index, queue in enumerate(scenario.queues):
        mine = counted & (contacts.queue == index)
        rows.append(
            _totals(
                queue.name,
                mine,
                offered,
                answered,
                abandoned,
                in_target,
                wait,
                queue_time,
                contacts.deflected,
            )
        )
    everything = _totals(
        "all",
        counted,
        offered,
        answered,
        abandoned,
        in_target,
        wait,
        queue_time,
        contacts.deflected,
    )
    window = edges[:-1] >= scenario.warmup_s
    everything["occupancy"] = (
        float(busy[window].sum() / staffed[window].sum())
        if np.any(staffed[window] > 0)
        else float("nan")
    )
    everything["mean_queue_length"] = float(queued[window].sum() / (window.sum() * interval_s))
    return SimulationResult(intervals=frame, queues=pl.DataFrame(rows), totals=everything)


def _totals(
    name: str,
    mask: NDArray,
    offered: NDArray,
    answered: NDArray,
    abandoned: NDArray,
    in_target: NDArray,
    wait: NDArray,
    queue_time: NDArray,
    deflected: NDArray,
) -> dict:
    offered_n = int(np.sum(mask & offered))
    answered_n = int(np.sum(mask & answered))
    ratio = (lambda x: x / offered_n) if offered_n else (lambda x: float("nan"))
    return {
        "queue": name,
        "offered": offered_n,
        "deflected": int(np.sum(mask & deflected)),
        "answered": answered_n,
        "abandoned": int(np.sum(mask & abandoned)),
        "service_level": ratio(float(np.sum(mask & in_target))),
        "abandonment_rate": ratio(float(np.sum(mask & abandoned))),
        "asa_s": float(wait[mask & answered].mean()) if answered_n else float("nan"),
        "average_wait_s": ratio(float(queue_time[mask & offered].sum())),
    }


def simulate(
    scenario: Scenario, seed: int | np.random.SeedSequence = 0, *, fast_path: bool = True
) -> SimulationResult:
    """Run one replication; the same seed always gives the same result (Koole 2013, ch. 6)."""
    scenario.validate()
    rng = np.random.default_rng(seed)
    contacts = _draw_contacts(scenario, rng)
    if fast_path and _single_pool_path(scenario):
        start, staffing = _run_single_pool(scenario, contacts)
    else:
        start, staffing = _run_event_loop(scenario, contacts)
    return _summarise(scenario, contacts, start, staffing)


_REPLICATED_METRICS = (
    "service_level",
    "asa_s",
    "abandonment_rate",
    "occupancy",
    "mean_queue_length",
    "average_wait_s",
    "offered",
    "answered",
    "abandoned",
    "deflected",
)


def replicate(scenario: Scenario, n: int, seed: int = 0) -> pl.DataFrame:
    """n independent replications → mean, standard deviation and 95 % t confidence interval of
    each overall metric (Law 2015, §9.4.1)."""
    if n < 2:
        raise ValueError("At least two replications are needed for a confidence interval.")
    runs = [simulate(scenario, child).totals for child in np.random.SeedSequence(seed).spawn(n)]
    values = np.array([[run[m] for m in _REPLICATED_METRICS] for run in runs], dtype=float)
    mean = values.mean(axis=0)
    spread = values.std(axis=0, ddof=1)
    half = stats.t.ppf(0.975, n - 1) * spread / np.sqrt(n)
    return pl.DataFrame(
        {
            "metric": list(_REPLICATED_METRICS),
            "mean": mean,
            "std": spread,
            "ci_low": mean - half,
            "ci_high": mean + half,
            "replications": [n] * len(_REPLICATED_METRICS),
        }
    )


_INTERVAL_METRICS = ("service_level", "asa_s", "abandonment_rate", "occupancy", "mean_queue_length")


def replicate_intervals(scenario: Scenario, n: int, seed: int = 0) -> pl.DataFrame:
    """Per interval and metric: mean and 95 % t confidence interval over n replications
    (intervals where a metric is undefined in some runs use the runs where it is defined)."""
    if n < 2:
        raise ValueError("At least two replications are needed for a confidence interval.")
    frames = [
        simulate(scenario, child).intervals.select("interval_start_s", *_INTERVAL_METRICS)
        for child in np.random.SeedSequence(seed).spawn(n)
    ]
    long = pl.concat(frames).unpivot(index="interval_start_s", variable_name="metric")
    summary = (
        long.drop_nulls("value")
        .group_by("interval_start_s", "metric", maintain_order=True)
        .agg(
            pl.col("value").mean().alias("mean"),
            pl.col("value").std().alias("std"),
            pl.len().alias("replications"),
        )
        .sort("metric", "interval_start_s")
    )
    runs = summary["replications"].to_numpy()
    with np.errstate(invalid="ignore"):
        half = (
            stats.t.ppf(0.975, np.maximum(runs - 1, 1)) * summary["std"].to_numpy() / np.sqrt(runs)
        )
    half = np.where(runs > 1, half, np.nan)
    return summary.with_columns(
        (pl.col("mean") - half).alias("ci_low"), (pl.col("mean") + half).alias("ci_high")
    ).fill_nan(None)
