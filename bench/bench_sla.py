"""SLA calendar benchmark: due-time computations per second on one core.

Run: .venv/bin/python bench/bench_sla.py [--quick]
Prints figures against targets; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # one core

import numpy as np  # noqa: E402

from kefu.sla.calendar import (  # noqa: E402
    BusinessCalendar,
    add_business_time,
    add_business_time_many,
    business_seconds_between_many,
)

TARGET_VECTORISED_PER_SECOND = 100_000

OFFICE = {
    "timezone": "Asia/Shanghai",
    "weekly": {
        day: [["09:00", "12:00"], ["13:30", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
    },
    "holidays": [f"2026-10-0{day}" for day in range(1, 8)] + ["2026-01-01", "2026-05-01"],
    "makeup_days": ["2026-09-20", "2026-10-10"],
}
LONDON = {
    "timezone": "Europe/London",
    "weekly": {day: [["22:00", "06:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")},
}


def _inputs(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    first = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp()
    starts = np.floor(first + rng.uniform(0, 365 * 86_400, count))
    # SLA targets between 30 min and 3 working weeks, whole seconds.
    durations = np.floor(rng.uniform(1_800, 3 * 37.5 * 3_600, count))
    return starts, durations


def _best_of(runs: int, function) -> float:
    best = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - began)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller inputs, fewer repeats")
    arguments = parser.parse_args()
    count = 200_000 if arguments.quick else 1_000_000
    runs = 2 if arguments.quick else 5
    scalar_count = 2_000 if arguments.quick else 10_000

    rows: list[tuple[str, float, float | None]] = []
    failed = False
    for label, data in (("office, Asia/Shanghai", OFFICE), ("nights, Europe/London", LONDON)):
        calendar = BusinessCalendar.from_dict(data)
        starts, durations = _inputs(count, seed=7)
        cold = _best_of(
            1, lambda c=calendar, s=starts, d=durations: add_business_time_many(s, d, c)
        )
        warm = _best_of(
            runs, lambda c=calendar, s=starts, d=durations: add_business_time_many(s, d, c)
        )
        ends = starts + durations * 3
        between = _best_of(
            runs, lambda c=calendar, s=starts, e=ends: business_seconds_between_many(s, e, c)
        )
        fresh = BusinessCalendar.from_dict(data)
        scalar_starts = [
            dt.datetime.fromtimestamp(value, dt.UTC) for value in starts[:scalar_count]
        ]
        scalar_durations = [dt.timedelta(seconds=float(v)) for v in durations[:scalar_count]]

        scalar_dues: list[float] = []

        def scalar(c=fresh, s=scalar_starts, d=scalar_durations, out=scalar_dues) -> None:
            out.clear()
            for start, duration in zip(s, d, strict=True):
                out.append(add_business_time(start, duration, c).timestamp())

        scalar_time = _best_of(1, scalar)
        vectorised = add_business_time_many(
            starts[:scalar_count], durations[:scalar_count], calendar
        )
        if not np.array_equal(vectorised, np.array(scalar_dues)):
            print(f"{label}: vectorised and scalar due times differ", file=sys.stderr)
            failed = True
        warm_rate = count / warm
        rows.append(
            (f"{label}: add_business_time_many, warm", warm_rate, TARGET_VECTORISED_PER_SECOND)
        )
        rows.append(
            (
                f"{label}: add_business_time_many, incl. table build",
                count / cold,
                TARGET_VECTORISED_PER_SECOND,
            )
        )
        rows.append(
            (
                f"{label}: business_seconds_between_many",
                count / between,
                TARGET_VECTORISED_PER_SECOND,
            )
        )
        rows.append(
            (f"{label}: add_business_time (scalar walker)", scalar_count / scalar_time, None)
        )
        failed |= (
            warm_rate < TARGET_VECTORISED_PER_SECOND or count / cold < TARGET_VECTORISED_PER_SECOND
        )

    print(f"SLA business-time benchmark ({count:,} due times per call, best of {runs})")
    print(f"{'measure':<68} {'per second':>14} {'target':>10}  ok")
    for name, rate, target in rows:
        ok = "" if target is None else ("yes" if rate >= target else "NO")
        target_text = "" if target is None else f"{target:,}"
        print(f"{name:<68} {rate:>14,.0f} {target_text:>10}  {ok}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
