"""Build options (METHODS M35): self-built vs outsourced vs hosted contact-center cost, and a
reusable weighted decision matrix.

Cost model: agents required per interval from Erlang C (``kefu.workforce.erlang``), scheduled
with shrinkage, turned into paid agent-hours, peak seats and handled minutes; each sourcing option
prices those drivers (wages, seat cost, fixed monthly cost, per-minute / per-contact /
per-agent-hour prices). See Koole, "Call Center Optimization" (2013), ch. 12 on outsourcing, and
the weighted-sum model of multi-criteria decision analysis (Triantaphyllou, "Multi-Criteria
Decision Making Methods", 2000, §2.2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import ArrayLike

from kefu.workforce import erlang

__all__ = ["SourcingOption", "compare_build_options", "weighted_decision"]


def _(message: str) -> str:
    return message


@dataclass(frozen=True)
class SourcingOption:
    """How one option is paid for. Self-built: own wages, own seats, own platform (fixed).
    Hosted: own wages, a per-seat licence, per-minute telephony. Outsourced: a price per
    agent-hour, handled minute or contact, no own wages or seats."""

    name: str
    pays_wages: bool = True
    seat_cost_per_month: float = 0.0
    fixed_per_month: float = 0.0
    price_per_minute: float = 0.0
    price_per_contact: float = 0.0
    price_per_agent_hour: float = 0.0


def compare_build_options(
    volumes: ArrayLike,
    interval_s: float,
    aht_s: float,
    target_service_level: float,
    answer_s: float,
    options: Sequence[SourcingOption],
    *,
    hourly_wage: float,
    shrinkage: float = 0.3,
    periods_per_month: float = 1.0,
) -> pl.DataFrame:
    """Monthly cost of each option from a volume profile → table ranked by total (cheapest = 1).

    ``volumes`` are contacts per interval over one period (e.g. a week of half hours) repeated
    ``periods_per_month`` times. Agents per interval: Erlang C then ⌈N/(1 − shrinkage)⌉.
    """
    if not options:
        raise ValueError(_("Give at least one option to compare."))
    volume = np.asarray(volumes, dtype=float)
    required = erlang.required_agents(volume, interval_s, aht_s, target_service_level, answer_s)
    scheduled = erlang.schedule_requirement(required, shrinkage)
    agent_hours = float(scheduled.sum() * interval_s / 3600.0 * periods_per_month)
    peak_seats = int(scheduled.max()) if scheduled.size else 0
    contacts = float(volume.sum() * periods_per_month)
    minutes = contacts * aht_s / 60.0
    rows = []
    for option in options:
        wages = agent_hours * hourly_wage if option.pays_wages else 0.0
        seats = peak_seats * option.seat_cost_per_month
        usage = (
            minutes * option.price_per_minute
            + contacts * option.price_per_contact
            + agent_hours * option.price_per_agent_hour
        )
        total = wages + seats + option.fixed_per_month + usage
        rows.append(
            {
                "option": option.name,
                "contacts": contacts,
                "agent_hours": agent_hours,
                "peak_seats": peak_seats,
                "wages": wages,
                "seats": seats,
                "fixed": option.fixed_per_month,
                "usage": usage,
                "total": total,
                "cost_per_contact": total / contacts if contacts else math.nan,
            }
        )
    frame = pl.DataFrame(rows)
    return frame.with_columns(pl.col("total").rank(method="min").cast(pl.Int64).alias("rank")).sort(
        "rank"
    )


def weighted_decision(
    criteria_weights: Mapping[str, float],
    option_scores: Mapping[str, Mapping[str, float]],
) -> pl.DataFrame:
    """Rank options by Σ_c w_c·score_c with weights normalised to sum 1 (weighted-sum model).

    Returns one row per option: total, rank (1 = best) and the weighted score per criterion.
    """
    if not criteria_weights:
        raise ValueError(_("Give at least one criterion."))
    if not option_scores:
        raise ValueError(_("Give at least one option."))
    for criterion, weight in criteria_weights.items():
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(_("Criterion weight must be a non-negative number: ") + criterion)
    weight_sum = sum(criteria_weights.values())
    if weight_sum <= 0:
        raise ValueError(_("At least one criterion needs a positive weight."))
    criteria = list(criteria_weights)
    rows = []
    for option, scores in option_scores.items():
        unknown = set(scores) - set(criteria)
        if unknown:
            raise ValueError(_("Score for an unknown criterion: ") + sorted(unknown)[0])
        row: dict[str, object] = {"option": option}
        total = 0.0
        for criterion in criteria:
            if criterion not in scores:
                raise ValueError(_("Option has no score for criterion: ") + criterion)
            score = scores[criterion]
            if not math.isfinite(score):
                raise ValueError(_("Score must be a finite number for criterion: ") + criterion)
            weighted = criteria_weights[criterion] / weight_sum * score
            row[criterion] = weighted
            total += weighted
        row["total"] = total
        rows.append(row)
    frame = pl.DataFrame(rows)
    ranked = frame.with_columns(
        pl.col("total").rank(method="min", descending=True).cast(pl.Int64).alias("rank")
    )
    return ranked.sort(["rank", "option"]).select(["option", "total", "rank", *criteria])
