"""Tickets benchmark (issue #4): inbox page and ticket page latency, ticket creation through the
API with 8 concurrent clients.

Targets, with 1,000,000 tickets and 10,000,000 events on PostgreSQL:
  inbox page p95 < 100 ms · ticket page p95 < 150 ms · API create >= 300 tickets/s (8 clients)

Run:
  .venv/bin/python bench/bench_tickets.py --quick
      5,000 tickets / 50,000 events in a fresh SQLite file (var/bench-tickets.sqlite3), or in
      the database KEFU_DATABASE_URL names. Small data: the figures are not the target's.
  .venv/bin/python bench/bench_tickets.py
      the full data set, built once into PostgreSQL database kefu_bench_tickets (created if
      missing; COPY in batches of 50,000 rows) and reused by later runs; --rebuild builds it
      again. Options: --database-url, --tickets, --events-per-ticket, --requests, --creates,
      --batch.

Page latencies are measured in-process with Django's test client (URL routing, middleware,
queries and template rendering; no network), one request at a time, as an agent with 25,000
assigned tickets. Creation throughput goes over HTTP to gunicorn (2 workers × 4 threads) with
8 client threads with a bearer token: once one ticket per request to /api/v1/tickets, once
--batch tickets (50) per request to /api/v1/tickets/batch. Exits 1 when a target is missed in
full mode.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FULL_URL = "postgresql://postgres@127.0.0.1:5432/kefu_bench_tickets"
TARGET_INBOX_P95_MS = 100.0
TARGET_TICKET_P95_MS = 150.0
TARGET_CREATES_PER_S = 300.0
CLIENTS = 8
BATCH = 50_000
AGENTS, TEAMS = 40, 8
OPEN_STATUSES = ("new", "open", "pending", "on_hold")
STATUSES = np.array([*OPEN_STATUSES, "solved", "closed"])
STATUS_P = [0.04, 0.12, 0.05, 0.02, 0.17, 0.60]
KINDS = np.array(["inquiry", "request", "complaint", "praise"])
KINDS_P = [0.45, 0.30, 0.20, 0.05]
PRIORITIES = np.array(["low", "normal", "high", "urgent"])
PRIORITIES_P = [0.2, 0.6, 0.15, 0.05]
CHANNELS = np.array(["email", "web", "phone", "chat", "wechat"])
EVENT_KINDS = ("created", "assigned", "updated", "reply_sent", "status_changed")
SUBJECTS = ("手机屏幕有划痕", "快递一直没到", "发票开错了", "How do I enable dual SIM?", "退款进度")


def setup(database_url: str, *, fresh_sqlite: bool) -> None:
    if database_url.startswith("sqlite") and fresh_sqlite:
        path = Path(database_url.removeprefix("sqlite:///"))
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    if database_url.startswith("postgres"):
        _create_pg_database(database_url)
    os.environ["KEFU_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _create_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


# --- bulk loading ------------------------------------------------------------------------------


def _columns(model, given: list[str]) -> tuple[list[str], list]:
    """All concrete columns of `model` (but the pk unless given): names, and for the columns
    not in `given` a constant default or a callable (uuid4) per row."""
    names, fillers = [], []
    now = dt.datetime.now(dt.UTC)
    for field in model._meta.concrete_fields:
        if field.primary_key and field.attname not in given:
            continue
        names.append(field.column)
        if field.attname in given:
            fillers.append(given.index(field.attname))
        elif field.has_default():
            default = field.default
            if callable(default) and default is uuid.uuid4:
                fillers.append(uuid.uuid4)
            else:
                value = field.get_default()
                fillers.append(("const", _db(value)))
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            fillers.append(("const", now))
        elif field.null:
            fillers.append(("const", None))
        else:
            fillers.append(("const", ""))
    return names, fillers


def _db(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def _sqlite(value):
    """Datetimes as Django stores them in SQLite: naive UTC text."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    return value


def bulk_insert(model, given: list[str], rows) -> int:
    """Insert rows (tuples in `given` order) with every other column defaulted: COPY on
    PostgreSQL, executemany on SQLite. Returns the number of rows."""
    from django.db import connection, transaction

    names, fillers = _columns(model, given)
    sqlite = connection.vendor == "sqlite"

    def full(row):
        out = []
        for filler in fillers:
            if isinstance(filler, int):
                out.append(_db(row[filler]))
            elif filler is uuid.uuid4:
                out.append(uuid.uuid4().hex if sqlite else uuid.uuid4())
            else:
                out.append(filler[1])
        return out

    table = model._meta.db_table
    count = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if sqlite:
            marks = ", ".join(["%s"] * len(names))
            sql = f'INSERT INTO "{table}" ({", ".join(names)}) VALUES ({marks})'
            batch = []
            for row in rows:
                batch.append([_sqlite(v) for v in full(row)])
                if len(batch) >= 5000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
        else:
            quoted = ", ".join(f'"{n}"' for n in names)
            with cursor.cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(full(row))
                    count += 1
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
            )
    return count


def build(tickets: int, events_per_ticket: int, rng: np.random.Generator) -> None:
    """The data set: teams, agents, customers, tickets, 2 messages and N events per ticket."""
    from django.db import connection

    from kefu.accounts.models import Team, User
    from kefu.accounts.roles import sync_role_groups
    from kefu.customers.models import Customer
    from kefu.tickets.models import Message, Ticket, TicketEvent

    sync_role_groups()
    from django.contrib.auth.models import Group

    agent_group = Group.objects.get(name="agent")
    agents = []
    for i in range(AGENTS):
        user = User.objects.create(username=f"bench-agent-{i}", display_name=f"坐席{i}")
        user.groups.add(agent_group)
        agents.append(user)
    teams = []
    for t in range(TEAMS):
        team = Team.objects.create(name=f"Bench team {t}")
        team.members.set(agents[t::TEAMS])
        teams.append(team)
    customers = max(1_000, tickets // 5)
    started = time.perf_counter()
    bulk_insert(
        Customer,
        ["id", "number", "name", "kind"],
        ((i, f"B{i:09d}", f"客户{i}", "person") for i in range(1, customers + 1)),
    )
    print(f"  {customers:,} customers in {time.perf_counter() - started:.1f} s")
    agent_ids = np.array([a.pk for a in agents])
    team_of_agent = {a.pk: teams[i % TEAMS].pk for i, a in enumerate(agents)}
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    span = (dt.datetime(2026, 11, 30, tzinfo=dt.UTC) - start).total_seconds()

    def ticket_rows():
        for first in range(1, tickets + 1, BATCH):
            n = min(BATCH, tickets + 1 - first)
            status = rng.choice(STATUSES, n, p=STATUS_P)
            kind = rng.choice(KINDS, n, p=KINDS_P)
            priority = rng.choice(PRIORITIES, n, p=PRIORITIES_P)
            channel = rng.choice(CHANNELS, n)
            customer = rng.integers(1, customers + 1, n)
            assignee = rng.choice(agent_ids, n)
            unassigned = (status == "new") & (rng.random(n) < 0.5)
            created = rng.uniform(0, span, n)
            for j in range(n):
                pk = first + j
                at = start + dt.timedelta(seconds=float(created[j]))
                agent = None if unassigned[j] else int(assignee[j])
                yield (
                    pk,
                    f"KF-{at.year}-{pk:06d}",
                    SUBJECTS[pk % len(SUBJECTS)],
                    "客户来电反映问题，详见描述。",
                    int(customer[j]),
                    str(channel[j]),
                    str(kind[j]),
                    str(priority[j]),
                    str(status[j]),
                    "action" if kind[j] == "complaint" else "",
                    agent,
                    team_of_agent[agent] if agent else int(teams[pk % TEAMS].pk),
                    at,
                    at + dt.timedelta(hours=2),
                    at + dt.timedelta(hours=24) if status[j] in OPEN_STATUSES else None,
                )

    started = time.perf_counter()
    bulk_insert(
        Ticket,
        [
            "id",
            "public_id",
            "subject",
            "description",
            "customer_id",
            "channel",
            "kind",
            "priority",
            "status",
            "stage",
            "assignee_id",
            "team_id",
            "created_at",
            "updated_at",
            "resolution_due_at",
        ],
        ticket_rows(),
    )
    print(f"  {tickets:,} tickets in {time.perf_counter() - started:.1f} s")
    first_agent = int(agent_ids[0])

    def message_rows():
        for pk in range(1, tickets + 1):
            at = start + dt.timedelta(seconds=pk % 86_400)
            yield (pk, "customer", None, "web", "请问现在处理到哪一步了？", at, at)
            yield (pk, "reply", first_agent, "web", "您好，我们正在处理，请稍候。", at, at)

    started = time.perf_counter()
    bulk_insert(
        Message,
        ["ticket_id", "kind", "author_id", "channel", "body_text", "created_at", "updated_at"],
        message_rows(),
    )
    print(f"  {2 * tickets:,} messages in {time.perf_counter() - started:.1f} s")

    def event_rows():
        for pk in range(1, tickets + 1):
            base = start + dt.timedelta(seconds=pk % 86_400)
            for k in range(events_per_ticket):
                kind = EVENT_KINDS[k % len(EVENT_KINDS)]
                changes = {"priority": ["normal", "high"]} if kind == "updated" else {}
                yield (
                    pk,
                    base + dt.timedelta(minutes=7 * k),
                    first_agent,
                    "bench",
                    kind,
                    changes,
                    "",
                )

    started = time.perf_counter()
    bulk_insert(
        TicketEvent,
        ["ticket_id", "at", "actor_id", "actor_label", "kind", "changes", "note"],
        event_rows(),
    )
    print(f"  {tickets * events_per_ticket:,} events in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        # VACUUM as well: it sets the visibility map, without which PostgreSQL cannot answer the
        # inbox counts from the covering indexes alone (autovacuum does it later on a live system).
        with connection.cursor() as cursor:
            for table in ("tickets_ticket", "tickets_ticketevent", "tickets_message"):
                cursor.execute(f"VACUUM ANALYZE {table}")


def already_built(tickets: int) -> bool:
    from kefu.accounts.models import User
    from kefu.tickets.models import Ticket

    # Tickets above the data set's last id are the ones earlier runs created over the API
    # (channel "api"): they do not make the data set a different one.
    return (
        User.objects.filter(username="bench-agent-0").exists()
        and Ticket.objects.filter(pk=tickets).exists()
        and not Ticket.objects.filter(pk__gt=tickets).exclude(channel="api").exists()
    )


# --- measurements ------------------------------------------------------------------------------


def percentile_ms(samples: list[float], q: float) -> float:
    return float(np.percentile(np.array(samples) * 1000, q))


def time_pages(urls: list[str], user) -> tuple[list[float], list[float], float | None]:
    """Wall-clock and CPU (this process: Python, not the database server) seconds per page,
    and the PostgreSQL backend's mean CPU seconds per page (None on SQLite, whose work is in
    this process's CPU already)."""
    from django.db import connection
    from django.test import Client

    client = Client(headers={"Accept-Language": "zh-hans"}, HTTP_HOST="127.0.0.1")
    client.force_login(user)
    assert client.get(urls[0]).status_code == 200  # warm up (templates, caches)
    backend = []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = [cursor.fetchone()[0]]
    samples, cpu = [], []
    backend_cpu = _cpu_seconds(backend)
    for url in urls:
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        samples.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    db_cpu = (_cpu_seconds(backend) - backend_cpu) / len(urls) if backend else None
    return samples, cpu, db_cpu


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds so far of these processes (those gone count as 0)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _server_pids(server_pid: int, database_url: str) -> tuple[list[int], list[int]]:
    """gunicorn's processes, and the PostgreSQL backends serving other connections to the
    benchmark's database (gunicorn keeps its connections: CONN_MAX_AGE)."""
    import psutil
    from django.db import connection

    web = [server_pid, *(c.pid for c in psutil.Process(server_pid).children(recursive=True))]
    db: list[int] = []
    if database_url.startswith("postgres"):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            db = [row[0] for row in cursor.fetchall()]
    return web, db


def _cpu_rows(cpu: dict, vendor: str) -> list[tuple]:
    return [
        ("  CPU per create: gunicorn (ms)", cpu["gunicorn"], None, "<"),
        *(
            [("  CPU per create: PostgreSQL (ms)", cpu["postgres"], None, "<")]
            if vendor == "postgresql"
            else []
        ),
        ("  CPU per create: the 8 clients (ms)", cpu["clients"], None, "<"),
    ]


def time_creates(user, creates: int, database_url: str, batch: int = 1) -> tuple[float, int, dict]:
    """Tickets created per second over HTTP by CLIENTS threads against gunicorn, and the CPU
    milliseconds per ticket spent by gunicorn, by PostgreSQL's backends and by the clients.
    batch = 1 posts one ticket per request to /api/v1/tickets; more posts that many per request
    to /api/v1/tickets/batch."""
    import http.client

    from kefu.accounts.services import token_create
    from kefu.customers.models import Customer

    token = token_create(actor=user, user=user, name=f"bench {time.time()}").raw
    customer_ids = list(Customer.objects.order_by("id").values_list("id", flat=True)[:1000])
    port = 8765
    env = {**os.environ, "KEFU_DATABASE_URL": database_url, "KEFU_DEBUG": "0"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "kefu.wsgi",
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_for(port)
        _warm_up(port, token)
        per_client = creates // CLIENTS // batch * batch
        errors: list[str] = []

        def item(index: int, i: int) -> dict:
            return {
                "customer_id": customer_ids[(index * per_client + i) % len(customer_ids)],
                "subject": f"压测工单 {index}-{i}",
                "description": "快递一直没到，物流信息不更新。",
                "channel": "api",
                "kind": "inquiry",
            }

        def client(index: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            for first in range(0, per_client, batch):
                if batch == 1:
                    url, body = "/api/v1/tickets", json.dumps(item(index, first))
                else:
                    items = [item(index, first + i) for i in range(batch)]
                    url, body = "/api/v1/tickets/batch", json.dumps({"tickets": items})
                conn.request("POST", url, body, headers)
                response = conn.getresponse()
                response.read()
                if response.status != 201:
                    errors.extend([f"{response.status}"] * batch)
            conn.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        web, db = _server_pids(server.pid, database_url)
        web_cpu, db_cpu, own_cpu = _cpu_seconds(web), _cpu_seconds(db), time.process_time()
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        done = per_client * CLIENTS - len(errors)
        per_ticket = 1000 / max(done, 1)
        cpu = {
            "gunicorn": (_cpu_seconds(web) - web_cpu) * per_ticket,
            "postgres": (_cpu_seconds(db) - db_cpu) * per_ticket,
            "clients": (time.process_time() - own_cpu) * per_ticket,
        }
        if errors:
            print(f"  {len(errors)} create requests failed, e.g. HTTP {errors[0]}")
        return done / elapsed, len(errors), cpu
    finally:
        server.terminate()
        server.wait(timeout=30)


def _warm_up(port: int, token: str) -> None:
    """Let every worker load Kefu before the clock starts (gunicorn binds first, loads later)."""
    import http.client

    def one() -> None:
        for _ in range(3):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request(
                "GET", "/api/v1/tickets?view=mine", headers={"Authorization": f"Bearer {token}"}
            )
            conn.getresponse().read()
            conn.close()

    threads = [threading.Thread(target=one) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _wait_for(port: int) -> None:
    import socket

    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def _db_row(page: str, seconds: float | None) -> list[tuple]:
    if seconds is None:
        return []
    return [(f"{page} page CPU mean (ms, PostgreSQL)", seconds * 1000, None, "<")]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small data set, fewer requests")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--rebuild", action="store_true", help="build the full data set again")
    parser.add_argument("--tickets", type=int, default=0)
    parser.add_argument("--events-per-ticket", type=int, default=10)
    parser.add_argument("--requests", type=int, default=0, help="page requests per figure")
    parser.add_argument("--creates", type=int, default=0, help="tickets created over the API")
    parser.add_argument(
        "--batch", type=int, default=50, help="tickets per request to /api/v1/tickets/batch"
    )
    args = parser.parse_args()
    quick = args.quick
    tickets = args.tickets or (5_000 if quick else 1_000_000)
    requests = args.requests or (40 if quick else 300)
    creates = args.creates or (400 if quick else 4_000)
    if quick:
        database_url = (
            args.database_url
            or os.environ.get("KEFU_DATABASE_URL", "")
            or f"sqlite:///{ROOT / 'var' / 'bench-tickets.sqlite3'}"
        )
    else:
        database_url = args.database_url or FULL_URL
    setup(database_url, fresh_sqlite=quick or args.rebuild)
    from django.core.management import call_command
    from django.db import connection

    rng = np.random.default_rng(2026)
    if quick or args.rebuild or not already_built(tickets):
        if connection.vendor == "postgresql":
            call_command("flush", interactive=False, verbosity=0)
        print(
            f"building {tickets:,} tickets × {args.events_per_ticket} events ({connection.vendor})"
        )
        build(tickets, args.events_per_ticket, rng)
    else:
        print(f"reusing the data set in {connection.settings_dict['NAME']}")

    from kefu.accounts.models import User
    from kefu.tickets.models import Ticket

    agent = User.objects.get(username="bench-agent-0")
    total_tickets = Ticket.objects.count()
    views = ["mine", "team", "unassigned", "all_open", "due_soon", "breached", "complaints"]
    inbox_urls = [
        f"/tickets/?view={views[i % len(views)]}&page={1 + int(rng.integers(0, 3))}"
        for i in range(requests)
    ]
    inbox, inbox_cpu, inbox_db = time_pages(inbox_urls, agent)
    visible = list(
        Ticket.objects.filter(assignee=agent).order_by("?").values_list("pk", flat=True)[:requests]
    )
    ticket, ticket_cpu, ticket_db = time_pages([f"/tickets/{pk}/" for pk in visible], agent)
    load = os.getloadavg()[0]
    rate, failed, create_cpu = time_creates(agent, creates, database_url)
    batch_rate, batch_failed, batch_cpu = time_creates(agent, creates, database_url, args.batch)
    failed += batch_failed

    rows = [
        ("inbox page p50 (ms)", percentile_ms(inbox, 50), None, "<"),
        ("inbox page p95 (ms)", percentile_ms(inbox, 95), TARGET_INBOX_P95_MS, "<"),
        ("inbox page CPU p50 (ms, Python only)", percentile_ms(inbox_cpu, 50), None, "<"),
        ("inbox page CPU p95 (ms, Python only)", percentile_ms(inbox_cpu, 95), None, "<"),
        *_db_row("inbox", inbox_db),
        ("ticket page p50 (ms)", percentile_ms(ticket, 50), None, "<"),
        ("ticket page p95 (ms)", percentile_ms(ticket, 95), TARGET_TICKET_P95_MS, "<"),
        ("ticket page CPU p50 (ms, Python only)", percentile_ms(ticket_cpu, 50), None, "<"),
        ("ticket page CPU p95 (ms, Python only)", percentile_ms(ticket_cpu, 95), None, "<"),
        *_db_row("ticket", ticket_db),
        (f"API create one per request, {CLIENTS} clients (tickets/s)", rate, None, ">="),
        *_cpu_rows(create_cpu, connection.vendor),
        (
            f"API create {args.batch} per request, {CLIENTS} clients (tickets/s)",
            batch_rate,
            TARGET_CREATES_PER_S,
            ">=",
        ),
        *_cpu_rows(batch_cpu, connection.vendor),
    ]
    print(
        f"\ndatabase: {connection.vendor} {connection.settings_dict['NAME']}; "
        f"{total_tickets:,} tickets; {requests} requests per page figure; {creates} creates; "
        f"load average {load:.1f} on {os.cpu_count()} CPUs (targets assume an idle machine)"
    )
    print(f"{'figure':<54} {'measured':>10} {'target':>10}  ok")
    missed = 0
    for name, value, target, sense in rows:
        ok = ""
        if target is not None:
            good = value < target if sense == "<" else value >= target
            ok = "yes" if good else "NO"
            missed += not good
        target_text = f"{sense} {target:g}" if target is not None else ""
        print(f"{name:<54} {value:>10.1f} {target_text:>10}  {ok}")
    if quick:
        print("(--quick: small data set; the targets apply to the full run)")
        return 0
    return 1 if missed or failed else 0


if __name__ == "__main__":
    sys.exit(main())
