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
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(label: str, func, target: float | None = None):
    """Wall-clock time against the target, and this process's CPU time, user + system (on a
    shared, busy machine the CPU time is the closer estimate of the wall time on an idle one;
    the system part is mostly page faults of fresh large arrays, which a busy machine with
    memory monitoring made far slower than usual)."""
    start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    result = func()
    elapsed, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    verdict = "" if target is None else (" OK" if elapsed < target else " SLOWER THAN TARGET")
    goal = "" if target is None else f" (target < {target:g} s{verdict})"
    load = os.getloadavg()[0]
    print(
        f"  {label:<48} {elapsed:8.2f} s, CPU {user + system:7.2f} s "
        f"(user {user:.2f}, sys {system:.2f}){goal}, load {load:.1f}",
        flush=True,
    )
    return result, elapsed


def bench_churn(n: int, threads: int | None, score_threads: int | None, check: int) -> None:
    from kefu.analytics.mining import FEATURES, churn_features, contributing_factors
    from kefu.analytics.mining.churn import train_churn_model
    from kefu.analytics.mining.features import DAY, churn_labels
    from kefu.analytics.mining.simulation import simulate_churn

    print(f"Churn: {n:,} simulated customers (load average {os.getloadavg()[0]:.1f})")
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
        (X_train, y_train), _ = timed(
            "  features at the training cut-off", lambda: period(sim.end - 2 * horizon * DAY)
        )
        (X_test, y_test), _ = timed(
            "  features at the test cut-off", lambda: period(sim.end - horizon * DAY)
        )
        model, _ = timed(
            "  fit GB + logistic, evaluation",
            lambda: train_churn_model(
                X_train, y_train, X_test, y_test, list(FEATURES), threads=threads
            ),
        )
        return model

    model, _ = timed("train (features ×2, GB + logistic, evaluation)", train, 60)
    m = model.metrics
    print(
        f"  held-out ROC AUC {m['auc']:.3f} (logistic {m['auc_baseline']:.3f}), "
        f"precision@10% {m['precision_at_k']:.3f}, churn rate {m['churn_rate_test']:.3f}"
    )

    def features_now():
        frame = churn_features(
            sim.customer_ids, ev, cutoff=sim.end, first_seen=sim.first_seen, tiers=sim.tiers
        )
        return frame.filter(frame["purchases_before"] > 0).select(FEATURES).to_numpy()

    def score():
        X, _ = timed("  features at as-of", features_now)
        result, _ = timed(
            "  probability + contributing factors",
            lambda: contributing_factors(model, X, threads=score_threads),
        )
        return X, result

    (X, (probability, factors, effects)), _ = timed("score + contributing factors", score, 10)
    print(f"  scored {probability.size:,} customers; {score_threads or 'all'} thread(s) for trees")
    if check:
        rows = slice(0, min(check, probability.size))
        (_p, ref_factors, ref_effects), _ = timed(
            f"  brute-force factors (re-predict), {rows.stop:,} customers",
            lambda: contributing_factors(model, X[rows], threads=1, brute_force=True),
        )
        same = np.array_equal(ref_factors, factors[rows])
        diff = float(np.abs(ref_effects - effects[rows]).max()) if rows.stop else 0.0
        print(
            f"  fast = brute force: factors identical {same}, largest effect difference {diff:.1e}"
        )


def setup_django(scratch: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    if not os.environ.get("KEFU_DATABASE_URL"):
        scratch.unlink(missing_ok=True)
        os.environ["KEFU_DATABASE_URL"] = f"sqlite:///{scratch}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)


def _dimension_rows():
    """Teams (8), agents (5 a team), categories (6 top × 4), root causes (5), customers."""
    from kefu.accounts.models import Team, User
    from kefu.customers.models import Customer
    from kefu.tickets.models import Category, RootCause

    teams = [Team.objects.get_or_create(name=f"Bench team {i}")[0] for i in range(8)]
    agents = [
        User.objects.get_or_create(username=f"bench-agent-{i}")[0] for i in range(5 * len(teams))
    ]
    parents = [Category.objects.get_or_create(name=f"Bench {i}", parent=None)[0] for i in range(6)]
    categories = [
        Category.objects.get_or_create(name=f"Bench {i}.{j}", parent=p)[0]
        for i, p in enumerate(parents)
        for j in range(4)
    ]
    causes = [RootCause.objects.get_or_create(name=f"Bench cause {i}")[0] for i in range(5)]
    if not Customer.objects.filter(number__startswith="BR-").exists():
        Customer.objects.bulk_create(
            Customer(name=f"Bench {i}", number=f"BR-{i:07d}") for i in range(1000)
        )
    customers = list(Customer.objects.filter(number__startswith="BR-").values_list("pk", flat=True))
    return teams, agents, categories, causes, customers


def write_tickets(n: int, chunk: int = 1_000_000) -> None:
    """Tickets over two years with every pivot dimension varied (agents belong to teams,
    skewed kinds, priorities and statuses). PostgreSQL: generated server-side by
    INSERT … SELECT generate_series in chunks (resumable: tops the table up to `n`); SQLite:
    bulk_create. The tickets table must hold bench data only."""
    from django.db import connection, transaction

    from kefu.tickets.models import Ticket

    teams, agents, categories, causes, customers = _dimension_rows()
    have = Ticket.objects.count()
    if have > n:
        Ticket.objects.all().delete()
        have = 0
    if have == n:
        print(f"  (reusing {n:,} tickets)")
        return
    explicit = {
        "uuid": "gen_random_uuid()",
        "created_at": "s.c",
        "updated_at": "s.c",
        "subject": "'bench'",
        "customer_id": "(%(customers)s::bigint[])[1 + floor(s.r0 * %(n_customers)s)::int]",
        "channel": "(ARRAY['email','phone','web','chat','wechat'])[1 + floor(s.r1 * 5)::int]",
        "kind": "CASE WHEN s.r2 < 0.6 THEN 'inquiry' WHEN s.r2 < 0.8 THEN 'request' "
        "WHEN s.r2 < 0.97 THEN 'complaint' ELSE 'praise' END",
        "priority": "CASE WHEN s.r3 < 0.1 THEN 'low' WHEN s.r3 < 0.85 THEN 'normal' "
        "WHEN s.r3 < 0.98 THEN 'high' ELSE 'urgent' END",
        "status": "CASE WHEN s.r4 < 0.85 THEN 'closed' WHEN s.r4 < 0.95 THEN 'solved' "
        "ELSE 'open' END",
        "category_id": "(%(categories)s::bigint[])[1 + floor(s.r5 * %(n_categories)s)::int]",
        "root_cause_id": "CASE WHEN s.r6 < 0.5 THEN NULL ELSE "
        "(%(causes)s::bigint[])[1 + floor(s.r6 * 10)::int - 5] END",
        "assignee_id": "CASE WHEN s.r7 < 0.05 THEN NULL ELSE "
        "(%(agents)s::bigint[])[1 + floor(s.r7 * %(n_agents)s)::int] END",
        "team_id": "CASE WHEN s.r7 < 0.05 THEN NULL ELSE "
        "(%(teams)s::bigint[])[1 + floor(s.r7 * %(n_agents)s)::int / 5] END",
        "first_response_at": "s.c + interval '1 second' * floor(s.r8 * 7200)",
        "solved_at": "CASE WHEN s.r4 < 0.95 THEN s.c + interval '1 second' * "
        "floor(s.r8 * 172800 + 600) END",
        "w_how_much": "CASE WHEN s.r9 < 0.2 THEN round((s.r9 * 5000)::numeric, 2) END",
    }
    params = {
        "customers": customers,
        "n_customers": len(customers),
        "categories": [c.pk for c in categories],
        "n_categories": len(categories),
        "causes": [c.pk for c in causes],
        "agents": [a.pk for a in agents],
        "n_agents": len(agents),
        "teams": [t.pk for t in teams],
    }
    columns, values = [], []
    for f in Ticket._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.column in explicit:
            values.append(explicit[f.column])
        elif f.null:
            values.append("NULL")
        else:  # the field's Python default, as a bound parameter
            key = f"default_{f.column}"
            params[key] = f.get_db_prep_save(f.get_default(), connection)
            values.append(f"%({key})s")
    randoms = ", ".join(f"random() AS r{i}" for i in range(10))
    sql = (
        f"INSERT INTO {Ticket._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} "
        f"FROM (SELECT g, timestamptz '2024-01-01 00:00:00+08' + interval '1 second' * "
        f"floor(random() * 730 * 86400) AS c, {randoms} "
        f"FROM generate_series(1, %(size)s) g) s"
    )
    if connection.vendor != "postgresql":
        _write_tickets_orm(n - have, teams, agents, categories, customers)
        return
    while have < n:
        size = min(chunk, n - have)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, {**params, "size": size})
        have += size
        print(f"    {have:,} tickets ({time.perf_counter() - started:.1f} s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Ticket._meta.db_table}")


def _write_tickets_orm(n, teams, agents, categories, customers, seed: int = 2) -> None:
    from django.db import transaction

    from kefu.tickets.models import Ticket

    rng = np.random.default_rng(seed)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    # Bench only: let bulk_create write the spread-out creation times.
    Ticket._meta.get_field("created_at").auto_now_add = False
    batch = 20_000
    for offset in range(0, n, batch):
        size = min(batch, n - offset)
        seconds = rng.integers(0, 730 * 86_400, size)
        rows = [
            Ticket(
                customer_id=customers[int(c)],
                subject="bench",
                channel=("email", "phone", "web")[int(k) % 3],
                kind=("inquiry", "complaint")[int(k) % 2],
                category=categories[int(k)],
                team=teams[int(a) // 5],
                assignee=agents[int(a)],
                status="closed",
                created_at=start + dt.timedelta(seconds=int(s)),
                solved_at=start + dt.timedelta(seconds=int(s) + int(h)),
            )
            for c, k, a, s, h in zip(
                rng.integers(0, len(customers), size),
                rng.integers(0, len(categories), size),
                rng.integers(0, len(agents), size),
                seconds,
                rng.integers(600, 172_800, size),
                strict=True,
            )
        ]
        with transaction.atomic():
            Ticket.objects.bulk_create(rows, batch_size=5_000)


def bench_pivot(n: int, raw: bool, reuse_summary: bool = False) -> None:
    from django.db import connection

    from kefu.reports import summary
    from kefu.reports.pivot.engine import PivotError, parse_spec, run_pivot

    print(f"Pivot: {n:,} tickets on {connection.vendor} (load average {os.getloadavg()[0]:.1f})")
    timed("write tickets", lambda: write_tickets(n))
    spec = parse_spec(
        {
            "dataset": "tickets",
            "dimensions": ["month", "category_1", "team"],
            "measures": ["count:tickets", "mean:resolution_s"],
        }
    )
    if reuse_summary and summary.summary_ready():
        print("  (reusing the summary)")
        rebuild_s = None
    else:
        state, rebuild_s = timed("summary rebuild (all tickets)", summary.summary_rebuild)
        print(f"  summary rows by roll-up: {state.rows_by_rollup}")
    timed(f"summary refresh (last {summary.RECENT_DAYS} days + touched)", summary.summary_refresh)
    fast, _elapsed = timed("pivot month × category × team (summary)", lambda: run_pivot(spec), 3)
    print(f"  {len(fast.rows):,} rows ({fast.engine}, roll-up {summary.choose_rollup(spec)})")
    wide = parse_spec(
        {
            "dataset": "tickets",
            "dimensions": ["quarter", "agent", "category_1"],
            "measures": ["count:tickets", "mean:first_response_s"],
            "filters": {"channel": ["email", "phone"]},
        }
    )
    try:
        timed("pivot quarter × agent × category 1, filtered (roll-up 0)", lambda: run_pivot(wide))
    except PivotError as exc:  # roll-up 0 has nearly a row per ticket: the 20 s bound applies
        print(f"  roll-up 0 pivot refused: {exc}")
    if raw:
        slow, _raw_s = timed(
            "pivot month × category × team (raw tickets)",
            lambda: run_pivot(spec, use_summary=False, timeout_s=3600),
        )
        same = [r[:4] for r in slow.rows] == [r[:4] for r in fast.rows]
        print(f"  raw and summary tables identical (dims, counts): {same}")
    if n < 10_000_000 and rebuild_s:
        print(
            f"  extrapolated rebuild at 10 M tickets: {rebuild_s * 10_000_000 / n:.0f} s (linear)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--customers", type=int)
    parser.add_argument("--tickets", type=int)
    parser.add_argument(
        "--threads", type=int, default=1, help="OpenMP threads for training (0 = all cores)"
    )
    parser.add_argument(
        "--score-threads",
        type=int,
        default=0,
        help="threads for the tree walks of the scoring (0 = all cores, as the service)",
    )
    parser.add_argument(
        "--check",
        type=int,
        default=20_000,
        help="compare the fast factors with re-prediction on this many customers (0 = skip)",
    )
    parser.add_argument("--skip-pivot", action="store_true")
    parser.add_argument("--skip-churn", action="store_true")
    parser.add_argument("--reuse-summary", action="store_true", help="skip the rebuild")
    parser.add_argument(
        "--raw", action="store_true", help="also time the pivot over the raw tickets"
    )
    args = parser.parse_args()
    customers = args.customers or (20_000 if args.quick else 1_000_000)
    tickets = args.tickets or (50_000 if args.quick else 10_000_000)
    if not args.skip_churn:
        bench_churn(customers, args.threads or None, args.score_threads or None, args.check)
    if not args.skip_pivot:
        setup_django(ROOT / "var" / "bench_reports.sqlite3")
        bench_pivot(tickets, args.raw, args.reuse_summary)


if __name__ == "__main__":
    main()
