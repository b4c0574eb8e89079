"""API: customer value snapshot rows (paged, filterable), the headline summary, and a queued
refresh (administrators)."""

import datetime as dt
from typing import Any

from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kefu.analytics import selectors, services
from kefu.api.pagination import PageNumberless
from kefu.core.permissions import require_perm

VIEW = "analytics.view_analytics"
router = Router(tags=["analytics"])


class CustomerValueOut(Schema):
    customer_id: int
    customer_number: str
    customer_name: str
    tier: str
    segment: str
    r_score: int
    f_score: int
    m_score: int
    purchase_count: int
    historic_value: float
    predicted_purchases: float | None = Field(description="Expected purchases over the horizon.")
    prob_alive: float | None
    clv: float | None = Field(description="Discounted margin over the horizon (CNY).")
    gross_margin: float
    cost_to_serve: float
    profit: float
    cost_driver: str
    ticket_count: int
    complaint_count: int
    is_top: bool
    is_loss_maker: bool

    @staticmethod
    def resolve_customer_number(obj) -> str:
        return obj.customer.number

    @staticmethod
    def resolve_customer_name(obj) -> str:
        return obj.customer.name


class CustomerValueFilters(Schema):
    tier: str = Field("", description="A, B, C or D.", pattern="^(|A|B|C|D)$")
    segment: str = Field("", description="RFM segment, e.g. champions, at risk.", max_length=30)
    group: str = Field("", description="top or loss.", pattern="^(|top|loss)$")


class SummaryOut(Schema):
    run_id: int
    as_of: dt.date
    finished_at: dt.datetime | None
    customers: int
    purchasers: int
    historic_total: float
    clv_total: float
    profit_total: float
    cost_to_serve_total: float
    gini: float
    top_10_share: float
    top_20_share: float
    share_for_80: float = Field(description="Share of customers holding 80% of revenue.")
    loss_makers: int
    tier_basis: str
    tiers: dict[str, int]
    fitted: dict[str, Any]
    warnings: list[str]


class RefreshIn(Schema):
    update_tiers: bool = False


class RefreshOut(Schema):
    run_id: int
    status: str


def _latest_run():
    runs = selectors.latest_runs(1)
    if not runs:
        raise Http404("No analytics snapshot yet.")
    return runs[0]


@router.get("/customer-value", response=list[CustomerValueOut])
@paginate(PageNumberless)
def customer_value_list(request, filters: Query[CustomerValueFilters]):
    """The newest snapshot, one row per customer, highest profit first (loss-makers: lowest)."""
    require_perm(request.user, VIEW)
    return selectors.snapshot_list(run=_latest_run(), **filters.dict())


@router.get("/summary", response=SummaryOut)
def summary(request):
    """Headline figures of the newest snapshot and the fitted BG/NBD and Gamma-Gamma models."""
    require_perm(request.user, VIEW)
    return selectors.summary(_latest_run())


@router.post("/refresh", response={202: RefreshOut})
def refresh(request, payload: RefreshIn):
    """Queue a refresh (administrators); poll /summary for the new snapshot."""
    run = services.analytics_refresh_request(actor=request.user, update_tiers=payload.update_tiers)
    return Status(202, {"run_id": run.pk, "status": run.status})


ROUTERS = [("/analytics", router)]
