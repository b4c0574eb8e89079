"""summarize_transactions on hand-worked logs."""

import numpy as np
import pytest

from kefu.analytics import summarize_transactions

IDS = ["a", "a", "a", "a", "b", "c", "c"]
DATES = np.array(
    [
        "2024-01-01",
        "2024-01-01",
        "2024-01-03",
        "2024-01-15",
        "2024-01-10",
        "2024-01-02",
        "2024-03-01",
    ],
    dtype="datetime64[D]",
)
AMOUNTS = [10.0, 5.0, 20.0, 30.0, 7.0, 1.0, 99.0]
END = np.datetime64("2024-01-28")


def test_daily_summary_by_hand() -> None:
    s = summarize_transactions(IDS, DATES, AMOUNTS, END, period="D")
    a, b, c = s.rows(named=True)
    # a buys on Jan 1 (two purchases, 15), Jan 3 (20), Jan 15 (30).
    assert (a["frequency"], a["recency"], a["T"]) == (2, 14.0, 27.0)
    assert a["monetary_value"] == pytest.approx(25.0)
    assert (a["total"], a["count"]) == (65.0, 4)
    assert (b["frequency"], b["recency"], b["T"], b["monetary_value"]) == (0, 0.0, 18.0, 0.0)
    # c's March purchase is after the observation end.
    assert (c["frequency"], c["count"], c["total"]) == (0, 1, 1.0)
    assert str(c["last_purchase"]) == "2024-01-02"


def test_weekly_buckets_start_on_monday() -> None:
    # 2024-01-01 is a Monday: Jan 1 and Jan 3 share a week, Jan 15 is two weeks later.
    s = summarize_transactions(IDS, DATES, AMOUNTS, END, period="W")
    a = s.row(0, named=True)
    assert (a["frequency"], a["recency"], a["T"]) == (1, 2.0, 3.0)
    assert a["monetary_value"] == pytest.approx(30.0)


def test_weeks_measured_at_daily_resolution() -> None:
    s = summarize_transactions(IDS, DATES, AMOUNTS, END, period="W", resolution="D")
    a = s.row(0, named=True)
    assert a["frequency"] == 2
    assert a["recency"] == pytest.approx(2.0)
    assert a["T"] == pytest.approx(27 / 7)


def test_thirty_day_months() -> None:
    days = np.array([0, 29, 30, 95])  # integer days since 1970-01-01
    s = summarize_transactions([1, 1, 1, 1], days, [1.0, 2.0, 3.0, 4.0], 120, period="M")
    row = s.row(0, named=True)
    assert (row["frequency"], row["recency"], row["T"]) == (2, 3.0, 4.0)
    assert row["monetary_value"] == pytest.approx(3.5)


def test_unknown_period_is_rejected() -> None:
    with pytest.raises(ValueError, match="period"):
        summarize_transactions(IDS, DATES, AMOUNTS, END, period="Q")
