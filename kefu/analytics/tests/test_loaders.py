"""The bulk loaders: the binary COPY path (PostgreSQL) returns exactly what the row path
returns, whatever the chunking; NULLs, empty results and ticket channels come back right."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.db import connection

from kefu.analytics import loaders
from kefu.analytics.tests.factories import AS_OF, make_data
from kefu.customers.models import Purchase
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="binary COPY exists only on PostgreSQL"
)
PURCHASE_DTYPES = [np.int64, np.int64, np.int64, np.float64, np.float64]


def _purchase_sql() -> str:
    q = loaders._q
    return (
        f"SELECT {q('customer_id')}, {loaders._epoch_seconds(q('ordered_at'))}, "
        f"{loaders._minor_units(q('amount'))}, {loaders._minor_units(q('gross_margin'))}, "
        f"CAST({q('quantity')} AS DOUBLE PRECISION) / 3 "
        f"FROM {q(Purchase._meta.db_table)} WHERE {q('ordered_at')} < %s ORDER BY {q('id')}"
    )


def _row_path(sql: str, params: list) -> list[np.ndarray]:
    dtypes = [np.dtype(d) for d in PURCHASE_DTYPES]
    return loaders._row_columns(sql, dtypes, params, None, "")


def _assert_same(left: list[np.ndarray], right: list[np.ndarray]) -> None:
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)  # NaN equals NaN here


def test_purchase_columns_carry_epoch_seconds_fen_and_missing_margins(db):
    make_data(12)
    until = loaders.end_of_day(AS_OF)
    customer, seconds, amount, margin = loaders.purchase_columns(until=until)
    purchases = list(Purchase.objects.filter(ordered_at__lt=until).order_by("id"))
    order = np.lexsort((amount, seconds, customer))
    expected = sorted(
        (
            p.customer_id,
            int(p.ordered_at.timestamp()),
            int(p.amount * 100),
            float(p.gross_margin * 100) if p.gross_margin is not None else None,
        )
        for p in purchases
    )
    got = [
        (int(c), int(s), int(a), None if np.isnan(m) else float(m))
        for c, s, a, m in zip(
            customer[order], seconds[order], amount[order], margin[order], strict=True
        )
    ]
    assert got == expected
    assert any(m is None for *_, m in got) and any(m is not None for *_, m in got)


@postgresql_only
@pytest.mark.parametrize("chunk_bytes", [1, 7, 50, 1 << 20])
def test_copy_path_equals_row_path_whatever_the_chunk_size(db, monkeypatch, chunk_bytes):
    make_data(40)
    params = [loaders.end_of_day(AS_OF)]
    expected = _row_path(_purchase_sql(), params)
    monkeypatch.setattr(loaders, "COPY_CHUNK_BYTES", chunk_bytes)
    seen: list[int] = []
    got = loaders.fetch_columns(
        _purchase_sql(), PURCHASE_DTYPES, params, progress=lambda _, n: seen.append(n)
    )
    _assert_same(got, expected)
    assert len(got[0]) > 100 and np.isnan(got[3]).any()
    assert sum(seen) == len(got[0])


@postgresql_only
def test_copy_path_refuses_a_null_integer_naming_the_source(db):
    make_data(3)
    q = loaders._q
    sql = f"SELECT NULLIF({q('id')}, {q('id')}) FROM {q(Purchase._meta.db_table)}"
    with pytest.raises(ValueError, match="purchases: a NULL"):
        loaders.fetch_columns(sql, [np.int64], label="purchases")


def test_empty_result_gives_empty_typed_columns(db):
    params = [dt.datetime(2000, 1, 1, tzinfo=dt.UTC)]
    got = loaders.fetch_columns(_purchase_sql(), PURCHASE_DTYPES, params)
    assert [len(column) for column in got] == [0] * 5
    assert [column.dtype for column in got] == [np.dtype(d) for d in PURCHASE_DTYPES]


def test_ticket_columns_decode_channels_and_complaints(db):
    data = make_data(9)
    until = loaders.end_of_day(AS_OF)
    customer, channel, complaint = loaders.ticket_columns(until=until)
    expected = sorted(
        (t.customer_id, t.channel, t.kind == "complaint")
        for t in Ticket.objects.filter(customer__in=data.customers)
    )
    got = sorted(zip(customer.tolist(), channel.tolist(), complaint.tolist(), strict=True))
    assert got == expected
    assert {"phone", "email"} <= set(channel.tolist())
    assert complaint.dtype == bool
