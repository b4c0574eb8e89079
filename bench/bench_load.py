"""Load test: throughput and latency of a production-like Kefu server at increasing concurrency.

Run:  .venv/bin/python bench/bench_load.py [--quick] [--users 1,4,16,32] [--step-seconds 60]
      KEFU_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kefu_bench_load \
          .venv/bin/python bench/bench_load.py --quick

1. Prepares a scratch database, emptied first: the SQLite file var/bench_load/kefu.sqlite3, or
   the PostgreSQL database in KEFU_DATABASE_URL (its name must contain "bench": the script drops
   every table in it); migrates, loads the demo company (`kefu demo`) and issues an API token for
   the demo admin. `--keep-db` reuses a database prepared by an earlier run.
2. Starts gunicorn (`kefu.wsgi`, `--workers` sync workers, DEBUG off) on 127.0.0.1:8114 — the
   production web process; static files are the reverse proxy's job and are not requested.
3. Runs locust headless (bench/load/locustfile.py: agents 4 : API clients 1) once per step of
   `--users`, each step bounded by `--step-seconds`, after a short unmeasured warm-up.
4. Prints per step and request type: requests, failures, throughput (req/s) and p50/p95/p99
   (ms); the CPU used by the web workers, the PostgreSQL backends of this database, the load
   generator and the rest of the machine; the saturation point and what saturates.

Results are also written to var/bench_load/results-<database>-<time>.json. Needs locust and
psutil (`pip install locust psutil`) and gunicorn (extra `prod`). There is no pass/fail target:
the figures go into docs/performance.md.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psutil

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
WORK_DIR = ROOT / "var" / "bench_load"
LOCUSTFILE = ROOT / "bench" / "load" / "locustfile.py"
DEFAULT_PORT = 8114
SESSIONS_FILE = WORK_DIR / "sessions.json"
# Saturated: more users add less than this share of the throughput linear scaling would add.
SATURATION_SHARE = 0.25


@dataclass
class RequestStats:
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float


@dataclass
class StepResult:
    users: int
    seconds: float
    requests: list[RequestStats]
    total: RequestStats
    cpu: dict[str, float] = field(default_factory=dict)  # CPU cores used on average, by group
    load_average: float = 0.0


# --------------------------------------------------------------------------- database

# Agents are signed in for the whole working day: the load mix starts from open sessions (one
# per demo agent) instead of signing in at every step, which would measure PBKDF2 (deliberately
# slow, ~1 M iterations) rather than the work. Sign-in itself is still one request per user.
SIGN_IN_AGENTS = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from kefu.accounts.models import User
sessions = {}
for user in User.objects.filter(groups__name="agent", is_active=True).distinct():
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.set_expiry(12 * 3600)
    store.save()
    sessions[user.username] = store.session_key
print(json.dumps(sessions))
"""


def _env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        KEFU_DATABASE_URL=database_url,
        KEFU_VAR_DIR=str(WORK_DIR),
        KEFU_DEBUG="0",
        KEFU_SECURE_COOKIES="0",  # plain HTTP on loopback; production sets it (TLS proxy)
        KEFU_LOG_LEVEL="ERROR",
        DJANGO_SETTINGS_MODULE="kefu.settings",
    )
    for name in ("KEFU_REDIS_URL", "KEFU_TASKS_EAGER"):
        env.pop(name, None)
    return env


def _kefu(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "kefu"), *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"kefu {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def empty_database(database_url: str) -> None:
    """Delete the SQLite file, or drop every table of the (bench) PostgreSQL database."""
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        path = Path(database_url[len("sqlite:///") :].split("?", 1)[0])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing to empty database {name!r}: its name must contain 'bench'")
    admin = parts._replace(path="/postgres", query="").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            return
    with psycopg.connect(parts._replace(query="").geturl(), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def prepare_database(database_url: str, *, keep: bool) -> str:
    """Return an API token of the demo admin, after (re)building the demo database."""
    env = _env(database_url)
    if not keep:
        empty_database(database_url)
        print("  migrating…", flush=True)
        _kefu(["migrate", "-v0"], env)
        print("  loading the demo company (kefu demo)…", flush=True)
        # Eager tasks: the demo's side effects run inline instead of racing it for the database.
        _kefu(["demo"], {**env, "KEFU_TASKS_EAGER": "1"})
    output = _kefu(["token", "create", "admin", "--name", f"load-{int(time.time())}"], env)
    found = re.search(r"kefu_[A-Za-z0-9_\-]+", output)
    if not found:
        sys.exit(f"no token in the output of `kefu token create`: {output!r}")
    SESSIONS_FILE.write_text(_kefu(["shell", "-c", SIGN_IN_AGENTS], env).strip().splitlines()[-1])
    return found.group(0)


# --------------------------------------------------------------------------- server


def start_server(database_url: str, *, port: int, workers: int) -> subprocess.Popen:
    env = _env(database_url)
    if shutil.which("gunicorn", path=str(VENV_BIN)) is None:
        sys.exit("gunicorn is not installed: pip install gunicorn (extra 'prod')")
    log = open(WORK_DIR / "gunicorn.log", "w")  # noqa: SIM115 - lives as long as the server
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "kefu.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--timeout=120",
            "--graceful-timeout=5",
            "--preload",  # import Kefu once, before forking: workers start warm and share memory
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited; see {WORK_DIR / 'gunicorn.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    stop_server(server)
    sys.exit("gunicorn did not answer /api/v1/health within 120 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --------------------------------------------------------------------------- CPU accounting


class CpuSampler:
    """CPU seconds used during a step by the web workers, this database's PostgreSQL backends,
    the load generator and the whole machine (psutil, sampled each second so that processes
    started during the step are counted too)."""

    def __init__(self, server_pid: int, database: str | None, locust_pid: int) -> None:
        self.server_pid, self.database, self.locust_pid = server_pid, database, locust_pid
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.group: dict[int, str] = {}
        self.stop = threading.Event()
        self.started = time.time()
        self.machine_start = psutil.cpu_times()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _processes(self):
        for name, root in (("web", self.server_pid), ("load generator", self.locust_pid)):
            try:
                parent = psutil.Process(root)
                yield name, parent
                for child in parent.children(recursive=True):
                    yield name, child
            except psutil.NoSuchProcess:
                continue
        if self.database:
            marker = f" {self.database} "
            for proc in psutil.process_iter(["name", "cmdline"]):
                cmdline = " ".join(proc.info["cmdline"] or [])
                if cmdline.startswith("postgres:") and marker in cmdline:
                    yield "database", proc

    def _sample(self) -> None:
        for group, proc in self._processes():
            try:
                times = proc.cpu_times()
                used = times.user + times.system
                if proc.pid not in self.first:
                    born_during_step = proc.create_time() >= self.started
                    self.first[proc.pid] = 0.0 if born_during_step else used
                self.last[proc.pid] = used
                self.group[proc.pid] = group
            except psutil.Error:
                continue

    def _loop(self) -> None:
        while not self.stop.is_set():
            self._sample()
            self.stop.wait(1.0)

    def __enter__(self):
        self._sample()
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self._sample()

    def cores_used(self) -> dict[str, float]:
        wall = max(time.time() - self.started, 1e-6)
        used: dict[str, float] = {"web": 0.0, "database": 0.0, "load generator": 0.0}
        for pid, last in self.last.items():
            used[self.group[pid]] += last - self.first[pid]

        def busy(times) -> float:
            return sum(times) - times.idle - getattr(times, "iowait", 0.0)

        machine = busy(psutil.cpu_times()) - busy(self.machine_start)
        cores = {group: seconds / wall for group, seconds in used.items()}
        cores["machine"] = machine / wall
        cores["others"] = max(cores["machine"] - sum(used.values()) / wall, 0.0)
        return cores


# --------------------------------------------------------------------------- locust


def _stats_row(row: dict) -> RequestStats:
    def number(key: str) -> float:
        value = row.get(key) or "0"
        return float(value) if value != "N/A" else 0.0

    return RequestStats(
        name=row["Name"],
        requests=int(number("Request Count")),
        failures=int(number("Failure Count")),
        rps=number("Requests/s"),
        p50=number("50%"),
        p95=number("95%"),
        p99=number("99%"),
    )


def run_step(
    *, users: int, seconds: int, host: str, token: str, server_pid: int, database: str | None
) -> StepResult:
    prefix = WORK_DIR / f"step-{users}"
    command = [
        str(VENV_BIN / "locust"),
        f"--locustfile={LOCUSTFILE}",
        "--headless",
        f"--users={users}",
        f"--spawn-rate={users}",
        f"--run-time={seconds}s",
        f"--host={host}",
        f"--csv={prefix}",
        "--only-summary",
        "--stop-timeout=5",
        "--loglevel=WARNING",
    ]
    env = {**os.environ, "KEFU_LOAD_TOKEN": token, "KEFU_LOAD_SESSIONS": str(SESSIONS_FILE)}
    load_before = os.getloadavg()[0]
    locust = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    started = time.monotonic()
    with CpuSampler(server_pid, database, locust.pid) as sampler:
        try:
            _out, err = locust.communicate(timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            locust.kill()
            _out, err = locust.communicate()
        cores = sampler.cores_used()
    elapsed = time.monotonic() - started
    stats_file = Path(f"{prefix}_stats.csv")
    if not stats_file.exists():
        sys.exit(f"locust wrote no statistics (exit {locust.returncode}):\n{err[-2000:]}")
    with stats_file.open() as handle:
        rows = [_stats_row(row) for row in csv.DictReader(handle)]
    total = next(r for r in rows if r.name == "Aggregated")
    requests = sorted((r for r in rows if r.name != "Aggregated"), key=lambda r: r.name)
    return StepResult(
        users=users,
        seconds=round(elapsed, 1),
        requests=requests,
        total=total,
        cpu={k: round(v, 2) for k, v in cores.items()},
        load_average=round((load_before + os.getloadavg()[0]) / 2, 2),
    )


# --------------------------------------------------------------------------- report


def print_step(step: StepResult) -> None:
    print(
        f"\n{step.users} users, {step.seconds:.0f} s (load average {step.load_average}):",
        flush=True,
    )
    print(f"  {'request':<20}{'n':>7}{'fail':>6}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}  (ms)")
    for row in [*step.requests, step.total]:
        name = "ALL" if row is step.total else row.name
        print(
            f"  {name:<20}{row.requests:>7}{row.failures:>6}{row.rps:>8.1f}"
            f"{row.p50:>8.0f}{row.p95:>8.0f}{row.p99:>8.0f}"
        )
    cpu = step.cpu
    if step.total.requests:
        per_request = {
            group: cpu.get(group, 0) * step.seconds / step.total.requests * 1000
            for group in ("web", "database")
        }
        print(
            f"  CPU per request: web {per_request['web']:.0f} ms, "
            f"database {per_request['database']:.0f} ms (averaged over the mix)"
        )
    print(
        "  CPU cores used: "
        + ", ".join(f"{k} {cpu.get(k, 0):.2f}" for k in ("web", "database", "load generator"))
        + f", other processes {cpu.get('others', 0):.2f}; machine {cpu.get('machine', 0):.2f}"
        + f" of {psutil.cpu_count()}"
    )


def saturation(steps: list[StepResult], *, workers: int) -> str:
    """Name the step after which more users stop adding throughput, and the likely bottleneck."""
    cores = psutil.cpu_count() or 1
    knee = None
    for previous, step in itertools.pairwise(steps):
        linear = step.users / previous.users  # the gain if throughput grew with the users
        if step.total.rps < previous.total.rps * (1 + SATURATION_SHARE * (linear - 1)):
            knee = previous
            break
    if knee is None:
        return (
            f"not reached: throughput still grew up to {steps[-1].users} users "
            f"({steps[-1].total.rps:.1f} req/s)"
        )
    after = steps[steps.index(knee) + 1]
    cpu = after.cpu
    if cpu.get("machine", 0) >= 0.85 * cores:
        shares = ", ".join(
            f"{k} {cpu.get(k, 0):.2f}" for k in ("web", "database", "load generator", "others")
        )
        cause = f"the machine's {cores} CPU cores are busy ({shares} cores)"
    elif cpu.get("database", 0) >= 0.8:
        cause = f"the database backends ({cpu['database']:.2f} cores)"
    elif after.users > workers and cpu.get("web", 0) < 0.8 * min(workers, cores):
        cause = (
            f"waiting, not CPU: {workers} sync workers hold {after.users} users in the queue; "
            "on SQLite writers also wait for the single write lock"
        )
    else:
        cause = f"the web workers' CPU ({cpu.get('web', 0):.2f} cores)"
    return (
        f"at about {knee.users} users ({knee.total.rps:.1f} req/s, p95 {knee.total.p95:.0f} ms); "
        f"at {after.users} users {after.total.rps:.1f} req/s, p95 {after.total.p95:.0f} ms. "
        f"Saturates: {cause}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="15 s per step (a smoke run)")
    parser.add_argument("--users", default="1,4,16,32", help="comma-separated concurrency steps")
    parser.add_argument("--step-seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--keep-db", action="store_true", help="reuse the prepared database")
    args = parser.parse_args()
    seconds = 15 if args.quick else args.step_seconds
    steps_users = [int(u) for u in args.users.split(",") if u.strip()]

    WORK_DIR.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("KEFU_DATABASE_URL") or f"sqlite:///{WORK_DIR / 'kefu.sqlite3'}"
    parts = urlsplit(database_url)
    database = parts.path.lstrip("/") if parts.scheme.startswith("postgres") else None
    vendor = "postgresql" if database else "sqlite"
    print(f"Kefu load test on {vendor} ({database_url}); {psutil.cpu_count()} CPU cores")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("Preparing the database…", flush=True)
    token = prepare_database(database_url, keep=args.keep_db)
    server = start_server(database_url, port=args.port, workers=args.workers)
    host = f"http://127.0.0.1:{args.port}"
    results: list[StepResult] = []
    try:
        print(f"gunicorn with {args.workers} workers at {host}; warming up…", flush=True)
        run_step(
            users=min(8, max(steps_users)), seconds=15 if args.quick else 30, host=host,
            token=token,
            server_pid=server.pid, database=database,
        )  # fmt: skip
        for users in steps_users:
            step = run_step(
                users=users, seconds=seconds, host=host, token=token,
                server_pid=server.pid, database=database,
            )  # fmt: skip
            results.append(step)
            print_step(step)
    finally:
        stop_server(server)
    verdict = saturation(results, workers=args.workers)
    print(f"\nSaturation: {verdict}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    out = WORK_DIR / f"results-{vendor}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "database": vendor,
                "workers": args.workers,
                "step_seconds": seconds,
                "cpu_cores": psutil.cpu_count(),
                "steps": [asdict(r) for r in results],
                "saturation": verdict,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    print(f"results written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
