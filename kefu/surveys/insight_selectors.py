"""Reads for the cross-survey pages: loyalty (M7), the service waterfall (M30) and the internal
measures of the 5-gap model (M44). A few bulk queries each (values_list into polars); other
apps' tables are only read (customers purchases, tickets, SLA policies and clocks)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from django.db.models import Count, F, Q
from django.utils import timezone

from kefu.surveys import insights
from kefu.surveys.models import Answer, Response
from kefu.surveys.selectors import rows_frame

METRICS = ("csat", "nps", "repurchase")


def answer_frame(*, since: dt.datetime, until: dt.datetime) -> pl.DataFrame:
    """customer_id, metric, value, at of every CSAT / NPS / repurchase answer that a known
    customer submitted in [since, until) (one query)."""
    rows = Answer.objects.filter(
        question__metric__in=METRICS,
        item="",
        value__isnull=False,
        response__customer__isnull=False,
        response__submitted_at__gte=since,
        response__submitted_at__lt=until,
    ).values_list("response__customer_id", "question__metric", "value", "response__submitted_at")
    return rows_frame(
        list(rows), insights.empty_answers(), ("customer_id", "metric", "value", "at")
    )


def purchase_frame(*, customers=None, since=None, until: dt.datetime) -> pl.DataFrame:
    """customer_id, at of purchases before `until` (of `customers`, a queryset of ids)."""
    from kefu.customers.models import Purchase

    purchases = Purchase.objects.filter(ordered_at__lt=until)
    if since is not None:
        purchases = purchases.filter(ordered_at__gte=since)
    if customers is not None:
        purchases = purchases.filter(customer_id__in=customers)
    rows = purchases.values_list("customer_id", "ordered_at")
    return rows_frame(list(rows), insights.empty_events(), ("customer_id", "at"))


def complaint_frame(*, since: dt.datetime, until: dt.datetime) -> pl.DataFrame:
    """customer_id, at, repeat of complaints created in [since, until) (merged ones left out)."""
    from kefu.tickets.models import Ticket, TicketKind

    rows = Ticket.objects.filter(
        kind=TicketKind.COMPLAINT,
        merged_into__isnull=True,
        created_at__gte=since,
        created_at__lt=until,
    ).values_list("customer_id", "created_at", "is_repeat")
    return rows_frame(
        list(rows), insights.empty_events(repeat=True), ("customer_id", "at", "repeat")
    )


# --------------------------------------------------------------------------- loyalty


@dataclass
class LoyaltyReport:
    frame: pl.DataFrame
    summary: insights.LoyaltySummary
    rows: list[dict[str, Any]]  # satisfied-but-not-loyal customers (worst first), with names
    since: dt.datetime
    until: dt.datetime


def loyalty_report(
    *,
    days: int = 365,
    satisfied_min: float = 4,
    loyal_min: float = 50,
    limit: int = 100,
    now: dt.datetime | None = None,
) -> LoyaltyReport:
    """Loyalty of every customer who answered in the last `days` days (three queries, plus one
    for the names on the list)."""
    from kefu.customers.models import Customer

    until = now or timezone.now()
    since = until - dt.timedelta(days=days)
    answers = answer_frame(since=since, until=until)
    respondents = Response.objects.filter(
        customer__isnull=False, submitted_at__gte=since, submitted_at__lt=until
    ).values("customer_id")
    purchases = purchase_frame(customers=respondents, until=until)
    frame = insights.loyalty_frame(
        answers, purchases, as_of=until, satisfied_min=satisfied_min, loyal_min=loyal_min
    )
    summary = insights.loyalty_summary(frame, satisfied_min=satisfied_min, loyal_min=loyal_min)
    listed = frame.filter(pl.col("satisfied_not_loyal")).sort("loyalty", "customer_id").head(limit)
    names = {
        pk: (number, name)
        for pk, number, name in Customer.objects.filter(
            pk__in=listed["customer_id"].to_list()
        ).values_list("pk", "number", "name")
    }
    rows = [
        {
            **row,
            "number": names.get(row["customer_id"], ("", ""))[0],
            "name": names.get(row["customer_id"], ("", ""))[1],
        }
        for row in listed.iter_rows(named=True)
    ]
    return LoyaltyReport(frame, summary, rows, since, until)


# --------------------------------------------------------------------------- waterfall


@dataclass
class WaterfallReport:
    granularity: str
    periods: list[str]
    counts: list[dict[str, Any]]
    transition: insights.Transition | None


def _period_start(moment: dt.datetime, granularity: str, back: int) -> dt.datetime:
    """Start of the period `back` periods before the one holding `moment` (UTC)."""
    moment = moment.astimezone(dt.UTC)
    months = 3 if granularity == "quarter" else 1
    index = moment.year * 12 + (moment.month - 1) // months * months - back * months
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=dt.UTC)


def waterfall_report(
    *,
    granularity: str = "quarter",
    periods: int = 8,
    before: str = "",
    after: str = "",
    now: dt.datetime | None = None,
) -> WaterfallReport:
    """Stages per customer and period over the last `periods` periods, and the transition
    between `before` and `after` (default: the last two periods with customers). 3 queries."""
    if granularity not in insights.GRANULARITIES:
        granularity = "quarter"
    until = now or timezone.now()
    since = _period_start(until, granularity, periods - 1)
    answers = answer_frame(since=since, until=until)
    complaints = complaint_frame(since=since, until=until)
    purchases = purchase_frame(since=since, until=until)
    stages = insights.waterfall_stages(answers, complaints, purchases, granularity=granularity)
    counts = insights.stage_counts(stages) if stages.height else []
    labels = [row["period"] for row in counts]
    if before not in labels or after not in labels:
        before, after = (labels[-2], labels[-1]) if len(labels) >= 2 else ("", "")
    transition = insights.transition(stages, before, after) if before and after else None
    return WaterfallReport(granularity, labels, counts, transition)


# --------------------------------------------------------------------------- 5-gap model


@dataclass
class GapMeasures:
    since: dt.datetime
    until: dt.datetime
    policies: int = 0
    first_response_minutes: float | None = None  # median target over active policies
    resolution_minutes: float | None = None
    tickets: int = 0
    covered: int = 0  # tickets with an SLA policy applied (gap 2)
    compliance: list[dict[str, Any]] = field(default_factory=list)  # per target kind (gap 3)
    promised: int = 0  # tickets with a first-response promise (gap 4)
    kept: int = 0
    broken: int = 0
    promised_minutes: float | None = None  # median promised wait
    actual_minutes: float | None = None  # median actual wait

    @property
    def coverage(self) -> float | None:
        return self.covered / self.tickets if self.tickets else None

    @property
    def kept_share(self) -> float | None:
        decided = self.kept + self.broken
        return self.kept / decided if decided else None


def _median(values: np.ndarray) -> float | None:
    values = values[~np.isnan(values)]
    return float(np.median(values)) if values.size else None


def gap_measures(*, days: int = 90, now: dt.datetime | None = None) -> GapMeasures:
    """Internal indicators of gaps 2–4 and the managers' side of gap 1 (Parasuraman, Zeithaml &
    Berry 1985): SLA standards (active policies, their targets), coverage of tickets by a
    policy, compliance with the targets, and first-response promises kept. 5 queries."""
    from kefu.sla.models import SlaPolicy, TargetKind, TicketSlaTarget
    from kefu.tickets.models import Ticket

    until = now or timezone.now()
    since = until - dt.timedelta(days=days)
    measures = GapMeasures(since=since, until=until)
    targets = np.array(
        list(
            SlaPolicy.objects.filter(is_active=True).values_list(
                "first_response_minutes", "resolution_minutes"
            )
        ),
        dtype=np.float64,
    ).reshape(-1, 2)
    measures.policies = len(targets)
    measures.first_response_minutes = _median(targets[:, 0])
    measures.resolution_minutes = _median(targets[:, 1])
    tickets = Ticket.objects.filter(
        merged_into__isnull=True, created_at__gte=since, created_at__lt=until
    )
    counts = tickets.aggregate(
        tickets=Count("id"),
        covered=Count("id", filter=Q(sla__policy__isnull=False)),
        promised=Count("id", filter=Q(first_response_due_at__isnull=False)),
        kept=Count(
            "id",
            filter=Q(first_response_due_at__isnull=False)
            & Q(first_response_at__lte=F("first_response_due_at")),
        ),
        broken=Count(
            "id",
            filter=Q(first_response_due_at__isnull=False)
            & (
                Q(first_response_at__gt=F("first_response_due_at"))
                | Q(first_response_at__isnull=True, first_response_due_at__lt=until)
            ),
        ),
    )
    measures.tickets, measures.covered = counts["tickets"], counts["covered"]
    measures.promised, measures.kept = counts["promised"], counts["kept"]
    measures.broken = counts["broken"]
    rows = (
        TicketSlaTarget.objects.filter(ticket__in=tickets.values("id"))
        .values("kind")
        .annotate(
            met=Count("id", filter=Q(met_at__isnull=False, breached_at__isnull=True)),
            breached=Count("id", filter=Q(breached_at__isnull=False)),
        )
        .order_by("kind")
    )
    for row in rows:
        decided = row["met"] + row["breached"]
        kind = row["kind"]
        measures.compliance.append(
            {
                **row,
                "label": str(TargetKind(kind).label) if kind in TargetKind.values else kind,
                "share": row["met"] / decided if decided else None,
            }
        )
    waits = list(
        tickets.filter(first_response_due_at__isnull=False).values_list(
            "created_at", "first_response_due_at", "first_response_at"
        )
    )
    if waits:
        frame = rows_frame(
            waits,
            pl.DataFrame(schema={n: pl.Datetime("us") for n in ("created", "due", "answered")}),
            ("created", "due", "answered"),
        )
        minutes = frame.select(
            promised=(pl.col("due") - pl.col("created")).dt.total_seconds() / 60,
            actual=(pl.col("answered") - pl.col("created")).dt.total_seconds() / 60,
        )
        measures.promised_minutes = minutes["promised"].median()
        measures.actual_minutes = minutes["actual"].median()
    return measures
