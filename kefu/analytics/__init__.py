"""Customer-value analytics (METHODS M8–M12, M20, M46): pure numpy/scipy/polars, no Django."""

from kefu.analytics.bgnbd import BgNbdModel, bgnbd_log_likelihood, fit_bgnbd
from kefu.analytics.complaint_iceberg import (
    TARP_SILENT_PER_VOICED,
    ComplaintIceberg,
    complaint_iceberg,
)
from kefu.analytics.gamma_gamma import (
    GammaGammaModel,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)
from kefu.analytics.lifetime_value import customer_lifetime_value
from kefu.analytics.pareto import ParetoCurve, gini_coefficient, pareto
from kefu.analytics.profitability import customer_profitability, flag_profit_groups
from kefu.analytics.rfm import DEFAULT_SEGMENTS, SegmentRule, rfm_scores, rfm_segments
from kefu.analytics.six_sigma import dpmo, sigma_level
from kefu.analytics.tiers import DEFAULT_TIER_CUTOFFS, abcd_tiers
from kefu.analytics.transactions import summarize_transactions

__all__ = [
    "DEFAULT_SEGMENTS",
    "DEFAULT_TIER_CUTOFFS",
    "TARP_SILENT_PER_VOICED",
    "BgNbdModel",
    "ComplaintIceberg",
    "GammaGammaModel",
    "ParetoCurve",
    "SegmentRule",
    "abcd_tiers",
    "bgnbd_log_likelihood",
    "complaint_iceberg",
    "customer_lifetime_value",
    "customer_profitability",
    "dpmo",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "flag_profit_groups",
    "gamma_gamma_log_likelihood",
    "gini_coefficient",
    "pareto",
    "rfm_scores",
    "rfm_segments",
    "sigma_level",
    "summarize_transactions",
]
