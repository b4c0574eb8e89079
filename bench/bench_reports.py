"""Reports and data-mining benchmark (issue 12).

    .venv/bin/python bench/bench_reports.py --quick      # 20,000 customers, 50,000 tickets
    .venv/bin/python bench/bench_reports.py              # 1,000,000 customers, 10,000,000 tickets
    KEFU_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kefu_reports_bench \\
        .venv/bin/python bench/bench_reports.py --quick  # the pivot on PostgreSQL

Targets: pivot over 10 M tickets by month × category × team < 3 s on PostgreSQL; churn training
on 1 M customers < 60 s; scoring < 10 s.

1. Churn (pure core, no database): simulate_churn(n) with its planted mechanism, then time the
   training (features at two cut-offs, gradient boosting + logistic baseline, held-out metrics,
   permutation importance, partial dependence) and the scoring (features at as-of + probability
   + contributing factors) separately.
2. Pivot: writes tickets to a scratch database (SQLite file in var/ unless KEFU_DATABASE_URL is
   set; the tickets table is emptied first: never point it at real data) and times the
   month × category (level 1) × team pivot with count and mean resolution time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(label: str, func, target: float | None = None):
    start = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - start
    verdict = "" if target is None else (" OK" if elapsed < target else " SLOWER THAN TARGET")
    goal = "" if target is None else f" (target < {target:g} s{verdict})"
    print(f"  {label:<48} {elapsed:8.2f} s{goal}", flush=True)
    return result, elapsed


def bench_churn(n: int, threads: int | None) -> None:
    from kefu.analytics.mining import FEATURES, churn_features, contributing_factors
    from kefu.analytics.mining.churn import train_churn_model
    from kefu.analytics.mining.features import DAY, churn_labels
    from kefu.analytics.mining.simulation import simulate_churn

    print(f"Churn: {n:,} simulated customers")
    sim, _ = timed("simulate event log", lambda: simulate_churn(n, seed=1))
    ev = sim.events
    print(f"  ({ev.purchase_customer.size:,} purchases, {ev.ticket_customer.size:,} tickets)")
    horizon = 90

    def period(cutoff):
        frame = churn_features(
            sim.customer_ids, ev, cutoff=cutoff, first_seen=sim.first_seen, tiers=sim.tiers
        )
        labels = churn_labels(
            sim.customer_ids,
            ev.purchase_customer,
            ev.purchase_seconds,
            cutoff=cutoff,
            horizon_days=horizon,
        )
        active = frame["purchases_before"].to_numpy() > 0
        return frame.filter(active).select(FEATURES).to_numpy(), labels[active]

    def train():
        X_train, y_train = period(sim.end - 2 * horizon * DAY)
        X_test, y_test = period(sim.end - horizon * DAY)
        return train_churn_model(X_train, y_train, X_test, y_test, list(FEATURES), threads=threads)

    model, _ = timed("train (features ×2, GB + logistic, evaluation)", train, 60)
    m = model.metrics
    print(
        f"  held-out ROC AUC {m['auc']:.3f} (logistic {m['auc_baseline']:.3f}), "
        f"precision@10% {m['precision_at_k']:.3f}, churn rate {m['churn_rate_test']:.3f}"
    )

    def score():
        frame = churn_features(
            sim.customer_ids, ev, cutoff=sim.end, first_seen=sim.first_seen, tiers=sim.tiers
        )
        X = frame.filter(frame["purchases_before"] > 0).select(FEATURES).to_numpy()
        return contributing_factors(model, X, threads=threads)

    (probability, _factors, _effects), _ = timed("score + contributing factors", score, 10)
    print(f"  scored {probability.size:,} customers")


def setup_django(scratch: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    if not os.environ.get("KEFU_DATABASE_URL"):
        scratch.unlink(missing_ok=True)
        os.environ["KEFU_DATABASE_URL"] = f"sqlite:///{scratch}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)


def write_tickets(n: int, seed: int = 2) -> None:
    from django.db import transaction

    from kefu.accounts.models import Team
    from kefu.customers.models import Customer
    from kefu.tickets.models import Category, Ticket

    rng = np.random.default_rng(seed)
    Ticket.objects.all().delete()
    teams = [Team.objects.get_or_create(name=f"Bench team {i}")[0] for i in range(8)]
    parents = [Category.objects.get_or_create(name=f"Bench {i}", parent=None)[0] for i in range(6)]
    categories = [
        Category.objects.get_or_create(name=f"Bench {i}.{j}", parent=p)[0]
        for i, p in enumerate(parents)
        for j in range(4)
    ]
    customers = list(Customer.objects.filter(number__startswith="BR-").values_list("pk", flat=True))
    if not customers:
        Customer.objects.bulk_create(
            Customer(name=f"Bench {i}", number=f"BR-{i:07d}") for i in range(1000)
        )
        customers = list(
            Customer.objects.filter(number__startswith="BR-").values_list("pk", flat=True)
        )
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    # Bench only: let bulk_create write the spread-out creation times.
    Ticket._meta.get_field("created_at").auto_now_add = False
    batch = 20_000
    for offset in range(0, n, batch):
        size = min(batch, n - offset)
        days = rng.integers(0, 730, size)
        hours = rng.integers(0, 48, size)
        rows = [
            Ticket(
                customer_id=customers[int(c)],
                subject="bench",
                channel="email",
                kind="inquiry",
                category=categories[int(k)],
                team=teams[int(t)],
                created_at=start + dt.timedelta(days=int(d)),
                solved_at=start + dt.timedelta(days=int(d), hours=int(h)),
            )
            for c, k, t, d, h in zip(
                rng.integers(0, len(customers), size),
                rng.integers(0, len(categories), size),
                rng.integers(0, len(teams), size),
                days,
                hours,
                strict=True,
            )
        ]
        with transaction.atomic():
            Ticket.objects.bulk_create(rows, batch_size=5_000)


def bench_pivot(n: int) -> None:
    from django.db import connection

    from kefu.reports.pivot.engine import parse_spec, run_pivot

    print(f"Pivot: {n:,} tickets on {connection.vendor}")
    timed("write tickets", lambda: write_tickets(n))
    spec = parse_spec(
        {
            "dataset": "tickets",
            "dimensions": ["month", "category_1", "team"],
            "measures": ["count:tickets", "mean:resolution_s"],
        }
    )
    result, elapsed = timed("pivot month × category × team", lambda: run_pivot(spec), 3)
    print(f"  {len(result.rows):,} rows ({result.engine}); rate {n / elapsed:,.0f} tickets/s")
    if n < 10_000_000:
        print(f"  extrapolated to 10 M tickets: {elapsed * 10_000_000 / n:.1f} s (linear)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--customers", type=int)
    parser.add_argument("--tickets", type=int)
    parser.add_argument(
        "--threads", type=int, default=1, help="OpenMP threads for training (0 = all cores)"
    )
    parser.add_argument("--skip-pivot", action="store_true")
    args = parser.parse_args()
    customers = args.customers or (20_000 if args.quick else 1_000_000)
    tickets = args.tickets or (50_000 if args.quick else 10_000_000)
    bench_churn(customers, args.threads or None)
    if not args.skip_pivot:
        setup_django(ROOT / "var" / "bench_reports.sqlite3")
        bench_pivot(tickets)


if __name__ == "__main__":
    main()
