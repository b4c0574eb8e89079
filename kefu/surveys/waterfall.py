"""Customer-service waterfall (客户服务瀑布模型, METHODS M30).

Source: 於军《客户服务问题管理:震撼客户心灵的艺术》(上海人民出版社), summarised in
/work/shared/reference/customer-service-problem-management.txt. Customers flow downhill from
loyal to very satisfied, satisfied, dissatisfied, angry and complaining (告状); service recovery
lifts them back up. Pure numpy/polars; no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray


def _(message: str) -> str:
    """No-op marker so Django's makemessages extracts user-visible strings."""
    return message


STAGES: tuple[str, ...] = (
    "loyal",
    "very_satisfied",
    "satisfied",
    "dissatisfied",
    "angry",
    "complaining",
)
UNKNOWN_STAGE = "unknown"
STAGE_LABELS: dict[str, str] = {
    "loyal": _("Loyal"),
    "very_satisfied": _("Very satisfied"),
    "satisfied": _("Satisfied"),
    "dissatisfied": _("Dissatisfied"),
    "angry": _("Angry"),
    "complaining": _("Complaining publicly"),
    UNKNOWN_STAGE: _("Unknown"),
}
BUSINESS_KINDS: dict[str, str] = {
    "thriving": _("Thriving: few loyal customers lost, many new loyal customers gained"),
    "revolving_door": _("Revolving door: many loyal customers lost, many new ones gained"),
    "stagnant": _("Stagnant: few loyal customers lost, few new ones gained"),
    "declining": _("Declining: many loyal customers lost, few new ones gained"),
}


def _flag(values: ArrayLike) -> NDArray[np.bool_]:
    array = np.asarray(values, dtype=np.float64)
    return np.nan_to_num(array, nan=0.0) != 0


def waterfall_stage(
    satisfaction: ArrayLike,
    complained: ArrayLike,
    public_complaint: ArrayLike,
    repurchased: ArrayLike,
    satisfied_min: float = 4,
    very_satisfied_min: float = 5,
    angry_max: float = 1,
) -> NDArray[np.str_]:
    """Waterfall stage per customer (於军, 客户服务瀑布模型). First rule that holds wins:
    public complaint → complaining; complained and satisfaction < satisfied_min, or satisfaction
    ≤ angry_max → angry; satisfaction < satisfied_min → dissatisfied; satisfaction ≥
    very_satisfied_min and repurchased → loyal; ≥ very_satisfied_min → very satisfied; else
    satisfied. Unknown satisfaction (NaN) without a complaint → "unknown"."""
    score, complained_flag, public_flag, repurchased_flag = np.broadcast_arrays(
        np.asarray(satisfaction, dtype=np.float64),
        _flag(complained),
        _flag(public_complaint),
        _flag(repurchased),
    )
    known = ~np.isnan(score)
    with np.errstate(invalid="ignore"):
        below_satisfied = ~(score >= satisfied_min)  # NaN counts as "not satisfied" here
        very_satisfied = score >= very_satisfied_min
        furious = score <= angry_max
    conditions = [
        public_flag,
        complained_flag & below_satisfied,
        ~known,
        furious,
        below_satisfied,
        very_satisfied & repurchased_flag,
        very_satisfied,
    ]
    choices = [
        "complaining",
        "angry",
        UNKNOWN_STAGE,
        "angry",
        "dissatisfied",
        "loyal",
        "very_satisfied",
    ]
    return np.select(conditions, choices, "satisfied")


def _stage_codes(stages: ArrayLike) -> NDArray[np.int64]:
    """Index into STAGES, −1 for anything else (unknown, absent)."""
    if isinstance(stages, pl.Series):
        mapping = {stage: code for code, stage in enumerate(STAGES)}
        return stages.replace_strict(mapping, default=-1, return_dtype=pl.Int64).to_numpy()
    names = np.asarray(stages, dtype=str)
    codes = np.full(names.shape, -1, dtype=np.int64)
    for code, stage in enumerate(STAGES):  # six vectorised comparisons, no per-customer loop
        codes[names == stage] = code
    return codes


@dataclass(frozen=True)
class TransitionMatrix:
    stages: tuple[str, ...]
    counts: NDArray[np.int64]  # rows: stage before, columns: stage after
    shares: NDArray[np.float64]  # each row divided by its total (NaN for an empty row)

    def to_frame(self) -> pl.DataFrame:
        """Long form: stage_before, stage_after, count, share."""
        size = len(self.stages)
        return pl.DataFrame(
            {
                "stage_before": np.repeat(self.stages, size),
                "stage_after": np.tile(self.stages, size),
                "count": self.counts.ravel(),
                "share": self.shares.ravel(),
            }
        )


def transition_matrix(stage_before: ArrayLike, stage_after: ArrayLike) -> TransitionMatrix:
    """Counts of customers by (stage before, stage after) and the row-normalised Markov transition
    matrix P[i, j] = n_ij / Σ_j n_ij (Anderson & Goodman 1957, Ann. Math. Stat. 28:89–110)."""
    before, after = _stage_codes(stage_before), _stage_codes(stage_after)
    if before.shape != after.shape:
        raise ValueError(_("Stages before and after must be given for the same customers"))
    size = len(STAGES)
    both = (before >= 0) & (after >= 0)
    counts = np.bincount(before[both] * size + after[both], minlength=size * size)
    counts = counts.reshape(size, size).astype(np.int64)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(totals > 0, counts / totals, np.nan)
    return TransitionMatrix(STAGES, counts, shares)


def recovered_count(
    stage_before: ArrayLike,
    stage_after: ArrayLike,
    from_stages: tuple[str, ...] = ("angry", "complaining"),
    lifted_to: str = "satisfied",
) -> int:
    """Complainers in period 1 (stages in `from_stages`) who are at `lifted_to` or higher in
    period 2: the water that service recovery lifts back up the waterfall (於军)."""
    before, after = _stage_codes(stage_before), _stage_codes(stage_after)
    if lifted_to not in STAGES or not set(from_stages) <= set(STAGES):
        raise ValueError(_("Unknown waterfall stage"))
    start = np.isin(before, [STAGES.index(stage) for stage in from_stages])
    lifted = (after >= 0) & (after <= STAGES.index(lifted_to))
    return int(np.count_nonzero(start & lifted))


@dataclass(frozen=True)
class LoyalFlows:
    loyal_at_start: int
    loyal_lost: int  # loyal before, not loyal (or gone) after
    loyal_gained: int  # not loyal (or new) before, loyal after


def loyal_flows(stage_before: ArrayLike, stage_after: ArrayLike) -> LoyalFlows:
    """Loyal customers at the start, lost and gained between two periods (於军, waterfall)."""
    loyal = STAGES.index("loyal")
    before = _stage_codes(stage_before) == loyal
    after = _stage_codes(stage_after) == loyal
    return LoyalFlows(int(before.sum()), int((before & ~after).sum()), int((~before & after).sum()))


def service_business_kind(
    loyal_lost: ArrayLike,
    loyal_gained: ArrayLike,
    loyal_at_start: ArrayLike,
    many_lost_rate: float = 0.10,
    many_gained_rate: float = 0.10,
) -> NDArray[np.str_]:
    """Kind of service business per period/segment from the 2×2 of loyal customers lost (few/many)
    × new loyal gained (many/few), after 於军's four kinds of service firm (《客户服务问题管理》:
    "在企业服务创新提升力和顾客自然流失力的相互作用下…有四种不同类型的服务企业"). Rates are
    relative to loyal_at_start; a rate ≥ its threshold counts as "many"."""
    base = np.asarray(loyal_at_start, dtype=np.float64)
    lost = np.asarray(loyal_lost, dtype=np.float64)
    gained = np.asarray(loyal_gained, dtype=np.float64)
    if (base < 0).any() or (lost < 0).any() or (gained < 0).any() or (lost > base).any():
        raise ValueError(_("Counts must be non-negative and loyal_lost ≤ loyal_at_start"))
    with np.errstate(invalid="ignore", divide="ignore"):
        lost_rate = np.where(base > 0, lost / base, 0.0)
        gained_rate = np.where(base > 0, gained / base, np.where(gained > 0, np.inf, 0.0))
    many_lost = lost_rate >= many_lost_rate
    many_gained = gained_rate >= many_gained_rate
    return np.select(
        [~many_lost & many_gained, many_lost & many_gained, ~many_lost],
        ["thriving", "revolving_door", "stagnant"],
        "declining",
    )
