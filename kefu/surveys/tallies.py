"""Results aggregates kept at write time ("tallies"), and the results computed from them.

No Django. `response_tallies` turns the answers of any set of submitted responses (the frames of
selectors.results_frames, with team/agent as ids) into additive rows

    kind, question_id, grp, item, col, bucket, n, total

so that the tallies of a survey are the sum of the tallies of its responses: response_save adds
one response's rows in its transaction, a rebuild sums them over all responses in chunks.
`results_from_tallies` then gives the same `analysis.SurveyResults` as `analysis.survey_results`
over the raw answers, reading a few thousand rows instead of millions.

kinds (grp is "" overall, "team:<id>", "agent:<id>", "channel:<c>", "tier:<t>" or
"day:YYYY-MM-DD", the UTC day of submission):

    responses   n = submitted responses
    value       per question, item, column and answer value (bucket, "" = no value: choice,
                text): n answers, total = sum of values. Distributions, means, t intervals,
                CSAT/NPS/CES (their scores only need the count of each value), points.
    respondents per question: respondents with at least one answer cell
    gap         per matrix row: n respondents with both expectation and perception, total P − E
    metric      per CSAT/NPS/CES question, group and value: n (breakdowns and trend)
    rater       per group and RATER dimension: n respondents with a score, total of their mean
                score; item "" = respondents (SERVQUAL perceptions or RATER statements)
    csi         per group ("" and days): n respondents, total of their CSI
    category    per group ("" and teams), category and col score/maximum/percent: n rows (for
                percent: rows with a value), total
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from kefu.surveys import analysis, scoring
from kefu.surveys.analysis import QuestionInfo, QuestionSummary, SurveyResults
from kefu.surveys.instruments import anonymity_ok
from kefu.surveys.scoring import RATER_DIMENSIONS, SERVQUAL_DIMENSIONS

SCHEMA: dict[str, Any] = {
    "kind": pl.Utf8,
    "question_id": pl.Int64,
    "grp": pl.Utf8,
    "item": pl.Utf8,
    "col": pl.Utf8,
    "bucket": pl.Utf8,
    "n": pl.Int64,
    "total": pl.Float64,
}
KEYS = ("kind", "question_id", "grp", "item", "col", "bucket")
METRICS = ("csat", "nps", "ces")
METRIC_GROUPS = ("team", "agent", "channel", "tier", "day")
RATER_GROUPS = ("", "team", "channel", "day")


def empty_tallies() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def _rows(frame: pl.DataFrame, kind: str, **constants: Any) -> pl.DataFrame:
    """`frame` with the tally columns (missing ones from `constants` or empty)."""
    columns = []
    for name, dtype in SCHEMA.items():
        if name == "kind":
            columns.append(pl.lit(kind, dtype=pl.Utf8).alias(name))
        elif name in constants:
            columns.append(pl.lit(constants[name], dtype=dtype).alias(name))
        elif name in frame.columns:
            columns.append(pl.col(name).cast(dtype).alias(name))
        else:
            default = 0 if name in ("question_id", "n") else (0.0 if name == "total" else "")
            columns.append(pl.lit(default, dtype=dtype).alias(name))
    return frame.select(columns)


def combine(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Sum tallies with the same key (one row per key, sorted: a stable lock order)."""
    frames = [f for f in frames if f.height]
    if not frames:
        return empty_tallies()
    return (
        pl.concat(frames)
        .group_by(KEYS)
        .agg(pl.col("n").sum(), pl.col("total").sum())
        .filter(pl.col("n") != 0)
        .sort(KEYS)
    )


def _grouped(
    scores: pl.DataFrame, people: pl.DataFrame, groups: Sequence[str], keep_empty: bool
) -> pl.DataFrame:
    """`scores` (response_id + anything) repeated once per group kind with a `grp` column."""
    joined = scores.join(people, on="response_id", how="inner")
    parts = []
    for group in groups:
        if group == "":
            parts.append(joined.with_columns(grp=pl.lit("")))
            continue
        part = joined.with_columns(grp=pl.lit(f"{group}:") + pl.col(group).fill_null(""))
        if not keep_empty:
            part = part.filter(pl.col(group).fill_null("") != "")
        parts.append(part)
    return pl.concat(parts) if parts else joined.with_columns(grp=pl.lit(""))


def _servqual_matrices(questions: Sequence[QuestionInfo]) -> list[QuestionInfo]:
    matrices = [q for q in questions if q.kind == "matrix" and q.items]
    items = [dim for q in matrices for _c, _l, dim in q.items]
    if not items or any(dim not in SERVQUAL_DIMENSIONS for dim in items):
        return []
    return matrices


def response_tallies(
    questions: Sequence[QuestionInfo],
    answers: pl.DataFrame,
    responses: pl.DataFrame,
    *,
    instrument: str = "custom",
) -> pl.DataFrame:
    """Additive tallies of the given submitted responses (see the module docstring).

    answers:   response_id, question_id, item, column, value (as analysis.py)
    responses: response_id, submitted_at, team, agent (ids as text, "" = none), channel, tier
    """
    answers = answers.with_columns(pl.col("item").cast(pl.Utf8), pl.col("column").cast(pl.Utf8))
    answers = answers.join(responses.select("response_id"), on="response_id", how="semi")
    people = responses.with_columns(
        day=pl.col("submitted_at").dt.strftime("%Y-%m-%d"),
        **{name: pl.col(name).fill_null("") for name in ("team", "agent", "channel", "tier")},
    ).select("response_id", "team", "agent", "channel", "tier", "day")
    parts = [_rows(pl.DataFrame({"n": [responses.height]}), "responses")]
    matrix_ids = [q.id for q in questions if q.kind == "matrix"]
    parts.append(
        _rows(
            answers.group_by(
                "question_id", "item", "column", bucket=pl.col("value").cast(pl.Utf8).fill_null("")
            )
            .agg(n=pl.len(), total=pl.col("value").sum())
            .rename({"column": "col"}),
            "value",
        )
    )
    parts.append(
        _rows(
            answers.filter(~pl.col("question_id").is_in(matrix_ids) | pl.col("value").is_not_null())
            .group_by("question_id")
            .agg(n=pl.col("response_id").n_unique()),
            "respondents",
        )
    )
    cells = answers.filter(pl.col("question_id").is_in(matrix_ids) & pl.col("value").is_not_null())
    perceived = pl.col("column") == "perception"
    pairs = (
        cells.filter(~perceived)
        .select("response_id", "question_id", "item", expectation="value")
        .join(
            cells.filter(perceived).select("response_id", "question_id", "item", "value"),
            on=["response_id", "question_id", "item"],
        )
    )
    parts.append(
        _rows(
            pairs.group_by("question_id", "item").agg(
                n=pl.len(), total=(pl.col("value") - pl.col("expectation")).sum()
            ),
            "gap",
        )
    )
    metric_ids = [q.id for q in questions if q.metric in METRICS and q.kind != "matrix"]
    if metric_ids:
        values = answers.filter(
            pl.col("question_id").is_in(metric_ids)
            & (pl.col("item") == "")
            & pl.col("value").is_not_null()
        ).select("response_id", "question_id", "value")
        parts.append(
            _rows(
                _grouped(values, people, METRIC_GROUPS, keep_empty=False)
                .group_by("question_id", "grp", bucket=pl.col("value").cast(pl.Utf8))
                .agg(n=pl.len(), total=pl.col("value").sum()),
                "metric",
            )
        )
    parts.extend(_rater_tallies(questions, answers, people, instrument))
    parts.extend(_csi_tallies(questions, answers, people, instrument))
    parts.extend(_category_tallies(questions, answers, people, instrument))
    return combine(parts)


def _rater_tallies(questions, answers, people, instrument) -> list[pl.DataFrame]:
    """Per respondent the mean score per RATER dimension (SERVQUAL perceptions or RATER
    statements, as analysis.perception_scores / dimension_scores), summed per group."""
    if instrument == "servqual":
        matrices = _servqual_matrices(questions)
        if not matrices:
            return []
        dimensions = {code: dim for q in matrices for code, _l, dim in q.items}
        cells = answers.filter(
            pl.col("question_id").is_in([q.id for q in matrices])
            & pl.col("value").is_not_null()
            & pl.col("item").is_in(list(dimensions))
        )
        respondents = cells.select("response_id").unique()
        long = (
            cells.filter(pl.col("column") == "perception")
            .with_columns(dimension=pl.col("item").replace_strict(dimensions, return_dtype=pl.Utf8))
            .group_by("response_id", "dimension")
            .agg(score=pl.col("value").mean())
        )
    elif instrument == "rater":
        wide = analysis.dimension_scores(questions, answers, RATER_DIMENSIONS)
        if wide.is_empty() or len(wide.columns) == 1:
            return []
        respondents = wide.select("response_id")
        long = wide.unpivot(
            index="response_id", variable_name="dimension", value_name="score"
        ).with_columns(pl.col("score").cast(pl.Float64))
    else:
        return []
    long = long.filter(pl.col("score").is_not_null() & pl.col("score").is_not_nan())
    return [
        _rows(
            _grouped(long, people, RATER_GROUPS, keep_empty=True)
            .group_by("grp", item="dimension")
            .agg(n=pl.len(), total=pl.col("score").sum()),
            "rater",
        ),
        _rows(
            _grouped(respondents, people, RATER_GROUPS, keep_empty=True)
            .group_by("grp")
            .agg(n=pl.len()),
            "rater",
        ),
    ]


def _csi_attributes(questions: Sequence[QuestionInfo]) -> list[QuestionInfo]:
    attributes = [q for q in questions if q.metric == "attribute" and q.scale]
    return attributes if len(attributes) >= 2 else []


def _csi_tallies(questions, answers, people, instrument) -> list[pl.DataFrame]:
    """Per respondent CSI = 100·(Σwᵢxᵢ/Σwᵢ over the answered attributes − min)/(max − min)."""
    attributes = _csi_attributes(questions) if instrument == "csi" else []
    if not attributes:
        return []
    low, high = attributes[0].scale
    weights = pl.DataFrame(
        {"question_id": [q.id for q in attributes], "weight": [q.weight for q in attributes]}
    )
    per_respondent = (
        answers.filter(pl.col("item") == "")
        .join(weights, on="question_id")
        .group_by("response_id")
        .agg(
            weighted=(pl.col("value") * pl.col("weight"))
            .filter(pl.col("value").is_not_null())
            .sum(),
            weight=pl.col("weight").filter(pl.col("value").is_not_null()).sum(),
        )
        .with_columns(csi=100 * (pl.col("weighted") / pl.col("weight") - low) / (high - low))
    )
    return [
        _rows(
            _grouped(per_respondent, people, ("", "day"), keep_empty=True)
            .group_by("grp")
            .agg(n=pl.len(), total=pl.col("csi").sum()),
            "csi",
        )
    ]


def _category_items(questions: Sequence[QuestionInfo], instrument: str) -> list[QuestionInfo]:
    if instrument not in ("employee", "self_assessment"):
        return []
    return [q for q in questions if q.scale and q.kind != "matrix" and q.dimension]


def _category_tallies(questions, answers, people, instrument) -> list[pl.DataFrame]:
    """Per respondent and category: score (sum), maximum (answered × top of scale) and percent,
    as instruments.self_assessment, summed per group ("" and teams)."""
    items = _category_items(questions, instrument)
    if not items:
        return []
    high = items[0].scale[1]
    categories = list(dict.fromkeys(q.dimension for q in items))
    cells = answers.filter(pl.col("question_id").is_in([q.id for q in items])).join(
        pl.DataFrame(
            {"question_id": [q.id for q in items], "category": [q.dimension for q in items]}
        ),
        on="question_id",
    )
    respondents = cells.select("response_id").unique()
    if respondents.is_empty():
        return []
    sums = cells.group_by("response_id", "category").agg(
        score=pl.col("value").sum(), answered=pl.col("value").is_not_null().sum()
    )
    per_respondent = (
        respondents.join(pl.DataFrame({"category": categories}), how="cross")
        .join(sums, on=["response_id", "category"], how="left")
        .with_columns(
            score=pl.col("score").fill_null(0.0),
            maximum=(pl.col("answered").fill_null(0) * high).cast(pl.Float64),
        )
        .with_columns(
            percent=pl.when(pl.col("maximum") > 0).then(100 * pl.col("score") / pl.col("maximum"))
        )
    )
    grouped = _grouped(per_respondent, people, ("", "team"), keep_empty=True)
    return [
        _rows(
            grouped.group_by("grp", item="category").agg(
                n=pl.col("percent").is_not_null().sum() if name == "percent" else pl.len(),
                total=pl.col(name).sum(),
            ),
            "category",
            col=name,
        )
        for name in ("score", "maximum", "percent")
    ]


# --------------------------------------------------------------------------- reading


def labelled(tallies: pl.DataFrame, names: Mapping[str, str]) -> pl.DataFrame:
    """Tallies with `group` (team, agent, channel, tier, period or "") and `name` (team name,
    username, channel, tier or month) instead of `grp`; ids missing from `names` (a deleted
    team or user) become "" as in the raw results. Rows that land on the same name and month
    are summed."""
    kind = pl.col("grp").str.split_exact(":", 1).struct.field("field_0")
    value = pl.col("grp").str.split_exact(":", 1).struct.field("field_1")
    lookup = pl.DataFrame(
        {"grp": list(names), "mapped": list(names.values())},
        schema={"grp": pl.Utf8, "mapped": pl.Utf8},
    )
    frame = tallies.join(lookup, on="grp", how="left").with_columns(
        group=pl.when(kind == "day").then(pl.lit("period")).otherwise(kind.fill_null("")),
        name=pl.when(kind == "day")
        .then(value.str.slice(0, 7))
        .when(kind.is_in(["team", "agent"]))
        .then(pl.col("mapped").fill_null(""))
        .otherwise(value.fill_null("")),
    )
    return (
        frame.group_by("kind", "question_id", "group", "name", "item", "col", "bucket")
        .agg(pl.col("n").sum(), pl.col("total").sum())
        .sort("kind", "question_id", "group", "name", "item", "col", "bucket")
    )


def _value_counts(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    numeric = frame.filter(pl.col("bucket") != "")
    return (
        numeric["bucket"].cast(pl.Float64).to_numpy(),
        numeric["n"].to_numpy().astype(np.int64),
    )


def _moments(values: np.ndarray, counts: np.ndarray) -> tuple[int, float | None, float | None]:
    n = int(counts.sum())
    if n == 0:
        return 0, None, None
    mean = float((values * counts).sum() / n)
    sd = math.sqrt(float((counts * (values - mean) ** 2).sum()) / (n - 1)) if n > 1 else None
    return n, mean, sd


def _question_summaries(
    questions: Sequence[QuestionInfo], values: pl.DataFrame, respondents: dict[int, int]
) -> list[QuestionSummary]:
    """As analysis.question_summaries, from value counts."""
    by_question = {key[0]: frame for key, frame in values.group_by(["question_id"])}
    summaries = []
    for question in questions:
        rows = by_question.get(question.id, values.clear())
        summary = QuestionSummary(question, n=0)
        scalar = rows.filter(pl.col("item") == "")
        if question.scale and question.kind != "matrix":
            low, high = question.scale
            numbers, counts = _value_counts(scalar)
            n, mean, sd = _moments(numbers, counts)
            if n:
                summary.n, summary.mean = n, mean
                if n > 1 and sd is not None:
                    from scipy import stats

                    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
                    summary.ci_low, summary.ci_high = mean - half, mean + half
            observed: dict[str, int] = {}
            for number, count in zip(numbers, counts, strict=True):
                key = str(int(number))
                observed[key] = observed.get(key, 0) + int(count)
            labels = [(str(v), str(v)) for v in range(low, high + 1)]
        elif question.kind == "points":
            summary.n = respondents.get(question.id, 0)
            sums = dict(
                rows.filter(pl.col("item") != "")
                .group_by("item")
                .agg(pl.col("total").sum())
                .iter_rows()
            )
            summary.distribution = (
                [
                    (label, summary.n, (sums.get(key) or 0) / 100 / summary.n)
                    for key, label in question.choices
                ]
                if summary.n
                else []
            )
            summaries.append(summary)
            continue
        else:
            observed = dict(
                rows.filter(pl.col("item") != "")
                .group_by("item")
                .agg(pl.col("n").sum())
                .iter_rows()
            )
            if question.kind in ("single", "multi"):
                labels = list(question.choices)
                summary.n = respondents.get(question.id, 0)
            elif question.kind == "text":
                summary.n = int(scalar.filter(pl.col("bucket") == "")["n"].sum())
                labels = []
            else:
                summary.n = respondents.get(question.id, 0)
                labels = []
        summary.distribution = analysis.distribution(labels, observed)
        summaries.append(summary)
    return summaries


def _metric_array(values: pl.DataFrame, question: QuestionInfo | None) -> np.ndarray:
    """The answers of a metric question rebuilt from their counts (np.repeat): the scoring
    functions then run unchanged — a million answers are a few megabytes."""
    if question is None:
        return np.zeros(0)
    numbers, counts = _value_counts(
        values.filter((pl.col("question_id") == question.id) & (pl.col("item") == ""))
    )
    return np.repeat(numbers, counts)


def _score(numbers: np.ndarray, counts: np.ndarray, metric: str) -> float:
    n = counts.sum()
    if metric == "csat":
        return float(counts[numbers >= 4].sum() / n * 100)
    if metric == "nps":
        return float((counts[numbers >= 9].sum() - counts[numbers <= 6].sum()) / n * 100)
    return float((numbers * counts).sum() / n)


def _breakdowns(
    metric_rows: pl.DataFrame, metric: str, floor: int
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {}
    for group in analysis.BREAKDOWNS:
        rows = []
        part = metric_rows.filter((pl.col("group") == group) & (pl.col("name") != ""))
        for (name,), frame in sorted(part.group_by(["name"]), key=lambda pair: pair[0][0]):
            numbers, counts = _value_counts(frame)
            n = int(counts.sum())
            if n < floor or n == 0:
                continue
            mean = float((numbers * counts).sum() / n)
            rows.append(
                {"group": name, "n": n, "mean": mean, "score": _score(numbers, counts, metric)}
            )
        if rows:
            result[group] = rows
    return result, result.get("period", [])


def _servqual(
    questions: Sequence[QuestionInfo],
    tallies: pl.DataFrame,
    respondents: dict[int, int],
    default_points: dict[str, float] | None,
) -> dict[str, Any] | None:
    matrices = _servqual_matrices(questions)
    if not matrices:
        return None
    values = tallies.filter(
        (pl.col("kind") == "value")
        & pl.col("question_id").is_in([q.id for q in matrices])
        & (pl.col("bucket") != "")
    )
    if values.is_empty():
        return None
    items = [(code, label, dim) for q in matrices for code, label, dim in q.items]
    cells = values.group_by("item", perceived=pl.col("col") == "perception").agg(
        pl.col("n").sum(), pl.col("total").sum()
    )
    means = {(r["item"], r["perceived"]): r["total"] / r["n"] for r in cells.iter_rows(named=True)}
    gaps = {
        r["item"]: (r["n"], r["total"])
        for r in tallies.filter(pl.col("kind") == "gap")
        .group_by("item")
        .agg(pl.col("n").sum(), pl.col("total").sum())
        .iter_rows(named=True)
    }
    item_gaps = np.array(
        [gaps[c][1] / gaps[c][0] if gaps.get(c, (0, 0))[0] else np.nan for c, _l, _d in items]
    )
    dims = [d for _c, _l, d in items]
    indicator = scoring._dimension_indicator(dims, len(items))
    points = _importance_points(questions, tallies, respondents) or default_points or None
    vector = None if points is None else scoring._importance_vector(points)
    answered = ~np.isnan(item_gaps)
    with np.errstate(invalid="ignore", divide="ignore"):
        dimension_gaps = (np.where(answered, item_gaps, 0.0) @ indicator) / (answered @ indicator)
    present = indicator.sum(axis=0) > 0
    unweighted = float(scoring._nanmean_rows(dimension_gaps[None, present])[0])
    if vector is None:
        weighted = float("nan")
    else:
        used = vector > 0
        weighted = float(dimension_gaps[used] @ vector[used] / 100)
    overall = tallies.filter((pl.col("kind") == "rater") & (pl.col("group") == ""))
    clean = analysis._clean
    return {
        "n": int(overall.filter(pl.col("item") == "")["n"].sum()),
        "items": [
            {
                "code": code,
                "label": label,
                "dimension": dim,
                "expectation": means.get((code, False)),
                "perception": means.get((code, True)),
                "gap": clean(float(item_gaps[i])),
            }
            for i, (code, label, dim) in enumerate(items)
        ],
        "dimensions": {
            d: clean(g) for d, g in zip(SERVQUAL_DIMENSIONS, dimension_gaps.tolist(), strict=True)
        },
        "unweighted": clean(unweighted),
        "weighted": clean(weighted),
        "points": points,
        "matrix_counts": {q.id: respondents.get(q.id, 0) for q in matrices},
    }


def _importance_points(
    questions: Sequence[QuestionInfo], tallies: pl.DataFrame, respondents: dict[int, int]
) -> dict[str, float] | None:
    question = next((q for q in questions if q.kind == "points"), None)
    if question is None or {c for c, _l in question.choices} != set(SERVQUAL_DIMENSIONS):
        return None
    count = respondents.get(question.id, 0)
    if count == 0:
        return None
    sums = dict(
        tallies.filter((pl.col("kind") == "value") & (pl.col("question_id") == question.id))
        .group_by("item")
        .agg(pl.col("total").sum())
        .iter_rows()
    )
    points = {d: float(sums.get(d, 0.0)) / count for d in SERVQUAL_DIMENSIONS}
    total = sum(points.values())
    return {d: 100 * v / total for d, v in points.items()} if total else None


def _rater(questions: Sequence[QuestionInfo], tallies: pl.DataFrame) -> dict[str, Any] | None:
    rows = tallies.filter(pl.col("kind") == "rater")
    if rows.filter((pl.col("group") == "") & (pl.col("item") == ""))["n"].sum() == 0:
        return None
    scales = [
        q.scale
        for q in questions
        if q.scale and (q.dimension in RATER_DIMENSIONS or q.kind == "matrix")
    ]
    low, high = scales[0] if scales else (1, 7)
    span = high - low

    def index_rows(group: str) -> list[dict[str, Any]]:
        part = rows.filter(pl.col("group") == group)
        out = []
        for (name,), frame in sorted(part.group_by(["name"]), key=lambda pair: pair[0][0]):
            sums = {r["item"]: (r["n"], r["total"]) for r in frame.iter_rows(named=True)}
            row: dict[str, Any] = {group: name} if group else {}
            for dimension in RATER_DIMENSIONS:
                n, total = sums.get(dimension, (0, 0.0))
                row[dimension] = (total / n - low) / span * 100 if n else None
            given = [row[d] for d in RATER_DIMENSIONS if row[d] is not None]
            row["overall"] = sum(given) / len(given) if given else None
            row["n"] = int(sums.get("", (0, 0.0))[0])
            out.append(row)
        return out

    block: dict[str, Any] = {"overall": index_rows("")[0], "scale": (low, high)}
    for group in ("period", "team", "channel"):
        block[group] = index_rows(group)
    return block


def _csi(questions: Sequence[QuestionInfo], tallies: pl.DataFrame) -> dict[str, Any] | None:
    attributes = _csi_attributes(questions)
    rows = tallies.filter(pl.col("kind") == "csi")
    if not attributes or rows.filter(pl.col("group") == "")["n"].sum() == 0:
        return None
    low, high = attributes[0].scale
    weights = np.array([q.weight for q in attributes], dtype=np.float64)
    values = tallies.filter((pl.col("kind") == "value") & (pl.col("item") == ""))
    means = []
    for question in attributes:
        n, mean, _sd = _moments(*_value_counts(values.filter(pl.col("question_id") == question.id)))
        means.append(mean if n else np.nan)
    means_array = np.array(means, dtype=np.float64)
    index = scoring.csi(weights, means_array, scale_min=low, scale_max=high)
    trend = [
        {"period": r["name"], "csi": r["total"] / r["n"], "n": r["n"]}
        for r in rows.filter(pl.col("group") == "period").sort("name").iter_rows(named=True)
    ]
    quadrants = scoring.priority_matrix(
        weights / weights.sum() * 100, means_array, [q.text for q in attributes]
    )
    return {
        "index": analysis._clean(float(index)),
        "attributes": quadrants.rows(named=True),
        "trend": trend,
    }


def _categories(
    questions: Sequence[QuestionInfo],
    tallies: pl.DataFrame,
    instrument: str,
    category_names: Mapping[str, str],
    min_group_size: int,
) -> dict[str, Any] | None:
    items = _category_items(questions, instrument)
    rows = tallies.filter(pl.col("kind") == "category")
    if not items or rows.is_empty():
        return None
    order = list(dict.fromkeys(q.dimension for q in items))
    cells = {
        (r["group"], r["name"], r["item"], r["col"]): (r["n"], r["total"])
        for r in rows.iter_rows(named=True)
    }

    def mean(group: str, name: str, category: str, column: str) -> float:
        count = cells.get((group, name, category, "score"), (0, 0.0))[0]
        n, total = cells.get((group, name, category, column), (0, 0.0))
        return float("nan") if n < count or not count else total / count

    categories = []
    for category in order:
        row = {c: mean("", "", category, c) for c in ("score", "maximum", "percent")}
        categories.append(
            {"category": category, **row, "label": category_names.get(category, category)}
        )
    teams = sorted({name for group, name, _i, _c in cells if group == "team"})
    sizes = {
        team: max(cells.get(("team", team, c, "score"), (0, 0.0))[0] for c in order)
        for team in teams
    }
    allowed = {
        team
        for team, ok in zip(
            teams, anonymity_ok(np.array([sizes[t] for t in teams]), min_group_size), strict=True
        )
        if ok
    }
    by_team = [
        {
            "team": team,
            "category": category,
            "percent": mean("team", team, category, "percent"),
            "n": cells[("team", team, category, "score")][0],
            "label": category_names.get(category, category),
        }
        for team in teams
        for category in sorted(order)
        if team in allowed and team and ("team", team, category, "score") in cells
    ]
    return {
        "n": int(cells.get(("", "", order[0], "score"), (0, 0.0))[0]),
        "categories": categories,
        "teams": by_team,
        "hidden_teams": len([t for t in teams if t and t not in allowed]),
        "min_group_size": min_group_size,
    }


def results_from_tallies(
    questions: Sequence[QuestionInfo],
    tallies: pl.DataFrame,
    *,
    invited: int = 0,
    instrument: str = "custom",
    min_group_size: int = 5,
    anonymous: bool = False,
    importance_points: dict[str, float] | None = None,
    category_names: dict[str, str] | None = None,
) -> SurveyResults:
    """analysis.survey_results from `labelled` tallies (no raw answers)."""
    count = int(tallies.filter(pl.col("kind") == "responses")["n"].sum())
    values = tallies.filter((pl.col("kind") == "value") & (pl.col("group") == ""))
    respondents = {
        int(r["question_id"]): int(r["n"])
        for r in tallies.filter(pl.col("kind") == "respondents")
        .group_by("question_id")
        .agg(pl.col("n").sum())
        .iter_rows(named=True)
    }
    servqual = (
        _servqual(questions, tallies, respondents, importance_points)
        if instrument == "servqual"
        else None
    )
    results = SurveyResults(
        responses=count,
        invited=invited,
        response_rate=(count / invited) if invited else None,
        questions=_question_summaries(questions, values, respondents),
        servqual=servqual,
    )
    for metric in METRICS:
        question = next((q for q in questions if q.metric == metric), None)
        array = _metric_array(values, question)
        if array.size == 0:
            continue
        if metric == "csat":
            results.csat = scoring.csat(array)
        elif metric == "nps":
            results.nps = scoring.nps(array)
        else:
            results.ces = scoring.ces(array)
    metric = analysis.headline_metric(questions)
    if metric:
        question = next(q for q in questions if q.metric == metric)
        metric_rows = tallies.filter(
            (pl.col("kind") == "metric") & (pl.col("question_id") == question.id)
        )
        results.breakdowns, results.trend = _breakdowns(
            metric_rows, metric, min_group_size if anonymous else 1
        )
    if (instrument == "servqual" and results.servqual) or instrument == "rater":
        results.rater = _rater(questions, tallies)
    if instrument == "csi":
        results.csi = _csi(questions, tallies)
    if instrument in ("employee", "self_assessment"):
        results.dimensions = _categories(
            questions, tallies, instrument, category_names or {}, min_group_size
        )
    return results
