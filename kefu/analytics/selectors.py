"""Reading analytics runs and snapshots: lists, and the figures behind each chart.

Every chart reads the run's snapshot columns with one or two bulk queries (values_list into
numpy), whatever the number of customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import Count, QuerySet, Sum

from kefu.analytics.loaders import fetch_columns
from kefu.analytics.models import AnalyticsRun, CustomerValueSnapshot, RunStatus
from kefu.analytics.pareto import pareto
from kefu.analytics.tiers import TIER_NAMES

SCATTER_POINTS = 3000
LIST_LIMIT = 50


def can_view(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("analytics.view_analytics"))


def latest_runs(count: int = 2) -> list[AnalyticsRun]:
    """The newest finished runs, newest first."""
    return list(
        AnalyticsRun.objects.filter(status=RunStatus.DONE).order_by("-finished_at", "-id")[:count]
    )


def run_list(limit: int = 20) -> QuerySet[AnalyticsRun]:
    return AnalyticsRun.objects.select_related("started_by").order_by("-started_at", "-id")[:limit]


def snapshot_list(
    *, run: AnalyticsRun, tier: str = "", segment: str = "", group: str = ""
) -> QuerySet[CustomerValueSnapshot]:
    """One run's snapshot rows with their customer, highest profit first; `group` is "top"
    or "loss" for the top customers or the loss-makers."""
    rows = CustomerValueSnapshot.objects.filter(run=run).select_related("customer")
    if tier:
        rows = rows.filter(tier="" if tier == "none" else tier)
    if segment:
        rows = rows.filter(segment=segment)
    if group == "top":
        rows = rows.filter(is_top=True)
    elif group == "loss":
        return rows.filter(is_loss_maker=True).order_by("profit", "id")
    return rows.order_by("-profit", "id")


def segment_names(run: AnalyticsRun) -> list[str]:
    return list(
        CustomerValueSnapshot.objects.filter(run=run)
        .order_by("segment")
        .values_list("segment", flat=True)
        .distinct()
    )


def _column(run: AnalyticsRun, *names: str) -> list[np.ndarray]:
    """Snapshot columns of one run as float arrays (NULL → NaN), one raw query, no model rows."""
    quote = connection.ops.quote_name
    real = "DOUBLE PRECISION" if connection.vendor == "postgresql" else "REAL"
    columns = ", ".join(f"CAST({quote(name)} AS {real})" for name in names)
    sql = (
        f"SELECT {columns} FROM {quote(CustomerValueSnapshot._meta.db_table)} "
        f"WHERE {quote('run_id')} = %s"
    )
    return fetch_columns(sql, [np.float64] * len(names), [run.pk])


def _tiers(run: AnalyticsRun) -> tuple[np.ndarray, np.ndarray]:
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {quote('customer_id')}, {quote('tier')} "
        f"FROM {quote(CustomerValueSnapshot._meta.db_table)} WHERE {quote('run_id')} = %s "
        f"ORDER BY 1"
    )
    return tuple(fetch_columns(sql, [np.int64, "<U1"], [run.pk]))


@dataclass(frozen=True)
class Distribution:
    edges: np.ndarray
    historic: np.ndarray
    clv: np.ndarray


def value_distribution(run: AnalyticsRun, bins: int = 12) -> Distribution:
    """Customers per value band (historic value and CLV), bands on a log-like scale."""
    historic, clv = _column(run, "historic_value", "clv")
    values = np.concatenate([historic, clv[~np.isnan(clv)]]) if historic.size else historic
    top = float(np.nanmax(values)) if values.size else 1.0
    edges = np.unique(np.concatenate([[0.0], np.geomspace(1.0, max(top, 10.0) * 1.0001, bins)]))
    return Distribution(
        edges=edges,
        historic=np.histogram(historic, edges)[0],
        clv=np.histogram(clv[~np.isnan(clv)], edges)[0],
    )


@dataclass(frozen=True)
class ParetoFigures:
    customer_share: np.ndarray  # 0, 0.01, … 1
    revenue_share: np.ndarray
    profit_share: np.ndarray
    complaint_share: np.ndarray
    gini_revenue: float
    gini_profit: float
    gini_complaints: float


def pareto_figures(run: AnalyticsRun) -> ParetoFigures | None:
    """Concentration of revenue, profit (positive part) and complaints at each percentile."""
    historic, profit, complaints = _column(run, "historic_value", "profit", "complaint_count")
    if historic.size == 0:
        return None
    grid = np.linspace(0.0, 1.0, 101)
    curves = [pareto(np.maximum(v, 0.0)) for v in (historic, profit, complaints)]
    shares = [np.asarray(c.share_of_top(grid)) for c in curves]
    return ParetoFigures(grid, *shares, *(c.gini for c in curves))


def rfm_grid(run: AnalyticsRun) -> dict[tuple[int, int], dict[str, float]]:
    """(R, F) → customers and average historic value (one GROUP BY)."""
    rows = (
        CustomerValueSnapshot.objects.filter(run=run, r_score__gt=0)
        .values_list("r_score", "f_score")
        .annotate(n=Count("id"), value=Sum("historic_value"))
        .order_by()
    )
    return {(r, f): {"customers": n, "value": float(value or 0)} for r, f, n, value in rows}


def segment_summary(run: AnalyticsRun) -> list[dict]:
    rows = (
        CustomerValueSnapshot.objects.filter(run=run)
        .values("segment")
        .annotate(customers=Count("id"), value=Sum("historic_value"), clv=Sum("clv"))
        .order_by("-value")
    )
    return list(rows)


def tier_migration(previous: AnalyticsRun, current: AnalyticsRun) -> np.ndarray:
    """Counts[from tier, to tier] for customers in both runs; the last row/column is "none"
    (customer absent from that run). Two bulk queries."""
    labels = np.asarray([*TIER_NAMES, ""])
    none = labels.size - 1
    customers_before, tiers_before = _tiers(previous)
    customers_after, tiers_after = _tiers(current)
    customers = np.union1d(customers_before, customers_after)

    def tier_index(ids: np.ndarray, tiers: np.ndarray) -> np.ndarray:
        """Row/column of each customer: its tier's position, "none" when not in the run."""
        per_customer = np.full(ids.size, none)
        for position, label in enumerate(labels[:-1]):  # four tiers, each vectorised
            per_customer[tiers == label] = position
        result = np.full(customers.size, none)
        found = np.isin(customers, ids)
        result[found] = per_customer[np.searchsorted(ids, customers[found])]
        return result

    matrix = np.zeros((labels.size, labels.size), dtype=np.int64)
    if customers.size:
        source = tier_index(customers_before, tiers_before)
        target = tier_index(customers_after, tiers_after)
        np.add.at(matrix, (source, target), 1)
    return matrix


def tier_summary(run: AnalyticsRun) -> list[dict]:
    return list(
        CustomerValueSnapshot.objects.filter(run=run)
        .values("tier")
        .annotate(
            customers=Count("id"),
            value=Sum("historic_value"),
            clv=Sum("clv"),
            profit=Sum("profit"),
            complaints=Sum("complaint_count"),
        )
        .order_by("tier")
    )


@dataclass(frozen=True)
class Quadrant:
    value: np.ndarray  # sampled points for the scatter
    cost: np.ndarray
    tier: list[str]
    value_split: float  # medians over all customers
    cost_split: float
    counts: dict[str, int]  # quadrant → customers (all customers)


def profitability_quadrant(run: AnalyticsRun) -> Quadrant:
    """Value × cost to serve, split at the medians; a deterministic sample for the scatter."""
    quote = connection.ops.quote_name
    real = "DOUBLE PRECISION" if connection.vendor == "postgresql" else "REAL"
    sql = (
        f"SELECT CAST({quote('historic_value')} AS {real}), "
        f"CAST({quote('cost_to_serve')} AS {real}), {quote('tier')} "
        f"FROM {quote(CustomerValueSnapshot._meta.db_table)} WHERE {quote('run_id')} = %s"
    )
    value, cost, tiers = fetch_columns(sql, [np.float64, np.float64, "<U1"], [run.pk])
    if value.size == 0:
        return Quadrant(value, cost, [], 0.0, 0.0, {})
    value_split, cost_split = float(np.median(value)), float(np.median(cost))
    high_value, high_cost = value > value_split, cost > cost_split
    counts = {
        "high_value_low_cost": int(np.sum(high_value & ~high_cost)),
        "high_value_high_cost": int(np.sum(high_value & high_cost)),
        "low_value_low_cost": int(np.sum(~high_value & ~high_cost)),
        "low_value_high_cost": int(np.sum(~high_value & high_cost)),
    }
    keep = np.arange(value.size)
    if value.size > SCATTER_POINTS:
        keep = np.random.default_rng(0).choice(value.size, SCATTER_POINTS, replace=False)
    return Quadrant(value[keep], cost[keep], tiers[keep].tolist(), value_split, cost_split, counts)


def complaints_by_tier(run: AnalyticsRun) -> dict[str, int]:
    rows = (
        CustomerValueSnapshot.objects.filter(run=run)
        .values_list("tier")
        .annotate(n=Sum("complaint_count"))
        .order_by("tier")
    )
    return {tier: int(n or 0) for tier, n in rows}


def summary(run: AnalyticsRun | None) -> dict:
    """Headline figures of a run (for the home page and the API)."""
    if run is None:
        return {}
    aggregates = run.aggregates or {}
    return {
        "run_id": run.pk,
        "as_of": run.as_of,
        "finished_at": run.finished_at,
        "customers": aggregates.get("customers", 0),
        "purchasers": aggregates.get("purchasers", 0),
        "historic_total": aggregates.get("historic_total", 0.0),
        "clv_total": aggregates.get("clv_total", 0.0),
        "profit_total": aggregates.get("profit_total", 0.0),
        "cost_to_serve_total": aggregates.get("cost_to_serve_total", 0.0),
        "gini": aggregates.get("gini", 0.0),
        "top_10_share": aggregates.get("top_10_share", 0.0),
        "top_20_share": aggregates.get("top_20_share", 0.0),
        "share_for_80": aggregates.get("share_for_80", 0.0),
        "loss_makers": aggregates.get("loss_makers", 0),
        "tier_basis": aggregates.get("tier_basis", ""),
        "fitted": {k: v for k, v in (run.fitted or {}).items() if k != "warnings"},
        "warnings": (run.fitted or {}).get("warnings", []),
        "tiers": {row["tier"]: row["customers"] for row in tier_summary(run)},
    }
