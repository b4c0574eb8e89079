"""Customer database benchmark: CSV import throughput and search latency per query kind.

Run: .venv/bin/python bench/bench_customers.py [--quick] [--customers N] [--import-rows N]
     KEFU_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kefu_bench_customers \
         .venv/bin/python bench/bench_customers.py ...

Builds a fresh database (SQLite file under var/ unless KEFU_DATABASE_URL names another),
imports a generated customer CSV through the real import service (timed: the 100,000-row
target), then fills the database up to --customers with bulk inserts (COPY on PostgreSQL) of
rows built by the same functions the services use (search_text, search_tokens), rebuilds the
search index, and times the customer list search — first page of 25 plus the capped total the
list page shows ("1,000+") — for each kind of query: Chinese names of 1–4 characters, phone
fragments, emails, WeChat ids, customer numbers, organisations, Latin names, two terms. The
exact total count is timed too, for information. Prints figures against the targets; exits 1
when one is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_IMPORT_SECONDS_PER_100K = 60.0
TARGET_SEARCH_P95_MS = 50.0

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
COMPOUND = ["欧阳", "司马", "诸葛", "上官", "东方"]
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文斌婷雪琳浩宇晨欣怡子涵"
LATIN_FIRST = ["Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Grace", "Henry"]
LATIN_LAST = ["Clarke", "Smith", "Brown", "Taylor", "Wilson", "Evans", "Walker", "Wright", "Hall"]
ORG_WORDS = ["华信", "蓝天", "星光", "长城", "东方", "恒通", "金桥", "远航", "宏达", "新世纪"]
ORG_KINDS = ["电子", "贸易", "科技", "物流", "食品", "医药", "建材", "传媒"]
CITIES = ["深圳", "上海", "北京", "广州", "杭州", "成都"]
DOMAINS = ["example.cn", "qq.com", "163.com", "126.com", "outlook.com"]


def _setup(database_url: str | None, reuse: bool = False) -> None:
    if database_url:
        os.environ["KEFU_DATABASE_URL"] = database_url
    else:
        path = ROOT / "var" / "bench-customers.sqlite3"
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            if not reuse:
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["KEFU_DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql" and not reuse:
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


# --- bulk fill ----------------------------------------------------------------------------------

CUSTOMER_COLUMNS = [
    "id",
    "uuid",
    "created_at",
    "updated_at",
    "version",
    "kind",
    "number",
    "name",
    "tier",
    "is_vip",
    "credit_grade",
    "language",
    "region",
    "notes",
    "attributes",
    "search_text",
    "search_tokens",
    "merged_into_id",
    "organization_id",
    "user_id",
]
CONTACT_COLUMNS = [
    "uuid",
    "created_at",
    "updated_at",
    "kind",
    "value",
    "normalized",
    "is_primary",
    "customer_id",
]


def _person_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.08:
        return f"{rng.choice(LATIN_FIRST)} {rng.choice(LATIN_LAST)}"
    if roll < 0.12:
        return rng.choice(COMPOUND) + rng.choice(GIVEN) + rng.choice(GIVEN)
    if roll < 0.40:
        return rng.choice(SURNAMES) + rng.choice(GIVEN)
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


def _fill_rows(start_id: int, count: int, rng: random.Random, orgs: list[tuple[int, str]]):
    """Customer and contact rows for ids start_id… (about 1 in 50 is an organisation)."""
    from kefu.customers import search_index
    from kefu.customers.services import build_search_text, format_customer_number

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    customers, contacts = [], []
    for pk in range(start_id, start_id + count):
        number = format_customer_number(pk)
        if rng.random() < 0.02 or not orgs:
            kind = "organization"
            name = rng.choice(CITIES) + rng.choice(ORG_WORDS) + rng.choice(ORG_KINDS) + "有限公司"
            organization_id, organization_name = None, ""
            orgs.append((pk, name))
        else:
            kind = "person"
            name = _person_name(rng)
            organization_id, organization_name = (
                rng.choice(orgs[-500:]) if rng.random() < 0.2 else (None, "")
            )
        rows = []
        if kind == "person" or rng.random() < 0.5:
            mobile = f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(0, 10**8 - 1):08d}"
            rows.append(("mobile", mobile, "+86" + mobile))
        if rng.random() < 0.7:
            email = f"{rng.choice(LATIN_FIRST).lower()}{pk}@{rng.choice(DOMAINS)}"
            rows.append(("email", email, email))
        if rng.random() < 0.25:
            wechat = f"wx{rng.choice(LATIN_LAST).lower()}{pk}"
            rows.append(("wechat", wechat, wechat))
        text = build_search_text(
            number=number,
            name=name,
            organization_name=organization_name,
            contacts=[n for _k, _v, n in rows],
        )
        customers.append(
            (
                pk,
                uuid.uuid4().hex,
                now,
                now,
                1,
                kind,
                number,
                name,
                "",
                False,
                "",
                "zh-hans",
                "",
                "",
                "{}",
                text,
                search_index.search_tokens(text),
                None,
                organization_id,
                None,
            )
        )
        for kind_, value, normalized in rows:
            contacts.append((uuid.uuid4().hex, now, now, kind_, value, normalized, True, pk))
    return customers, contacts


def _bulk_fill(target: int, rng: random.Random, chunk: int = 50_000) -> float:
    """Bulk-insert customers up to `target`, then rebuild the search index; returns seconds."""
    from django.db import connection, transaction
    from django.db.models import Max

    from kefu.customers import search_index
    from kefu.customers.models import Customer

    started = time.perf_counter()
    vendor = connection.vendor
    with connection.cursor() as cursor:
        for statement in search_index.drop_index_sql(vendor):
            cursor.execute(statement)
    next_id = (Customer.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    orgs: list[tuple[int, str]] = list(
        Customer.objects.organizations().values_list("id", "name")[:500]
    )
    while next_id <= target:
        size = min(chunk, target - next_id + 1)
        customers, contacts = _fill_rows(next_id, size, rng, orgs)
        with transaction.atomic(), connection.cursor() as cursor:
            if vendor == "postgresql":
                raw = cursor.cursor
                with raw.copy(
                    f"COPY customers_customer ({', '.join(CUSTOMER_COLUMNS)}) FROM STDIN"
                ) as copy:
                    for row in customers:
                        copy.write_row(row)
                with raw.copy(
                    f"COPY customers_contactpoint ({', '.join(CONTACT_COLUMNS)}) FROM STDIN"
                ) as copy:
                    for row in contacts:
                        copy.write_row(row)
            else:
                cursor.executemany(
                    f"INSERT INTO customers_customer ({', '.join(CUSTOMER_COLUMNS)}) "
                    f"VALUES ({', '.join(['%s'] * len(CUSTOMER_COLUMNS))})",
                    [(*r[:2], str(r[2]), str(r[3]), *r[4:]) for r in customers],
                )
                cursor.executemany(
                    f"INSERT INTO customers_contactpoint ({', '.join(CONTACT_COLUMNS)}) "
                    f"VALUES ({', '.join(['%s'] * len(CONTACT_COLUMNS))})",
                    [(r[0], str(r[1]), str(r[2]), *r[3:]) for r in contacts],
                )
        next_id += size
        print(f"  filled {next_id - 1:,} customers ({time.perf_counter() - started:.0f} s)")
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), %s)",
                [next_id],
            )
    index_started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in search_index.create_index_sql(vendor):
            cursor.execute(statement)
        if vendor == "sqlite":
            table = search_index.FTS_TABLE
            cursor.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  search index built in {time.perf_counter() - index_started:.0f} s")
    return time.perf_counter() - started


# --- queries ------------------------------------------------------------------------------------


def _sample_queries(rng: random.Random, per_kind: int) -> dict[str, list[str]]:
    """Queries of each kind, drawn from the data so that most of them find someone."""
    from kefu.customers.models import ContactPoint, Customer

    top = Customer.objects.order_by("-id").values_list("id", flat=True).first() or 1
    ids = [rng.randint(1, top) for _ in range(per_kind * 40)]
    people = list(Customer.objects.filter(pk__in=ids).values_list("pk", "kind", "name", "number"))
    contacts = list(
        ContactPoint.objects.filter(customer_id__in=ids).values_list("kind", "normalized")
    )
    chinese = [n for _pk, k, n, _num in people if k == "person" and "\u4e00" <= n[0] <= "\u9fff"]
    orgs = [n for _pk, k, n, _num in people if k == "organization"] or ["华信"]
    latin = [n for _pk, k, n, _num in people if k == "person" and n.isascii()] or ["Emma Clarke"]
    phones = [v[3:] for k, v in contacts if k == "mobile"]
    emails = [v for k, v in contacts if k == "email"]
    wechats = [v for k, v in contacts if k == "wechat"] or ["wxsmith1"]

    def pick(values, make):
        return [make(rng.choice(values)) for _ in range(per_kind)]

    def fragment(phone: str) -> str:
        length = rng.randint(4, 8)
        start = rng.randint(0, len(phone) - length)
        piece = phone[start : start + length]
        return piece if rng.random() < 0.7 else f"{piece[:3]} {piece[3:]}"

    return {
        "zh 1 char (surname)": pick(chinese, lambda n: n[0]),
        "zh 2 chars": pick([n for n in chinese if len(n) >= 2], lambda n: n[:2]),
        "zh 3 chars": pick([n for n in chinese if len(n) >= 3] or chinese, lambda n: n[:3]),
        "zh 4 chars": pick(COMPOUND, lambda s: s + rng.choice(GIVEN) + rng.choice(GIVEN)),
        "phone last 4": pick(phones, lambda p: p[-4:]),
        "phone fragment 4-8": pick(phones, fragment),
        "phone full": pick(phones, lambda p: p),
        "email": pick(emails, lambda e: e if rng.random() < 0.5 else e.split("@")[0]),
        "wechat id": pick(wechats, lambda w: w),
        "customer number": pick(people, lambda p: p[3]),
        "organisation": pick(orgs, lambda n: n[2:4] if rng.random() < 0.5 else n[:6]),
        "latin name": pick(latin, lambda n: rng.choice(n.split()).lower()),
        "two terms": pick(chinese, lambda n: f"{n[:2]} {rng.choice('13589')}{rng.randint(0, 99)}"),
    }


def _time_queries(queries: list[str], repeat: int) -> dict[str, list[float]]:
    """Timings in ms of: the search (capped count + ids of the first page of 25, newest
    first), the whole list page's data (the same plus the 25 customers with organisation, tags
    and contacts as model objects), and the exact count."""
    from kefu.customers.selectors import capped_count, customer_list

    timings: dict[str, list[float]] = {"search": [], "page": [], "exact": []}
    for _ in range(repeat):
        for q in queries:
            started = time.perf_counter()
            qs = customer_list(q=q)
            total = capped_count(qs)
            ids = list(qs.values_list("id", flat=True)[:25])
            timings["search"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            qs = customer_list(q=q)
            total = capped_count(qs)
            page = list(qs[:25])
            timings["page"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            exact = qs.count()
            timings["exact"].append((time.perf_counter() - started) * 1000)
            assert [c.pk for c in page] == ids and min(exact, total) >= len(page)
    return timings


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--import-rows", type=int, default=None)
    parser.add_argument("--per-kind", type=int, default=20, help="queries per kind")
    parser.add_argument("--database", default=os.environ.get("KEFU_DATABASE_URL"))
    parser.add_argument(
        "--reuse", action="store_true", help="time the search on the database already filled"
    )
    args = parser.parse_args()
    customers = args.customers or (20_000 if args.quick else 1_000_000)
    default_rows = 10_000 if args.quick else 100_000
    import_rows = min(default_rows if args.import_rows is None else args.import_rows, customers)

    _setup(args.database, reuse=args.reuse)
    from django.db import connection

    from kefu.customers.models import Customer

    if args.reuse:
        import_rows, customers = 0, Customer.objects.count()
    rng = random.Random(2026)
    print(f"database: {connection.vendor}; customers: {customers:,}; timed import: {import_rows:,}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    failed = False
    if import_rows:
        seconds = _import(_csv(import_rows, 0, rng))
        per_100k = seconds * 100_000 / import_rows
        print(f"import {import_rows:,} rows: {seconds:.1f} s ({import_rows / seconds:,.0f} rows/s)")
        failed = per_100k > TARGET_IMPORT_SECONDS_PER_100K
        print(
            f"  = {per_100k:.1f} s per 100,000 rows "
            f"(target < {TARGET_IMPORT_SECONDS_PER_100K:.0f} s) {'MISSED' if failed else 'ok'}"
        )
    if not args.reuse:
        fill = _bulk_fill(customers, rng)
        print(f"bulk fill to {customers:,} customers: {fill:.0f} s")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    kinds = _sample_queries(rng, args.per_kind)
    _time_queries([q for qs in kinds.values() for q in qs], 1)  # warm the caches
    every: dict[str, list[float]] = {"search": [], "page": [], "exact": []}
    print(
        "ms: search = capped count + first 25 ids; page = the same + 25 customers with "
        "organisation, tags, contacts; exact = exact count"
    )
    print(
        f"{'query kind':<22} {'search p50':>10} {'p95':>7} {'max':>7} "
        f"{'page p50':>9} {'p95':>7} {'exact p95':>10}"
    )
    for kind, queries in kinds.items():
        t = _time_queries(queries, 2)
        for key, values in t.items():
            every[key] += values
        print(
            f"{kind:<22} {statistics.median(t['search']):10.1f} {_p95(t['search']):7.1f} "
            f"{max(t['search']):7.1f} {statistics.median(t['page']):9.1f} {_p95(t['page']):7.1f} "
            f"{_p95(t['exact']):10.1f}"
        )
    for key, label in (("search", "search"), ("page", "list page data")):
        p95 = _p95(every[key])
        missed = p95 > TARGET_SEARCH_P95_MS
        failed = failed or (missed and key == "search")
        print(
            f"{label}, all kinds ({len(every[key])} queries over {customers:,} customers): "
            f"p50 {statistics.median(every[key]):.1f} ms, p95 {p95:.1f} ms "
            f"(target < {TARGET_SEARCH_P95_MS:.0f} ms) {'MISSED' if missed else 'ok'}"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
