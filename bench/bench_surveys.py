"""Benchmark of the survey-scoring core (kefu.surveys): big SERVQUAL batches and friends.

Run: .venv/bin/python bench/bench_surveys.py [--quick]
Prints each figure against its target and exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import numpy as np
import polars as pl

from kefu.surveys import analysis
from kefu.surveys.analysis import QuestionInfo
from kefu.surveys.instruments import SERVQUAL_ITEM_DIMENSIONS, SERVQUAL_ITEMS
from kefu.surveys.scoring import RATER_DIMENSIONS, SERVQUAL_DIMENSIONS, nps, rater_index, servqual
from kefu.surveys.waterfall import STAGES, transition_matrix, waterfall_stage


def timed(function: Callable[[], object], repeats: int = 3) -> float:
    """Best wall-clock time of a few runs, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def servqual_survey_frames(
    responses: int, rng: np.random.Generator
) -> tuple[list[QuestionInfo], pl.DataFrame, pl.DataFrame]:
    """The frames selectors.results_frames would load for a SERVQUAL survey: 5 matrix questions
    (one per dimension), 22 items × expectation/perception = 44 answers per response."""
    questions, cells = [], []
    for number, dimension in enumerate(SERVQUAL_DIMENSIONS, 1):
        codes = [item.code for item in SERVQUAL_ITEMS if item.dimension == dimension]
        questions.append(
            QuestionInfo(
                number,
                f"sq_{dimension}",
                "matrix",
                dimension,
                dimension=dimension,
                scale_kind="likert7",
                items=tuple((code, code, dimension) for code in codes),
            )
        )
        cells += [
            (number, code, column) for code in codes for column in ("expectation", "perception")
        ]
    lookup = pl.DataFrame(
        {
            "cell": np.arange(len(cells), dtype=np.int32),
            "question_id": [c[0] for c in cells],
            "item": [c[1] for c in cells],
            "column": [c[2] for c in cells],
        }
    ).with_columns(pl.col("item").cast(pl.Categorical), pl.col("column").cast(pl.Categorical))
    values = rng.integers(1, 8, size=responses * len(cells)).astype(np.float64)
    answers = (
        pl.DataFrame(
            {
                "response_id": np.repeat(np.arange(1, responses + 1, dtype=np.int64), len(cells)),
                "cell": np.tile(np.arange(len(cells), dtype=np.int32), responses),
                "value": values,
            }
        )
        .join(lookup, on="cell", maintain_order="left")
        .select("response_id", "question_id", "item", "column", "value")
    )
    responses_frame = pl.DataFrame(
        {
            "response_id": np.arange(1, responses + 1, dtype=np.int64),
            "submitted_at": (
                np.datetime64("2026-01-01T00:00:00", "us")
                + rng.integers(0, 330 * 86400, responses).astype("timedelta64[s]")
            ),
            "team": rng.choice(
                ["售前 Pre-sales", "售后 After-sales", "VIP", "Complaints"], responses
            ),
            "agent": rng.choice([f"agent{i:03d}" for i in range(40)], responses),
            "channel": rng.choice(["phone", "chat", "email", "wechat"], responses),
            "tier": rng.choice(["A", "B", "C", "D"], responses),
        }
    )
    return questions, answers, responses_frame


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 responses instead of 1M")
    arguments = parser.parse_args()
    responses = 100_000 if arguments.quick else 1_000_000
    rng = np.random.default_rng(2026)

    expectations = rng.integers(1, 8, size=(responses, 22)).astype(np.float64)
    perceptions = rng.integers(1, 8, size=(responses, 22)).astype(np.float64)
    missing = rng.random(expectations.shape) < 0.02  # 2 % unanswered
    perceptions[missing] = np.nan
    points = dict(zip(SERVQUAL_DIMENSIONS, (10, 30, 20, 20, 20), strict=True))
    nps_scores = rng.integers(0, 11, size=responses).astype(np.float64)
    rater_frame = pl.DataFrame(
        {
            "team": rng.integers(0, 50, size=responses),
            "channel": rng.choice(["phone", "chat", "email", "wechat"], size=responses),
            **{d: rng.integers(1, 8, size=responses) for d in RATER_DIMENSIONS},
        }
    )
    satisfaction = rng.integers(1, 6, size=responses)
    complained = rng.random(responses) < 0.1
    public = rng.random(responses) < 0.01
    repurchased = rng.random(responses) < 0.5
    stage_before = rng.choice(np.array(STAGES), size=responses)
    stage_after = rng.choice(np.array(STAGES), size=responses)

    questions, answers, responses_frame = servqual_survey_frames(responses, rng)
    scale = responses / 1_000_000
    rows = [
        (
            f"survey results, {responses:,} responses × 44 answers (long frame)",
            timed(
                lambda: analysis.survey_results(
                    questions,
                    answers,
                    responses_frame,
                    instrument="servqual",
                    importance_points=points,
                ),
                repeats=2,
            ),
            5.0 * scale,
        ),
        (
            f"servqual {responses:,} × 44 answers, weighted",
            timed(lambda: servqual(expectations, perceptions, SERVQUAL_ITEM_DIMENSIONS, points)),
            5.0 * scale,
        ),
        (f"nps of {responses:,} scores", timed(lambda: nps(nps_scores)), 1.0 * scale),
        (
            f"rater_index by team × channel, {responses:,} rows",
            timed(lambda: rater_index(rater_frame, group_by=["team", "channel"])),
            2.0 * scale,
        ),
        (
            f"waterfall_stage of {responses:,} customers",
            timed(lambda: waterfall_stage(satisfaction, complained, public, repurchased)),
            2.0 * scale,
        ),
        (
            f"transition_matrix of {responses:,} customers",
            timed(lambda: transition_matrix(stage_before, stage_after)),
            2.0 * scale,
        ),
    ]
    width = max(len(name) for name, _, _ in rows)
    print(f"{'figure':<{width}}  {'seconds':>8}  {'target':>8}  ok")
    missed = 0
    for name, seconds, target in rows:
        ok = seconds < target
        missed += not ok
        print(f"{name:<{width}}  {seconds:8.3f}  {target:8.3f}  {'yes' if ok else 'NO'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
