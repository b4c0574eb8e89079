"""Contact-volume forecasts per 15/30-minute interval, and their holdout accuracy.

Two models:

* ``"profile"`` — volume = level(day) × profile(weekday, time of day), the classic call-centre
  weekly × intraday seasonal model (Koole, "Call Center Optimization", 2013, §10.2; Gans, Koole &
  Mandelbaum, "Telephone call centers: tutorial, review, and research prospects", MSOM 2003, §4).
  The level is a straight-line trend fitted to each day's ratio of actual to profile volume.
* ``"holt_winters"`` — additive Holt–Winters exponential smoothing with a weekly season
  (Hyndman & Athanasopoulos, "Forecasting: Principles and Practice", 3rd ed., §8.3) via statsmodels.

Holidays are left out of fitting (their volume is not a normal day's) and, in the horizon, get the
profile of a chosen weekday (Sunday by default). Times are numpy ``datetime64`` in local time.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Literal

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "counts_per_interval",
    "forecast_errors",
    "forecast_volume",
    "holdout_accuracy",
]

SECONDS_PER_DAY = 86_400
Method = Literal["profile", "holt_winters", "auto"]


def _(message: str) -> str:
    return message


def _as_seconds(times: ArrayLike) -> NDArray[np.int64]:
    return np.asarray(times, dtype="datetime64[s]").astype(np.int64)


def counts_per_interval(
    timestamps: ArrayLike,
    interval_s: int = 1800,
    start: np.datetime64 | None = None,
    end: np.datetime64 | None = None,
) -> tuple[NDArray, NDArray[np.int64]]:
    """Count contact timestamps per fixed interval → (interval starts, counts), zeros included."""
    seconds = _as_seconds(timestamps)
    if seconds.size == 0 and (start is None or end is None):
        raise ValueError(_("Give timestamps or both start and end."))
    first = _as_seconds(start) if start is not None else seconds.min()
    last = _as_seconds(end) if end is not None else seconds.max() + 1
    first = int(first) - int(first) % interval_s
    bins = int(-(-(int(last) - first) // interval_s))
    slot = (seconds - first) // interval_s
    inside = (slot >= 0) & (slot < bins)
    counts = np.bincount(slot[inside], minlength=bins).astype(np.int64)
    starts = (first + interval_s * np.arange(bins)).astype("datetime64[s]")
    return starts, counts


def _interval_length(seconds: NDArray[np.int64]) -> int:
    steps = np.diff(seconds)
    if seconds.size < 2 or np.any(steps <= 0) or np.any(steps != steps[0]):
        raise ValueError(_("Interval starts must be increasing and evenly spaced."))
    length = int(steps[0])
    if SECONDS_PER_DAY % length:
        raise ValueError(_("The interval length must divide a day (e.g. 15 or 30 minutes)."))
    return length


def _calendar(seconds: NDArray[np.int64], interval_s: int) -> tuple[NDArray, NDArray, NDArray]:
    day = seconds // SECONDS_PER_DAY
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    slot = (seconds % SECONDS_PER_DAY) // interval_s
    return day, weekday, slot


def _holiday_days(holidays: Iterable) -> NDArray[np.int64]:
    days = np.asarray(list(holidays), dtype="datetime64[D]").astype(np.int64)
    return np.unique(days)


def _fit_profile(
    counts: NDArray,
    day: NDArray,
    weekday: NDArray,
    slot: NDArray,
    slots_per_day: int,
    use: NDArray,
    trend: bool,
) -> tuple[NDArray, NDArray]:
    """Return (profile[weekday, slot], trend coefficients [intercept, slope per day])."""
    cell = weekday * slots_per_day + slot
    level = np.ones(counts.size)
    coefficients = np.array([1.0, 0.0])
    used_days = np.unique(day[use])
    fit_trend = trend and used_days.size >= 14
    profile = np.zeros(7 * slots_per_day)
    for _iteration in range(3 if fit_trend else 1):
        sums = np.bincount(cell[use], weights=counts[use] / level[use], minlength=profile.size)
        seen = np.bincount(cell[use], minlength=profile.size)
        profile = np.divide(sums, seen, out=np.zeros_like(sums), where=seen > 0)
        if not fit_trend:
            break
        # Each day's ratio of actual to profile volume, then a straight line through the ratios.
        day_index = np.searchsorted(used_days, day[use])
        actual = np.bincount(day_index, weights=counts[use], minlength=used_days.size)
        expected = np.bincount(day_index, weights=profile[cell[use]], minlength=used_days.size)
        valid = expected > 0
        ratios = actual[valid] / expected[valid]
        x = (used_days[valid] - used_days[0]).astype(float)
        slope, intercept = np.polyfit(x, ratios, 1, w=np.sqrt(expected[valid]))
        coefficients = np.array([intercept, slope])
        level = np.maximum(intercept + slope * (day - used_days[0]), 1e-9)
    if fit_trend:
        # Express the profile at the level of the first fitted day, so level(day) scales it.
        return profile, np.array([coefficients[0], coefficients[1], float(used_days[0])])
    return profile, np.array([1.0, 0.0, float(used_days[0]) if used_days.size else 0.0])


def _profile_forecast(
    profile: NDArray, trend: NDArray, day: NDArray, weekday: NDArray, slot: NDArray, slots: int
) -> NDArray:
    intercept, slope, origin = trend
    level = np.maximum(intercept + slope * (day - origin), 0.0)
    return level * profile[weekday * slots + slot]


def forecast_volume(
    history_counts: ArrayLike,
    interval_starts: ArrayLike,
    horizon_intervals: int,
    *,
    method: Method = "profile",
    holidays: Iterable = (),
    holiday_weekday: int = 6,
    trend: bool = True,
) -> pl.DataFrame:
    """Forecast the next ``horizon_intervals`` intervals → frame (interval_start, volume).

    Weekly × intraday profile with a linear trend (Koole 2013, §10.2) or additive Holt–Winters
    (Hyndman & Athanasopoulos, FPP3 §8.3); ``"auto"`` uses Holt–Winters from three weeks of data.
    """
    counts = np.asarray(history_counts, dtype=float)
    seconds = _as_seconds(interval_starts)
    if counts.shape != seconds.shape or counts.ndim != 1:
        raise ValueError(_("History counts and interval starts must be equally long 1-D arrays."))
    if np.any(counts < 0) or not np.all(np.isfinite(counts)):
        raise ValueError(_("History counts must be finite and not negative."))
    if horizon_intervals < 1:
        raise ValueError(_("The horizon must be at least one interval."))
    if not 0 <= holiday_weekday <= 6:
        raise ValueError(_("The holiday weekday must be 0 (Monday) to 6 (Sunday)."))
    interval_s = _interval_length(seconds)
    slots = SECONDS_PER_DAY // interval_s
    day, weekday, slot = _calendar(seconds, interval_s)
    holiday_days = _holiday_days(holidays)
    normal = ~np.isin(day, holiday_days)
    if not np.any(normal):
        raise ValueError(_("The history has no day that is not a holiday."))
    profile, trend_line = _fit_profile(counts, day, weekday, slot, slots, normal, trend)

    future = seconds[-1] + interval_s * np.arange(1, horizon_intervals + 1)
    f_day, f_weekday, f_slot = _calendar(future, interval_s)
    future_holiday = np.isin(f_day, holiday_days)
    f_profile_weekday = np.where(future_holiday, holiday_weekday, f_weekday)
    volume = _profile_forecast(profile, trend_line, f_day, f_profile_weekday, f_slot, slots)

    season = 7 * slots
    chosen = method
    if method == "auto":
        chosen = "holt_winters" if counts.size >= 3 * season else "profile"
    if chosen == "holt_winters":
        if counts.size < 2 * season:
            raise ValueError(_("Holt–Winters needs at least two weeks of history."))
        # Holidays are replaced by the profile model's fitted values so they do not distort
        # the seasonal states.
        fitted = _profile_forecast(profile, trend_line, day, weekday, slot, slots)
        series = np.where(normal, counts, fitted)
        smoothed = _holt_winters(series, season, horizon_intervals, trend)
        volume = np.where(future_holiday, volume, smoothed)
    elif chosen != "profile":
        raise ValueError(_("Unknown forecasting method."))
    return pl.DataFrame(
        {
            "interval_start": future.astype("datetime64[s]").astype("datetime64[ms]"),
            "volume": np.maximum(volume, 0.0),
        }
    )


def _holt_winters(series: NDArray, season: int, horizon: int, trend: bool) -> NDArray:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    model = ExponentialSmoothing(
        series,
        trend="add" if trend else None,
        damped_trend=trend,
        seasonal="add",
        seasonal_periods=season,
        initialization_method="heuristic",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short series
        result = model.fit(optimized=True, use_brute=False)
    return np.asarray(result.forecast(horizon), dtype=float)


def forecast_errors(actual: ArrayLike, predicted: ArrayLike) -> dict[str, float]:
    """MAPE = mean |a − f|/a over intervals with a > 0; WAPE = Σ|a − f| / Σa (Hyndman FPP3 §5.8)."""
    actual_a = np.asarray(actual, dtype=float)
    predicted_a = np.asarray(predicted, dtype=float)
    if actual_a.shape != predicted_a.shape:
        raise ValueError(_("Actual and forecast volumes must have the same length."))
    errors = np.abs(actual_a - predicted_a)
    positive = actual_a > 0
    mape = float(np.mean(errors[positive] / actual_a[positive])) if np.any(positive) else np.nan
    total = actual_a.sum()
    wape = float(errors.sum() / total) if total > 0 else np.nan
    return {"mape": mape, "wape": wape}


def holdout_accuracy(
    history_counts: ArrayLike,
    interval_starts: ArrayLike,
    holdout_intervals: int,
    **forecast_options,
) -> dict[str, float]:
    """Fit on all but the last ``holdout_intervals`` intervals, forecast them → MAPE and WAPE."""
    counts = np.asarray(history_counts, dtype=float)
    if not 0 < holdout_intervals < counts.size:
        raise ValueError(_("The holdout must be shorter than the history."))
    cut = counts.size - holdout_intervals
    starts = np.asarray(interval_starts, dtype="datetime64[s]")
    frame = forecast_volume(counts[:cut], starts[:cut], holdout_intervals, **forecast_options)
    return forecast_errors(counts[cut:], frame["volume"].to_numpy())
