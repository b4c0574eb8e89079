"""Load the stored facts KPIs are computed from into polars frames, in bulk (a fixed number of
queries whatever the size). Mystery-customer tickets are left out of customer KPIs."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import polars as pl
from django.db.models import Q
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce

from kefu.quality.kpis import SCHEMAS, KpiFrames

# Ticket events that are an agent working on the ticket (customer messages are not).
WORK_EVENT_KINDS = (
    "reply_sent",
    "note_added",
    "status_changed",
    "reopened",
    "stage_changed",
    "updated",
    "assigned",
    "compensation_requested",
    "compensation_granted",
    "contact_failed",
    "follow_up_done",
    "linked",
    "split",
    "merged_in",
)


def local_range_utc(start: dt.date, end: dt.date, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end+1 00:00) in `tz`, as aware datetimes."""
    zone = ZoneInfo(tz)
    low = dt.datetime.combine(start, dt.time(), tzinfo=zone)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return low, high


def _frame(name: str, rows, columns: list[str]) -> pl.DataFrame:
    """Rows of values_list → a frame of SCHEMAS[name], aware datetimes turned to naive UTC."""
    schema = SCHEMAS[name]
    rows = list(rows)
    if not rows:
        return pl.DataFrame(schema=schema)
    data = {col: [r[i] for r in rows] for i, col in enumerate(columns)}
    exprs = []
    frame = pl.DataFrame(data, strict=False)
    for col, dtype in schema.items():
        expr = pl.col(col)
        if isinstance(dtype, pl.Datetime) and getattr(frame.schema[col], "time_zone", None):
            expr = expr.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        exprs.append(expr.cast(dtype, strict=False).alias(col))
    return frame.select(exprs)


def mystery_ticket_ids():
    from kefu.quality.models import MysteryContact

    return MysteryContact.objects.values("ticket_id")


def load_kpi_frames(
    *, start: dt.date, end: dt.date, tz: str, work_from: dt.date | None = None
) -> KpiFrames:
    """The frames for KPIs of [start, end] (local dates): about ten queries. `work_from` also
    loads the loaded tickets' agent work (actions, calls) from that earlier day."""
    from kefu.channels.models import CallRecord
    from kefu.quality.models import Evaluation
    from kefu.sla.models import TicketSlaTarget
    from kefu.surveys.models import Answer
    from kefu.tickets.models import (
        OPEN_STATUSES,
        Compensation,
        CompensationState,
        Message,
        Ticket,
        TicketEvent,
    )

    low, high = local_range_utc(start, end, tz)
    work_low = local_range_utc(min(work_from, start), end, tz)[0] if work_from else low
    tickets = (
        Ticket.objects.filter(created_at__lt=high)
        .filter(Q(updated_at__gte=low) | Q(status__in=OPEN_STATUSES))
        .exclude(pk__in=mystery_ticket_ids())
    )
    ids = tickets.values("pk")
    f = KpiFrames()
    f.tickets = _frame(
        "tickets",
        tickets.values_list("pk", "created_at", "assignee_id", "team_id"),
        ["ticket_id", "created_at", "assignee_id", "team_id"],
    )
    # Later events too: a solve near the end of the range may be reopened after it.
    events = TicketEvent.objects.filter(ticket_id__in=ids)
    status = events.filter(changes__has_key="status").values_list(
        "ticket_id", "at", KT("changes__status__1")
    )
    merged = events.filter(kind="merged_away").values_list("ticket_id", "at")
    f.status_events = pl.concat(
        [
            _frame("status_events", status, ["ticket_id", "at", "status"]),
            _frame(
                "status_events",
                [(t, a, "merged") for t, a in merged],
                ["ticket_id", "at", "status"],
            ),
        ]
    )
    owner_parts = []
    for fld in ("assignee", "team"):
        rows = events.filter(changes__has_key=fld).values_list(
            "ticket_id", "at", KT(f"changes__{fld}__0"), KT(f"changes__{fld}__1")
        )
        part = _frame(
            "owner_events",
            [(t, a, fld, o, n) for t, a, o, n in rows],
            ["ticket_id", "at", "field", "old", "new"],
        )
        owner_parts.append(part)
    f.owner_events = pl.concat(owner_parts)
    f.messages = _frame(
        "messages",
        Message.objects.filter(
            ticket_id__in=ids, kind__in=["customer", "reply"], created_at__lt=high
        ).values_list("ticket_id", "created_at", "kind", "author_id"),
        ["ticket_id", "at", "kind", "author_id"],
    )
    f.work_events = _frame(
        "work_events",
        events.filter(kind__in=WORK_EVENT_KINDS, actor__isnull=False, at__gte=work_low).values_list(
            "ticket_id", "at", "actor_id"
        ),
        ["ticket_id", "at", "actor_id"],
    )
    f.calls = _frame(
        "calls",
        CallRecord.objects.filter(
            ticket_id__in=ids, answered_at__gte=work_low, answered_at__lt=high
        ).values_list("ticket_id", "agent_id", "answered_at", "talk_seconds", "wrap_up_seconds"),
        ["ticket_id", "agent_id", "at", "talk_s", "wrap_s"],
    )
    sla = (
        TicketSlaTarget.objects.filter(ticket_id__in=ids)
        .annotate(outcome_at=Coalesce("breached_at", "met_at"))
        .filter(outcome_at__gte=low, outcome_at__lt=high)
        .values_list("ticket_id", "outcome_at", "breached_at")
    )
    f.sla = _frame(
        "sla",
        [(t, a, b is not None) for t, a, b in sla],
        ["ticket_id", "at", "breached"],
    )
    f.csat = _frame(
        "csat",
        Answer.objects.filter(
            question__metric="csat",
            value__isnull=False,
            response__submitted_at__gte=low,
            response__submitted_at__lt=high,
        )
        .exclude(response__ticket_id__in=mystery_ticket_ids())
        .values_list(
            "response__ticket_id",
            "response__agent_id",
            "response__team_id",
            "response__submitted_at",
            "value",
        ),
        ["ticket_id", "agent_id", "team_id", "at", "value"],
    )
    f.qa = _frame(
        "qa",
        Evaluation.objects.filter(
            calibration__isnull=True, created_at__gte=low, created_at__lt=high
        ).values_list("ticket_id", "agent_id", "team_id", "created_at", "score"),
        ["ticket_id", "agent_id", "team_id", "at", "score"],
    )
    compensation = (
        Compensation.objects.filter(
            ticket_id__in=ids,
            state__in=[CompensationState.APPROVED, CompensationState.GRANTED],
        )
        .annotate(when=Coalesce("decided_at", "created_at"))
        .filter(when__gte=low, when__lt=high)
        .values_list("ticket_id", "requested_by_id", "when", "amount")
    )
    f.compensation = _frame(
        "compensation",
        [(t, a, w, float(m)) for t, a, w, m in compensation],
        ["ticket_id", "agent_id", "at", "amount"],
    )
    return f
