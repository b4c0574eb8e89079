"""Survey scoring: NPS, CSAT, CES, SERVQUAL, RATER, CSI, importance–performance, utility, loyalty.

Pure numpy/polars; no Django. Every function takes array-likes where NaN means "no answer"
and ignores those answers. Methods M4–M7, M29, M44 in /work/shared/METHODS.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray
from scipy import stats


def _(message: str) -> str:
    """No-op marker so Django's makemessages extracts user-visible strings."""
    return message


SERVQUAL_DIMENSIONS: tuple[str, ...] = (
    "tangibles",
    "reliability",
    "responsiveness",
    "assurance",
    "empathy",
)
RATER_DIMENSIONS: tuple[str, ...] = (
    "reliability",
    "assurance",
    "tangibles",
    "empathy",
    "responsiveness",
)
PRIORITY_QUADRANTS: dict[str, str] = {
    "concentrate_here": _("Concentrate here"),
    "keep_up_the_good_work": _("Keep up the good work"),
    "low_priority": _("Low priority"),
    "possible_overkill": _("Possible overkill"),
}


# --------------------------------------------------------------------------- validation


def _position(flat_index: int, shape: tuple[int, ...]) -> int | tuple[int, ...]:
    if len(shape) <= 1:
        return flat_index
    return tuple(int(i) for i in np.unravel_index(flat_index, shape))


def validated_scores(
    values: ArrayLike, *, name: str, low: float, high: float, integer: bool = True
) -> NDArray[np.float64]:
    """Return `values` as a float array (NaN = no answer); ValueError names the first bad value."""
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0 or _all_valid(array, low, high, integer):
        return array
    answered = ~np.isnan(array)
    bad = answered & ((array < low) | (array > high) | np.isinf(array))
    if integer:
        bad |= answered & (array != np.round(array))
    if bad.any():
        flat = int(np.flatnonzero(bad.ravel())[0])
        value = array.ravel()[flat]
        kind = "an integer" if integer else "a number"
        raise ValueError(
            _(
                "%(name)s: value %(value)s at position %(position)s is not %(kind)s "
                "from %(low)s to %(high)s"
            )
            % {
                "name": name,
                "value": f"{value:g}",
                "position": _position(flat, array.shape),
                "kind": kind,
                "low": f"{low:g}",
                "high": f"{high:g}",
            }
        )
    return array


def _all_valid(array: NDArray[np.float64], low: float, high: float, integer: bool) -> bool:
    """Fast path for big batches: min/max over the answered values, no boolean temporaries."""
    with np.errstate(invalid="ignore"):
        smallest, largest = np.fmin.reduce(array, axis=None), np.fmax.reduce(array, axis=None)
    if np.isnan(smallest):  # nothing answered
        return True
    if not (low <= smallest and largest <= high and np.isfinite(smallest) and np.isfinite(largest)):
        return False
    return not integer or bool(np.array_equal(array, np.round(array), equal_nan=True))


def _weights(values: ArrayLike, *, name: str) -> NDArray[np.float64]:
    weights = np.asarray(values, dtype=np.float64)
    if weights.ndim != 1 or weights.size == 0:
        raise ValueError(_("%(name)s must be a non-empty list of numbers") % {"name": name})
    if not np.all(np.isfinite(weights)) or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError(
            _("%(name)s must be finite, non-negative and not all zero") % {"name": name}
        )
    return weights


def _weighted_mean_ignoring_nan(
    weights: NDArray[np.float64], values: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Σ w·x / Σ w over the last axis, renormalising the weights over the answered values."""
    answered = ~np.isnan(values)
    total_weight = answered @ weights
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(answered, values, 0.0) @ weights / total_weight


# --------------------------------------------------------------------------- intervals


@dataclass(frozen=True)
class MeanInterval:
    mean: float
    low: float
    high: float
    n: int


def mean_ci(values: ArrayLike, confidence: float = 0.95) -> MeanInterval:
    """Mean with a Student-t confidence interval, x̄ ± t(1−α/2, n−1)·s/√n (Student 1908)."""
    array = np.asarray(values, dtype=np.float64).ravel()
    array = array[~np.isnan(array)]
    n = int(array.size)
    if n == 0:
        return MeanInterval(float("nan"), float("nan"), float("nan"), 0)
    mean = float(array.mean())
    if n == 1:
        return MeanInterval(mean, float("nan"), float("nan"), 1)
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * array.std(ddof=1) / np.sqrt(n)
    return MeanInterval(mean, float(mean - half), float(mean + half), n)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927, JASA 22:209–212)."""
    if n == 0:
        return float("nan"), float("nan")
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = successes / n
    denominator = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half = z / denominator * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    # At p = 0 or 1 one bound is exactly p; rounding must not push p outside its own interval.
    return float(max(0.0, min(p, centre - half))), float(min(1.0, max(p, centre + half)))


# --------------------------------------------------------------------------- NPS, CSAT, CES


@dataclass(frozen=True)
class NpsResult:
    nps: float
    promoters: int
    passives: int
    detractors: int
    promoter_share: float
    passive_share: float
    detractor_share: float
    n: int
    ci_low: float
    ci_high: float


def nps(scores_0_to_10: ArrayLike, confidence: float = 0.95) -> NpsResult:
    """Net Promoter Score = 100·(p_P − p_D) (Reichheld 2003, HBR); Wald CI with the multinomial
    variance var = (p_P + p_D − (p_P − p_D)²)/n (Rocks 2016, The American Statistician 70:365)."""
    scores = validated_scores(scores_0_to_10, name="NPS score", low=0, high=10)
    scores = scores[~np.isnan(scores)]
    n = int(scores.size)
    promoters = int(np.count_nonzero(scores >= 9))
    detractors = int(np.count_nonzero(scores <= 6))
    passives = n - promoters - detractors
    if n == 0:
        nan = float("nan")
        return NpsResult(nan, 0, 0, 0, nan, nan, nan, 0, nan, nan)
    p_promoter, p_detractor = promoters / n, detractors / n
    difference = p_promoter - p_detractor
    variance = (p_promoter + p_detractor - difference**2) / n
    half = stats.norm.ppf(0.5 + confidence / 2) * np.sqrt(variance)
    return NpsResult(
        nps=100 * difference,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        promoter_share=p_promoter,
        passive_share=passives / n,
        detractor_share=p_detractor,
        n=n,
        ci_low=float(100 * max(-1.0, difference - half)),
        ci_high=float(100 * min(1.0, difference + half)),
    )


@dataclass(frozen=True)
class CsatResult:
    csat: float  # % of answers that are 4 or 5
    mean: float
    n: int
    ci_low: float  # Wilson interval of the top-2-box share, in %
    ci_high: float


def csat(scores_1_to_5: ArrayLike, confidence: float = 0.95) -> CsatResult:
    """CSAT = % of 4–5 answers on a 1–5 scale ("top-2-box") with a Wilson interval (Wilson 1927)."""
    scores = validated_scores(scores_1_to_5, name="CSAT score", low=1, high=5)
    scores = scores[~np.isnan(scores)]
    n = int(scores.size)
    if n == 0:
        nan = float("nan")
        return CsatResult(nan, nan, 0, nan, nan)
    satisfied = int(np.count_nonzero(scores >= 4))
    low, high = wilson_interval(satisfied, n, confidence)
    return CsatResult(100 * satisfied / n, float(scores.mean()), n, 100 * low, 100 * high)


@dataclass(frozen=True)
class CesResult:
    mean: float
    low_effort_share: float  # share (0–1) of answers on the low-effort side of the midpoint
    n: int
    mean_ci: MeanInterval
    share_ci: tuple[float, float]


def ces(
    scores: ArrayLike, scale: int = 7, higher_is_easier: bool = True, confidence: float = 0.95
) -> CesResult:
    """Customer Effort Score: mean answer and share of low-effort answers (Dixon, Freeman & Toman
    2010, HBR); CES 2.0 asks "easy to handle my issue", 1–7, so higher means less effort."""
    values = validated_scores(scores, name="CES score", low=1, high=scale)
    values = values[~np.isnan(values)]
    midpoint = (1 + scale) / 2
    low_effort = values > midpoint if higher_is_easier else values < midpoint
    n = int(values.size)
    count = int(np.count_nonzero(low_effort))
    share = count / n if n else float("nan")
    return CesResult(
        mean=float(values.mean()) if n else float("nan"),
        low_effort_share=share,
        n=n,
        mean_ci=mean_ci(values, confidence),
        share_ci=wilson_interval(count, n, confidence),
    )


# --------------------------------------------------------------------------- SERVQUAL


@dataclass(frozen=True)
class ServqualResult:
    item_gaps: NDArray[np.float64]  # mean P − E per item
    dimension_gaps: dict[str, float]  # mean of the item gaps of each dimension
    unweighted_score: float  # mean of the dimension gaps
    weighted_score: float  # Σ dimension gap × points / 100 (NaN without points)
    respondent_dimension_gaps: NDArray[np.float64]  # respondents × SERVQUAL_DIMENSIONS
    respondent_unweighted: NDArray[np.float64]
    respondent_weighted: NDArray[np.float64]


def _dimension_indicator(
    item_dimensions: Sequence[str] | Mapping[int, str], item_count: int
) -> NDArray[np.float64]:
    if isinstance(item_dimensions, Mapping):
        names = [item_dimensions.get(item) for item in range(item_count)]
    else:
        names = list(item_dimensions)
    if len(names) != item_count:
        raise ValueError(
            _("item_dimensions names %(given)d items but the answers have %(count)d")
            % {"given": len(names), "count": item_count}
        )
    indicator = np.zeros((item_count, len(SERVQUAL_DIMENSIONS)))
    for item, dimension in enumerate(names):
        if dimension not in SERVQUAL_DIMENSIONS:
            raise ValueError(
                _("Item %(item)d has dimension %(dimension)r; expected one of %(expected)s")
                % {"item": item, "dimension": dimension, "expected": ", ".join(SERVQUAL_DIMENSIONS)}
            )
        indicator[item, SERVQUAL_DIMENSIONS.index(dimension)] = 1.0
    return indicator


def _importance_vector(importance_points: Mapping[str, float]) -> NDArray[np.float64]:
    unknown = set(importance_points) - set(SERVQUAL_DIMENSIONS)
    missing = set(SERVQUAL_DIMENSIONS) - set(importance_points)
    if unknown or missing:
        raise ValueError(
            _("Importance points need exactly the five dimensions %(expected)s")
            % {"expected": ", ".join(SERVQUAL_DIMENSIONS)}
        )
    points = np.array([importance_points[d] for d in SERVQUAL_DIMENSIONS], dtype=np.float64)
    if not np.all(np.isfinite(points)) or (points < 0).any():
        raise ValueError(_("Importance points must be non-negative numbers"))
    if not np.isclose(points.sum(), 100.0, rtol=0, atol=1e-6):
        raise ValueError(
            _("Importance points must sum to 100, not %(total)s") % {"total": f"{points.sum():g}"}
        )
    return points


def servqual(
    expectations: ArrayLike,
    perceptions: ArrayLike,
    item_dimensions: Sequence[str] | Mapping[int, str],
    importance_points: Mapping[str, float] | None = None,
) -> ServqualResult:
    """SERVQUAL gap scores P − E per item, dimension and respondent, unweighted and weighted by
    100 importance points (Parasuraman, Zeithaml & Berry 1988, J. Retailing 64(1):12–40)."""
    expected = validated_scores(
        expectations, name="Expectation", low=-np.inf, high=np.inf, integer=False
    )
    perceived = validated_scores(
        perceptions, name="Perception", low=-np.inf, high=np.inf, integer=False
    )
    if expected.ndim != 2 or expected.shape != perceived.shape:
        raise ValueError(_("Expectations and perceptions must be respondents × items, same shape"))
    indicator = _dimension_indicator(item_dimensions, expected.shape[1])
    points = None if importance_points is None else _importance_vector(importance_points)

    gaps = perceived - expected
    answered = ~np.isnan(gaps)
    filled = gaps
    np.copyto(filled, 0.0, where=~answered)  # in place; unanswered gaps are counted out below
    with np.errstate(invalid="ignore", divide="ignore"):
        item_gaps = filled.sum(axis=0) / answered.sum(axis=0)
        answered_items = ~np.isnan(item_gaps)
        dimension_gaps = (np.where(answered_items, item_gaps, 0.0) @ indicator) / (
            answered_items @ indicator
        )
        respondent_dimension_gaps = _respondent_dimension_means(filled, answered, indicator)
    present = indicator.sum(axis=0) > 0
    unweighted = float(_nanmean_rows(dimension_gaps[None, present])[0])
    respondent_unweighted = _nanmean_rows(respondent_dimension_gaps[:, present])
    if points is None:
        weighted = float("nan")
        respondent_weighted = np.full(expected.shape[0], np.nan)
    else:
        # A dimension with zero points cannot change the weighted score even when unanswered.
        used = points > 0
        weighted = float(dimension_gaps[used] @ points[used] / 100)
        respondent_weighted = respondent_dimension_gaps[:, used] @ points[used] / 100
    return ServqualResult(
        item_gaps=item_gaps,
        dimension_gaps=dict(zip(SERVQUAL_DIMENSIONS, dimension_gaps.tolist(), strict=True)),
        unweighted_score=unweighted,
        weighted_score=weighted,
        respondent_dimension_gaps=respondent_dimension_gaps,
        respondent_unweighted=respondent_unweighted,
        respondent_weighted=respondent_weighted,
    )


def _respondent_dimension_means(
    filled: NDArray[np.float64], answered: NDArray[np.bool_], indicator: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Mean answered gap per respondent and dimension (respondents × dimensions)."""
    respondents, dimensions = filled.shape[0], indicator.shape[1]
    sums = np.zeros((dimensions, respondents))
    counts = np.zeros((dimensions, respondents), dtype=np.int32)
    # A loop over the ~22 items (columns), not respondents: with few dimensions this beats a
    # matrix product, which BLAS handles poorly for a 22 × 5 right-hand side.
    for item, dimension in enumerate(indicator.argmax(axis=1)):
        sums[dimension] += filled[:, item]
        counts[dimension] += answered[:, item]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sums / counts).T


def _nanmean_rows(values: NDArray[np.float64]) -> NDArray[np.float64]:
    answered = ~np.isnan(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(answered, values, 0.0).sum(axis=1) / answered.sum(axis=1)


# --------------------------------------------------------------------------- RATER


@overload
def rater_index(
    scores_by_dimension: Mapping[str, ArrayLike],
    scale_min: float = 1,
    scale_max: float = 7,
    group_by: Sequence[str] | None = None,
) -> dict[str, float]: ...
@overload
def rater_index(
    scores_by_dimension: pl.DataFrame,
    scale_min: float = 1,
    scale_max: float = 7,
    group_by: Sequence[str] | None = None,
) -> pl.DataFrame: ...
def rater_index(
    scores_by_dimension: Mapping[str, ArrayLike] | pl.DataFrame,
    scale_min: float = 1,
    scale_max: float = 7,
    group_by: Sequence[str] | None = None,
) -> dict[str, float] | pl.DataFrame:
    """RATER index 0–100 per dimension, 100·(mean − min)/(max − min), and overall = mean of the five
    (Zeithaml, Parasuraman & Berry 1990, Delivering Quality Service); DataFrame → row per group."""
    span = scale_max - scale_min
    if span <= 0:
        raise ValueError(_("scale_max must be greater than scale_min"))
    if isinstance(scores_by_dimension, pl.DataFrame):
        return _rater_frame(scores_by_dimension, scale_min, scale_max, list(group_by or []))
    missing = [d for d in RATER_DIMENSIONS if d not in scores_by_dimension]
    if missing:
        raise ValueError(
            _("Missing RATER dimensions: %(missing)s") % {"missing": ", ".join(missing)}
        )
    result: dict[str, float] = {}
    for dimension in RATER_DIMENSIONS:  # five dimensions, not rows
        values = validated_scores(
            scores_by_dimension[dimension],
            name=dimension,
            low=scale_min,
            high=scale_max,
            integer=False,
        )
        answered = values[~np.isnan(values)]
        mean = answered.mean() if answered.size else np.nan
        result[dimension] = float(100 * (mean - scale_min) / span)
    result["overall"] = float(np.mean([result[d] for d in RATER_DIMENSIONS]))
    return result


def _rater_frame(
    frame: pl.DataFrame, scale_min: float, scale_max: float, group_columns: list[str]
) -> pl.DataFrame:
    missing = [d for d in (*RATER_DIMENSIONS, *group_columns) if d not in frame.columns]
    if missing:
        raise ValueError(_("Missing columns: %(missing)s") % {"missing": ", ".join(missing)})
    for dimension in RATER_DIMENSIONS:
        validated_scores(
            frame[dimension].cast(pl.Float64).fill_null(np.nan).to_numpy(),
            name=dimension,
            low=scale_min,
            high=scale_max,
            integer=False,
        )
    span = scale_max - scale_min
    answered = [pl.col(d).cast(pl.Float64).fill_nan(None) for d in RATER_DIMENSIONS]
    indexes = [
        ((column.mean() - scale_min) / span * 100).alias(d)
        for column, d in zip(answered, RATER_DIMENSIONS, strict=True)
    ]
    count = pl.len().alias("n")
    if group_columns:
        result = frame.group_by(group_columns, maintain_order=True).agg(*indexes, count)
        result = result.sort(group_columns)
    else:
        result = frame.select(*indexes, count)
    return result.with_columns(overall=pl.mean_horizontal(RATER_DIMENSIONS)).select(
        *group_columns, *RATER_DIMENSIONS, "overall", "n"
    )


# --------------------------------------------------------------------------- CSI, IPA, utility


def csi(
    importance: ArrayLike, satisfaction: ArrayLike, scale_min: float = 1, scale_max: float = 5
) -> float | NDArray[np.float64]:
    """Customer satisfaction index 100·(Σwᵢsᵢ/Σwᵢ − min)/(max − min) (Fornell et al. 1996, ACSI,
    J. Marketing 60(4)); satisfaction per attribute, or respondents × attributes → one per row."""
    weights = _weights(importance, name="Importance")
    scores = validated_scores(
        satisfaction, name="Satisfaction", low=scale_min, high=scale_max, integer=False
    )
    if scores.shape[-1] != weights.size:
        raise ValueError(_("Importance and satisfaction need the same number of attributes"))
    index = (
        100 * (_weighted_mean_ignoring_nan(weights, scores) - scale_min) / (scale_max - scale_min)
    )
    return float(index) if index.ndim == 0 else index


def priority_matrix(
    importance: ArrayLike, satisfaction: ArrayLike, attributes: Sequence[str] | None = None
) -> pl.DataFrame:
    """Importance–performance quadrants split at the means (Martilla & James 1977, J. Marketing
    41(1):77–79): concentrate here / keep up the good work / low priority / possible overkill."""
    weight = np.asarray(importance, dtype=np.float64)
    score = np.asarray(satisfaction, dtype=np.float64)
    if weight.ndim != 1 or weight.shape != score.shape or weight.size == 0:
        raise ValueError(_("Importance and satisfaction must be equal-length lists"))
    if np.isnan(weight).any() or np.isnan(score).any():
        raise ValueError(_("Importance and satisfaction need a value for every attribute"))
    names = list(attributes) if attributes is not None else [str(i) for i in range(weight.size)]
    high_importance = weight >= weight.mean()
    high_satisfaction = score >= score.mean()
    quadrant = np.select(
        [high_importance & ~high_satisfaction, high_importance, ~high_satisfaction],
        ["concentrate_here", "keep_up_the_good_work", "low_priority"],
        "possible_overkill",
    )
    return pl.DataFrame(
        {"attribute": names, "importance": weight, "satisfaction": score, "quadrant": quadrant}
    )


def customer_utility(
    attribute_weights: ArrayLike | Mapping[str, float],
    attribute_scores_by_segment: ArrayLike | pl.DataFrame,
) -> NDArray[np.float64] | pl.DataFrame:
    """Additive multi-attribute utility Σwᵢxᵢ with weights normalised to 1, per segment (Keeney &
    Raiffa 1976, Decisions with Multiple Objectives). DataFrame in → `utility` column added."""
    if isinstance(attribute_weights, Mapping):
        names = list(attribute_weights)
        weights = _weights(list(attribute_weights.values()), name="Attribute weights")
    else:
        names = []
        weights = _weights(attribute_weights, name="Attribute weights")
    if isinstance(attribute_scores_by_segment, pl.DataFrame):
        if not names:
            raise ValueError(_("With a DataFrame, give the weights as {column: weight}"))
        frame = attribute_scores_by_segment
        scores = frame.select(pl.col(names).cast(pl.Float64).fill_null(np.nan)).to_numpy()
        return frame.with_columns(
            utility=pl.Series(_weighted_mean_ignoring_nan(weights, np.atleast_2d(scores)))
        )
    scores = np.asarray(attribute_scores_by_segment, dtype=np.float64)
    if scores.shape[-1] != weights.size:
        raise ValueError(_("Each segment needs one score per weighted attribute"))
    return _weighted_mean_ignoring_nan(weights, scores)


# --------------------------------------------------------------------------- loyalty


DEFAULT_LOYALTY_WEIGHTS: dict[str, float] = {
    "repurchase_intention": 0.25,
    "recommend": 0.25,
    "repeat_purchase_rate": 0.25,
    "tenure": 0.25,
}


def loyalty_index(
    repurchase_intention: ArrayLike,
    recommend: ArrayLike,
    repeat_purchase_rate: ArrayLike,
    tenure_years: ArrayLike,
    weights: Mapping[str, float] | None = None,
    intention_scale: tuple[float, float] = (1, 5),
    tenure_cap_years: float = 5.0,
) -> NDArray[np.float64]:
    """Loyalty 0–100 per customer: weighted mean of attitudinal (intention 1–5, recommend 0–10) and
    behavioural (repeat rate 0–1, tenure capped) parts, after Dick & Basu 1994 (JAMS 22(2):99)."""
    weights = dict(DEFAULT_LOYALTY_WEIGHTS if weights is None else weights)
    if set(weights) != set(DEFAULT_LOYALTY_WEIGHTS):
        raise ValueError(
            _("Loyalty weights need exactly: %(names)s")
            % {"names": ", ".join(DEFAULT_LOYALTY_WEIGHTS)}
        )
    low, high = intention_scale
    intention = validated_scores(
        repurchase_intention, name="Repurchase intention", low=low, high=high, integer=False
    )
    referral = validated_scores(recommend, name="Recommend", low=0, high=10, integer=False)
    repeat = validated_scores(
        repeat_purchase_rate, name="Repeat purchase rate", low=0, high=1, integer=False
    )
    tenure = validated_scores(tenure_years, name="Tenure", low=0, high=np.inf, integer=False)
    parts = np.stack(
        np.broadcast_arrays(
            (intention - low) / (high - low),
            referral / 10,
            repeat,
            np.minimum(tenure / tenure_cap_years, 1.0),
        ),
        axis=-1,
    )
    vector = _weights([weights[k] for k in DEFAULT_LOYALTY_WEIGHTS], name="Loyalty weights")
    return 100 * _weighted_mean_ignoring_nan(vector, parts)


def satisfied_not_loyal(
    satisfaction: ArrayLike, loyalty: ArrayLike, sat_threshold: float, loyalty_threshold: float
) -> NDArray[np.bool_]:
    """Mask of customers with satisfaction ≥ sat_threshold but loyalty < loyalty_threshold
    ("satisfied customers defect", Jones & Sasser 1995, HBR 73(6)); unknown values → False."""
    satisfied = np.asarray(satisfaction, dtype=np.float64) >= sat_threshold
    loyal_value = np.asarray(loyalty, dtype=np.float64)
    return satisfied & (loyal_value < loyalty_threshold)
