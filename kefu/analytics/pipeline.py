"""The whole customer-value computation for one refresh, on plain arrays (no Django).

`compute_customer_value` chains the pure modules: transaction summary → BG/NBD + Gamma-Gamma →
CLV → RFM → profitability (cost to serve) → ABCD tiers, vectorised over all customers. The
loaders in kefu.analytics.loaders turn the database into the `ValueInputs` it takes; the
service writes its frame into snapshot rows. The benchmark calls it directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from kefu.analytics.bgnbd import fit_bgnbd
from kefu.analytics.gamma_gamma import fit_gamma_gamma
from kefu.analytics.lifetime_value import customer_lifetime_value
from kefu.analytics.pareto import pareto
from kefu.analytics.profitability import customer_profitability, flag_profit_groups
from kefu.analytics.rfm import rfm_scores, rfm_segments
from kefu.analytics.threads import single_threaded_blas
from kefu.analytics.tiers import DEFAULT_TIER_CUTOFFS, abcd_tiers
from kefu.analytics.transactions import summarize_transactions

NO_PURCHASES = "no purchases"
DEFAULT_KEY = "default"
WEEKS_PER_YEAR = 52.0


@dataclass(frozen=True)
class ValueParameters:
    """Everything a refresh is parameterised by (stored with each run)."""

    as_of: dt.date
    discount_rate: float = 0.10  # per year
    horizon_weeks: int = 52
    default_margin_rate: float = 0.25
    cost_per_minute: Mapping[str, float] = field(default_factory=lambda: {DEFAULT_KEY: 1.5})
    standard_minutes: Mapping[str, float] = field(default_factory=lambda: {DEFAULT_KEY: 12.0})
    tier_cutoffs: tuple[float, ...] = DEFAULT_TIER_CUTOFFS
    tier_basis: str = "clv"
    top_share: float = 0.10

    def rate_for(self, table: Mapping[str, float], channel: str) -> float:
        return float(table.get(channel, table.get(DEFAULT_KEY, 0.0)))

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "discount_rate": self.discount_rate,
            "horizon_weeks": self.horizon_weeks,
            "default_margin_rate": self.default_margin_rate,
            "cost_per_minute": dict(self.cost_per_minute),
            "standard_minutes": dict(self.standard_minutes),
            "tier_cutoffs": list(self.tier_cutoffs),
            "tier_basis": self.tier_basis,
            "top_share": self.top_share,
        }


@dataclass
class ValueInputs:
    """Columns read in bulk. Money in integer minor units (fen); margin −1 = not recorded."""

    customer_ids: np.ndarray  # every customer to report on
    purchase_customer: np.ndarray
    purchase_seconds: np.ndarray  # seconds since the epoch (UTC)
    purchase_amount_minor: np.ndarray
    purchase_margin_minor: np.ndarray  # np.nan where the purchase has no gross margin
    ticket_customer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ticket_channel: np.ndarray = field(default_factory=lambda: np.zeros(0, "<U10"))
    ticket_is_complaint: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    compensation_customer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    compensation_minor: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))

    @property
    def counts(self) -> dict[str, int]:
        return {
            "customers": int(self.customer_ids.size),
            "purchases": int(self.purchase_customer.size),
            "tickets": int(self.ticket_customer.size),
            "compensations": int(self.compensation_customer.size),
        }


@dataclass
class ValueResult:
    frame: pl.DataFrame  # one row per customer, the snapshot columns
    fitted: dict[str, Any]
    aggregates: dict[str, Any]
    warnings: list[str]


def _(message: str) -> str:
    return message


def _per_customer(ids: np.ndarray, owner: np.ndarray, values: np.ndarray | None = None):
    """Sum `values` (or count rows) per customer in `ids` order; owners not in ids are dropped."""
    owner = np.asarray(owner, dtype=np.int64)
    if ids.size == 0:
        return np.zeros(0)
    position = np.clip(np.searchsorted(ids, owner), 0, ids.size - 1)
    known = ids[position] == owner
    weights = None if values is None else np.asarray(values, dtype=np.float64)[known]
    return np.bincount(position[known], weights=weights, minlength=ids.size).astype(np.float64)


def _weekly_discount(annual: float) -> float:
    return (1.0 + annual) ** (1.0 / WEEKS_PER_YEAR) - 1.0


def _fit_models(summary: pl.DataFrame, params: ValueParameters, warnings: list[str]):
    """BG/NBD and Gamma-Gamma on the purchasers; None for a model that cannot be fitted."""
    x = summary["frequency"].to_numpy().astype(np.float64)
    t_x = summary["recency"].to_numpy()
    T = summary["T"].to_numpy()
    monetary = summary["monetary_value"].to_numpy()
    fitted: dict[str, Any] = {}
    bgnbd = gg = None
    if np.count_nonzero(x > 0) >= 2 and x.size >= 5:
        try:
            bgnbd = fit_bgnbd(x, t_x, T)
            if not np.isfinite(bgnbd.log_likelihood):
                warnings.append(_("The BG/NBD fit did not converge; predictions skipped."))
                bgnbd = None
        except ValueError as exc:
            warnings.append(str(exc))
    else:
        warnings.append(_("Too few repeat buyers to fit the BG/NBD model."))
    if bgnbd is not None:
        fitted["bgnbd"] = {
            "r": bgnbd.r,
            "alpha": bgnbd.alpha,
            "a": bgnbd.a,
            "b": bgnbd.b,
            "log_likelihood": bgnbd.log_likelihood,
            "n_customers": bgnbd.n_customers,
        }
    try:
        gg = fit_gamma_gamma(x, monetary)
    except ValueError as exc:
        message = str(exc)
        if "correlated" in message:
            warnings.append(message)
            gg = fit_gamma_gamma(x, monetary, force=True)
            fitted["gamma_gamma_forced"] = True
        else:
            warnings.append(message)
    if gg is not None and gg.q <= 1.0:
        warnings.append(_("Gamma-Gamma fit gave q ≤ 1 (infinite mean spend); skipped."))
        gg = None
    if gg is not None:
        fitted["gamma_gamma"] = {
            "p": gg.p,
            "q": gg.q,
            "v": gg.v,
            "log_likelihood": gg.log_likelihood,
            "n_customers": gg.n_customers,
        }
    return bgnbd, gg, fitted


def compute_customer_value(inputs: ValueInputs, params: ValueParameters) -> ValueResult:
    """Per-customer value, prediction, RFM, profit and tier for `inputs.customer_ids` (sorted)."""
    with single_threaded_blas():
        return _compute(inputs, params)


def _compute(inputs: ValueInputs, params: ValueParameters) -> ValueResult:
    warnings: list[str] = []
    ids = np.unique(np.asarray(inputs.customer_ids, dtype=np.int64))
    n = ids.size
    amount = np.asarray(inputs.purchase_amount_minor, dtype=np.float64) / 100.0
    margin_minor = np.asarray(inputs.purchase_margin_minor, dtype=np.float64)
    margin = np.where(
        np.isnan(margin_minor), amount * params.default_margin_rate, margin_minor / 100
    )
    seconds = np.asarray(inputs.purchase_seconds, dtype=np.int64)
    dates = seconds.astype("datetime64[s]")
    as_of = np.datetime64(params.as_of, "D")

    # 1. Summary per purchaser (weeks, purchases merged per day as in FHL 2005).
    summary = summarize_transactions(
        inputs.purchase_customer, dates, amount, as_of, period="W", resolution="D"
    )
    summary = summary.filter(pl.col("customer_id").is_in(pl.Series(ids)))
    bgnbd, gg, fitted = _fit_models(summary, params, warnings)

    x = summary["frequency"].to_numpy().astype(np.float64)
    t_x, T = summary["recency"].to_numpy(), summary["T"].to_numpy()
    monetary = summary["monetary_value"].to_numpy()
    total = summary["total"].to_numpy()
    buyers = summary["customer_id"].to_numpy()
    in_window = (seconds < (as_of + 1).astype("datetime64[s]").astype(np.int64)) & np.isin(
        inputs.purchase_customer, ids
    )
    margin_total_buyers = _per_customer(
        buyers, inputs.purchase_customer[in_window], margin[in_window]
    )
    margin_rate = np.where(total > 0, margin_total_buyers / np.where(total > 0, total, 1), 0.0)

    # 2. Predictions and CLV (per-week discounting of the annual rate).
    predicted = alive = clv = np.full(buyers.size, np.nan)
    if bgnbd is not None:
        predicted = bgnbd.expected_purchases(float(params.horizon_weeks), x, t_x, T)
        alive = bgnbd.prob_alive(x, t_x, T)
        if gg is not None:
            clv = customer_lifetime_value(
                bgnbd,
                gg,
                x,
                t_x,
                T,
                monetary,
                params.horizon_weeks,
                _weekly_discount(params.discount_rate),
                margin_rate,
            )

    # 3. RFM among purchasers: days since the last purchase, purchases, total spend.
    last_day = summary["last_purchase"].to_numpy().astype("datetime64[D]")
    days_since = (as_of - last_day).astype(np.int64)
    counts = summary["count"].to_numpy()
    r_score, f_score, m_score = rfm_scores(days_since, counts, total)
    segment = rfm_segments(r_score, f_score, m_score)

    buyer_frame = pl.DataFrame(
        {
            "customer_id": buyers,
            "purchase_count": counts.astype(np.int64),
            "historic_value": total,
            "frequency": x.astype(np.int64),
            "recency_weeks": t_x,
            "age_weeks": T,
            "days_since_last": days_since,
            "predicted_purchases": predicted,
            "prob_alive": alive,
            "clv": clv,
            "r_score": r_score,
            "f_score": f_score,
            "m_score": m_score,
            "segment": segment.astype(str),
        },
        strict=False,
    )
    frame = (
        pl.DataFrame({"customer_id": ids})
        .join(buyer_frame, on="customer_id", how="left")
        .with_columns(
            pl.col("purchase_count", "frequency", "r_score", "f_score", "m_score").fill_null(0),
            pl.col("historic_value").fill_null(0.0),
            pl.col("segment").fill_null(NO_PURCHASES),
            pl.col("predicted_purchases", "prob_alive", "clv").fill_nan(None),
        )
        .sort("customer_id")
    )

    # 4. Profitability: gross margin − (minutes × cost per minute by channel + compensation).
    gross_margin = _per_customer(ids, inputs.purchase_customer[in_window], margin[in_window])
    channels = sorted(set(np.unique(inputs.ticket_channel).tolist()))
    minutes = np.zeros((n, max(len(channels), 1)))
    for column, channel in enumerate(channels):  # a handful of channels, each vectorised
        mine = inputs.ticket_channel == channel
        minutes[:, column] = _per_customer(ids, inputs.ticket_customer[mine]) * params.rate_for(
            params.standard_minutes, channel
        )
    rates = [params.rate_for(params.cost_per_minute, c) for c in channels] or [0.0]
    compensation = _per_customer(
        ids, inputs.compensation_customer, np.asarray(inputs.compensation_minor) / 100.0
    )
    profit = customer_profitability(
        gross_margin, minutes, rates, compensation, channel_names=channels or ["handling"]
    )
    flags = flag_profit_groups(profit["profit"].to_numpy(), params.top_share)
    ticket_count = _per_customer(ids, inputs.ticket_customer)
    complaint_count = _per_customer(
        ids, inputs.ticket_customer[np.asarray(inputs.ticket_is_complaint, dtype=bool)]
    )
    frame = frame.with_columns(
        pl.Series("gross_margin", gross_margin),
        profit["cost_to_serve"],
        profit["profit"],
        pl.Series("handling_minutes", minutes.sum(axis=1)),
        pl.Series("compensation", compensation),
        profit["dominant_cost_driver"].alias("cost_driver"),
        pl.Series("ticket_count", ticket_count.astype(np.int64)),
        pl.Series("complaint_count", complaint_count.astype(np.int64)),
        flags["is_top"],
        flags["is_loss_maker"],
    )

    # 5. ABCD tiers by the chosen basis (CLV falls back to historic value when not fitted).
    basis = params.tier_basis
    if basis == "clv" and frame["clv"].null_count() == n and n:
        warnings.append(_("No CLV could be computed; tiers use historic value."))
        basis = "historic_value"
    values = frame[basis].fill_null(0.0).to_numpy()
    tiers = abcd_tiers(values, tuple(params.tier_cutoffs)) if n else np.zeros(0, "<U1")
    frame = frame.with_columns(pl.Series("tier", tiers.astype(str)))

    aggregates = value_aggregates(frame)
    aggregates["tier_basis"] = basis
    return ValueResult(frame=frame, fitted=fitted, aggregates=aggregates, warnings=warnings)


def value_aggregates(frame: pl.DataFrame) -> dict[str, Any]:
    """Portfolio figures kept with the run: totals, Gini and top-x% shares of value and profit."""
    result: dict[str, Any] = {"customers": frame.height}
    if frame.height == 0:
        return result
    historic = frame["historic_value"].to_numpy()
    curve = pareto(np.maximum(historic, 0.0))
    result.update(
        historic_total=float(historic.sum()),
        clv_total=float(frame["clv"].fill_null(0.0).sum()),
        profit_total=float(frame["profit"].sum()),
        cost_to_serve_total=float(frame["cost_to_serve"].sum()),
        gini=curve.gini,
        top_10_share=float(curve.share_of_top(0.10)),
        top_20_share=float(curve.share_of_top(0.20)),
        share_for_80=float(curve.top_share_for(0.80)),
        loss_makers=int(frame["is_loss_maker"].sum()),
        purchasers=int((frame["purchase_count"] > 0).sum()),
    )
    return result
