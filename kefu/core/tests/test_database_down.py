"""The database goes away for a while (#14): pages and the API answer 503 with a clear message,
nothing is half-written, tasks retry with backoff, and everything works again when it is back.

The test puts a TCP proxy between Kefu and the PostgreSQL server and cuts it: open connections
die mid-conversation and new ones are refused, as when the server restarts or the network drops.
SQLite is a file inside the application's own process — it cannot be "down" — so these tests
run on PostgreSQL (CI runs the whole suite on both).
"""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test import Client

from kefu.core import tasks

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a database server that can be cut off exists only on PostgreSQL",
    ),
]


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to the database server until `cut()`."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.accepted = 0
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return  # closed
            if not self.up:
                client.close()  # the server is "down": the connection is refused at once
                continue
            self.accepted += 1
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._pairs.append((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        with self._lock:
            for pair in self._pairs:
                for end in pair:
                    with contextlib.suppress(OSError):
                        end.shutdown(socket.SHUT_RDWR)
                    end.close()
            self._pairs.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def proxy():
    """Route the default connection through a cuttable proxy for the test's duration."""
    settings_dict = connection.settings_dict
    host, port = settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432)
    proxy = CuttableProxy(host, port)
    connection.close()
    settings_dict["PORT"] = str(proxy.port)
    settings_dict["HOST"] = "127.0.0.1"
    try:
        yield proxy
    finally:
        connection.close()
        settings_dict["HOST"], settings_dict["PORT"] = host, str(port)
        proxy.close()


def _direct_count(proxy: CuttableProxy, sql: str, params: tuple) -> int:
    """Count through a fresh connection that bypasses the proxy."""
    import psycopg

    host, port = proxy.target
    s = connection.settings_dict
    with psycopg.connect(
        host=host, port=port, dbname=s["NAME"], user=s["USER"] or "postgres"
    ) as db:
        return db.execute(sql, params).fetchone()[0]


def _next_request() -> None:
    """What Django's request handler does before every request (the test client turns it off):
    drop a connection that failed, so the request after an outage reconnects."""
    from django.db import close_old_connections

    close_old_connections()


def test_pages_and_api_answer_503_while_the_database_is_down_and_recover(proxy, make_user):
    agent = make_user("agent")
    client = Client(raise_request_exception=False, headers={"Accept-Language": "zh-hans"})
    client.force_login(agent)
    assert client.get("/tickets/").status_code == 200

    proxy.cut()
    page = client.get("/tickets/")
    assert page.status_code == 503
    assert page["Retry-After"] == "30"
    text = page.content.decode()
    assert "暂时无法使用" in text and "没有任何内容只保存了一半" in text
    api = client.get("/api/v1/tickets", headers={"Accept-Language": "en"})
    assert api.status_code == 503
    assert api["Retry-After"] == "30"
    assert api.json()["error"]["code"] == "unavailable"
    assert "database cannot be reached" in api.json()["error"]["message"]

    proxy.restore()
    _next_request()
    assert client.get("/tickets/").status_code == 200  # reconnected
    assert client.get("/api/v1/tickets").status_code == 200


def test_a_ticket_cut_off_half_way_leaves_nothing_behind(proxy, make_user):
    """The connection dies after the ticket row was inserted but before its events and SLA
    clocks: the transaction never commits, so no ticket exists — then the retry succeeds."""
    from kefu.tickets.models import Ticket
    from kefu.tickets.tests.factories import make_customer

    agent = make_user("agent")
    customer = make_customer()
    client = Client(raise_request_exception=False)
    client.force_login(agent)
    payload = {"subject": "断线测试 half-way", "customer_id": customer.pk, "kind": "inquiry"}

    def cut_after_insert(sender, instance, created, **kwargs):
        if created and instance.subject == payload["subject"]:
            proxy.cut()

    post_save.connect(cut_after_insert, sender=Ticket)
    try:
        response = client.post("/api/v1/tickets", payload, content_type="application/json")
    finally:
        post_save.disconnect(cut_after_insert, sender=Ticket)
    assert response.status_code == 503, response.content
    subject_sql = "SELECT count(*) FROM tickets_ticket WHERE subject = %s"
    assert _direct_count(proxy, subject_sql, (payload["subject"],)) == 0
    assert _direct_count(proxy, "SELECT count(*) FROM tickets_ticketevent", ()) == 0

    proxy.restore()
    _next_request()
    again = client.post("/api/v1/tickets", payload, content_type="application/json")
    assert again.status_code == 201, again.content
    assert _direct_count(proxy, subject_sql, (payload["subject"],)) == 1


def test_a_task_retries_with_backoff_and_succeeds_once_the_database_is_back(proxy, make_user):
    from django.contrib.auth import get_user_model

    make_user("agent", username="retry.me")
    attempts: list[int] = []

    def count_users():
        attempts.append(1)
        return get_user_model().objects.filter(username="retry.me").count()

    spec = tasks.TaskSpec(name="tests.db_down", func=count_users, max_retries=3)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            proxy.restore()  # the database comes back during the second wait

    connection.ensure_connection()
    proxy.cut()
    assert tasks.run_with_retries(spec, (), {}, sleep=sleep) == 1
    assert len(attempts) == 3  # two failures, then success
    assert waits == [30.0, 60.0]  # exponential backoff from retry_backoff_s
    assert tasks.retry_delay(spec, 10) == 600.0  # capped
