"""Customer profitability: gross margin minus cost to serve (activity-based costing of service,
Kaplan & Narayanan 2001, "Measuring and Managing Customer Profitability")."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from numpy.typing import ArrayLike


def _(message: str) -> str:
    return message


COMPENSATION_DRIVER = "compensation"
NO_COST_DRIVER = "none"


def customer_profitability(
    gross_margin: ArrayLike,
    handling_minutes: ArrayLike,
    cost_per_minute: ArrayLike,
    compensation: ArrayLike = 0.0,
    *,
    channel_names: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Profit = gross margin − cost to serve, cost to serve = Σ_channels minutes × cost per
    minute + compensation (Kaplan & Narayanan 2001), with the largest cost component per customer.

    `handling_minutes` is a vector (one channel) or an (n_customers, n_channels) matrix with
    `cost_per_minute` a scalar or a per-channel vector.
    """
    margin = np.ravel(np.asarray(gross_margin, dtype=np.float64))
    minutes = np.asarray(handling_minutes, dtype=np.float64)
    if minutes.ndim <= 1:
        minutes = np.broadcast_to(minutes, margin.shape)[:, None]
    if minutes.ndim != 2 or minutes.shape[0] != margin.size:
        raise ValueError(_("Handling minutes need one row per customer."))
    rates = np.broadcast_to(np.asarray(cost_per_minute, dtype=np.float64), (minutes.shape[1],))
    if channel_names is None:
        channel_names = (
            ["handling"]
            if minutes.shape[1] == 1
            else [f"channel_{i}" for i in range(minutes.shape[1])]
        )
    if len(channel_names) != minutes.shape[1]:
        raise ValueError(_("Give one channel name per column of handling minutes."))
    compensation_cost = np.broadcast_to(np.asarray(compensation, dtype=np.float64), margin.shape)

    components = np.column_stack([minutes * rates, compensation_cost])
    cost_to_serve = components.sum(axis=1)
    driver_names = np.asarray([*channel_names, COMPENSATION_DRIVER])
    largest = components.argmax(axis=1)
    driver = np.where(components.max(axis=1) > 0, driver_names[largest], NO_COST_DRIVER)
    return pl.DataFrame(
        {
            "gross_margin": margin,
            "cost_to_serve": cost_to_serve,
            "profit": margin - cost_to_serve,
            "dominant_cost_driver": driver,
        }
    )


def flag_profit_groups(profit: ArrayLike, top_share: float = 0.10) -> pl.DataFrame:
    """Flags the top `top_share` of customers by profit (premium service candidates, ties kept
    together) and the loss-makers (profit < 0)."""
    values = np.ravel(np.asarray(profit, dtype=np.float64))
    if not 0 < top_share <= 1:
        raise ValueError(_("The top share must lie in (0, 1]."))
    if values.size == 0:
        return pl.DataFrame(
            {"is_top": [], "is_loss_maker": []},
            schema={"is_top": pl.Boolean, "is_loss_maker": pl.Boolean},
        )
    top_count = int(np.ceil(top_share * values.size))
    threshold = np.sort(values)[::-1][top_count - 1]
    return pl.DataFrame({"is_top": values >= threshold, "is_loss_maker": values < 0})
