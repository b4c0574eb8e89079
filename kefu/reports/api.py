"""Reports API: the pivot whitelist and engine, saved reports, the executive dashboard, churn
risk per customer and the revenue-at-risk list. Unknown fields → 400 naming the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kefu.api.pagination import PageNumberless
from kefu.core.permissions import require_perm
from kefu.reports import selectors, services
from kefu.reports.models import CustomerRisk, SavedReport
from kefu.reports.pivot.engine import parse_spec, run_pivot
from kefu.reports.pivot.fields import AGGREGATE_LABELS, datasets
from kefu.reports.pivot.present import display_value

router = Router(tags=["reports"])
VIEW = selectors.VIEW


class PivotIn(Schema):
    dataset: str = Field("tickets", description="tickets, purchases or kpis.", max_length=30)
    dimensions: list[str] = Field(default_factory=list, description="Up to 3 dimension keys.")
    measures: list[str] = Field(
        default_factory=list, description='Up to 6 "aggregate:field", e.g. "p90:resolution_s".'
    )
    filters: dict[str, list[str]] = Field(
        default_factory=dict, description="Dimension key → allowed values (∅ = not set)."
    )
    start: dt.date | None = None
    end: dt.date | None = Field(None, description="Inclusive.")


class ColumnOut(Schema):
    key: str
    label: str
    unit: str
    is_dimension: bool


class PivotOut(Schema):
    spec: dict[str, Any]
    columns: list[ColumnOut]
    rows: list[list[Any]] = Field(description="Dimension values (raw) then measures.")
    labels: list[list[str]] = Field(description="Display labels of the dimension values.")
    elapsed_s: float
    engine: str


@router.get("/pivot/fields", summary="The whitelist: data sets, dimensions, measures")
def pivot_fields(request) -> dict[str, Any]:
    require_perm(request.user, VIEW)
    return {
        d.key: {
            "label": str(d.label),
            "dimensions": {k: str(v.label) for k, v in d.dimensions.items()},
            "measures": {k: {"label": str(m.label), "unit": m.unit} for k, m in d.measures.items()},
            "aggregates": {a: str(AGGREGATE_LABELS[a]) for a in d.aggregates},
        }
        for d in datasets().values()
    }


@router.post("/pivot", response=PivotOut, summary="Run a pivot report (GROUP BY, bounded)")
def pivot_run(request, payload: PivotIn):
    require_perm(request.user, VIEW)
    spec = parse_spec(payload.dict())
    result = run_pivot(spec)
    dataset = datasets()[spec.dataset]
    return {
        "spec": spec.as_json(),
        "columns": [c.__dict__ for c in result.columns],
        "rows": [
            [v.isoformat() if isinstance(v, dt.date) else v for v in row] for row in result.rows
        ],
        "labels": [
            [display_value(dataset, d, row[i]) for i, d in enumerate(spec.dimensions)]
            for row in result.rows
        ],
        "elapsed_s": result.elapsed_s,
        "engine": result.engine,
    }


class SavedReportIn(Schema):
    name: str = Field(max_length=120)
    description: str = ""
    spec: PivotIn
    shared: bool = False
    schedule: str = Field("", description='"", "daily", "weekly" or "monthly".')
    recipients: list[str] = Field(default_factory=list, max_length=50)
    export_format: str = Field("xlsx", description="xlsx, csv or pdf.")


class SavedReportOut(Schema):
    id: int
    name: str
    description: str
    owner: str
    shared: bool
    spec: dict[str, Any]
    schedule: str
    recipients: list[str]
    export_format: str
    next_run_at: dt.datetime | None
    last_sent_at: dt.datetime | None

    @staticmethod
    def resolve_owner(obj) -> str:
        return obj.owner.get_username()

    @staticmethod
    def resolve_recipients(obj) -> list[str]:
        return obj.recipient_list


@router.get("/saved", response=list[SavedReportOut], summary="Saved reports I can see")
@paginate(PageNumberless)
def saved_list(request):
    require_perm(request.user, VIEW)
    return selectors.saved_report_list(request.user)


@router.post("/saved", response={201: SavedReportOut}, summary="Save a report")
def saved_create(request, payload: SavedReportIn):
    require_perm(request.user, "reports.add_savedreport")
    report = services.saved_report_create(
        actor=request.user,
        name=payload.name,
        description=payload.description,
        spec=payload.spec.dict(),
        shared=payload.shared,
        schedule=payload.schedule,
        recipients="\n".join(payload.recipients),
        export_format=payload.export_format,
    )
    return Status(201, report)


@router.delete("/saved/{report_id}", response={204: None}, summary="Delete a saved report")
def saved_delete(request, report_id: int):
    require_perm(request.user, VIEW)
    report = get_object_or_404(selectors.saved_report_list(request.user), pk=report_id)
    services.saved_report_delete(actor=request.user, report=report)
    return Status(204, None)


@router.get("/dashboard", summary="Executive dashboard cards")
def dashboard(request) -> dict[str, Any]:
    require_perm(request.user, VIEW)
    context = selectors.executive_dashboard()
    return {
        "cards": [
            {
                "key": c.key,
                "label": c.label,
                "unit": c.unit,
                "value": c.value,
                "previous": c.previous,
                "target": c.target,
                "trend": c.trend,
                "on_target": c.on_target,
                "series": c.series,
                "url": c.url,
            }
            for c in context["cards"]
        ],
        "complaint_causes": [{"cause": str(c), "count": n} for c, n in context["causes"]],
    }


class ChurnRiskOut(Schema):
    customer_id: int
    probability: float
    band: str
    revenue_at_risk: float
    factors: list[dict[str, Any]]
    cluster: int | None
    as_of: dt.date


@router.get(
    "/customers/{customer_id}/churn-risk",
    response={200: ChurnRiskOut, 404: dict},
    summary="A customer's churn risk and its top factors",
)
def customer_risk(request, customer_id: int):
    require_perm(request.user, "reports.view_customerrisk")
    risk = selectors.customer_churn_risk(customer_id)
    if risk is None:
        return Status(404, {"code": "not_found", "message": "No churn score for this customer."})
    return {
        "customer_id": customer_id,
        "probability": risk.probability,
        "band": risk.band,
        "revenue_at_risk": risk.revenue_at_risk,
        "factors": [{"factor": label, "effect": effect} for label, effect in risk.factors],
        "cluster": risk.cluster,
        "as_of": risk.as_of,
    }


class AtRiskOut(Schema):
    customer_id: int
    customer_name: str
    probability: float
    revenue_at_risk: float
    factors: list[dict[str, Any]]
    cluster: int | None

    @staticmethod
    def resolve_customer_name(obj: CustomerRisk) -> str:
        return obj.customer.name


@router.get("/churn/at-risk", response=list[AtRiskOut], summary="Revenue at risk, largest first")
@paginate(PageNumberless)
def at_risk(request):
    require_perm(request.user, selectors.VIEW_MINING)
    return CustomerRisk.objects.select_related("customer").order_by("-revenue_at_risk", "id")


@router.get("/churn/model", summary="The latest churn model's evaluation")
def churn_model(request) -> dict[str, Any]:
    require_perm(request.user, selectors.VIEW_MINING)
    run = selectors.latest_churn_run()
    if run is None:
        return {"model": None}
    return {
        "model": {
            "id": run.pk,
            "as_of": run.as_of.isoformat(),
            "horizon_days": run.horizon_days,
            "metrics": run.metrics,
            "importance": run.importance,
            "calibration": run.calibration,
            "clusters": {
                k: run.clusters.get(k) for k in ("k", "features", "silhouette", "profiles")
            },
        }
    }


ROUTERS = [("/reports", router)]
__all__ = ["ROUTERS", "SavedReport"]
