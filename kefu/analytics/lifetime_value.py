"""Discounted customer lifetime value from BG/NBD + Gamma-Gamma (Fader, Hardie & Lee 2005,
"RFM and CLV"), stepped per period as Lifetimes' customer_lifetime_value does."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from kefu.analytics.bgnbd import BgNbdModel
from kefu.analytics.gamma_gamma import GammaGammaModel


def _(message: str) -> str:
    return message


def customer_lifetime_value(
    bgnbd: BgNbdModel,
    gg: GammaGammaModel,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    horizon_periods: int,
    discount_rate: float,
    margin: float,
) -> np.ndarray:
    """CLV = Σ_{k=1..H} margin · E[Z|x,m̄] · (E[Y(k)] − E[Y(k−1)]) / (1+d)^k (per-period
    discounting, FHL 2005 "RFM and CLV"; E[Y] from BG/NBD eq. (10), E[Z] from Gamma-Gamma)."""
    if horizon_periods < 0:
        raise ValueError(_("The CLV horizon must not be negative."))
    if discount_rate <= -1.0:
        raise ValueError(_("The discount rate must be greater than −100%."))
    x, t_x, T_, m = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (frequency, recency, T, monetary_value))
    )
    spend = gg.expected_average_spend(x, m)
    value = np.zeros_like(x)
    previous = np.zeros_like(x)
    # The loop runs over horizon periods (tens), each step vectorised over all customers.
    for step in range(1, horizon_periods + 1):
        cumulative = bgnbd.expected_purchases(float(step), x, t_x, T_)
        value += spend * (cumulative - previous) / (1.0 + discount_rate) ** step
        previous = cumulative
    return margin * value
