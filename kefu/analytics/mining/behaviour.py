"""Behaviour analysis (M45): contact-reason paths before churning, channel switching between
consecutive contacts, and time-of-day patterns. polars group-bys, no Python loops over rows."""

from __future__ import annotations

import numpy as np
import polars as pl

ARROW = " → "


def contact_reason_paths(
    customer, seconds, reason, churned_customers, *, last_n: int = 3, top: int = 15
) -> pl.DataFrame:
    """The last `last_n` contact reasons of each customer as a path ("billing → delivery"),
    counted among churned and retained customers: columns path, churned, retained,
    churned_share (of churners with a path), lift (churned share / retained share)."""
    frame = pl.DataFrame(
        {
            "customer": np.asarray(customer, dtype=np.int64),
            "second": np.asarray(seconds, dtype=np.int64),
            "reason": np.asarray(reason, dtype=str),
        }
    )
    churned = pl.DataFrame({"customer": np.unique(np.asarray(churned_customers, np.int64))})
    paths = (
        frame.sort(["customer", "second"])
        .group_by("customer", maintain_order=True)
        .agg(pl.col("reason").tail(last_n).str.join(ARROW).alias("path"))
        .join(churned.with_columns(pl.lit(True).alias("churned")), on="customer", how="left")
        .with_columns(pl.col("churned").fill_null(False))
    )
    n_churned = max(int(paths["churned"].sum()), 1)
    n_retained = max(int((~paths["churned"]).sum()), 1)
    return (
        paths.group_by("path")
        .agg(
            pl.col("churned").sum().cast(pl.Int64).alias("churned"),
            (~pl.col("churned")).sum().cast(pl.Int64).alias("retained"),
        )
        .with_columns(
            (pl.col("churned") / n_churned).alias("churned_share"),
            ((pl.col("churned") / n_churned) / ((pl.col("retained") + 1) / n_retained)).alias(
                "lift"
            ),
        )
        .sort(["churned", "lift", "path"], descending=[True, True, False])
        .head(top)
    )


def channel_switching(customer, seconds, channel) -> pl.DataFrame:
    """Transitions between each customer's consecutive contacts: columns from_channel,
    to_channel, count, share_of_from (row-normalised transition probability)."""
    frame = pl.DataFrame(
        {
            "customer": np.asarray(customer, dtype=np.int64),
            "second": np.asarray(seconds, dtype=np.int64),
            "to_channel": np.asarray(channel, dtype=str),
        }
    ).sort(["customer", "second"])
    pairs = frame.with_columns(
        pl.col("to_channel").shift(1).over("customer").alias("from_channel")
    ).drop_nulls("from_channel")
    return (
        pairs.group_by(["from_channel", "to_channel"])
        .agg(pl.len().cast(pl.Int64).alias("count"))
        .with_columns(
            (pl.col("count") / pl.col("count").sum().over("from_channel")).alias("share_of_from")
        )
        .sort(["from_channel", "to_channel"])
    )


def time_of_day(seconds, *, utc_offset_hours: float = 8.0) -> np.ndarray:
    """Contacts per weekday (0 = Monday) × hour of day in local time: a 7×24 count matrix."""
    local = np.asarray(seconds, dtype=np.int64) + int(utc_offset_hours * 3600)
    hour = (local // 3600) % 24
    weekday = ((local // 86_400) + 3) % 7  # 1970-01-01 was a Thursday
    counts = np.bincount(weekday * 24 + hour, minlength=7 * 24)
    return counts.reshape(7, 24)
