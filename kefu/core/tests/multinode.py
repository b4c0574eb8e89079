"""A small Kefu cluster on loopback for the multi-node tests: web processes and Celery workers.

Every node is a real subprocess started the way production starts it (gunicorn `kefu.wsgi`, or
`kefu serve` when gunicorn is not installed; `celery -A kefu worker`), all sharing one
database, one Redis database and one secret key. Each worker consumes its own queue, so a task
sent to that queue is known to run on that worker. Nodes are always stopped (SIGTERM, then
SIGKILL) and their logs are kept for the failure message.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[3]
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# A Redis database of its own (the other Celery tests use 15); queue names are unique per run.
REDIS_DB = 13
START_TIMEOUT_S = 90.0  # generous: a loaded CI machine needs ~40 s to start four Django processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_reachable() -> bool:
    try:
        socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1).close()
        return True
    except OSError:
        return False


def database_url(settings_dict: dict) -> str:
    """The KEFU_DATABASE_URL of a PostgreSQL DATABASES entry (the test database's, here)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    # conn_max_age=0: no idle connections left behind to delay dropping the test database.
    return f"postgresql://{credentials}{host}{port}/{settings_dict['NAME']}?conn_max_age=0"


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group has exited
        os.killpg(process.pid, signum)


@dataclass
class Node:
    name: str
    process: subprocess.Popen
    log: Path
    url: str = ""
    queue: str = ""

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    cookies: dict[str, str]
    body: str


def request(
    method: str, url: str, *, cookies: dict | None = None, form: dict | None = None
) -> Response:
    """One HTTP request without following redirects (http.client: no third-party client)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Host": f"{parts.hostname}:{parts.port}"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = url
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        jar = {}
        for name, value in answer.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                jar[key.strip()] = rest.split(";", 1)[0]
        return Response(
            status=answer.status,
            headers={k.lower(): v for k, v in answer.getheaders()},
            cookies=jar,
            body=answer.read().decode("utf-8", "replace"),
        )
    finally:
        connection.close()


@dataclass
class Cluster:
    """Web nodes and worker nodes over one database and one Redis database."""

    database_url: str
    root: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    redis_url: str = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(40))
    imap_port: int = 0
    webs: list[Node] = field(default_factory=list)
    workers: list[Node] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KEFU_", "CELERY_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="kefu.settings",
            PYTHONUNBUFFERED="1",
            KEFU_DATABASE_URL=self.database_url,
            KEFU_REDIS_URL=self.redis_url,
            # Every web process must sign sessions (and the CSRF check) with the same key.
            KEFU_SECRET_KEY=self.secret_key,
            KEFU_VAR_DIR=str(self.root),
            KEFU_SECURE_COOKIES="0",  # plain HTTP on loopback
            KEFU_LANGUAGE="en",
            KEFU_LOG_LEVEL="WARNING",
            **self.extra_env,
        )
        return env

    def _spawn(self, name: str, command: list[str]) -> tuple[subprocess.Popen, Path]:
        log = self.root / f"{name}.log"
        with log.open("w") as handle:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env(),
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() reaches the children
            )
        return process, log

    def start_web(self, name: str) -> Node:
        port = free_port()
        if importlib.util.find_spec("gunicorn") is not None:
            command = [
                sys.executable, "-m", "gunicorn", "kefu.wsgi:application",
                f"--bind=127.0.0.1:{port}", "--workers=1", "--timeout=60", "--graceful-timeout=5",
            ]  # fmt: skip
        else:
            command = [sys.executable, "-m", "kefu.cli", "serve", f"127.0.0.1:{port}"]
        process, log = self._spawn(name, command)
        node = Node(name, process, log, url=f"http://127.0.0.1:{port}")
        self.webs.append(node)
        return node

    def start_worker(self, name: str) -> Node:
        queue = f"kefu-multinode-{self.run_id}-{name}"
        command = [
            sys.executable, "-m", "celery", "-A", "kefu", "worker",
            f"--queues={queue}", f"--hostname={name}-{self.run_id}@%h",
            "--pool=threads", "--concurrency=2",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel=INFO",
        ]  # fmt: skip
        process, log = self._spawn(name, command)
        node = Node(name, process, log, queue=queue)
        self.workers.append(node)
        return node

    def client(self):
        """A Celery client app on the cluster's Redis (not Kefu's app: nothing global changes)."""
        from celery import Celery

        return Celery(
            f"kefu-multinode-{self.run_id}", broker=self.redis_url, backend=self.redis_url
        )

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Wait until every web node answers /api/v1/health and every worker answers a ping."""
        deadline = time.monotonic() + timeout
        for node in self.webs:
            while True:
                self._check_alive(node)
                try:
                    if request("GET", f"{node.url}/api/v1/health").status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{node.name} not healthy:\n{node.log_tail()}")
                time.sleep(0.3)
        app = self.client()
        pings = [
            (node, app.send_task("core.ping", args=[1], queue=node.queue)) for node in self.workers
        ]
        for node, result in pings:
            self._check_alive(node)
            try:
                assert result.get(timeout=max(deadline - time.monotonic(), 1)) == 2
            except Exception as exc:
                raise TimeoutError(
                    f"{node.name} did not answer: {exc!r}\n{node.log_tail()}"
                ) from exc
            result.forget()

    @staticmethod
    def _check_alive(node: Node) -> None:
        if node.process.poll() is not None:
            raise RuntimeError(
                f"{node.name} exited ({node.process.returncode}):\n{node.log_tail()}"
            )

    def run_everywhere(self, task_name: str, copies: int = 2, timeout: float = 30) -> list:
        """Send `copies` of a task to every worker's queue at once; return all results."""
        app = self.client()
        sent = [
            app.send_task(task_name, queue=node.queue)
            for _ in range(copies)
            for node in self.workers
        ]
        results = []
        for result in sent:
            results.append(result.get(timeout=timeout))
            result.forget()
        return results

    def stop(self) -> None:
        nodes = [*self.webs, *self.workers]
        for node in nodes:
            _signal_group(node.process, signal.SIGTERM)
        for node in nodes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                node.process.wait(timeout=8)
            _signal_group(node.process, signal.SIGKILL)  # stragglers (e.g. a gunicorn worker)
            node.process.wait(timeout=10)
        try:
            import redis

            client = redis.Redis.from_url(self.redis_url, socket_timeout=2)
            keys = [
                key
                for node in self.workers
                for key in (node.queue, *client.keys(f"_kombu.binding*.{node.queue}"))
            ]
            client.delete(*keys or ["-"])
        except Exception:  # cleanup only: the queues are unique to this run anyway
            pass


def start_dovecot(root: Path, password: str) -> tuple[subprocess.Popen, int]:
    """Start a throw-away Dovecot IMAP server (the channels tests' configuration) on loopback."""
    import shutil

    from kefu.channels.tests.test_imap import CONFIG, DOVECOT

    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    (root / "mail").mkdir(exist_ok=True)
    shutil.chown(root / "mail", "nobody", "nogroup")
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, port=port, password=password))
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], start_new_session=True)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, port
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                _signal_group(process, signal.SIGKILL)
                log = root / "dovecot.log"
                raise RuntimeError(
                    "dovecot did not start: " + (log.read_text() if log.exists() else "")
                ) from None
            time.sleep(0.1)


def stop_process(process: subprocess.Popen) -> None:
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait(timeout=10)
