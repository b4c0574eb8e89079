"""Forecasts on synthetic series with known weekly × intraday seasonality and trend."""

import numpy as np
import pytest

from kefu.workforce.forecast import (
    counts_per_interval,
    forecast_errors,
    forecast_volume,
    holdout_accuracy,
)

MONDAY = np.datetime64("2026-01-05T00:00:00")
WEEKLY = np.array([1.2, 1.1, 1.0, 1.0, 1.1, 0.6, 0.4])


def synthetic(weeks: int, interval_s: int, growth_per_day: float = 0.0, seed: int = 7):
    slots = 86_400 // interval_s
    count = weeks * 7 * slots
    starts = MONDAY + np.arange(count) * np.timedelta64(interval_s, "s")
    seconds = starts.astype("datetime64[s]").astype(np.int64)
    day = seconds // 86_400
    weekday = (day + 3) % 7
    hour = (seconds % 86_400) / 3600.0
    intraday = 2.0 + 60.0 * np.exp(-0.5 * ((hour - 12.0) / 3.0) ** 2) * interval_s / 1800
    rate = intraday * WEEKLY[weekday] * (1.0 + growth_per_day * (day - day[0]))
    counts = np.random.default_rng(seed).poisson(rate)
    return starts, counts, rate


def test_forecast_errors_by_hand():
    errors = forecast_errors([10, 20, 0, 40], [12, 15, 5, 40])
    # MAPE skips the zero actual: (2/10 + 5/20 + 0/40) / 3; WAPE = (2 + 5 + 5 + 0) / 70.
    assert errors["mape"] == pytest.approx(0.15)
    assert errors["wape"] == pytest.approx(12 / 70)
    with pytest.raises(ValueError, match="same length"):
        forecast_errors([1, 2], [1])


def test_counts_per_interval():
    stamps = np.array(
        ["2026-01-05T08:01", "2026-01-05T08:29", "2026-01-05T08:30", "2026-01-05T09:45"],
        dtype="datetime64[s]",
    )
    starts, counts = counts_per_interval(stamps, 1800)
    assert starts[0] == np.datetime64("2026-01-05T08:00:00")
    np.testing.assert_array_equal(counts, [2, 1, 0, 1])


def test_profile_recovers_weekly_and_intraday_seasonality():
    starts, counts, rate = synthetic(weeks=8, interval_s=1800)
    hold = 7 * 48
    frame = forecast_volume(counts[:-hold], starts[:-hold], hold, trend=False)
    assert frame.height == hold
    assert frame["interval_start"][0] == starts[-hold].astype("datetime64[ms]").item()
    predicted = frame["volume"].to_numpy()
    # Against the true expected volume: the profile is averaged over 7 weeks of Poisson noise.
    assert forecast_errors(rate[-hold:], predicted)["wape"] < 0.08
    daily = predicted.reshape(7, 48).sum(axis=1)
    np.testing.assert_allclose(daily / daily[2], WEEKLY / WEEKLY[2], rtol=0.05)
    peak_slot = int(np.argmax(predicted[:48]))
    assert peak_slot in (23, 24, 25)  # around noon


def test_profile_trend_is_extrapolated():
    starts, counts, rate = synthetic(weeks=8, interval_s=1800, growth_per_day=0.01)
    hold = 7 * 48
    with_trend = forecast_volume(counts[:-hold], starts[:-hold], hold)["volume"].to_numpy()
    flat = forecast_volume(counts[:-hold], starts[:-hold], hold, trend=False)["volume"].to_numpy()
    truth = rate[-hold:]
    assert forecast_errors(truth, with_trend)["wape"] < 0.06
    assert forecast_errors(truth, flat)["wape"] > forecast_errors(truth, with_trend)["wape"] + 0.05
    assert with_trend.sum() / truth.sum() == pytest.approx(1.0, abs=0.04)


def test_holidays_are_excluded_and_get_the_given_profile():
    starts, counts, _rate = synthetic(weeks=6, interval_s=1800)
    counts = counts.copy()
    holiday = np.datetime64("2026-02-04")  # a Wednesday in the history: almost no contacts
    on_holiday = starts.astype("datetime64[D]") == holiday
    counts[on_holiday] = 0
    future_holiday = np.datetime64("2026-02-18")  # Wednesday in the forecast week
    options = {"trend": False}
    excluded = forecast_volume(
        counts, starts, 7 * 48, holidays=[holiday, future_holiday], **options
    )
    ignored = forecast_volume(counts, starts, 7 * 48, **options)
    days = excluded["interval_start"].dt.date().to_numpy()
    volume = excluded["volume"].to_numpy()
    wednesday = days == np.datetime64("2026-02-18")
    sunday = days == np.datetime64("2026-02-22")
    # The future holiday is forecast with Sunday's profile.
    np.testing.assert_allclose(volume[wednesday], volume[sunday])
    # Excluding the zero holiday keeps Thursday's normal level; ignoring it drags Wednesday down.
    thursday = days == np.datetime64("2026-02-19")
    plain_wednesday = ignored["volume"].to_numpy()[wednesday].sum()
    assert plain_wednesday < 0.85 * volume[thursday].sum() * WEEKLY[2] / WEEKLY[3]


def test_holt_winters_on_hourly_data():
    starts, counts, rate = synthetic(weeks=5, interval_s=3600)
    hold = 7 * 24
    frame = forecast_volume(counts[:-hold], starts[:-hold], hold, method="holt_winters")
    assert forecast_errors(rate[-hold:], frame["volume"].to_numpy())["wape"] < 0.12
    assert (frame["volume"] >= 0).all()
    accuracy = holdout_accuracy(counts, starts, hold, method="auto")
    assert 0 < accuracy["wape"] < 0.25 and 0 < accuracy["mape"] < 0.5


def test_validation():
    starts, counts, _rate = synthetic(weeks=1, interval_s=1800)
    with pytest.raises(ValueError, match="evenly spaced"):
        forecast_volume(counts[[0, 1, 3]], starts[[0, 1, 3]], 4)
    with pytest.raises(ValueError, match="two weeks"):
        forecast_volume(counts, starts, 4, method="holt_winters")
    with pytest.raises(ValueError, match="shorter than the history"):
        holdout_accuracy(counts, starts, counts.size)
