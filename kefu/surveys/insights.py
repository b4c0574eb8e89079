"""Cross-survey analyses per customer: loyalty vs satisfaction (M7) and the service waterfall
by period (M30). Pure polars/numpy over frames loaded in bulk by selectors.py; no Django, no
loop over customers.

Frames:

    answers     customer_id (i64), metric (str: csat | nps | repurchase), value (f64), at (datetime)
    purchases   customer_id (i64), at (datetime)
    complaints  customer_id (i64), at (datetime), repeat (bool)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from kefu.surveys import scoring, waterfall

SECONDS_PER_YEAR = 365.25 * 86400
GRANULARITIES = ("month", "quarter")


def empty_answers() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "customer_id": pl.Int64,
            "metric": pl.Utf8,
            "value": pl.Float64,
            "at": pl.Datetime("us"),
        }
    )


def empty_events(*, repeat: bool = False) -> pl.DataFrame:
    schema: dict[str, Any] = {"customer_id": pl.Int64, "at": pl.Datetime("us")}
    if repeat:
        schema["repeat"] = pl.Boolean
    return pl.DataFrame(schema=schema)


def _latest(answers: pl.DataFrame, metric: str, name: str) -> pl.DataFrame:
    """The latest answer per customer to questions with `metric`."""
    return (
        answers.filter(pl.col("metric") == metric)
        .sort("at")
        .group_by("customer_id")
        .agg(pl.col("value").last().alias(name))
    )


# --------------------------------------------------------------------------- loyalty (M7)


def loyalty_frame(
    answers: pl.DataFrame,
    purchases: pl.DataFrame,
    *,
    as_of: dt.datetime,
    satisfied_min: float = 4,
    loyal_min: float = 50,
) -> pl.DataFrame:
    """One row per customer who answered a CSAT, NPS or repurchase-intention question:

    satisfaction (latest CSAT 1–5), recommend (latest NPS answer 0–10), intention (latest
    repurchase intention 1–5), purchases, repeat_rate = (purchases − 1) / purchases (0 without
    purchases), tenure_years = years since the first purchase, loyalty 0–100
    (scoring.loyalty_index, equal weights, Dick & Basu 1994) and satisfied_not_loyal
    (satisfaction ≥ satisfied_min and loyalty < loyal_min, Jones & Sasser 1995)."""
    customers = answers.select("customer_id").unique()
    frame = customers
    for metric, name in (
        ("csat", "satisfaction"),
        ("nps", "recommend"),
        ("repurchase", "intention"),
    ):
        frame = frame.join(_latest(answers, metric, name), on="customer_id", how="left")
    bought = (
        purchases.filter(pl.col("at") <= as_of.replace(tzinfo=None))
        .group_by("customer_id")
        .agg(purchases=pl.len(), first=pl.col("at").min())
    )
    frame = frame.join(bought, on="customer_id", how="left").with_columns(
        pl.col("purchases").fill_null(0).cast(pl.Int64)
    )
    count = frame["purchases"].to_numpy().astype(np.float64)
    repeat_rate = np.where(count > 0, (count - 1) / np.maximum(count, 1), 0.0)
    first = frame["first"].dt.epoch("us").to_numpy().astype(np.float64) / 1e6
    now = as_of.replace(tzinfo=dt.UTC).timestamp() if as_of.tzinfo is None else as_of.timestamp()
    tenure = np.where(np.isnan(first), 0.0, np.maximum(now - first, 0) / SECONDS_PER_YEAR)

    def column(name: str) -> np.ndarray:
        return frame[name].cast(pl.Float64).fill_null(np.nan).to_numpy()

    loyalty = scoring.loyalty_index(column("intention"), column("recommend"), repeat_rate, tenure)
    satisfaction = column("satisfaction")
    flagged = scoring.satisfied_not_loyal(satisfaction, loyalty, satisfied_min, loyal_min)
    return (
        frame.drop("first")
        .with_columns(
            repeat_rate=pl.Series(repeat_rate),
            tenure_years=pl.Series(tenure),
            loyalty=pl.Series(loyalty).fill_nan(None),
            satisfied_not_loyal=pl.Series(flagged),
        )
        .sort("customer_id")
    )


@dataclass
class LoyaltySummary:
    customers: int
    satisfied: int
    loyal: int
    satisfied_not_loyal: int
    quadrants: list[dict[str, Any]]  # satisfied?, loyal?, n
    by_satisfaction: list[dict[str, Any]]  # satisfaction score, n, mean loyalty


def loyalty_summary(
    frame: pl.DataFrame, *, satisfied_min: float = 4, loyal_min: float = 50
) -> LoyaltySummary:
    """The 2×2 of satisfied × loyal and the mean loyalty at each satisfaction score."""
    known = frame.filter(pl.col("satisfaction").is_not_null() & pl.col("loyalty").is_not_null())
    marked = known.with_columns(
        satisfied=pl.col("satisfaction") >= satisfied_min, loyal=pl.col("loyalty") >= loyal_min
    )
    counts = {
        (row["satisfied"], row["loyal"]): row["n"]
        for row in marked.group_by("satisfied", "loyal").agg(n=pl.len()).iter_rows(named=True)
    }
    quadrants = [
        {"satisfied": s, "loyal": loyal, "n": counts.get((s, loyal), 0)}
        for s in (True, False)
        for loyal in (True, False)
    ]
    by_score = (
        known.group_by(pl.col("satisfaction").round(0).cast(pl.Int64))
        .agg(n=pl.len(), loyalty=pl.col("loyalty").mean())
        .sort("satisfaction")
    )
    return LoyaltySummary(
        customers=frame.height,
        satisfied=counts.get((True, True), 0) + counts.get((True, False), 0),
        loyal=counts.get((True, True), 0) + counts.get((False, True), 0),
        satisfied_not_loyal=int(frame["satisfied_not_loyal"].sum()) if frame.height else 0,
        quadrants=quadrants,
        by_satisfaction=by_score.rows(named=True),
    )


# --------------------------------------------------------------------------- waterfall (M30)


def period_expression(column: str, granularity: str) -> pl.Expr:
    """ "2026-03" (month) or "2026-Q1" (quarter) of a datetime column."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}")
    at = pl.col(column)
    if granularity == "month":
        return at.dt.strftime("%Y-%m")
    return at.dt.year().cast(pl.Utf8) + pl.lit("-Q") + at.dt.quarter().cast(pl.Utf8)


def waterfall_stages(
    satisfaction: pl.DataFrame,
    complaints: pl.DataFrame,
    purchases: pl.DataFrame,
    *,
    granularity: str = "quarter",
) -> pl.DataFrame:
    """customer_id, period, satisfaction (mean CSAT 1–5 in the period), complained,
    public_complaint (a repeat complaint: the customer came back to complain again, 告状),
    repurchased, stage (waterfall.waterfall_stage) for every customer with a survey answer or
    a complaint in the period."""
    period = period_expression("at", granularity).alias("period")
    scores = (
        satisfaction.filter(pl.col("metric") == "csat")
        .with_columns(period)
        .group_by("customer_id", "period")
        .agg(satisfaction=pl.col("value").mean())
    )
    complained = (
        complaints.with_columns(period)
        .group_by("customer_id", "period")
        .agg(complained=pl.lit(True), public_complaint=pl.col("repeat").any())
    )
    bought = (
        purchases.with_columns(period)
        .group_by("customer_id", "period")
        .agg(repurchased=pl.lit(True))
    )
    keys = pl.concat(
        [scores.select("customer_id", "period"), complained.select("customer_id", "period")]
    ).unique()
    frame = (
        keys.join(scores, on=["customer_id", "period"], how="left")
        .join(complained, on=["customer_id", "period"], how="left")
        .join(bought, on=["customer_id", "period"], how="left")
        .with_columns(
            pl.col("complained").fill_null(False),
            pl.col("public_complaint").fill_null(False),
            pl.col("repurchased").fill_null(False),
        )
    )
    stages = waterfall.waterfall_stage(
        frame["satisfaction"].fill_null(np.nan).to_numpy(),
        frame["complained"].to_numpy(),
        frame["public_complaint"].to_numpy(),
        frame["repurchased"].to_numpy(),
    )
    return frame.with_columns(stage=pl.Series(stages, dtype=pl.Utf8)).sort("period", "customer_id")


def stage_counts(stages: pl.DataFrame) -> list[dict[str, Any]]:
    """Per period: customers at each stage (unknown included), in period order."""
    wide = (
        stages.group_by("period", "stage")
        .agg(n=pl.len())
        .pivot(on="stage", index="period", values="n")
        .sort("period")
    )
    rows = []
    for row in wide.iter_rows(named=True):
        counts = {s: int(row.get(s) or 0) for s in (*waterfall.STAGES, waterfall.UNKNOWN_STAGE)}
        rows.append({"period": row["period"], **counts, "total": sum(counts.values())})
    return rows


@dataclass
class Transition:
    before: str
    after: str
    matrix: waterfall.TransitionMatrix
    customers: int  # with a known stage in both periods
    complainers: int  # angry or complaining in the first period
    recovered: int  # of those, satisfied or better in the second
    flows: waterfall.LoyalFlows


def transition(stages: pl.DataFrame, before: str, after: str) -> Transition:
    """The stage transition matrix of the customers seen in both periods, and how many
    complainers of `before` were lifted back to satisfied or better in `after` (於军)."""
    first = stages.filter(pl.col("period") == before).select("customer_id", before_=pl.col("stage"))
    second = stages.filter(pl.col("period") == after).select("customer_id", after_=pl.col("stage"))
    both = first.join(second, on="customer_id", how="full", coalesce=True).with_columns(
        pl.col("before_").fill_null(waterfall.UNKNOWN_STAGE),
        pl.col("after_").fill_null(waterfall.UNKNOWN_STAGE),
    )
    stage_before, stage_after = both["before_"], both["after_"]
    matrix = waterfall.transition_matrix(stage_before, stage_after)
    complainers = int(stage_before.is_in(["angry", "complaining"]).sum())
    return Transition(
        before=before,
        after=after,
        matrix=matrix,
        customers=int(matrix.counts.sum()),
        complainers=complainers,
        recovered=waterfall.recovered_count(stage_before, stage_after),
        flows=waterfall.loyal_flows(stage_before, stage_after),
    )


# --------------------------------------------------------------------------- 5-gap model (M44)

# Which SERVQUAL dimension an SLA target writes a standard for.
STANDARD_DIMENSIONS = {"first_response": "responsiveness", "resolution": "reliability"}


def expectation_by_dimension(servqual: dict[str, Any]) -> dict[str, float | None]:
    """Mean expectation (1–7) per dimension from the SERVQUAL block's item rows."""
    frame = pl.DataFrame(
        [(i["dimension"], i["expectation"]) for i in servqual["items"]],
        schema={"dimension": pl.Utf8, "expectation": pl.Float64},
        orient="row",
    )
    return dict(frame.group_by("dimension").agg(pl.col("expectation").mean()).iter_rows())


def gap_indicators(
    servqual: dict[str, Any] | None,
    *,
    standards: dict[str, bool],
    coverage: float | None,
    compliance: float | None,
    promises_kept: float | None,
) -> dict[str, float | None]:
    """One number per gap of the 5-gap model (Parasuraman, Zeithaml & Berry 1985, J. Marketing
    49(4):41–50), 0–1 where 1 means no gap, except gap 5 (the SERVQUAL score, P − E):

    gap 1 (knowledge): share of the customers' importance points on dimensions for which
    management has set a standard (an active SLA target: first response → responsiveness,
    resolution → reliability; tangibles, assurance and empathy have none in the SLA);
    gap 2 (standards): share of tickets that an SLA policy covered;
    gap 3 (delivery): share of decided SLA targets met;
    gap 4 (communication): share of first-response promises (shown on the portal) kept."""
    knowledge = None
    if servqual and servqual.get("points"):
        points = servqual["points"]
        total = sum(points.values())
        covered = {STANDARD_DIMENSIONS[k] for k, present in standards.items() if present}
        knowledge = sum(v for d, v in points.items() if d in covered) / total if total else None
    return {
        "gap1": knowledge,
        "gap2": coverage,
        "gap3": compliance,
        "gap4": promises_kept,
        "gap5": (
            None
            if not servqual
            else servqual["weighted"]
            if servqual.get("weighted") is not None
            else servqual.get("unweighted")
        ),
    }
