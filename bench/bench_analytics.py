"""Customer-value analytics benchmark (issue 7).

    .venv/bin/python bench/bench_analytics.py --quick          # 20,000 customers, < 1 min
    .venv/bin/python bench/bench_analytics.py                  # 1,000,000 customers, ~9 M purchases
    .venv/bin/python bench/bench_analytics.py --reuse          # keep the database of a last run
    KEFU_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kefu_analytics_bench \\
        .venv/bin/python bench/bench_analytics.py --quick      # the same on PostgreSQL

1. Draws customers and purchases from a known BG/NBD + Gamma-Gamma process (simulation module)
   and writes them to a scratch database (SQLite file in var/ unless KEFU_DATABASE_URL is set;
   the database is emptied first: never point it at real data).
2. Times the bulk load from the database (loaders.value_inputs) and the computation separately:
   the core (summary + BG/NBD + Gamma-Gamma + RFM + tiers + Pareto) and the full refresh
   computation (adds CLV, profitability), and reports the recovered parameters next to the truth.
3. Times the BG/NBD fit on CDNOW next to the `lifetimes` package's BetaGeoFitter, if installed.
Peak memory is the process's maximum resident set size (includes the data generation).
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
TRUE = {"r": 1.0, "alpha": 3.0, "a": 0.8, "b": 2.4, "p": 6.0, "q": 4.0, "v": 15.0}
CDNOW = ROOT / "kefu" / "analytics" / "tests" / "data" / "CDNOW_sample.txt"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    def __init__(self):
        self.rows: list[tuple[str, float]] = []

    def __call__(self, label: str, func):
        start, cpu = time.perf_counter(), time.process_time()
        result = func()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        self.rows.append((label, elapsed))
        print(
            f"  {label:<42} {elapsed:8.2f} s wall {cpu:8.2f} s CPU"
            f"   (peak RSS {peak_mb():,.0f} MB)",
            flush=True,
        )
        return result


def setup_django(scratch: Path, *, keep: bool = False) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    if not os.environ.get("KEFU_DATABASE_URL"):
        if not keep:
            scratch.unlink(missing_ok=True)
        os.environ["KEFU_DATABASE_URL"] = f"sqlite:///{scratch}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)


def write_data(n_customers: int, sim) -> None:
    """Customers and purchases with bulk statements (COPY on PostgreSQL)."""
    from django.db import connection, transaction

    from kefu.analytics.models import AnalyticsRun
    from kefu.customers.models import Customer, Purchase
    from kefu.tickets.models import Ticket

    AnalyticsRun.objects.all().delete()
    with connection.cursor() as cursor:
        for model in (Purchase, Ticket, Customer):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    customer_cols = ["id", "uuid", "created_at", "updated_at", "version", "kind", "number",
                     "name", "tier", "is_vip", "credit_grade", "language", "region", "notes",
                     "attributes", "search_text", "search_tokens"]  # fmt: skip
    purchase_cols = ["uuid", "created_at", "updated_at", "customer_id", "source", "external_id",
                     "ordered_at", "amount", "currency", "gross_margin", "product", "quantity",
                     "channel"]  # fmt: skip
    tx = sim.transactions
    owner = tx["customer_id"].to_numpy() + 1
    stamps = np.datetime_as_string(tx["date"].to_numpy().astype("datetime64[s]"))
    amounts = np.round(tx["amount"].to_numpy(), 2)
    margins = np.round(amounts * 0.3, 2)

    def customers(lo, hi):
        return ((i, f"{i:032x}", now, now, 1, "person", f"B-{i:08d}", f"Bench {i}", "", False,
                 "", "", "", "", "{}", "", "") for i in range(lo + 1, hi + 1))  # fmt: skip

    def purchases(lo, hi):
        return ((f"{i + 1:032x}", now, now, int(owner[i]), "bench", str(i), stamps[i] + "+00:00",
                 float(amounts[i]), "CNY", float(margins[i]), "", 1, "")
                for i in range(lo, hi))  # fmt: skip

    chunk = 200_000
    with transaction.atomic():
        for table, cols, rows, total in (
            (Customer._meta.db_table, customer_cols, customers, n_customers),
            (Purchase._meta.db_table, purchase_cols, purchases, tx.height),
        ):
            quoted = ", ".join(connection.ops.quote_name(c) for c in cols)
            name = connection.ops.quote_name(table)
            with connection.cursor() as cursor:
                for lo in range(0, total, chunk):
                    hi = min(total, lo + chunk)
                    if connection.vendor == "postgresql":
                        with cursor.cursor.copy(f"COPY {name} ({quoted}) FROM STDIN") as copy:
                            for row in rows(lo, hi):
                                copy.write_row(row)
                    else:
                        marks = ", ".join(["%s"] * len(cols))
                        cursor.executemany(
                            f"INSERT INTO {name} ({quoted}) VALUES ({marks})", list(rows(lo, hi))
                        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def holds_data_set(n_customers: int, sim) -> bool:
    """Whether the scratch database already holds the generated data set (same counts; the
    simulation is seeded, so the same counts are the same rows)."""
    from kefu.customers.models import Customer, Purchase

    return (
        Customer.objects.count() == n_customers
        and Purchase.objects.count() == sim.transactions.height
    )


def core_compute(inputs, as_of, timer: Timer):
    from kefu.analytics import (
        abcd_tiers,
        fit_bgnbd,
        fit_gamma_gamma,
        pareto,
        rfm_scores,
        rfm_segments,
        summarize_transactions,
    )

    dates = inputs.purchase_seconds.astype("datetime64[s]")
    amount = inputs.purchase_amount_minor / 100.0
    summary = timer(
        "summary (polars group-by)",
        lambda: summarize_transactions(
            inputs.purchase_customer, dates, amount, np.datetime64(as_of), "W", resolution="D"
        ),
    )
    x, t_x, T, m = (summary[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value"))
    bgnbd = timer("BG/NBD fit", lambda: fit_bgnbd(x, t_x, T))
    gg = timer("Gamma-Gamma fit", lambda: fit_gamma_gamma(x, m, force=True))
    total = summary["total"].to_numpy()
    days = np.datetime64(as_of) - summary["last_purchase"].to_numpy().astype("datetime64[D]")
    timer(
        "RFM scores + segments",
        lambda: rfm_segments(
            *rfm_scores(days.astype(np.int64), summary["count"].to_numpy(), total)
        ),
    )
    timer("ABCD tiers", lambda: abcd_tiers(total))
    curve = timer("Pareto + Gini", lambda: pareto(total))
    return bgnbd, gg, curve


def cdnow_comparison() -> None:
    from kefu.analytics.threads import single_threaded_blas

    print("\nCDNOW (2,357 customers, weeks 1–39), CPU time per fit, mean of 20:")
    for label, limit in (
        ("the caller's BLAS threads (the fit limits them itself)", False),
        ("one BLAS thread throughout", True),
    ):
        print(f" {label}:")
        if limit:
            with single_threaded_blas():
                _cdnow_fits()
        else:
            _cdnow_fits()


def _cdnow_fits() -> None:
    import polars as pl

    from kefu.analytics import bgnbd_log_likelihood, fit_bgnbd, summarize_transactions

    rows = [line.split() for line in CDNOW.read_text().splitlines() if line.strip()]
    _, ids, dates, _, amounts = zip(*rows, strict=True)
    summary = summarize_transactions(
        np.asarray(ids, dtype=np.int64),
        pl.Series(dates).str.to_date("%Y%m%d"),
        np.asarray(amounts, dtype=np.float64),
        np.datetime64("1997-09-30"),
        "W",
        resolution="D",
    )
    x, t_x, T = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    repeats = 20
    start = time.process_time()
    for _ in range(repeats):
        ours = fit_bgnbd(x, t_x, T)
    ours_s = (time.process_time() - start) / repeats
    print(f"  kefu fit_bgnbd      {ours_s * 1000:8.1f} ms  r={ours.r:.4f} α={ours.alpha:.4f} "
          f"a={ours.a:.4f} b={ours.b:.4f} LL={ours.log_likelihood:.2f}")  # fmt: skip
    try:
        import warnings

        from lifetimes import BetaGeoFitter
    except ImportError:
        print("  lifetimes           not installed (.venv/bin/pip install lifetimes)")
        return
    import pandas as pd

    frame = pd.DataFrame({"frequency": x, "recency": t_x, "T": T})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.process_time()
        for _ in range(repeats):
            fitter = BetaGeoFitter().fit(frame["frequency"], frame["recency"], frame["T"])
        theirs_s = (time.process_time() - start) / repeats
    p = fitter.params_
    # lifetimes reports the likelihood of rescaled data; evaluate ours at its optimum instead.
    params = (p["r"], p["alpha"], p["a"], p["b"])
    theirs_ll = float(bgnbd_log_likelihood(params, x, t_x, T).sum())
    print(f"  lifetimes 0.11.3    {theirs_s * 1000:8.1f} ms  r={p['r']:.4f} α={p['alpha']:.4f} "
          f"a={p['a']:.4f} b={p['b']:.4f} LL={theirs_ll:.2f}")  # fmt: skip
    print(f"  speed-up            {theirs_s / ours_s:8.1f} ×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 customers")
    parser.add_argument("--customers", type=int, help="override the number of customers")
    parser.add_argument("--skip-db", action="store_true", help="compute on generated arrays only")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the scratch database when it already holds this data set (same size)",
    )
    args = parser.parse_args()
    n = args.customers or (20_000 if args.quick else 1_000_000)
    timer = Timer()
    print(f"Customer-value benchmark: {n:,} customers, true BG/NBD {TRUE}")
    from kefu.analytics.simulation import simulate_bgnbd_transactions

    simulated = sim = timer(
        "simulate BG/NBD purchases",
        lambda: simulate_bgnbd_transactions(
            n, **TRUE, acquisition_weeks=26, observation_weeks=104, start="2024-01-01", seed=7
        ),
    )
    as_of = sim.observation_end.astype("datetime64[D]").item()
    print(f"  {sim.transactions.height:,} purchases, observation end {as_of}")
    if args.skip_db:
        from kefu.analytics.pipeline import ValueInputs

        tx = sim.transactions
        inputs = ValueInputs(
            customer_ids=np.arange(n),
            purchase_customer=tx["customer_id"].to_numpy(),
            purchase_seconds=tx["date"].to_numpy().astype("datetime64[s]").astype(np.int64),
            purchase_amount_minor=np.round(tx["amount"].to_numpy() * 100),
            purchase_margin_minor=np.round(tx["amount"].to_numpy() * 30),
        )
        vendor = "none (arrays)"
    else:
        setup_django(ROOT / "var" / "bench-analytics.sqlite3", keep=args.reuse)
        from django.db import connection

        from kefu.analytics import loaders

        vendor = connection.vendor
        if args.reuse and holds_data_set(n, simulated):
            print(f"  reusing the {vendor} database: it holds this data set")
        else:
            timer(f"write to {vendor}", lambda: write_data(n, simulated))
        inputs = timer(f"LOAD from {vendor} (loaders.value_inputs)", lambda: loaders.value_inputs(
            as_of=as_of))  # fmt: skip
        print(f"  loaded {inputs.counts}")
    sim = simulated = None  # free the generated log before computing
    from kefu.analytics.threads import single_threaded_blas

    start = time.perf_counter()
    with single_threaded_blas():
        bgnbd, gg, curve = core_compute(inputs, as_of, timer)
    core_s = time.perf_counter() - start
    print(f"  {'= core compute':<42} {core_s:8.2f} s")
    from kefu.analytics.pipeline import ValueParameters, compute_customer_value

    params = ValueParameters(as_of=as_of)
    result = timer("full refresh compute (adds CLV, profit)", lambda: compute_customer_value(
        inputs, params))  # fmt: skip
    print("\nRecovered parameters (true → fitted):")
    for name in ("r", "alpha", "a", "b"):
        print(f"  BG/NBD {name:<6} {TRUE[name]:7.3f} → {getattr(bgnbd, name):7.3f}")
    for name in ("p", "q", "v"):
        print(f"  GG     {name:<6} {TRUE[name]:7.3f} → {getattr(gg, name):7.3f}")
    print(f"  Gini of revenue {curve.gini:.3f}; top 20% hold {curve.share_of_top(0.2):.1%}")
    print(f"  snapshot rows {result.frame.height:,}; warnings {result.warnings}")
    print(f"\nDatabase: {vendor}; peak RSS {peak_mb():,.0f} MB")
    cdnow_comparison()


if __name__ == "__main__":
    main()
