"""Exactly once under concurrent delivery: several workers ingest the same message at once."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from kefu.channels import services
from kefu.channels.models import InboundEmail
from kefu.channels.tests.helpers import make_mail
from kefu.tickets.models import Message, Ticket

WORKERS = 6


def _ingest_like_an_mta(raw: bytes):
    """Deliver, and deliver again on a lock error as an MTA does on a temporary failure.

    PostgreSQL blocks the second INSERT of the same Message-ID until the first commits, so no
    retry happens there. The SQLite *test* database is in-memory with a shared cache, whose
    table locks fail at once (SQLITE_LOCKED) instead of waiting like the WAL file database
    does in production; the redelivery loop stands in for the wait.
    """
    from django.db import OperationalError

    for _attempt in range(500):
        try:
            return services.email_ingest(raw)
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            time.sleep(0.005)
    raise AssertionError("still locked after 500 redeliveries")


@pytest.mark.django_db(transaction=True)
def test_concurrent_ingestion_of_one_message_creates_one_ticket_message():
    raw = make_mail(message_id="race@example.cn")
    barrier = threading.Barrier(WORKERS)
    results, errors = [], []

    def worker():
        from django.db import connections

        try:
            barrier.wait()
            results.append(_ingest_like_an_mta(raw))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [], errors
    assert sum(r.created for r in results) == 1
    assert len({r.inbound.pk for r in results}) == 1
    assert InboundEmail.objects.count() == 1
    assert Ticket.objects.count() == 1 and Message.objects.count() == 1
    assert connection.vendor in ("sqlite", "postgresql")
