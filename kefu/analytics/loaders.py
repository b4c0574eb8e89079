"""Bulk loaders: purchases, tickets and compensations as numpy columns (read-only selectors).

One SQL statement per source, fetched in chunks of rows straight into numpy arrays; never one
query per customer. Money comes back in integer minor units (fen), times as epoch seconds, so
no Decimal or datetime object is built per row (DESIGN.md: "money is integer minor units in
bulk computation").
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

from kefu.analytics.pipeline import ValueInputs
from kefu.customers.models import Customer, Purchase
from kefu.tickets.models import (
    Channel,
    Compensation,
    CompensationState,
    Ticket,
    TicketEvent,
    TicketKind,
)

CHUNK_ROWS = 250_000
ProgressCallback = Callable[[str, int], None]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _scan(column: str) -> str:
    """`column` in the WHERE clause of a bulk read, kept from choosing an index. Bulk reads
    take (nearly) every row, which a table scan reads in storage order; SQLite would otherwise
    walk the index on the column and fetch the rows one by one, several times slower.
    (PostgreSQL's planner weighs this itself.)"""
    return f"+{column}" if connection.vendor == "sqlite" else column


def _epoch_seconds(column: str) -> str:
    if connection.vendor == "postgresql":
        # date_part is double precision (EXTRACT is numeric, slower); whole seconds, floored
        # like SQLite's strftime('%s').
        return f"CAST(FLOOR(date_part('epoch', {column})) AS BIGINT)"
    if sqlite3.sqlite_version_info >= (3, 38):
        return f"unixepoch({column})"  # three times cheaper than strftime
    # Django turns %s into the driver's placeholder when params are given: escape it.
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"


def _minor_units(column: str) -> str:
    return f"CAST(ROUND({column} * 100) AS BIGINT)"


def _fetch_chunks(
    sql: str, params: list, progress: ProgressCallback | None, label: str
) -> Iterator:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(CHUNK_ROWS)
            if not rows:
                return
            if progress is not None:
                progress(label, len(rows))
            yield rows


def fetch_columns(
    sql: str,
    dtypes: list,
    params: list | None = None,
    *,
    progress: ProgressCallback | None = None,
    label: str = "",
) -> list[np.ndarray]:
    """Run `sql` and return one numpy array per selected column (nulls → NaN for floats).

    On PostgreSQL, when every column is numeric, the rows come through binary COPY and are
    parsed by numpy (`_copy_columns`); otherwise they are fetched in chunks of Python rows."""
    dtypes = [np.dtype(dtype) for dtype in dtypes]
    if connection.vendor == "postgresql" and all(d.kind in "iuf" for d in dtypes):
        return _copy_columns(sql, dtypes, params or [], progress, label)
    return _row_columns(sql, dtypes, params or [], progress, label)


def _row_columns(
    sql: str, dtypes: list[np.dtype], params: list, progress: ProgressCallback | None, label: str
) -> list[np.ndarray]:
    """The portable path: rows fetched in chunks, each chunk read by numpy as records of one
    structured type (five times faster than transposing the rows in Python first)."""
    record = np.dtype([(f"c{index}", dtype) for index, dtype in enumerate(dtypes)])
    parts: list[list[np.ndarray]] = [[] for _ in dtypes]
    for rows in _fetch_chunks(sql, params, progress, label):
        # numpy turns None into NaN for float fields (nullable gross margin) and refuses it
        # for integer fields.
        records = np.fromiter(rows, dtype=record, count=len(rows))
        for index in range(len(dtypes)):
            parts[index].append(np.ascontiguousarray(records[f"c{index}"]))
    return [
        np.concatenate(chunks) if chunks else np.zeros(0, dtype=dtype)
        for chunks, dtype in zip(parts, dtypes, strict=True)
    ]


# --- PostgreSQL: binary COPY straight into numpy ---------------------------------------------

_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
COPY_CHUNK_BYTES = 32 * 1024 * 1024


def _copy_parts(dtypes: list[np.dtype]) -> tuple[list[str], np.dtype]:
    """The SELECT list that makes every column a non-null 8-byte value, and the numpy record
    type of one row of binary COPY output: field count, then (length, value) per column."""
    select, fields = [], [("fields", ">i2")]
    for index, dtype in enumerate(dtypes):
        column = f"q.c{index}"
        if dtype.kind == "f":
            # NULL is NaN, as on the row path.
            select.append(f"COALESCE(CAST({column} AS DOUBLE PRECISION), 'NaN')")
            fields += [(f"n{index}", ">i4"), (f"v{index}", ">f8")]
        else:
            select.append(f"CAST({column} AS BIGINT)")
            fields += [(f"n{index}", ">i4"), (f"v{index}", ">i8")]
    return select, np.dtype(fields)


def _copy_columns(
    sql: str, dtypes: list[np.dtype], params: list, progress: ProgressCallback | None, label: str
) -> list[np.ndarray]:
    """Run `sql` through `COPY (…) TO STDOUT (FORMAT BINARY)` and parse whole rows with one
    numpy record type per chunk of bytes: no Python object per value. Every row of the wrapped
    query has the same width, which the parser checks (a NULL integer is refused, as numpy
    refuses it on the row path)."""
    select, record = _copy_parts(dtypes)
    aliases = ", ".join(f"c{index}" for index in range(len(dtypes)))
    statement = (
        f"COPY (SELECT {', '.join(select)} FROM ({sql}) AS q({aliases})) TO STDOUT (FORMAT BINARY)"
    )
    name = label or "COPY"
    parts: list[list[np.ndarray]] = [[] for _ in dtypes]

    def parse(buffer: bytearray) -> None:
        """Parse the whole rows at the start of `buffer` and drop them from it."""
        rows = len(buffer) // record.itemsize
        if not rows:
            return
        records = np.frombuffer(buffer, record, rows)
        widths_ok = all((records[f"n{index}"] == 8).all() for index in range(len(dtypes)))
        if not widths_ok or not (records["fields"] == len(dtypes)).all():
            raise ValueError(f"{name}: a NULL or non-numeric value in a numeric column")
        for index, dtype in enumerate(dtypes):
            parts[index].append(records[f"v{index}"].astype(dtype))
        del records  # releases the buffer export before the buffer shrinks
        del buffer[: rows * record.itemsize]
        if progress is not None:
            progress(label, rows)

    buffer = bytearray()
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(statement, params or None) as copy,
    ):
        for block in copy:
            buffer += block
            if len(buffer) >= COPY_CHUNK_BYTES:
                _strip_copy_header(buffer, name)
                parse(buffer)
    _strip_copy_header(buffer, name)
    parse(buffer)
    if bytes(buffer) != b"\xff\xff":
        raise ValueError(f"{name}: the binary COPY stream did not end with its trailer")
    return [
        np.concatenate(chunks) if chunks else np.zeros(0, dtype=dtype)
        for chunks, dtype in zip(parts, dtypes, strict=True)
    ]


def _strip_copy_header(buffer: bytearray, name: str) -> None:
    """Drop the binary COPY header (signature, flags, extension area) if the buffer starts
    with it; a buffer that starts with a row starts with its field count, never with "P"."""
    if buffer[: len(_COPY_SIGNATURE)] != _COPY_SIGNATURE:
        return
    if len(buffer) < 19:
        raise ValueError(f"{name}: truncated binary COPY header")
    extension = int.from_bytes(buffer[15:19], "big")
    del buffer[: 19 + extension]


def customer_ids() -> np.ndarray:
    """Every customer that was not merged into another record, ascending."""
    table = _q(Customer._meta.db_table)
    sql = f"SELECT {_q('id')} FROM {table} WHERE {_scan(_q('merged_into_id'))} IS NULL ORDER BY 1"
    return fetch_columns(sql, [np.int64])[0]


def purchase_columns(*, until: dt.datetime, progress: ProgressCallback | None = None):
    """(customer_id, epoch seconds, amount in fen, gross margin in fen or NaN) of every
    purchase before `until`."""
    table = _q(Purchase._meta.db_table)
    sql = (
        f"SELECT {_q('customer_id')}, {_epoch_seconds(_q('ordered_at'))}, "
        f"{_minor_units(_q('amount'))}, {_minor_units(_q('gross_margin'))} "
        f"FROM {table} WHERE {_scan(_q('ordered_at'))} < %s"
    )
    return fetch_columns(
        sql,
        [np.int64, np.int64, np.float64, np.float64],
        [until],
        progress=progress,
        label="purchases",
    )


def ticket_columns(*, until: dt.datetime, progress: ProgressCallback | None = None):
    """(customer_id, channel, is complaint) of every ticket created before `until`, merged
    tickets excluded (their work is counted on the ticket they were merged into). The channel
    travels as its index in `Channel` (numeric columns take the fast path on PostgreSQL); a
    value outside the choices counts as "other"."""
    table = _q(Ticket._meta.db_table)
    channels = list(Channel.values)
    codes = " ".join(f"WHEN %s THEN {index}" for index in range(len(channels)))
    sql = (
        f"SELECT {_q('customer_id')}, "
        f"CASE {_q('channel')} {codes} ELSE {channels.index(Channel.OTHER)} END, "
        f"CASE WHEN {_q('kind')} = %s THEN 1 ELSE 0 END "
        f"FROM {table} WHERE {_scan(_q('merged_into_id'))} IS NULL "
        f"AND {_scan(_q('created_at'))} < %s"
    )
    customer, channel, complaint = fetch_columns(
        sql,
        [np.int64, np.int8, np.int8],
        [*channels, TicketKind.COMPLAINT.value, until],
        progress=progress,
        label="tickets",
    )
    names = np.array(channels, dtype="<U10")
    return customer, names[channel], complaint.astype(bool)


def compensation_columns(*, until: dt.datetime):
    """(customer_id, amount in fen) of compensation approved or granted before `until`."""
    comp, ticket = _q(Compensation._meta.db_table), _q(Ticket._meta.db_table)
    states = [CompensationState.APPROVED.value, CompensationState.GRANTED.value]
    sql = (
        f"SELECT t.{_q('customer_id')}, {_minor_units('c.' + _q('amount'))} "
        f"FROM {comp} c JOIN {ticket} t ON t.{_q('id')} = c.{_q('ticket_id')} "
        f"WHERE c.{_q('state')} IN (%s, %s) AND c.{_q('created_at')} < %s"
    )
    return fetch_columns(sql, [np.int64, np.float64], [*states, until])


def value_inputs(*, as_of: dt.date, progress: ProgressCallback | None = None) -> ValueInputs:
    """Everything compute_customer_value needs, read in one statement per source."""
    until = end_of_day(as_of)
    purchase_customer, seconds, amount, margin = purchase_columns(until=until, progress=progress)
    ticket_customer, channel, complaint = ticket_columns(until=until, progress=progress)
    comp_customer, comp_amount = compensation_columns(until=until)
    return ValueInputs(
        customer_ids=customer_ids(),
        purchase_customer=purchase_customer,
        purchase_seconds=seconds,
        purchase_amount_minor=amount,
        purchase_margin_minor=margin,
        ticket_customer=ticket_customer,
        ticket_channel=channel,
        ticket_is_complaint=complaint,
        compensation_customer=comp_customer,
        compensation_minor=comp_amount,
    )


# --- service defects and complaints by channel (a few aggregate queries) ------------------------


@dataclass(frozen=True)
class DefectCount:
    key: str
    units: int
    defects: int


def end_of_day(as_of: dt.date) -> dt.datetime:
    """The instant the `as_of` day ends (UTC): everything before it is in the snapshot."""
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


def service_defects(*, until: dt.datetime | None = None) -> list[DefectCount]:
    """Defect counts for Six Sigma (M46) from the fields of tickets created before `until`:
    SLA breaches (first response and resolution), reopened tickets, repeat complaints. Two
    aggregate queries in all. (Milestones are read as they stand now.)"""
    now = min(until or timezone.now(), timezone.now())
    tickets = Ticket.objects.filter(merged_into__isnull=True, created_at__lt=now)
    first_late = Q(first_response_at__gt=F("first_response_due_at")) | Q(
        first_response_at__isnull=True, first_response_due_at__lt=now
    )
    resolution_late = Q(solved_at__gt=F("resolution_due_at")) | Q(
        solved_at__isnull=True, resolution_due_at__lt=now
    )
    counts = tickets.aggregate(
        tickets=Count("id"),
        with_first_due=Count("id", filter=Q(first_response_due_at__isnull=False)),
        first_late=Count("id", filter=Q(first_response_due_at__isnull=False) & first_late),
        with_resolution_due=Count("id", filter=Q(resolution_due_at__isnull=False)),
        resolution_late=Count("id", filter=Q(resolution_due_at__isnull=False) & resolution_late),
        complaints=Count("id", filter=Q(kind=TicketKind.COMPLAINT)),
        repeat_complaints=Count("id", filter=Q(kind=TicketKind.COMPLAINT, is_repeat=True)),
    )
    reopened = (
        TicketEvent.objects.filter(
            kind="reopened",
            ticket__merged_into__isnull=True,
            ticket__created_at__lt=now,
            at__lt=now,
        )
        .values("ticket_id")
        .distinct()
        .count()
    )
    return [
        DefectCount("first_response_breach", counts["with_first_due"], counts["first_late"]),
        DefectCount("resolution_breach", counts["with_resolution_due"], counts["resolution_late"]),
        DefectCount("reopened", counts["tickets"], reopened),
        DefectCount("repeat_complaint", counts["complaints"], counts["repeat_complaints"]),
    ]


def complaints_by_channel(*, until: dt.datetime | None = None) -> dict[str, int]:
    """Voiced complaints per ticket channel, created before `until` (one GROUP BY)."""
    rows = (
        Ticket.objects.filter(
            merged_into__isnull=True,
            kind=TicketKind.COMPLAINT,
            created_at__lt=until or timezone.now(),
        )
        .values_list("channel")
        .annotate(n=Count("id"))
        .order_by("channel")
    )
    return {channel: n for channel, n in rows}
