"""Turn saved simulation inputs (JSON) into replicated results (JSON). Pure: no Django import.

Inputs are ``{"scenario": asdict(Scenario), "plan": asdict(EmergencyPlan) | None}``. The
baseline and the plan run on the same seeds (common random numbers, Law 2015 §11.2), so their
difference is the plan's effect and not noise. Results hold the overall metrics and per-interval
bands (mean and 95 % Student-t interval over the replications, Law 2015 §9.4.1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import numpy as np
from scipy import stats

from kefu.workforce.scenario import (
    AgentGroup,
    Deflection,
    EmergencyPlan,
    OverflowRule,
    QueueSpec,
    RatePeriod,
    Scenario,
    ServiceTime,
    scenario_from_dict,
    with_plan,
)
from kefu.workforce.simulation import simulate

__all__ = ["InputError", "run", "simple_inputs", "validate_inputs"]

MAX_REPLICATIONS = 200
MAX_CONTACTS_PER_RUN = 5_000_000
TOTAL_METRICS = (
    "service_level",
    "asa_s",
    "abandonment_rate",
    "occupancy",
    "mean_queue_length",
    "average_wait_s",
    "offered",
    "answered",
    "abandoned",
    "deflected",
)
INTERVAL_METRICS = ("service_level", "asa_s", "abandonment_rate", "occupancy", "mean_queue_length")


def _(message: str) -> str:
    return message


class InputError(ValueError):
    """Bad simulation input; ``field`` names the part of the request at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _plan_from_dict(data: Mapping[str, Any]) -> EmergencyPlan:
    return EmergencyPlan(
        name=str(data.get("name", "plan")),
        extra_agents=[AgentGroup(**g) for g in data.get("extra_agents", [])],
        overflow_rules=[OverflowRule(**r) for r in data.get("overflow_rules", [])],
        deflections=[Deflection(**d) for d in data.get("deflections", [])],
    )


def _scenarios(inputs: Mapping[str, Any]) -> tuple[Scenario, Scenario | None]:
    if not isinstance(inputs, Mapping) or not isinstance(inputs.get("scenario"), Mapping):
        raise InputError(_("Give a scenario."), "scenario")
    try:
        scenario = scenario_from_dict(dict(inputs["scenario"]))
        scenario.validate()
    except InputError:
        raise
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise InputError(str(exc) or _("The scenario is not valid."), "scenario") from exc
    planned = None
    if inputs.get("plan"):
        try:
            planned = with_plan(scenario, _plan_from_dict(inputs["plan"]))
            planned.validate()
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise InputError(str(exc) or _("The emergency plan is not valid."), "plan") from exc
    return scenario, planned


def validate_inputs(inputs: Mapping[str, Any], *, replications: int, seed: int) -> None:
    """Raise InputError (naming the field) unless the inputs can be simulated."""
    if not isinstance(replications, int) or not 2 <= replications <= MAX_REPLICATIONS:
        raise InputError(_("Replications must be 2 to 200."), "replications")
    if not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise InputError(_("The seed must be a non-negative whole number."), "seed")
    scenario, _planned = _scenarios(inputs)
    per_run = sum(
        len(q.arrival_times_s)
        if q.arrival_times_s is not None
        else max([q.rate_per_hour, *(p.rate_per_hour for p in q.rate_changes)])
        * scenario.duration_s
        / 3600.0
        for q in scenario.queues
    )
    if per_run > MAX_CONTACTS_PER_RUN:
        raise InputError(_("At most 5,000,000 contacts per replication."), "scenario")
    if scenario.duration_s / scenario.interval_s > 2000:
        raise InputError(_("At most 2,000 intervals per run."), "scenario.interval_s")


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and 95 % t interval per column, ignoring NaN (runs where a metric is undefined)."""
    runs = np.sum(~np.isnan(values), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(np.where(runs > 0, values, 0.0), axis=0)
        spread = np.nanstd(values, axis=0, ddof=1) if values.shape[0] > 1 else np.zeros_like(mean)
        half = stats.t.ppf(0.975, np.maximum(runs - 1, 1)) * spread / np.sqrt(np.maximum(runs, 1))
    mean = np.where(runs > 0, mean, np.nan)
    half = np.where(runs > 1, half, np.nan)
    return mean, mean - half, mean + half


def _replicate(scenario: Scenario, replications: int, seed: int) -> dict[str, Any]:
    runs = [simulate(scenario, child) for child in np.random.SeedSequence(seed).spawn(replications)]
    totals = np.array([[r.totals[m] for m in TOTAL_METRICS] for r in runs], dtype=float)
    mean, low, high = _band(totals)
    starts = runs[0].intervals["interval_start_s"].to_list()
    intervals = {}
    for metric in INTERVAL_METRICS:
        values = np.array(
            [r.intervals[metric].fill_null(np.nan).to_numpy() for r in runs], dtype=float
        )
        m, lo, hi = _band(values)
        intervals[metric] = {
            "mean": [_finite(v) for v in m],
            "low": [_finite(v) for v in lo],
            "high": [_finite(v) for v in hi],
        }
    offered = np.array([r.intervals["offered"].to_numpy() for r in runs], dtype=float)
    intervals["offered"] = {"mean": [_finite(v) for v in offered.mean(axis=0)]}
    return {
        "totals": {
            metric: {"mean": _finite(m), "low": _finite(lo), "high": _finite(hi)}
            for metric, m, lo, hi in zip(TOTAL_METRICS, mean, low, high, strict=True)
        },
        "interval_start_s": starts,
        "intervals": intervals,
    }


def run(inputs: Mapping[str, Any], *, replications: int, seed: int) -> dict[str, Any]:
    """Simulate the baseline (and the plan, on the same seeds) → JSON-ready results."""
    validate_inputs(inputs, replications=replications, seed=seed)
    scenario, planned = _scenarios(inputs)
    return {
        "replications": replications,
        "seed": seed,
        "interval_s": scenario.interval_s,
        "answer_target_s": scenario.answer_target_s,
        "baseline": _replicate(scenario, replications, seed),
        "plan": _replicate(planned, replications, seed) if planned is not None else None,
    }


def simple_inputs(
    *,
    rate_per_hour: float,
    aht_s: float,
    agents: int,
    duration_h: float,
    interval_min: int = 30,
    answer_s: float = 20.0,
    service_distribution: str = "exponential",
    service_cv: float = 1.0,
    patience_s: float | None = None,
    surge_at_min: float | None = None,
    surge_rate_per_hour: float | None = None,
    surge_end_min: float | None = None,
    plan_extra_agents: int = 0,
    plan_extra_after_min: float = 0.0,
    plan_deflection: float = 0.0,
    plan_deflection_after_min: float = 0.0,
    plan_overflow_agents: int = 0,
    plan_overflow_after_wait_s: float = 60.0,
) -> dict[str, Any]:
    """The one-queue scenario of the simulation page (with an optional surge and emergency plan)
    as saved inputs. The plan adds agents after T minutes, deflects a share of arrivals by a
    broadcast, and opens an overflow queue served by backup agents."""
    changes = []
    if surge_at_min is not None and surge_rate_per_hour is not None:
        changes.append(RatePeriod(surge_at_min * 60.0, surge_rate_per_hour))
        if surge_end_min is not None and surge_end_min > surge_at_min:
            changes.append(RatePeriod(surge_end_min * 60.0, rate_per_hour))
    scenario = Scenario(
        queues=[
            QueueSpec(
                "main",
                rate_per_hour=rate_per_hour,
                rate_changes=changes,
                service=ServiceTime(service_distribution, mean_s=aht_s, cv=service_cv),
                patience_mean_s=patience_s,
            )
        ],
        agent_groups=[AgentGroup("agents", ["main"], agents)],
        duration_s=duration_h * 3600.0,
        interval_s=interval_min * 60.0,
        answer_target_s=answer_s,
    )
    plan = EmergencyPlan("plan")
    if plan_extra_agents:
        plan.extra_agents.append(
            AgentGroup("extra", ["main"], plan_extra_agents, start_s=plan_extra_after_min * 60.0)
        )
    if plan_deflection:
        plan.deflections.append(
            Deflection(plan_deflection, from_s=plan_deflection_after_min * 60.0)
        )
    if plan_overflow_agents:
        scenario.queues.append(
            QueueSpec("overflow", rate_per_hour=0.0, service=ServiceTime(mean_s=aht_s))
        )
        plan.extra_agents.append(AgentGroup("backup", ["overflow"], plan_overflow_agents))
        plan.overflow_rules.append(OverflowRule("main", "overflow", plan_overflow_after_wait_s))
    has_plan = bool(plan.extra_agents or plan.deflections or plan.overflow_rules)
    return {"scenario": asdict(scenario), "plan": asdict(plan) if has_plan else None}
