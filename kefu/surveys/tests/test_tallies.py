"""Results tallies (aggregates kept at write time): the results computed from them equal the
results recomputed from every raw answer, for every instrument, and the tallies kept by
response_save equal a rebuild from scratch after a mixed sequence of submissions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
import threading

import numpy as np
import polars as pl
import pytest
from django.core.management import call_command
from django.db import connection

from kefu.core.errors import Conflict
from kefu.surveys import aggregates, analysis, selectors, services, tallies
from kefu.surveys.models import ResultTally, Survey
from kefu.surveys.scoring import SERVQUAL_DIMENSIONS
from kefu.surveys.tests.factories import published, submit

INSTRUMENTS = (
    "csat",
    "nps",
    "ces",
    "servqual",
    "rater",
    "csi",
    "loyalty",
    "employee",
    "self_assessment",
    "innovation",
)
TEAMS = {"team:1": "Alpha", "team:2": "Beta", "team:3": "Alpha"}  # two ids, one name
AGENTS = {"agent:7": "ann", "agent:8": "bob"}


def _same(left, right, path="results"):
    """Deep equality with floats compared to 1e-9 (relative) and NaN equal to NaN."""
    if dataclasses.is_dataclass(left) and not isinstance(left, type):
        assert type(left) is type(right), path
        for item in dataclasses.fields(left):
            _same(getattr(left, item.name), getattr(right, item.name), f"{path}.{item.name}")
    elif isinstance(left, dict):
        assert isinstance(right, dict) and list(left) == list(right), (path, left, right)
        for key in left:
            _same(left[key], right[key], f"{path}[{key!r}]")
    elif isinstance(left, (list, tuple)):
        assert len(left) == len(right), (path, left, right)
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            _same(a, b, f"{path}[{i}]")
    elif isinstance(left, float) or isinstance(right, float):
        if left is None or right is None:
            assert left is None and right is None, (path, left, right)
        elif math.isnan(left) or math.isnan(right):
            assert math.isnan(left) and math.isnan(right), (path, left, right)
        else:
            assert right == pytest.approx(left, rel=1e-9, abs=1e-9), path
    else:
        assert left == right, (path, left, right)


def _raw(results: analysis.SurveyResults) -> analysis.SurveyResults:
    """Raw results without the SERVQUAL block's arrays (used only inside analysis.py)."""
    if results.servqual:
        results.servqual = {
            k: v
            for k, v in results.servqual.items()
            if k not in ("perception", "response_ids", "item_dimensions")
        }
    return results


def _random_frames(questions, rng, count: int):
    """Random answers of `count` respondents to every question (some skipped)."""
    rows = []
    for response in range(1, count + 1):
        for q in questions:
            if rng.random() < 0.15:
                continue  # skipped question
            if q.kind == "matrix":
                low, high = q.scale
                columns = ["expectation", "perception"]
                for item, _label, _dim in q.items:
                    for column in columns:
                        if rng.random() < 0.9:
                            rows.append(
                                (response, q.id, item, column, float(rng.integers(low, high + 1)))
                            )
            elif q.scale:
                low, high = q.scale
                rows.append((response, q.id, "", "", float(rng.integers(low, high + 1))))
            elif q.kind in ("single", "multi"):
                ids = [c for c, _l in q.choices]
                chosen = rng.choice(ids, size=1 if q.kind == "single" else rng.integers(1, 3))
                rows.extend((response, q.id, str(c), "", None) for c in set(chosen.tolist()))
            elif q.kind == "points":
                ids = [c for c, _l in q.choices]
                cuts = np.sort(rng.integers(0, 101, len(ids) - 1))
                shares = np.diff(np.concatenate([[0], cuts, [100]]))
                rows.extend(
                    (response, q.id, c, "", float(p)) for c, p in zip(ids, shares, strict=True)
                )
            else:  # text
                rows.append((response, q.id, "", "", None))
    answers = pl.DataFrame(
        rows, schema=analysis.empty_answers().schema, orient="row", infer_schema_length=None
    )
    start = dt.datetime(2026, 1, 1)
    ids = np.arange(1, count + 1)
    people = pl.DataFrame(
        {
            "response_id": ids,
            "submitted_at": [
                start + dt.timedelta(days=int(d)) for d in rng.integers(0, 150, count)
            ],
            "team": rng.choice(["1", "2", "3", "", "9"], count),  # 9: a deleted team
            "agent": rng.choice(["7", "8", ""], count),
            "channel": rng.choice(["chat", "phone", ""], count),
            "tier": rng.choice(["A", "B", ""], count),
        }
    ).with_columns(pl.col("submitted_at").cast(pl.Datetime("us")))
    named = people.with_columns(
        team=pl.col("team").replace_strict(
            {"1": "Alpha", "2": "Beta", "3": "Alpha", "": "", "9": ""}, return_dtype=pl.Utf8
        ),
        agent=pl.col("agent").replace_strict(
            {"7": "ann", "8": "bob", "": ""}, return_dtype=pl.Utf8
        ),
    )
    return answers, people, named


@pytest.mark.django_db
@pytest.mark.parametrize("instrument", INSTRUMENTS)
@pytest.mark.parametrize("anonymous", [False, True])
def test_results_from_tallies_equal_results_from_raw_answers(manager, instrument, anonymous):
    survey = services.survey_create_from_instrument(
        actor=manager, instrument=instrument, anonymous=anonymous, min_group_size=3
    )
    questions = selectors.question_infos(selectors.survey_questions(survey))
    rng = np.random.default_rng(len(instrument) + anonymous)
    answers, people, named = _random_frames(questions, rng, 60)
    options = {
        "invited": 90,
        "instrument": instrument,
        "min_group_size": 3,
        "anonymous": anonymous,
        "importance_points": survey.importance_points or None,
        "category_names": selectors.category_names(survey),
    }
    expected = _raw(analysis.survey_results(questions, answers, named, **options))
    # Tallies of each response added one by one (as response_save does) equal the bulk sum.
    one_by_one = tallies.combine(
        [
            tallies.response_tallies(
                questions,
                answers.filter(pl.col("response_id") == rid),
                people.filter(pl.col("response_id") == rid),
                instrument=instrument,
            )
            for rid in people["response_id"].to_list()
        ]
    )
    bulk = tallies.response_tallies(questions, answers, people, instrument=instrument)
    assert one_by_one.select(tallies.KEYS, "n").equals(bulk.select(tallies.KEYS, "n"))
    np.testing.assert_allclose(one_by_one["total"], bulk["total"], rtol=1e-12, atol=1e-9)
    got = tallies.results_from_tallies(
        questions, tallies.labelled(one_by_one, {**TEAMS, **AGENTS}), **options
    )
    _same(expected, got)
    assert got.responses == 60 and got.questions
    blocks = {
        "servqual": ("servqual", "rater"),
        "rater": ("rater",),
        "csi": ("csi",),
        "employee": ("dimensions",),
        "self_assessment": ("dimensions",),
        "csat": ("csat", "ces", "breakdowns", "trend"),
        "nps": ("nps", "breakdowns"),
    }
    for name in blocks.get(instrument, ()):
        assert getattr(got, name), name  # the block was really compared, not None == None


def test_breakdown_and_rater_groups_merge_names_and_months():
    """Hand-checked: two team ids named "Alpha" are one group; days fold into months."""
    from kefu.surveys.analysis import QuestionInfo

    questions = [QuestionInfo(1, "csat", "likert5", "CSAT", metric="csat")]
    answers = pl.DataFrame(
        {
            "response_id": [1, 2, 3],
            "question_id": [1, 1, 1],
            "item": ["", "", ""],
            "column": ["", "", ""],
            "value": [5.0, 2.0, 4.0],
        }
    )
    people = pl.DataFrame(
        {
            "response_id": [1, 2, 3],
            "submitted_at": [
                dt.datetime(2026, 3, 1),
                dt.datetime(2026, 3, 31, 23, 59),
                dt.datetime(2026, 4, 1),
            ],
            "team": ["1", "3", "2"],
            "agent": ["", "", ""],
            "channel": ["chat", "chat", ""],
            "tier": ["", "", ""],
        }
    ).with_columns(pl.col("submitted_at").cast(pl.Datetime("us")))
    results = tallies.results_from_tallies(
        questions,
        tallies.labelled(tallies.response_tallies(questions, answers, people), TEAMS),
    )
    teams = {row["group"]: (row["n"], row["score"]) for row in results.breakdowns["team"]}
    assert teams == {"Alpha": (2, 50.0), "Beta": (1, 100.0)}  # 5 and 2 → 1 of 2 satisfied
    assert [(r["group"], r["n"]) for r in results.trend] == [("2026-03", 2), ("2026-04", 1)]
    assert [(r["group"], r["n"]) for r in results.breakdowns["channel"]] == [("chat", 2)]
    assert results.csat.n == 3 and results.csat.csat == pytest.approx(200 / 3)


def _stored_equals_rebuilt(survey: Survey) -> None:
    stored = aggregates.stored(survey).sort(tallies.KEYS)
    rebuilt = aggregates.rebuilt(survey).sort(tallies.KEYS)
    assert stored.select(tallies.KEYS, "n").equals(rebuilt.select(tallies.KEYS, "n"))
    np.testing.assert_allclose(stored["total"], rebuilt["total"], rtol=1e-12, atol=1e-9)


@pytest.mark.django_db
def test_tallies_kept_by_response_save_equal_a_rebuild(manager):
    survey = published(manager, "csat")
    submit(survey, {"csat": 5, "ces": 6})
    draft = submit(survey, {"csat": 1}, partial=True)  # a draft: not counted
    assert aggregates.stored(survey).filter(pl.col("kind") == "responses")["n"].sum() == 1
    # The draft is completed with other answers: only the final answers count.
    services.response_save(
        survey=survey,
        data={f"q{survey.questions.get(code='csat').pk}": "2"},
        submission_key=draft.submission_key,
    )
    with pytest.raises(Conflict):  # a replayed submission is refused and changes nothing
        services.response_save(
            survey=survey,
            data={f"q{survey.questions.get(code='csat').pk}": "5"},
            submission_key=draft.submission_key,
        )
    invitation = services.invitation_create(actor=manager, survey=survey, email="a@example.com")
    submit(survey, {"csat": 4, "ces": 2}, invitation=invitation)
    with pytest.raises(Conflict):
        submit(survey, {"csat": 1, "ces": 1}, invitation=invitation)
    submit(survey, {"csat": 1, "why_low": "slow", "ces": 1})
    _stored_equals_rebuilt(survey)
    results = selectors.survey_results(survey)
    assert results.responses == 4 and results.csat.n == 4
    assert results.csat.csat == pytest.approx(50.0)  # 5, 2, 4, 1 → two of four are 4–5
    _same(_raw(selectors.survey_results_from_answers(survey)), results)


@pytest.mark.django_db
def test_servqual_tallies_and_rebuild_command(manager):
    survey = published(manager, "servqual")
    rng = np.random.default_rng(3)
    matrices = list(survey.questions.filter(kind="matrix").order_by("order"))
    for number in range(12):
        answers = {
            q.code: {
                item["id"]: {c: int(rng.integers(1, 8)) for c in ("expectation", "perception")}
                for item in q.items
            }
            for q in matrices
        }
        if number % 2:
            answers["importance"] = dict(
                zip(SERVQUAL_DIMENSIONS, (40, 10, 20, 20, 10), strict=True)
            )
        submit(survey, answers)
    _stored_equals_rebuilt(survey)
    _same(_raw(selectors.survey_results_from_answers(survey)), selectors.survey_results(survey))
    # A damaged tally is repaired by the rebuild command.
    ResultTally.objects.filter(survey=survey, kind="gap").update(n=0, total=0.0)
    with pytest.raises(AssertionError):
        _stored_equals_rebuilt(survey)
    output = io.StringIO()
    call_command("surveys_rebuild_results", str(survey.pk), stdout=output)
    assert f"survey {survey.pk}:" in output.getvalue()
    _stored_equals_rebuilt(survey)


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_are_all_counted(manager):
    """Eight threads submit at once (PostgreSQL: real concurrent transactions upserting the
    same tally rows; SQLite serialises them)."""
    survey = published(manager, "nps")
    nps = survey.questions.get(metric="nps")
    errors = []

    def answer(score: int) -> None:
        try:
            services.response_save(
                survey=survey, data={f"q{nps.pk}": str(score)}, submission_key=f"thread-{score}"
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            if connection.vendor != "sqlite":
                connection.close()  # this thread's own connection

    if connection.vendor == "sqlite":  # the in-memory test database is per thread
        for score in range(3, 11):
            answer(score)
    else:
        threads = [threading.Thread(target=answer, args=(score,)) for score in range(3, 11)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    _stored_equals_rebuilt(survey)
    results = selectors.survey_results(survey)
    assert results.nps.n == 8 and results.nps.promoters == 2 and results.nps.detractors == 4
