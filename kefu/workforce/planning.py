"""Staffing and schedule-requirement pipelines behind the workforce pages and API.

Pure (no Django import): wires ``erlang``, ``erlang_a`` and ``forecast`` together — inputs are
numbers and numpy arrays, outputs are plain dicts ready for templates, charts and JSON.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from kefu.workforce import erlang, erlang_a, forecast

__all__ = ["forecast_requirement", "staffing_curve", "staffing_table"]


def _(message: str) -> str:
    return message


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def staffing_table(
    volume: ArrayLike,
    interval_s: ArrayLike,
    aht_s: ArrayLike,
    target_service_level: ArrayLike,
    answer_s: ArrayLike,
    *,
    shrinkage: ArrayLike = 0.0,
    max_occupancy: ArrayLike | None = None,
) -> dict[str, np.ndarray]:
    """Vectorised Erlang C staffing for many cases: traffic, required and scheduled agents, and
    the service level, ASA, occupancy and P(wait) at the required count (Cooper 1981 §2.5)."""
    volume_a, interval_a, aht_a, target_a, answer_a, shrink_a = np.broadcast_arrays(
        *(
            np.asarray(x, dtype=float)
            for x in (volume, interval_s, aht_s, target_service_level, answer_s, shrinkage)
        )
    )
    required = erlang.required_agents(
        volume_a, interval_a, aht_a, target_a, answer_a, max_occupancy=max_occupancy
    )
    traffic = erlang.traffic_erlangs(volume_a, interval_a, aht_a)
    return {
        "traffic": traffic,
        "required": required,
        "scheduled": erlang.schedule_requirement(required, shrink_a),
        "service_level": erlang.service_level(traffic, required, aht_a, answer_a),
        "asa_s": erlang.average_speed_of_answer(traffic, required, aht_a),
        "occupancy": erlang.occupancy(traffic, required),
        "wait_probability": erlang.erlang_c(traffic, required),
    }


def staffing_curve(
    *,
    volume: float,
    interval_s: float,
    aht_s: float,
    target_service_level: float,
    answer_s: float,
    shrinkage: float = 0.0,
    max_occupancy: float | None = None,
    patience_s: float | None = None,
    extra_rows: int = 6,
) -> dict[str, Any]:
    """One case: the required agents and the curve of service level (and ASA, occupancy,
    P(wait); Erlang A service level and abandonment when a mean patience is given) per agent
    count, from the first stable count to a few past the requirement."""
    table = staffing_table(
        volume,
        interval_s,
        aht_s,
        target_service_level,
        answer_s,
        shrinkage=shrinkage,
        max_occupancy=max_occupancy,
    )
    traffic = float(table["traffic"])
    required = int(table["required"])
    first = max(1, math.floor(traffic) + 1 - 3)
    last = max(required + extra_rows, first + 8)
    agents = np.arange(first, last + 1)
    rows = {
        "agents": agents.tolist(),
        "service_level": erlang.service_level(traffic, agents, aht_s, answer_s).tolist(),
        "asa_s": [_finite(v) for v in erlang.average_speed_of_answer(traffic, agents, aht_s)],
        "occupancy": erlang.occupancy(traffic, agents).tolist(),
        "wait_probability": erlang.erlang_c(traffic, agents).tolist(),
    }
    erlang_a_required = None
    if patience_s and traffic > 0:
        rows["service_level_a"] = erlang_a.service_level(
            traffic, agents, aht_s, patience_s, answer_s
        ).tolist()
        rows["abandonment_a"] = erlang_a.abandonment_probability(
            traffic, agents, aht_s, patience_s
        ).tolist()
        erlang_a_required = erlang_a.required_agents(
            volume, interval_s, aht_s, patience_s, target_service_level, answer_s
        )
    return {
        "traffic": traffic,
        "required": required,
        "scheduled": int(table["scheduled"]),
        "service_level": float(table["service_level"]),
        "asa_s": _finite(table["asa_s"]),
        "occupancy": float(table["occupancy"]),
        "wait_probability": float(table["wait_probability"]),
        "erlang_a_required": erlang_a_required,
        "curve": rows,
    }


def forecast_requirement(
    timestamps: ArrayLike,
    *,
    history_start: np.datetime64,
    history_end: np.datetime64,
    interval_s: int = 1800,
    horizon_days: int = 7,
    holdout_days: int = 7,
    method: str = "profile",
    holidays: tuple = (),
    aht_s: float = 180.0,
    target_service_level: float = 0.8,
    answer_s: float = 20.0,
    shrinkage: float = 0.3,
    max_occupancy: float | None = None,
    scheduled_agents: int | None = None,
) -> dict[str, Any]:
    """History → volume per interval → forecast (profile or Holt–Winters) with holdout
    MAPE/WAPE → required and scheduled agents per interval → week heat maps (weekday × slot).

    ``timestamps`` are local arrival times; ``history_end`` is where the forecast starts.
    """
    starts, counts = forecast.counts_per_interval(
        timestamps, interval_s=interval_s, start=history_start, end=history_end
    )
    if counts.sum() == 0:
        raise ValueError(_("There are no contacts in the history for this selection."))
    slots = forecast.SECONDS_PER_DAY // interval_s
    horizon = horizon_days * slots
    holdout = holdout_days * slots
    accuracy = None
    if holdout and counts.size > holdout + 7 * slots:
        accuracy = forecast.holdout_accuracy(
            counts, starts, holdout, method=method, holidays=holidays
        )
    frame = forecast.forecast_volume(counts, starts, horizon, method=method, holidays=holidays)
    volume = frame["volume"].to_numpy()
    table = staffing_table(
        volume,
        interval_s,
        aht_s,
        target_service_level,
        answer_s,
        shrinkage=shrinkage,
        max_occupancy=max_occupancy,
    )
    future = frame["interval_start"].to_numpy().astype("datetime64[s]")
    seconds = future.astype(np.int64)
    weekday = ((seconds // forecast.SECONDS_PER_DAY) + 3) % 7
    slot = (seconds % forecast.SECONDS_PER_DAY) // interval_s
    heat_required = np.full((7, slots), np.nan)
    heat_volume = np.full((7, slots), np.nan)
    heat_required[weekday, slot] = table["scheduled"]
    heat_volume[weekday, slot] = volume
    gap = None
    if scheduled_agents is not None:
        gap = [
            [None if np.isnan(v) else int(scheduled_agents - v) for v in row]
            for row in heat_required
        ]
    labels = [
        f"{(i * interval_s) // 3600:02d}:{(i * interval_s) % 3600 // 60:02d}" for i in range(slots)
    ]
    return {
        "interval_s": interval_s,
        "history_intervals": int(counts.size),
        "history_contacts": int(counts.sum()),
        "accuracy": accuracy,
        "interval_start": [str(t) for t in future],
        "volume": volume.tolist(),
        "required": table["required"].tolist(),
        "scheduled": table["scheduled"].tolist(),
        "slot_labels": labels,
        "heat_scheduled": [[None if np.isnan(v) else int(v) for v in row] for row in heat_required],
        "heat_volume": [[None if np.isnan(v) else float(v) for v in row] for row in heat_volume],
        "heat_gap": gap,
        "agent_hours": float(table["scheduled"].sum() * interval_s / 3600.0),
        "peak_scheduled": int(table["scheduled"].max()) if volume.size else 0,
    }


def uniform_week_profile(
    contacts_per_week: float, open_from: int, open_until: int, days: int, interval_s: int = 1800
) -> np.ndarray:
    """Volume per interval over one week, spread evenly over the open hours of `days` days."""
    slots = forecast.SECONDS_PER_DAY // interval_s
    hour = np.arange(slots) * interval_s / 3600.0
    open_slot = (hour >= open_from) & (hour < open_until)
    week = np.zeros((7, slots))
    week[:days, open_slot] = 1.0
    total = week.sum()
    return (week * contacts_per_week / total).ravel() if total else week.ravel()


def build_options_report(
    *,
    volumes: ArrayLike,
    interval_s: int,
    aht_s: float,
    target_service_level: float,
    answer_s: float,
    shrinkage: float,
    hourly_wage: float,
    options: list,
    labels: dict[str, str],
    weights: dict[str, float],
    qualitative_scores: dict[str, dict[str, float]],
    periods_per_month: float = 4.35,
) -> dict[str, Any]:
    """Monthly cost per sourcing option, then the weighted decision matrix where the cost score
    is 5 × cheapest / this option's total (so the cheapest scores 5)."""
    from kefu.workforce.build_options import compare_build_options, weighted_decision

    costs = compare_build_options(
        volumes,
        interval_s,
        aht_s,
        target_service_level,
        answer_s,
        options,
        hourly_wage=hourly_wage,
        shrinkage=shrinkage,
        periods_per_month=periods_per_month,
    )
    rows = costs.to_dicts()
    cheapest = min(r["total"] for r in rows)
    scores = {
        r["option"]: {
            "cost": 5.0 * cheapest / r["total"] if r["total"] > 0 else 5.0,
            **qualitative_scores[r["option"]],
        }
        for r in rows
    }
    decision = weighted_decision(weights, scores).to_dicts()
    for row in rows:
        row["label"] = labels.get(row["option"], row["option"])
    for row in decision:
        row["label"] = labels.get(row["option"], row["option"])
        row["scores"] = scores[row["option"]]
    return {"costs": rows, "decision": decision, "criteria": list(weights)}
