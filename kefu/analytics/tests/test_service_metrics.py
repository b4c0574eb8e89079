"""Profitability (M9), complaint iceberg (M20) and Six Sigma (M46)."""

import numpy as np
import pytest

from kefu.analytics import (
    complaint_iceberg,
    customer_profitability,
    dpmo,
    flag_profit_groups,
    sigma_level,
)


def test_profitability_with_per_channel_minutes() -> None:
    result = customer_profitability(
        gross_margin=[100.0, 50.0, 10.0],
        handling_minutes=[[10, 0], [0, 30], [0, 0]],
        cost_per_minute=[1.0, 2.0],
        compensation=[0.0, 5.0, 20.0],
        channel_names=["email", "phone"],
    )
    assert list(result["cost_to_serve"]) == [10.0, 65.0, 20.0]
    assert list(result["profit"]) == [90.0, -15.0, -10.0]
    assert list(result["dominant_cost_driver"]) == ["email", "phone", "compensation"]


def test_profitability_with_one_channel() -> None:
    result = customer_profitability([10.0, 0.0], [5.0, 0.0], 0.5)
    assert list(result["profit"]) == [7.5, 0.0]
    assert list(result["dominant_cost_driver"]) == ["handling", "none"]


def test_flags_top_decile_and_loss_makers() -> None:
    profit = np.array([100, 90, 5, 4, 3, 2, 1, 0, -1, -50, 100])
    flags = flag_profit_groups(profit)
    assert list(np.flatnonzero(flags["is_top"])) == [0, 10]  # ceil(1.1) = 2, a tie at 100
    assert list(np.flatnonzero(flags["is_loss_maker"])) == [8, 9]


def test_complaint_iceberg_per_channel() -> None:
    iceberg = complaint_iceberg({"phone": 10, "email": 4}, {"phone": 26, "email": 10})
    assert iceberg.voiced_total == 14
    assert iceberg.silent_total == 300
    assert iceberg.dissatisfied_total == 314
    assert list(iceberg.by_group["silent_estimate"]) == [260.0, 40.0]
    assert "phone: 26" in iceberg.assumption and "Estimate" in iceberg.assumption
    with pytest.raises(ValueError, match="email"):
        complaint_iceberg({"phone": 1, "email": 1}, {"phone": 3})


def test_complaint_iceberg_default_tarp_ratio() -> None:
    assert complaint_iceberg([1, 2]).silent_total == 78


def test_dpmo() -> None:
    assert dpmo(34, 1_000_000, 10) == pytest.approx(3.4)
    assert dpmo(5, 100, 5) == pytest.approx(10_000)
    with pytest.raises(ValueError):
        dpmo(11, 10, 1)


@pytest.mark.parametrize(
    ("defects_per_million", "sigma"),
    [(3.4, 6.0), (233, 5.0), (6_210, 4.0), (66_807, 3.0), (308_538, 2.0), (691_462, 1.0)],
)
def test_sigma_level_matches_standard_table(defects_per_million, sigma) -> None:
    assert sigma_level(defects_per_million) == pytest.approx(sigma, abs=0.01)


def test_sigma_level_is_vectorised_and_decreasing() -> None:
    levels = sigma_level(np.array([1.0, 100.0, 10_000.0]))
    assert np.all(np.diff(levels) < 0)
