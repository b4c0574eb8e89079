"""The whitelist: datasets, their dimensions and numeric fields. Nothing a user sends reaches
SQL except through these definitions (keys are looked up; values are bound parameters)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Expression, F, FloatField, Func, Q, QuerySet, Value
from django.db.models.functions import (
    Coalesce,
    TruncDay,
    TruncMonth,
    TruncQuarter,
    TruncWeek,
)
from django.utils.translation import gettext_lazy as _

TIME_GRAINS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}
AGGREGATES = ("count", "sum", "mean", "median", "p90")
AGGREGATE_LABELS = {
    "count": _("Count"),
    "sum": _("Sum"),
    "mean": _("Mean"),
    "median": _("Median"),
    "p90": _("90th percentile"),
    "kpi": _("KPI"),
}


class SecondsBetween(Func):
    """Seconds from `start` to `end` (NULL when either is NULL), on SQLite and PostgreSQL."""

    output_field = FloatField()
    arity = 2

    def as_sql(self, compiler, connection, **extra):  # the ANSI/PostgreSQL form
        end, start = (compiler.compile(e) for e in self.source_expressions)
        sql = f"EXTRACT(EPOCH FROM ({end[0]} - {start[0]}))"
        return sql, (*end[1], *start[1])

    def as_sqlite(self, compiler, connection, **extra):
        end, start = (compiler.compile(e) for e in self.source_expressions)
        sql = f"((julianday({end[0]}) - julianday({start[0]})) * 86400.0)"
        return sql, (*end[1], *start[1])


@dataclass(frozen=True)
class Dimension:
    key: str
    label: Any
    expression: Callable[[], Expression | str]
    time_grain: str = ""  # day/week/month/quarter for time dimensions
    choices: dict[str, Any] = field(default_factory=dict)  # stored value → label


@dataclass(frozen=True)
class Measure:
    key: str
    label: Any
    unit: str  # "count", "s", "CNY", "score", "ratio"
    expression: Callable[[], Expression | str]


@dataclass(frozen=True)
class Dataset:
    key: str
    label: Any
    queryset: Callable[[], QuerySet]
    date_field: str
    dimensions: dict[str, Dimension]
    measures: dict[str, Measure]
    aggregates: tuple[str, ...] = AGGREGATES
    drill_fields: tuple[tuple[str, Any], ...] = ()
    drill_link: str = ""  # URL name taking the record's pk


def _time_dimensions(prefix_label, date_field: str) -> dict[str, Dimension]:
    labels = {"day": _("day"), "week": _("week"), "month": _("month"), "quarter": _("quarter")}
    return {
        grain: Dimension(
            grain,
            labels[grain],
            (lambda trunc=trunc: trunc(date_field)),
            time_grain=grain,
        )
        for grain, trunc in TIME_GRAINS.items()
    }


def _choices(text_choices) -> dict[str, Any]:
    return {str(value): label for value, label in text_choices.choices}


def _tickets_queryset() -> QuerySet:
    from kefu.tickets.models import Ticket

    return Ticket.objects.filter(merged_into__isnull=True)


def _purchases_queryset() -> QuerySet:
    from kefu.customers.models import Purchase

    return Purchase.objects.filter(customer__merged_into__isnull=True)


def _customer_dimensions(path: str) -> dict[str, Dimension]:
    from kefu.customers.models import Tier

    return {
        "tier": Dimension(
            "tier", _("customer tier"), lambda: f"{path}tier", choices=_choices(Tier)
        ),
        "region": Dimension("region", _("region"), lambda: f"{path}region"),
        "cluster": Dimension(
            "cluster", _("customer cluster"), lambda: f"{path}churn_risk__cluster"
        ),
    }


def ticket_dataset() -> Dataset:
    from kefu.tickets.models import Channel, Priority, TicketKind, TicketStatus

    dims = {
        **_time_dimensions(_("created"), "created_at"),
        "channel": Dimension("channel", _("channel"), lambda: "channel", choices=_choices(Channel)),
        "kind": Dimension("kind", _("kind"), lambda: "kind", choices=_choices(TicketKind)),
        "priority": Dimension(
            "priority", _("priority"), lambda: "priority", choices=_choices(Priority)
        ),
        "status": Dimension(
            "status", _("status"), lambda: "status", choices=_choices(TicketStatus)
        ),
        # Category tree: level 1 is the top category (the parent when there is one).
        "category_1": Dimension(
            "category_1",
            _("category (level 1)"),
            lambda: Coalesce(F("category__parent__name"), F("category__name")),
        ),
        "category_2": Dimension("category_2", _("category (level 2)"), lambda: "category__name"),
        "root_cause": Dimension("root_cause", _("root cause"), lambda: "root_cause__name"),
        "team": Dimension("team", _("team"), lambda: "team__name"),
        "agent": Dimension("agent", _("agent"), lambda: "assignee__username"),
        **_customer_dimensions("customer__"),
    }
    measures = {
        "tickets": Measure("tickets", _("tickets"), "count", lambda: "pk"),
        "first_response_s": Measure(
            "first_response_s",
            _("first response time"),
            "s",
            lambda: SecondsBetween(F("first_response_at"), F("created_at")),
        ),
        "resolution_s": Measure(
            "resolution_s",
            _("resolution time"),
            "s",
            lambda: SecondsBetween(F("solved_at"), F("created_at")),
        ),
        "amount_involved": Measure(
            "amount_involved", _("amount involved"), "CNY", lambda: "w_how_much"
        ),
        "failed_contacts": Measure(
            "failed_contacts", _("unsuccessful contacts"), "count", lambda: "failed_contact_count"
        ),
    }
    return Dataset(
        key="tickets",
        label=_("Tickets"),
        queryset=_tickets_queryset,
        date_field="created_at",
        dimensions=dims,
        measures=measures,
        drill_fields=(
            ("public_id", _("ticket number")),
            ("subject", _("subject")),
            ("customer__name", _("customer")),
            ("channel", _("channel")),
            ("kind", _("kind")),
            ("status", _("status")),
            ("created_at", _("created")),
        ),
        drill_link="tickets:detail",
    )


def purchase_dataset() -> Dataset:
    dims = {
        **_time_dimensions(_("ordered"), "ordered_at"),
        "channel": Dimension("channel", _("sales channel"), lambda: "channel"),
        "product": Dimension("product", _("product"), lambda: "product"),
        **_customer_dimensions("customer__"),
    }
    measures = {
        "purchases": Measure("purchases", _("purchases"), "count", lambda: "pk"),
        "amount": Measure("amount", _("amount"), "CNY", lambda: "amount"),
        "gross_margin": Measure("gross_margin", _("gross margin"), "CNY", lambda: "gross_margin"),
        "quantity": Measure("quantity", _("quantity"), "count", lambda: "quantity"),
    }
    return Dataset(
        key="purchases",
        label=_("Purchases"),
        queryset=_purchases_queryset,
        date_field="ordered_at",
        dimensions=dims,
        measures=measures,
        drill_fields=(
            ("external_id", _("external id")),
            ("customer__name", _("customer")),
            ("product", _("product")),
            ("amount", _("amount")),
            ("ordered_at", _("ordered at")),
        ),
        drill_link="",
    )


def kpi_dataset() -> Dataset:
    """KPIs come from kefu.quality (one definition of each KPI); only day/week/month and the
    team or agent level are dimensions, and the aggregate is the KPI itself."""
    from kefu.quality.kpis import KPI_DEFINITIONS

    dims = {
        grain: Dimension(grain, label, lambda: "", time_grain=grain)
        for grain, label in (("day", _("day")), ("week", _("week")), ("month", _("month")))
    }
    dims["team"] = Dimension("team", _("team"), lambda: "")
    dims["agent"] = Dimension("agent", _("agent"), lambda: "")
    measures = {
        code: Measure(code, definition.label, definition.unit, lambda: "")
        for code, definition in KPI_DEFINITIONS.items()
    }
    return Dataset(
        key="kpis",
        label=_("Service KPIs"),
        queryset=lambda: None,
        date_field="",
        dimensions=dims,
        measures=measures,
        aggregates=("kpi",),
    )


def datasets() -> dict[str, Dataset]:
    return {d.key: d for d in (ticket_dataset(), purchase_dataset(), kpi_dataset())}


def none_q(name: str) -> Q:
    return Q(**{f"{name}__isnull": True}) | Q(**{name: Value("")})
