"""Customer database benchmark: CSV import throughput and search latency.

Run: .venv/bin/python bench/bench_customers.py [--quick] [--customers N] [--import-rows N]
     KEFU_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kefu_bench .venv/bin/python ...

Builds a fresh database (SQLite file under var/ unless KEFU_DATABASE_URL names another), imports
a generated customer CSV through the real import service (timed: the 100,000-row target), fills
the database up to --customers through the same service, then times the customer list search
(first page of 25 + total count, as the list page and API do) for name, phone-fragment, email
and number queries. Prints figures against the targets; exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_IMPORT_SECONDS_PER_100K = 60.0
TARGET_SEARCH_P95_MS = 50.0

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文斌婷雪琳浩宇晨欣怡子涵"


def _setup(database_url: str | None) -> None:
    if database_url:
        os.environ["KEFU_DATABASE_URL"] = database_url
    else:
        path = ROOT / "var" / "bench-customers.sqlite3"
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["KEFU_DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)  # a fresh, migrated database
    call_command("migrate", interactive=False, verbosity=0)


def _csv(rows: int, start: int, rng: random.Random) -> bytes:
    out = io.StringIO()
    out.write("姓名,手机,邮箱,地区\n")
    for i in range(start, start + rows):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        mobile = f"1{rng.choice(['38', '39', '36', '86', '58'])}{i:08d}"
        out.write(f"{name},{mobile},user{i}@example.cn,{rng.choice(['上海', '北京', '深圳'])}\n")
    return out.getvalue().encode("utf-8")


def _import(data: bytes) -> float:
    from kefu.customers.importing import run_import

    started = time.perf_counter()
    result, _rows, _mapping = run_import(
        kind="customers",
        stream=io.BytesIO(data),
        name="bench.csv",
        mapping={"姓名": "name", "手机": "mobile", "邮箱": "email", "地区": "region"},
    )
    elapsed = time.perf_counter() - started
    if result.errors:
        raise SystemExit(f"import reported errors: {result.errors[:3]}")
    return elapsed


def _search_latencies(queries: list[str], repeat: int) -> list[float]:
    from kefu.customers.selectors import customer_list

    timings = []
    for _ in range(repeat):
        for q in queries:
            started = time.perf_counter()
            qs = customer_list(q=q)
            total = qs.count()
            page = list(qs.order_by("-id")[:25])
            timings.append((time.perf_counter() - started) * 1000)
            assert total >= len(page)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--import-rows", type=int, default=None)
    parser.add_argument("--database", default=os.environ.get("KEFU_DATABASE_URL"))
    args = parser.parse_args()
    customers = args.customers or (20_000 if args.quick else 1_000_000)
    import_rows = min(args.import_rows or (10_000 if args.quick else 100_000), customers)

    _setup(args.database)
    from django.db import connection

    rng = random.Random(2026)
    print(f"database: {connection.vendor}; customers: {customers:,}; timed import: {import_rows:,}")
    seconds = _import(_csv(import_rows, 0, rng))
    per_100k = seconds * 100_000 / import_rows
    print(f"import {import_rows:,} rows: {seconds:.1f} s ({import_rows / seconds:,.0f} rows/s)")
    failed = per_100k > TARGET_IMPORT_SECONDS_PER_100K
    print(
        f"  = {per_100k:.1f} s per 100,000 rows "
        f"(target < {TARGET_IMPORT_SECONDS_PER_100K:.0f} s) {'MISSED' if failed else 'ok'}"
    )

    filled = import_rows
    chunk = 100_000
    fill_started = time.perf_counter()
    while filled < customers:
        size = min(chunk, customers - filled)
        _import(_csv(size, filled, rng))
        filled += size
        print(f"  filled {filled:,} customers ({time.perf_counter() - fill_started:.0f} s)")

    queries = ["张伟", "王芳", "8123", "13800", "user1234@", "C-0000", "上海 李"]
    _search_latencies(queries, 1)  # warm the caches
    timings = _search_latencies(queries, 5)
    p50 = statistics.median(timings)
    p95 = statistics.quantiles(timings, n=20)[18]
    missed = p95 > TARGET_SEARCH_P95_MS
    failed = failed or missed
    print(
        f"search ({len(timings)} queries over {customers:,} customers): p50 {p50:.1f} ms, "
        f"p95 {p95:.1f} ms (target < {TARGET_SEARCH_P95_MS:.0f} ms) {'MISSED' if missed else 'ok'}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
