"""Benchmark of the workforce math: Erlang C staffing and the contact-center simulator.

Run: .venv/bin/python bench/bench_workforce.py [--quick]
Prints a table of measured figures against their targets; exits 1 if a target is missed.

Targets (issue "Contact-center workforce"):
- required agents for 10,000 (volume, AHT, target) combinations in < 0.5 s, and ≥ 50× faster
  per case than pyworkforce's ErlangC.required_positions measured in the same run;
- simulation ≥ 20× SimPy's simulated contacts per second on the same M/M/50 model
  (100,000 contacts, 50 agents; the SimPy model is written below);
- 1,000,000 contacts with 200 agents in < 10 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import numpy as np
import simpy
from pyworkforce.queuing import ErlangC

from kefu.workforce.erlang import required_agents, service_level
from kefu.workforce.scenario import AgentGroup, QueueSpec, Scenario, ServiceTime
from kefu.workforce.simulation import simulate


def best_time(run: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def staffing_cases(count: int, seed: int = 1) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    volume = rng.uniform(10, 1500, count)  # contacts per 30 minutes
    aht_s = rng.uniform(60, 600, count)
    target = rng.uniform(0.6, 0.95, count)
    return volume, aht_s, target


def bench_staffing(cases: int, reference_cases: int) -> list[tuple[str, float, str, bool]]:
    volume, aht_s, target = staffing_cases(cases)
    required_agents(volume[:10], 1800, aht_s[:10], target[:10], 20)  # warm-up
    ours = best_time(lambda: required_agents(volume, 1800, aht_s, target, 20), 3)
    ours_per_case = ours / cases

    def theirs() -> None:
        for i in range(reference_cases):
            ErlangC(
                transactions=volume[i], aht=aht_s[i] / 60, asa=20 / 60, interval=30
            ).required_positions(target[i])

    reference_per_case = best_time(theirs, 1) / reference_cases
    ratio = reference_per_case / ours_per_case
    return [
        (f"required_agents, {cases:,} cases (s)", ours, "< 0.5", ours < 0.5),
        (
            f"pyworkforce per case, {reference_cases} cases (ms)",
            reference_per_case * 1e3,
            "-",
            True,
        ),
        ("speed-up vs pyworkforce (×)", ratio, "≥ 50", ratio >= 50),
    ]


def mm_scenario(contacts: int, agents: int, traffic: float, aht_s: float = 180.0) -> Scenario:
    rate = traffic / aht_s
    return Scenario(
        queues=[QueueSpec("q", rate_per_hour=rate * 3600, service=ServiceTime(mean_s=aht_s))],
        agent_groups=[AgentGroup("agents", ["q"], agents)],
        duration_s=contacts / rate,
    )


def simpy_contacts_per_second(contacts: int, agents: int, traffic: float, aht_s: float = 180.0):
    """The same M/M/N FIFO model as a SimPy process per contact (the usual SimPy style)."""
    rng = np.random.default_rng(2)
    gaps = rng.exponential(aht_s / traffic, contacts).tolist()
    handling = rng.exponential(aht_s, contacts).tolist()
    env = simpy.Environment()
    pool = simpy.Resource(env, capacity=agents)
    waits: list[float] = []

    def contact(index: int):
        arrived = env.now
        with pool.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(handling[index])

    def source():
        for index in range(contacts):
            yield env.timeout(gaps[index])
            env.process(contact(index))

    env.process(source())
    started = time.perf_counter()
    env.run()
    elapsed = time.perf_counter() - started
    return contacts / elapsed, float(np.mean(np.asarray(waits) <= 20.0))


def bench_simulation(contacts: int, large: int, repeats: int) -> list[tuple[str, float, str, bool]]:
    scenario = mm_scenario(contacts, 50, 45.0)
    simulate(mm_scenario(5_000, 50, 45.0), 0)  # warm-up
    result = simulate(scenario, 1)
    offered = result.totals["offered"]
    loop = offered / best_time(lambda: simulate(scenario, 1, fast_path=False), 1)
    ours, reference, reference_sl = 0.0, 0.0, 0.0
    # Interleaved, best of the same number of runs each: on a shared machine the load changes
    # from one second to the next, and back-to-back blocks would time them under different loads.
    for _ in range(repeats):
        ours = max(ours, offered / best_time(lambda: simulate(scenario, 1), 1))
        speed, reference_sl = simpy_contacts_per_second(contacts, 50, 45.0)
        reference = max(reference, speed)
    theory = float(service_level(45.0, 50, 180.0, 20.0))
    # A sanity check, not a target: at 90 % load the run-to-run spread of the service level is
    # wide, and it shrinks with the square root of the number of contacts.
    tolerance = 0.06 * (100_000 / contacts) ** 0.5
    ours_sl = result.totals["service_level"]
    ratio = ours / reference
    big = mm_scenario(large, 200, 190.0)
    big_time = best_time(lambda: simulate(big, 3), 1)
    limit = 10.0 * large / 1_000_000
    return [
        (f"simulation, {contacts:,} contacts, 50 agents (contacts/s)", ours, "-", True),
        ("  general event loop, same model (contacts/s)", loop, "-", True),
        ("SimPy, same model (contacts/s)", reference, "-", True),
        (
            "  service level, ours − Erlang C",
            ours_sl - theory,
            "≈ 0",
            abs(ours_sl - theory) < tolerance,
        ),
        (
            "  service level, SimPy − Erlang C",
            reference_sl - theory,
            "≈ 0",
            abs(reference_sl - theory) < tolerance,
        ),
        ("speed-up vs SimPy (×)", ratio, "≥ 20", ratio >= 20),
        (
            f"simulation, {large:,} contacts, 200 agents (s)",
            big_time,
            f"< {limit:g}",
            big_time < limit,
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a few seconds")
    quick = parser.parse_args().quick
    rows = bench_staffing(10_000, 100 if quick else 400)
    if quick:
        rows += bench_simulation(20_000, 200_000, repeats=1)
    else:
        rows += bench_simulation(100_000, 1_000_000, repeats=3)
    width = max(len(row[0]) for row in rows)
    print(f"{'figure':<{width}}  {'measured':>14}  {'target':>8}  ok")
    for name, value, target, ok in rows:
        print(f"{name:<{width}}  {value:>14,.4g}  {target:>8}  {'yes' if ok else 'NO'}")
    missed = [row[0] for row in rows if not row[3]]
    if missed:
        print("missed: " + "; ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
