"""SLA compliance and time distribution (read-only): one query, then polars group-bys.

Per group and target: `achieved` = met with no breach, `breached` = breached (met late or still
open past the deadline), `open` = still running in time; compliance = achieved ÷ (achieved +
breached) × 100 (None when nothing is decided yet). Times are the counted time of met targets
in minutes (business time on business targets); median and p90 use linear interpolation between
order statistics (Hyndman & Fan 1996, definition 7 — numpy's and polars' default).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
from django.conf import settings
from django.utils.translation import gettext as _

from kefu.sla.models import BreachReason, TicketSlaTarget

GROUPS = {
    "policy": "ticket_sla__policy__name",
    "team": "ticket__team__name",
    "agent": "ticket__assignee__username",
    "priority": "ticket__priority",
    "period": "ticket__created_at",
    "reason": "breach_reason",  # breached targets only
}
COLUMNS = (
    "group",
    "target",
    "total",
    "achieved",
    "breached",
    "open",
    "compliance",
    "median_minutes",
    "p90_minutes",
)


@dataclass(frozen=True)
class SlaReport:
    group_by: str
    date_from: dt.date
    date_to: dt.date
    rows: list[dict]


def sla_report(
    *, date_from: dt.date, date_to: dt.date, group_by: str = "policy", target: str = ""
) -> SlaReport:
    """Compliance by `group_by` (policy, team, agent, priority, period = ISO week, or reason =
    the recorded breach reason of breached targets) for tickets created from `date_from` to
    `date_to` inclusive (local dates)."""
    if group_by not in GROUPS:
        raise ValueError(group_by)
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(date_from, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    rows = TicketSlaTarget.objects.filter(ticket__created_at__gte=start, ticket__created_at__lt=end)
    if target:
        rows = rows.filter(kind=target)
    if group_by == "reason":
        rows = rows.filter(breached_at__isnull=False)
    field = GROUPS[group_by]
    data = list(rows.values_list(field, "kind", "met_at", "breached_at", "elapsed_seconds"))
    return SlaReport(group_by, date_from, date_to, summarise(data, group_by=group_by, zone=zone))


def summarise(data: list[tuple], *, group_by: str = "policy", zone=dt.UTC) -> list[dict]:
    """Rows (group value, target kind, met_at, breached_at, elapsed seconds) → report rows."""
    if not data:
        return []
    groups = [row[0] for row in data]
    if group_by == "period":
        groups = [
            "{}-W{:02d}".format(*value.astimezone(zone).isocalendar()[:2]) for value in groups
        ]
    elif group_by == "reason":
        labels = dict(BreachReason.choices)
        groups = [str(labels[value]) if value else _("Not recorded") for value in groups]
    frame = pl.DataFrame(
        {
            "group": [str(g) if g not in (None, "") else "—" for g in groups],
            "target": [row[1] for row in data],
            "met": [row[2] is not None for row in data],
            "breached": [row[3] is not None for row in data],
            "minutes": [row[4] / 60.0 for row in data],
        }
    )
    summary = (
        frame.group_by("group", "target")
        .agg(
            pl.len().alias("total"),
            (pl.col("met") & ~pl.col("breached")).sum().alias("achieved"),
            pl.col("breached").sum().alias("breached"),
            pl.col("minutes").filter(pl.col("met")).median().alias("median_minutes"),
            pl.col("minutes")
            .filter(pl.col("met"))
            .quantile(0.9, interpolation="linear")
            .alias("p90_minutes"),
        )
        .with_columns(
            (pl.col("total") - pl.col("achieved") - pl.col("breached")).alias("open"),
            pl.when(pl.col("achieved") + pl.col("breached") > 0)
            .then(100.0 * pl.col("achieved") / (pl.col("achieved") + pl.col("breached")))
            .otherwise(None)
            .alias("compliance"),
        )
        .sort("group", "target")
    )
    out = []
    for row in summary.select(COLUMNS).iter_rows(named=True):
        for key in ("compliance", "median_minutes", "p90_minutes"):
            if row[key] is not None:
                row[key] = round(row[key], 1)
        out.append(row)
    return out
