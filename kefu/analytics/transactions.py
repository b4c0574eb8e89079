"""Per-customer recency/frequency/monetary summary of a transaction log (polars group-by)."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from numpy.typing import ArrayLike


def _(message: str) -> str:
    return message


SECONDS_PER_DAY = 86_400
PERIOD_SECONDS: dict[str, int] = {
    "s": 1,
    "h": 3_600,
    "D": SECONDS_PER_DAY,
    "W": 7 * SECONDS_PER_DAY,
    "M": 30 * SECONDS_PER_DAY,
}
# 1970-01-01 was a Thursday; shifting by 3 days makes weekly buckets start on Monday, like
# the pandas weekly periods that Lifetimes uses.
_BUCKET_OFFSET_SECONDS: dict[str, int] = {"W": 3 * SECONDS_PER_DAY}


def _period_seconds(period: str) -> int:
    if period not in PERIOD_SECONDS:
        raise ValueError(
            _("Unknown period {period!r}; use one of s, h, D, W, M.").format(period=period)
        )
    return PERIOD_SECONDS[period]


def _to_epoch_seconds(values: np.ndarray) -> np.ndarray:
    """Seconds since 1970-01-01; integers are read as days since the epoch."""
    if values.dtype.kind in "iu":
        return values.astype(np.int64) * SECONDS_PER_DAY
    return values.astype("datetime64[s]").astype(np.int64)


def _is_whole_day(values: np.ndarray) -> bool:
    if values.dtype.kind in "iu":
        return True
    return np.datetime_data(values.astype("datetime64").dtype)[0] in ("D", "W", "M", "Y")


def _bucket_start(seconds: np.ndarray, resolution: str) -> np.ndarray:
    """Start (seconds since epoch) of the resolution bucket that contains each instant."""
    width = _period_seconds(resolution)
    offset = _BUCKET_OFFSET_SECONDS.get(resolution, 0)
    return ((seconds + offset) // width) * width - offset


def _as_numpy(values: Any) -> np.ndarray:
    return values.to_numpy() if isinstance(values, pl.Series) else np.asarray(values)


def summarize_transactions(
    customer_ids: ArrayLike,
    dates: ArrayLike,
    amounts: ArrayLike,
    observation_end: Any,
    period: str = "W",
    *,
    resolution: str | None = None,
) -> pl.DataFrame:
    """Per-customer frequency, recency, T and monetary value as in Lifetimes'
    summary_data_from_transaction_data (Fader, Hardie & Lee 2005 notation x, t_x, T).

    Purchases are merged per `resolution` bucket (default: `period`); times are measured in
    `period` units (s, h, D, W = 7 days, M = 30 days). Transactions after `observation_end`
    (a date includes its whole day) are ignored. `period="W", resolution="D"` gives the
    paper's CDNOW summary.
    """
    resolution = resolution or period
    unit_seconds = _period_seconds(period)
    _period_seconds(resolution)
    end = np.asarray([observation_end])
    if end.dtype.kind not in "iu":
        end = end.astype("datetime64")
    end_second = int(_to_epoch_seconds(end)[0])
    if _is_whole_day(end):
        end_second += SECONDS_PER_DAY - 1
    seconds = _to_epoch_seconds(_as_numpy(dates))
    ids = customer_ids if isinstance(customer_ids, pl.Series) else np.asarray(customer_ids)
    frame = pl.DataFrame(
        {
            "customer_id": ids,
            "second": seconds,
            "bucket": _bucket_start(seconds, resolution),
            "amount": _as_numpy(amounts).astype(np.float64),
        }
    ).filter(pl.col("second") <= end_second)
    end_bucket = int(_bucket_start(np.asarray([end_second]), resolution)[0])

    # One group-by per customer: the repeat purchases' per-bucket totals sum to the customer's
    # total minus the first bucket's total, so no per-(customer, bucket) group-by is needed.
    in_first_bucket = pl.col("bucket") == pl.col("bucket").min().over("customer_id")
    summary = (
        frame.lazy()
        .with_columns(first_amount=pl.when(in_first_bucket).then(pl.col("amount")).otherwise(0.0))
        .group_by("customer_id")
        .agg(
            (pl.col("bucket").n_unique() - 1).alias("frequency"),
            pl.col("bucket").min().alias("first_bucket"),
            pl.col("bucket").max().alias("last_bucket"),
            pl.col("first_amount").sum().alias("first_total"),
            pl.col("amount").sum().alias("total"),
            pl.len().alias("count"),
            pl.col("second").min().alias("first_second"),
            pl.col("second").max().alias("last_second"),
        )
    )
    repeat_total = pl.col("total") - pl.col("first_total")
    return (
        summary.select(
            "customer_id",
            pl.col("frequency").cast(pl.Int64),
            ((pl.col("last_bucket") - pl.col("first_bucket")) / unit_seconds).alias("recency"),
            ((end_bucket - pl.col("first_bucket")) / unit_seconds).alias("T"),
            pl.when(pl.col("frequency") > 0)
            .then(repeat_total / pl.col("frequency"))
            .otherwise(0.0)
            .alias("monetary_value"),
            (pl.col("first_second") // SECONDS_PER_DAY).cast(pl.Date).alias("first_purchase"),
            (pl.col("last_second") // SECONDS_PER_DAY).cast(pl.Date).alias("last_purchase"),
            "total",
            pl.col("count").cast(pl.Int64),
        )
        .sort("customer_id")
        .collect()
    )
