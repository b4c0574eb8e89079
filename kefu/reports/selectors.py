"""Reads of the reports app: report tables for pages and exports, saved reports visible to a
user, churn risk (the 360° card and the revenue-at-risk list), the executive dashboard and the
SWOT analysis. Each does a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import numpy as np
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.reports.exports import Table
from kefu.reports.models import ChurnModelRun, CustomerRisk, SavedReport, SwotEntry, SwotQuadrant
from kefu.reports.pivot.engine import PivotResult, parse_spec, run_pivot
from kefu.reports.pivot.fields import datasets
from kefu.reports.pivot.present import chart_data, display_value

VIEW = "reports.view_reports"
VIEW_MINING = "reports.view_mining"

# Names of the churn features, for factors shown to people.
FEATURE_LABELS = {
    "recency_days": gettext_lazy("days since last purchase"),
    "frequency": gettext_lazy("number of purchases"),
    "frequency_90d": gettext_lazy("purchases in the last 90 days"),
    "monetary_90d": gettext_lazy("spend in the last 90 days"),
    "monetary_trend": gettext_lazy("spend trend"),
    "average_order_value": gettext_lazy("average order value"),
    "prob_alive": gettext_lazy("probability still active (BG/NBD)"),
    "tickets_365d": gettext_lazy("tickets in the last year"),
    "complaints_365d": gettext_lazy("complaints in the last year"),
    "repeat_complaints_365d": gettext_lazy("repeat complaints"),
    "sla_breaches_365d": gettext_lazy("SLA breaches"),
    "compensation_365d": gettext_lazy("compensation received"),
    "csat_mean": gettext_lazy("satisfaction (CSAT)"),
    "nps_mean": gettext_lazy("likelihood to recommend (NPS)"),
    "has_survey": gettext_lazy("answered a survey"),
    "tenure_days": gettext_lazy("customer for (days)"),
    "tier_rank": gettext_lazy("tier"),
}


def feature_label(name: str) -> str:
    return str(FEATURE_LABELS.get(name, name))


# --- pivot tables -------------------------------------------------------------------------------


def result_table(result: PivotResult, *, title: str) -> Table:
    """A pivot result as an export table (dimension values as their labels)."""
    dataset = datasets()[result.spec.dataset]
    n = len(result.spec.dimensions)
    rows = [
        [display_value(dataset, d, row[i]) for i, d in enumerate(result.spec.dimensions)] + row[n:]
        for row in result.rows
    ]
    spec = result.spec
    notes = [
        _("Data set: %s") % dataset.label,
        _("Period: %(start)s – %(end)s")
        % {"start": spec.start or _("start"), "end": spec.end or _("today")},
    ]
    if spec.filters:
        notes.append(
            _("Filters: %s")
            % "; ".join(
                f"{dataset.dimensions[k].label} = {', '.join(v)}" for k, v in spec.filters.items()
            )
        )
    return Table(
        title=title,
        headers=[c.label for c in result.columns],
        units=["" if c.is_dimension else c.unit for c in result.columns],
        rows=rows,
        chart=chart_data(result),
        notes=notes,
    )


def report_table(spec: dict, *, title: str) -> Table:
    return result_table(run_pivot(parse_spec(spec)), title=title)


def saved_report_list(user) -> QuerySet[SavedReport]:
    """The user's own reports and those shared with everyone (owner joined)."""
    return (
        SavedReport.objects.filter(Q(owner=user) | Q(shared=True))
        .select_related("owner")
        .order_by("name", "id")
    )


def saved_report_get(user, pk: int) -> SavedReport:
    report = saved_report_list(user).filter(pk=pk).first()
    if report is None:
        raise Http404
    return report


def pivot_url(spec: dict) -> str:
    """The pivot page showing `spec` (a GET link: works without JavaScript)."""
    params: list[tuple[str, str]] = [("dataset", spec.get("dataset", "tickets"))]
    params += [("dimensions", d) for d in spec.get("dimensions", [])]
    params += [("measures", m) for m in spec.get("measures", [])]
    for dim, values in spec.get("filters", {}).items():
        params += [(f"f_{dim}", v) for v in values]
    for key in ("start", "end"):
        if spec.get(key):
            params.append((key, spec[key]))
    return f"{reverse('reports:pivot')}?{urlencode(params)}"


# --- churn risk ----------------------------------------------------------------------------------


@dataclass
class ChurnRisk:
    probability: float
    band: str  # "high", "medium", "low"
    band_label: str
    revenue_at_risk: float
    factors: list[tuple[str, float]]
    cluster: int | None
    as_of: dt.date


def _band(probability: float) -> tuple[str, str]:
    if probability >= 0.6:
        return "high", _("High")
    if probability >= 0.3:
        return "medium", _("Medium")
    return "low", _("Low")


def customer_churn_risk(customer_id: int) -> ChurnRisk | None:
    """The customer's latest churn score with its top factors, or None (one query)."""
    risk = CustomerRisk.objects.select_related("run").filter(customer_id=customer_id).first()
    if risk is None:
        return None
    band, label = _band(risk.probability)
    return ChurnRisk(
        probability=risk.probability,
        band=band,
        band_label=label,
        revenue_at_risk=float(risk.revenue_at_risk),
        factors=[(feature_label(f["feature"]), f["effect"]) for f in risk.factors],
        cluster=risk.cluster,
        as_of=risk.run.as_of,
    )


def revenue_at_risk_list(limit: int = 50) -> QuerySet[CustomerRisk]:
    return CustomerRisk.objects.select_related("customer").order_by("-revenue_at_risk", "id")[
        :limit
    ]


def latest_churn_run() -> ChurnModelRun | None:
    return (
        ChurnModelRun.objects.filter(status=ChurnModelRun.Status.DONE).defer("model_blob").first()
    )


def churn_run_list(limit: int = 10) -> QuerySet[ChurnModelRun]:
    return ChurnModelRun.objects.defer("model_blob").select_related("started_by")[:limit]


def risk_totals() -> dict[str, Any]:
    return CustomerRisk.objects.aggregate(
        customers=Count("id"),
        high=Count("id", filter=Q(probability__gte=0.6)),
        revenue=Sum("revenue_at_risk"),
    )


# --- executive dashboard -------------------------------------------------------------------------


@dataclass
class Card:
    key: str
    label: str
    unit: str
    value: float | None
    previous: float | None
    target: float | None
    higher_is_better: bool
    url: str
    series: list[tuple[str, float | None]] = field(default_factory=list)
    note: str = ""

    @property
    def trend(self) -> str:
        if self.value is None or self.previous is None or self.value == self.previous:
            return "flat"
        return "up" if self.value > self.previous else "down"

    @property
    def good(self) -> bool | None:
        if self.trend == "flat":
            return None
        return (self.trend == "up") == self.higher_is_better

    @property
    def on_target(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target


def _month_start(day: dt.date, back: int = 0) -> dt.date:
    month = day.year * 12 + day.month - 1 - back
    return dt.date(month // 12, month % 12 + 1, 1)


DASHBOARD_KPIS = ("tickets_created", "backlog", "sla_compliance", "csat", "compensation_amount")


def executive_dashboard(*, today: dt.date | None = None, months: int = 6) -> dict[str, Any]:
    """KPI cards (this month so far vs last month, 6-month series, company target) and the top
    complaint causes. KPIs come from kefu.quality.selectors.kpi_report (their one definition);
    NPS from kefu.surveys.scoring. A fixed number of queries whatever the data size."""
    from kefu.quality.kpis import KPI_DEFINITIONS
    from kefu.quality.selectors import kpi_report, target_list
    from kefu.surveys.models import Answer
    from kefu.surveys.scoring import nps
    from kefu.tickets.models import Ticket, TicketKind

    today = today or timezone.localdate()
    start = _month_start(today, months - 1)
    report = kpi_report(level="company", period="month", start=start, end=today).sort(
        "period_start"
    )
    labels = [d.strftime("%Y-%m") for d in report["period_start"].to_list()]
    targets = {
        t.kpi: t.value
        for t in target_list().filter(level="company", start__lte=today, end__gte=today)
    }

    def series(code: str) -> list[tuple[str, float | None]]:
        return list(zip(labels, report[code].to_list(), strict=True))

    cards = []
    specs = {
        "tickets_created": {
            "dataset": "tickets",
            "dimensions": ["month"],
            "measures": ["count:tickets"],
        },
        "compensation_amount": {
            "dataset": "kpis",
            "dimensions": ["month"],
            "measures": ["kpi:compensation_amount"],
        },
    }
    for code in DASHBOARD_KPIS:
        definition = KPI_DEFINITIONS[code]
        values = report[code].to_list()
        spec = specs.get(
            code, {"dataset": "kpis", "dimensions": ["month"], "measures": [f"kpi:{code}"]}
        )
        spec = {**spec, "start": start.isoformat(), "end": today.isoformat()}
        cards.append(
            Card(
                key=code,
                label=str(definition.label),
                unit=definition.unit,
                value=values[-1] if values else None,
                previous=values[-2] if len(values) > 1 else None,
                target=targets.get(code),
                higher_is_better=definition.higher_is_better,
                url=pivot_url(spec),
                series=series(code),
            )
        )

    # Complaints per month (one GROUP BY).
    complaints = dict(
        Ticket.objects.filter(
            merged_into__isnull=True, kind=TicketKind.COMPLAINT, created_at__date__gte=start
        )
        .annotate(m=TruncMonth("created_at"))
        .values_list("m")
        .annotate(n=Count("id"))
        .values_list("m", "n")
    )
    by_month = {
        timezone.localtime(k).strftime("%Y-%m") if timezone.is_aware(k) else k.strftime("%Y-%m"): v
        for k, v in complaints.items()
    }
    complaint_series = [(label, by_month.get(label, 0)) for label in labels]
    cards.insert(
        1,
        Card(
            key="complaints",
            label=_("Complaints"),
            unit="count",
            value=complaint_series[-1][1] if complaint_series else None,
            previous=complaint_series[-2][1] if len(complaint_series) > 1 else None,
            target=None,
            higher_is_better=False,
            url=pivot_url(
                {
                    "dataset": "tickets",
                    "dimensions": ["month", "category_1"],
                    "measures": ["count:tickets"],
                    "filters": {"kind": ["complaint"]},
                    "start": start.isoformat(),
                }
            ),
            series=complaint_series,
        ),
    )

    # NPS over the last 90 days vs the 90 before (one GROUP BY over answer values).
    since = today - dt.timedelta(days=180)
    middle = today - dt.timedelta(days=90)
    rows = (
        Answer.objects.filter(
            question__metric="nps", value__isnull=False, response__submitted_at__date__gt=since
        )
        .annotate(recent=Q(response__submitted_at__date__gt=middle))
        .values_list("recent", "value")
        .annotate(n=Count("id"))
    )
    recent_scores, earlier_scores = [], []
    for recent, value, n in rows:
        (recent_scores if recent else earlier_scores).append(np.full(n, value))

    def _nps(parts):
        return nps(np.concatenate(parts)).nps if parts else None

    cards.insert(
        5,
        Card(
            key="nps",
            label=_("NPS (last 90 days)"),
            unit="score",
            value=_nps(recent_scores),
            previous=_nps(earlier_scores),
            target=targets.get("nps"),
            higher_is_better=True,
            url=reverse("surveys:home") if _has_url("surveys:home") else "",
        ),
    )

    totals = risk_totals()
    cards.append(
        Card(
            key="revenue_at_risk",
            label=_("Revenue at risk from churn"),
            unit="amount",
            value=float(totals["revenue"] or 0) if totals["customers"] else None,
            previous=None,
            target=None,
            higher_is_better=False,
            url=reverse("reports:churn"),
            note=_("%(n)s customers with high churn risk") % {"n": totals["high"]},
        )
    )

    causes = list(
        Ticket.objects.filter(
            merged_into__isnull=True,
            kind=TicketKind.COMPLAINT,
            created_at__date__gt=today - dt.timedelta(days=90),
        )
        .values_list("root_cause__name", "category__name")
        .annotate(n=Count("id"))
        .order_by("-n")[:8]
    )
    return {
        "cards": cards,
        "causes": [(cause or category or _("not recorded"), n) for cause, category, n in causes],
        "causes_url": pivot_url(
            {
                "dataset": "tickets",
                "dimensions": ["root_cause"],
                "measures": ["count:tickets"],
                "filters": {"kind": ["complaint"]},
                "start": (today - dt.timedelta(days=89)).isoformat(),
            }
        ),
        "start": start,
        "today": today,
    }


def _has_url(name: str) -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


# --- SWOT -----------------------------------------------------------------------------------------


@dataclass
class SwotItem:
    text: str
    source: str  # "data" or "entry"
    entry_id: int | None = None
    url: str = ""


def swot_analysis(*, today: dt.date | None = None) -> dict[str, list[SwotItem]]:
    """Strengths/weaknesses: KPIs vs target (best and worst), top complaint causes;
    opportunities: open sales opportunities logged on tickets, satisfied-but-not-loyal
    customers; threats: churn risk, competitors named in complaints; plus free entries."""
    from kefu.tickets.models import Opportunity, Ticket, TicketKind

    today = today or timezone.localdate()
    quadrants: dict[str, list[SwotItem]] = {q: [] for q in SwotQuadrant.values}
    dashboard = executive_dashboard(today=today, months=3)
    for card in dashboard["cards"]:
        if card.on_target is None:
            continue
        text = _("%(kpi)s: %(value).1f against a target of %(target).1f") % {
            "kpi": card.label,
            "value": card.value,
            "target": card.target,
        }
        quadrants["strength" if card.on_target else "weakness"].append(
            SwotItem(text, "data", url=card.url)
        )
    for card in dashboard["cards"]:
        if card.target is None and card.good is not None and card.key != "revenue_at_risk":
            text = _("%(kpi)s is %(direction)s on last month") % {
                "kpi": card.label,
                "direction": _("improving") if card.good else _("worsening"),
            }
            quadrants["strength" if card.good else "weakness"].append(
                SwotItem(text, "data", url=card.url)
            )
    for cause, n in dashboard["causes"][:3]:
        quadrants["weakness"].append(
            SwotItem(
                _("Complaint cause “%(cause)s”: %(n)s in 90 days") % {"cause": cause, "n": n},
                "data",
                url=dashboard["causes_url"],
            )
        )
    opportunities = Opportunity.objects.filter(state="open").aggregate(
        n=Count("id"), value=Sum("estimated_value")
    )
    if opportunities["n"]:
        quadrants["opportunity"].append(
            SwotItem(
                _("%(n)s open sales opportunities logged on tickets (%(value)s CNY)")
                % {"n": opportunities["n"], "value": f"{opportunities['value'] or 0:,.0f}"},
                "data",
            )
        )
    totals = risk_totals()
    if totals["customers"]:
        satisfied_at_risk = (
            CustomerRisk.objects.filter(probability__gte=0.5, factors__isnull=False)
            .exclude(factors__icontains="csat_mean")
            .count()
        )
        quadrants["opportunity"].append(
            SwotItem(
                _(
                    "%(n)s customers at risk for reasons other than satisfaction: "
                    "win them back with offers"
                )
                % {"n": satisfied_at_risk},
                "data",
                url=reverse("reports:churn"),
            )
        )
        quadrants["threat"].append(
            SwotItem(
                _("%(n)s customers with high churn risk; %(value)s CNY revenue at risk")
                % {"n": totals["high"], "value": f"{totals['revenue'] or 0:,.0f}"},
                "data",
                url=reverse("reports:churn"),
            )
        )
    competitors = (
        Ticket.objects.filter(
            kind=TicketKind.COMPLAINT,
            created_at__date__gt=today - dt.timedelta(days=180),
        )
        .filter(
            Q(description__icontains="competitor")
            | Q(description__icontains="竞争")
            | Q(description__icontains="对手")
        )
        .count()
    )
    if competitors:
        quadrants["threat"].append(
            SwotItem(
                _("%(n)s complaints in 180 days mention a competitor") % {"n": competitors}, "data"
            )
        )
    for entry in SwotEntry.objects.all():
        quadrants[entry.quadrant].append(SwotItem(entry.text, "entry", entry.pk))
    return quadrants


def swot_entry_get(pk: int) -> SwotEntry | None:
    return SwotEntry.objects.filter(pk=pk).first()


def swot_table(quadrants: dict[str, list[SwotItem]]) -> Table:
    labels = dict(SwotQuadrant.choices)
    rows = [
        [str(labels[q]), item.text, _("from the data") if item.source == "data" else _("added")]
        for q, items in quadrants.items()
        for item in items
    ]
    return Table(
        title=_("Service SWOT"),
        headers=[_("Quadrant"), _("Entry"), _("Source")],
        units=["", "", ""],
        rows=rows,
    )
