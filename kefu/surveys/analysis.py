"""Results of one survey from its answers in bulk: polars group-bys, then the scoring functions.

No Django. Inputs are two frames loaded by selectors.results_frames (or built by hand):

    answers    response_id, question_id, item (str), column (str), value (f64, null = choice/text)
    responses  response_id, submitted_at (datetime), team, agent, channel, tier (str, "" = none)

and `QuestionInfo` rows. Nothing here loops over respondents: group-bys and matrix scatter.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from kefu.surveys import scoring
from kefu.surveys.instruments import anonymity_ok, self_assessment
from kefu.surveys.scoring import RATER_DIMENSIONS, SERVQUAL_DIMENSIONS

SCALES = {"likert5": (1, 5), "likert7": (1, 7), "scale10": (0, 10)}
BREAKDOWNS = ("team", "agent", "channel", "tier", "period")


@dataclass(frozen=True)
class QuestionInfo:
    id: int
    code: str
    kind: str
    text: str
    metric: str = ""
    dimension: str = ""
    weight: float = 1.0
    scale_kind: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (id, label)
    items: tuple[tuple[str, str, str], ...] = ()  # (id, label, dimension)

    @property
    def scale(self) -> tuple[int, int] | None:
        return SCALES.get(self.scale_kind if self.kind == "matrix" else self.kind)


@dataclass
class QuestionSummary:
    question: QuestionInfo
    n: int
    mean: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    distribution: list[tuple[str, int, float]] = field(default_factory=list)  # label, n, share


@dataclass
class SurveyResults:
    responses: int
    invited: int
    response_rate: float | None
    questions: list[QuestionSummary]
    csat: scoring.CsatResult | None = None
    nps: scoring.NpsResult | None = None
    ces: scoring.CesResult | None = None
    servqual: dict[str, Any] | None = None
    rater: dict[str, Any] | None = None
    csi: dict[str, Any] | None = None
    dimensions: dict[str, Any] | None = None  # employee survey / self-assessment
    breakdowns: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    trend: list[dict[str, Any]] = field(default_factory=list)


def _clean(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def empty_answers() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "response_id": pl.Int64,
            "question_id": pl.Int64,
            "item": pl.Utf8,
            "column": pl.Utf8,
            "value": pl.Float64,
        }
    )


def empty_responses() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "response_id": pl.Int64,
            "submitted_at": pl.Datetime("us"),
            **{name: pl.Utf8 for name in ("team", "agent", "channel", "tier")},
        }
    )


# --------------------------------------------------------------------------- per question


def distribution(labels, observed: dict) -> list[tuple[str, int, float]]:
    """(label, count, share) for each (key, label), shares of the labelled answers' total."""
    total = sum(observed.get(key, 0) for key, _label in labels)
    return [
        (label, observed.get(key, 0), observed.get(key, 0) / total if total else 0.0)
        for key, label in labels
    ]


def question_summaries(
    questions: Sequence[QuestionInfo],
    answers: pl.DataFrame,
    matrix_counts: dict[int, int] | None = None,
) -> list[QuestionSummary]:
    """n, mean with a t interval, and the distribution of every question, from two group-bys."""
    plain_ids = [q.id for q in questions if q.kind != "matrix"]
    matrix_ids = [q.id for q in questions if q.kind == "matrix"]
    # Matrix cells (most of the rows in a SERVQUAL survey) only need a respondent count here.
    plain = answers.filter(pl.col("question_id").is_in(plain_ids)).with_columns(
        pl.col("item").cast(pl.Utf8)
    )
    scalar = plain.filter(pl.col("item") == "")
    numeric = scalar.filter(pl.col("value").is_not_null())
    moments = {
        row["question_id"]: row
        for row in numeric.group_by("question_id")
        .agg(
            n=pl.len(),
            mean=pl.col("value").mean(),
            sd=pl.col("value").std(ddof=1),
        )
        .iter_rows(named=True)
    }
    counts: dict[int, dict[str, int]] = {}
    grouped = (
        plain.filter(pl.col("value").is_not_null() | (pl.col("item") != ""))
        .with_columns(
            key=pl.when(pl.col("item") == "")
            .then(pl.col("value").cast(pl.Int64).cast(pl.Utf8))
            .otherwise(pl.col("item"))
        )
        .group_by("question_id", "key")
        .agg(n=pl.len())
    )
    for row in grouped.iter_rows(named=True):
        counts.setdefault(row["question_id"], {})[row["key"]] = row["n"]
    respondents = dict(
        plain.group_by("question_id").agg(pl.col("response_id").n_unique()).iter_rows()
    )
    if matrix_counts is not None:
        respondents.update(matrix_counts)
    elif matrix_ids:
        respondents.update(
            answers.filter(pl.col("question_id").is_in(matrix_ids))
            .group_by("question_id")
            .agg(pl.col("response_id").n_unique())
            .iter_rows()
        )
    points = {
        (row["question_id"], row["item"]): row["value"]
        for row in plain.filter(pl.col("item") != "")
        .group_by("question_id", "item")
        .agg(pl.col("value").sum())
        .iter_rows(named=True)
    }
    texts = {
        row["question_id"]: row["n"]
        for row in scalar.filter(pl.col("value").is_null())
        .group_by("question_id")
        .agg(n=pl.len())
        .iter_rows(named=True)
    }
    summaries = []
    for question in questions:
        summary = QuestionSummary(question, n=0)
        observed = counts.get(question.id, {})
        if question.scale and question.kind != "matrix":
            low, high = question.scale
            moment = moments.get(question.id)
            if moment:
                n, mean, sd = moment["n"], moment["mean"], moment["sd"]
                summary.n, summary.mean = n, mean
                if n > 1 and sd is not None:
                    from scipy import stats

                    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
                    summary.ci_low, summary.ci_high = mean - half, mean + half
            labels = [(str(v), str(v)) for v in range(low, high + 1)]
        elif question.kind == "points":
            # Mean points per choice over the respondents (shares of 100).
            summary.n = respondents.get(question.id, 0)
            summary.distribution = (
                [
                    (label, summary.n, (points.get((question.id, key)) or 0) / 100 / summary.n)
                    for key, label in question.choices
                ]
                if summary.n
                else []
            )
            summaries.append(summary)
            continue
        elif question.kind in ("single", "multi"):
            labels = list(question.choices)
            summary.n = respondents.get(question.id, 0)
        elif question.kind == "text":
            summary.n = texts.get(question.id, 0)
            labels = []
        else:  # matrix: rows are summarised by the instrument blocks
            summary.n = respondents.get(question.id, 0)
            labels = []
        summary.distribution = distribution(labels, observed)
        summaries.append(summary)
    return summaries


def metric_values(
    questions: Sequence[QuestionInfo], answers: pl.DataFrame, metric: str
) -> pl.DataFrame:
    """response_id, value of the first question with `metric` (empty frame when none)."""
    question = next((q for q in questions if q.metric == metric), None)
    if question is None:
        return pl.DataFrame(schema={"response_id": pl.Int64, "value": pl.Float64})
    return answers.filter(
        (pl.col("question_id") == question.id)
        & (pl.col("item") == "")
        & pl.col("value").is_not_null()
    ).select("response_id", "value")


# --------------------------------------------------------------------------- instruments


def _response_index(answers: pl.DataFrame) -> pl.DataFrame:
    ids = answers["response_id"].unique().sort()
    return pl.DataFrame({"response_id": ids, "row": np.arange(len(ids))})


def _row_positions(response_ids: np.ndarray, known_ids: np.ndarray) -> np.ndarray:
    """Row of each answer in a respondents × items matrix (`known_ids` sorted): a lookup table
    when the ids are dense enough (database ids of one survey usually are), else binary search."""
    ids = np.asarray(response_ids)
    if len(known_ids) == 0:
        return np.zeros(0, dtype=np.int64)
    low, span = int(known_ids[0]), int(known_ids[-1] - known_ids[0]) + 1
    if span == len(known_ids):  # consecutive ids: the row is the offset
        return (ids - low).astype(np.int64, copy=False)
    if span <= 20 * len(known_ids) + 1000:
        table = np.full(span, -1, dtype=np.int32)
        table[known_ids - low] = np.arange(len(known_ids), dtype=np.int32)
        return table[ids - low]
    return np.searchsorted(known_ids, ids)


def _positions(column: pl.Series, mapping: dict[str, int]) -> np.ndarray:
    """mapping[value] for each value of a string or categorical column (−1 when absent)."""
    if column.dtype == pl.Categorical:
        distinct = column.drop_nulls().unique()
        distinct_codes = distinct.cat.physical().to_numpy().astype(np.int64)
        size = int(distinct_codes.max(initial=0)) + 2
        table = np.full(size, -1, dtype=np.int32)
        table[distinct_codes] = [mapping.get(value, -1) for value in distinct.to_list()]
        return table[column.cat.physical().fill_null(size - 1).to_numpy()]
    return column.replace_strict(mapping, default=-1, return_dtype=pl.Int32).to_numpy()


def servqual_block(
    questions: Sequence[QuestionInfo],
    answers: pl.DataFrame,
    default_points: dict[str, float] | None,
    response_ids: np.ndarray | None = None,
) -> dict[str, Any] | None:
    """SERVQUAL gaps per item and dimension, unweighted and importance-weighted (M44).

    The expectation and perception matrices are filled by one numpy scatter (rows from a
    response-id lookup table, columns from a small item → position map): no joins, no copies
    of the answer frame."""
    matrices = [q for q in questions if q.kind == "matrix" and q.items]
    items = [(code, label, dim) for q in matrices for code, label, dim in q.items]
    if not items or any(dim not in SERVQUAL_DIMENSIONS for _c, _l, dim in items):
        return None
    # Masks over the whole frame instead of a filtered copy: the SERVQUAL cells are most rows.
    question_ids = answers["question_id"].to_numpy()
    values = answers["value"].to_numpy()
    in_matrix = np.isin(question_ids, [q.id for q in matrices]) & ~np.isnan(values)
    if not in_matrix.any():
        return None
    ids = answers["response_id"].to_numpy()
    known = np.unique(ids[in_matrix]) if response_ids is None else np.asarray(response_ids)
    position = {code: 2 * i for i, (code, _label, _dim) in enumerate(items)}
    item_positions = _positions(answers["item"], position)
    perceived = (answers["column"] == "perception").to_numpy()
    keep = in_matrix & (item_positions >= 0)
    columns = item_positions[keep] + perceived[keep]
    rows = _row_positions(ids[keep], known)
    matrix = np.full((len(known), 2 * len(items)), np.nan)
    matrix[rows, columns] = values[keep]
    answered = np.bincount(rows, minlength=len(known)) > 0
    if not answered.all():
        matrix, known = matrix[answered], known[answered]
    expectation, perception = matrix[:, 0::2], matrix[:, 1::2]
    points = _importance_points(questions, answers) or default_points or None
    result = scoring.servqual(expectation, perception, [d for _c, _l, d in items], points)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        e_means = np.nanmean(expectation, axis=0)
        p_means = np.nanmean(perception, axis=0)
    return {
        "n": len(known),
        "items": [
            {
                "code": code,
                "label": label,
                "dimension": dim,
                "expectation": _clean(float(e_means[i])),
                "perception": _clean(float(p_means[i])),
                "gap": _clean(float(result.item_gaps[i])),
            }
            for i, (code, label, dim) in enumerate(items)
        ],
        "dimensions": {d: _clean(g) for d, g in result.dimension_gaps.items()},
        "unweighted": _clean(result.unweighted_score),
        "weighted": _clean(result.weighted_score),
        "points": points,
        "perception": perception,
        "response_ids": known,
        "item_dimensions": [d for _c, _l, d in items],
        "matrix_counts": {
            question.id: int(np.count_nonzero(answered_by_question))
            for question, answered_by_question in _answered_by_question(matrices, matrix)
        },
    }


def _answered_by_question(matrices: Sequence[QuestionInfo], matrix: np.ndarray):
    """(question, rows with at least one answered cell of that question's items)."""
    start = 0
    for question in matrices:
        width = 2 * len(question.items)
        yield question, ~np.isnan(matrix[:, start : start + width]).all(axis=1)
        start += width


def _importance_points(
    questions: Sequence[QuestionInfo], answers: pl.DataFrame
) -> dict[str, float] | None:
    """Mean points per dimension over respondents who shared their 100 points."""
    question = next((q for q in questions if q.kind == "points"), None)
    if question is None or {c for c, _l in question.choices} != set(SERVQUAL_DIMENSIONS):
        return None
    given = answers.filter(pl.col("question_id") == question.id)
    respondents = given["response_id"].n_unique()
    if respondents == 0:
        return None
    sums = dict(given.group_by("item").agg(pl.col("value").sum()).iter_rows())
    points = {d: float(sums.get(d, 0.0)) / respondents for d in SERVQUAL_DIMENSIONS}
    total = sum(points.values())
    return {d: 100 * v / total for d, v in points.items()} if total else None


def dimension_scores(
    questions: Sequence[QuestionInfo], answers: pl.DataFrame, dimensions: Sequence[str]
) -> pl.DataFrame:
    """response_id + one column per dimension: the respondent's mean answer on its items
    (scale questions with that dimension, or perception cells of matrix rows)."""
    scale_dims = {
        q.id: q.dimension for q in questions if q.scale and q.kind != "matrix" and q.dimension
    }
    row_dims = {
        (q.id, code): dim for q in questions if q.kind == "matrix" for code, _l, dim in q.items
    }
    frames = []
    if scale_dims:
        frames.append(
            answers.filter(pl.col("question_id").is_in(list(scale_dims)) & (pl.col("item") == ""))
            .with_columns(
                dimension=pl.col("question_id").replace_strict(scale_dims, return_dtype=pl.Utf8)
            )
            .select("response_id", "dimension", "value")
        )
    if row_dims:
        lookup = pl.DataFrame(
            {
                "question_id": [k[0] for k in row_dims],
                "item": [k[1] for k in row_dims],
                "dimension": list(row_dims.values()),
            }
        ).with_columns(pl.col("item").cast(answers.schema["item"]))
        perceived = answers.filter(
            pl.col("question_id").is_in(list({k[0] for k in row_dims}))
            & pl.col("column").is_in(["perception", ""])
            & (pl.col("item") != "")
        )
        frames.append(
            perceived.join(lookup, on=["question_id", "item"]).select(
                "response_id", "dimension", "value"
            )
        )
    if not frames:
        return pl.DataFrame(schema={"response_id": pl.Int64})
    long = pl.concat(frames).filter(pl.col("dimension").is_in(list(dimensions)))
    if long.is_empty():
        return pl.DataFrame(schema={"response_id": pl.Int64})
    wide = (
        long.group_by("response_id", "dimension")
        .agg(pl.col("value").mean())
        .pivot(on="dimension", index="response_id", values="value")
    )
    for dimension in dimensions:
        if dimension not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(dimension))
    return wide.select("response_id", *dimensions)


def perception_scores(block: dict[str, Any]) -> pl.DataFrame:
    """response_id + mean perception per dimension, from the SERVQUAL block's matrix (numpy)."""
    perception, dimensions = block["perception"], np.array(block["item_dimensions"])
    columns = {"response_id": block["response_ids"]}
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-unanswered dimension → NaN
        for dimension in RATER_DIMENSIONS:
            columns[dimension] = np.nanmean(perception[:, dimensions == dimension], axis=1)
    return pl.DataFrame(columns)


def rater_block(
    questions: Sequence[QuestionInfo],
    answers: pl.DataFrame,
    responses: pl.DataFrame,
    scores: pl.DataFrame | None = None,
) -> dict[str, Any] | None:
    """RATER index 0–100 per dimension: overall, and per period, team and channel (M29)."""
    if scores is None:
        scores = dimension_scores(questions, answers, RATER_DIMENSIONS)
    if scores.is_empty() or len(scores.columns) == 1:
        return None
    scales = [
        q.scale
        for q in questions
        if q.scale and (q.dimension in RATER_DIMENSIONS or q.kind == "matrix")
    ]
    low, high = scales[0] if scales else (1, 7)
    frame = scores.join(_with_period(responses), on="response_id", how="left")
    overall = scoring.rater_index(frame, scale_min=low, scale_max=high)
    block: dict[str, Any] = {"overall": overall.row(0, named=True), "scale": (low, high)}
    for group in ("period", "team", "channel"):
        grouped = scoring.rater_index(
            frame.with_columns(pl.col(group).fill_null("")),
            scale_min=low,
            scale_max=high,
            group_by=[group],
        )
        block[group] = grouped.rows(named=True)
    return block


def csi_block(
    questions: Sequence[QuestionInfo], answers: pl.DataFrame, responses
) -> dict[str, Any] | None:
    """CSI over the attribute questions (importance = their weights), the priority matrix and a
    monthly trend (M5, Martilla & James quadrants)."""
    attributes = [q for q in questions if q.metric == "attribute" and q.scale]
    if len(attributes) < 2:
        return None
    codes = [q.dimension or q.code or str(q.id) for q in attributes]
    scores = dimension_scores(
        [
            QuestionInfo(q.id, q.code, q.kind, q.text, dimension=c)
            for q, c in zip(attributes, codes, strict=True)
        ],
        answers,
        codes,
    )
    if scores.is_empty():
        return None
    low, high = attributes[0].scale
    weights = np.array([q.weight for q in attributes], dtype=np.float64)
    matrix = scores.select(codes).to_numpy().astype(np.float64)
    with np.errstate(invalid="ignore"):
        means = np.nanmean(matrix, axis=0)
    index = scoring.csi(weights, means, scale_min=low, scale_max=high)
    per_respondent = scoring.csi(weights, matrix, scale_min=low, scale_max=high)
    trend = (
        pl.DataFrame({"response_id": scores["response_id"], "csi": per_respondent})
        .join(_with_period(responses).select("response_id", "period"), on="response_id")
        .group_by("period")
        .agg(pl.col("csi").mean(), n=pl.len())
        .sort("period")
    )
    quadrants = scoring.priority_matrix(
        weights / weights.sum() * 100, means, [q.text for q in attributes]
    )
    return {
        "index": _clean(float(index)),
        "attributes": quadrants.rows(named=True),
        "trend": trend.rows(named=True),
    }


def category_block(
    questions: Sequence[QuestionInfo],
    answers: pl.DataFrame,
    responses: pl.DataFrame,
    category_names: dict[str, str],
    min_group_size: int,
) -> dict[str, Any] | None:
    """Employee survey / self-assessment: score and % of the maximum per category (M42, M47),
    and per team only for teams with at least `min_group_size` respondents."""
    items = [q for q in questions if q.scale and q.kind != "matrix" and q.dimension]
    if not items:
        return None
    index = _response_index(answers.filter(pl.col("question_id").is_in([q.id for q in items])))
    if index.is_empty():
        return None
    matrix = np.full((len(index), len(items)), np.nan)
    positions = pl.DataFrame({"question_id": [q.id for q in items], "col": np.arange(len(items))})
    picked = answers.join(index, on="response_id").join(positions, on="question_id")
    matrix[picked["row"].to_numpy(), picked["col"].to_numpy()] = picked["value"].to_numpy()
    high = items[0].scale[1]
    per_respondent = self_assessment(matrix, [q.dimension for q in items], scale_max=high)
    per_respondent = per_respondent.with_columns(
        response_id=pl.Series(
            np.repeat(index["response_id"].to_numpy(), per_respondent.height // len(index))
        )
    )
    summary = per_respondent.group_by("category", maintain_order=True).agg(
        score=pl.col("score").mean(),
        maximum=pl.col("maximum").mean(),
        percent=pl.col("percent").mean(),
    )
    categories = [
        {**row, "label": category_names.get(row["category"], row["category"])}
        for row in summary.iter_rows(named=True)
    ]
    teams = (
        per_respondent.join(responses.select("response_id", "team"), on="response_id", how="left")
        .with_columns(pl.col("team").fill_null(""))
        .group_by("team", "category")
        .agg(percent=pl.col("percent").mean(), n=pl.col("response_id").n_unique())
        .sort("team", "category")
    )
    sizes = teams.group_by("team").agg(n=pl.col("n").max())
    allowed = set(
        sizes.filter(pl.Series(anonymity_ok(sizes["n"].to_numpy(), min_group_size)))[
            "team"
        ].to_list()
    )
    by_team = [
        {**row, "label": category_names.get(row["category"], row["category"])}
        for row in teams.iter_rows(named=True)
        if row["team"] in allowed and row["team"]
    ]
    hidden = sorted(t for t in sizes["team"].to_list() if t and t not in allowed)
    return {
        "n": len(index),
        "categories": categories,
        "teams": by_team,
        "hidden_teams": len(hidden),
        "min_group_size": min_group_size,
    }


# --------------------------------------------------------------------------- breakdowns


def _with_period(responses: pl.DataFrame) -> pl.DataFrame:
    return responses.with_columns(period=pl.col("submitted_at").dt.strftime("%Y-%m"))


def breakdowns(
    values: pl.DataFrame, responses: pl.DataFrame, metric: str, min_group_size: int
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """The headline metric by team/agent/channel/tier/period; groups below `min_group_size`
    are left out (k-anonymity). Also the monthly trend."""
    if values.is_empty():
        return {}, []
    frame = values.join(_with_period(responses), on="response_id", how="inner")
    score = _metric_expression(metric)
    result: dict[str, list[dict[str, Any]]] = {}
    for group in BREAKDOWNS:
        grouped = (
            frame.with_columns(pl.col(group).fill_null(""))
            .filter(pl.col(group) != "")
            .group_by(group)
            .agg(n=pl.len(), mean=pl.col("value").mean(), score=score)
            .filter(pl.col("n") >= min_group_size)
            .sort(group)
        )
        if grouped.height:
            result[group] = [
                {"group": row[group], "n": row["n"], "mean": row["mean"], "score": row["score"]}
                for row in grouped.iter_rows(named=True)
            ]
    trend = result.get("period", [])
    return result, trend


def _metric_expression(metric: str) -> pl.Expr:
    value = pl.col("value")
    if metric == "csat":
        return (value >= 4).mean() * 100
    if metric == "nps":
        return ((value >= 9).cast(pl.Float64) - (value <= 6).cast(pl.Float64)).mean() * 100
    return value.mean()


def headline_metric(questions: Sequence[QuestionInfo]) -> str:
    for metric in ("csat", "nps", "ces"):
        if any(q.metric == metric for q in questions):
            return metric
    return ""


def survey_results(
    questions: Sequence[QuestionInfo],
    answers: pl.DataFrame,
    responses: pl.DataFrame,
    *,
    invited: int = 0,
    instrument: str = "custom",
    min_group_size: int = 5,
    anonymous: bool = False,
    importance_points: dict[str, float] | None = None,
    category_names: dict[str, str] | None = None,
) -> SurveyResults:
    """Everything the results page and the API show for one survey."""
    count = responses.height
    servqual = None
    if instrument == "servqual":
        servqual = servqual_block(
            questions,
            answers,
            importance_points,
            np.sort(responses["response_id"].to_numpy()) if responses.height else None,
        )
    results = SurveyResults(
        responses=count,
        invited=invited,
        response_rate=(count / invited) if invited else None,
        questions=question_summaries(
            questions, answers, servqual["matrix_counts"] if servqual else None
        ),
        servqual=servqual,
    )
    for metric in ("csat", "nps", "ces"):
        values = metric_values(questions, answers, metric)["value"].to_numpy()
        if values.size == 0:
            continue
        if metric == "csat":
            results.csat = scoring.csat(values)
        elif metric == "nps":
            results.nps = scoring.nps(values)
        else:
            results.ces = scoring.ces(values)
    metric = headline_metric(questions)
    group_floor = min_group_size if anonymous else 1
    if metric:
        results.breakdowns, results.trend = breakdowns(
            metric_values(questions, answers, metric), responses, metric, group_floor
        )
    if instrument == "servqual" and results.servqual:
        scores = perception_scores(results.servqual)
        results.rater = rater_block(questions, answers, responses, scores)
    elif instrument == "rater":
        results.rater = rater_block(questions, answers, responses)
    if instrument == "csi":
        results.csi = csi_block(questions, answers, responses)
    if instrument in ("employee", "self_assessment"):
        results.dimensions = category_block(
            questions, answers, responses, category_names or {}, min_group_size
        )
    return results
