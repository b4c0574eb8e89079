"""selectors.results_frames / survey_results on real rows: every question type is loaded in
bulk (choices exploded to one row per chosen id) and counted once; drafts are left out."""

from __future__ import annotations

import pytest

from kefu.surveys import selectors, services
from kefu.surveys.tests.factories import submit

pytestmark = pytest.mark.django_db


def _options(*ids):
    return [{"id": i, "en": i.upper(), "zh": i} for i in ids]


@pytest.fixture
def survey(manager):
    survey = services.survey_create(actor=manager, title_en="Mixed")
    services.question_add(
        actor=manager, survey=survey, kind="likert5", text_en="Overall", code="overall"
    )
    services.question_add(
        actor=manager,
        survey=survey,
        kind="single",
        text_en="Channel",
        code="channel",
        choices=_options("a", "b"),
    )
    services.question_add(
        actor=manager,
        survey=survey,
        kind="multi",
        text_en="Liked",
        code="liked",
        choices=_options("x", "y", "z"),
    )
    services.question_add(actor=manager, survey=survey, kind="text", text_en="Why", code="why")
    services.question_add(
        actor=manager,
        survey=survey,
        kind="matrix",
        text_en="Grid",
        code="grid",
        items=[{"id": "r1", "en": "Row", "zh": "行"}],
        columns=[{"id": "expectation", "en": "E"}, {"id": "perception", "en": "P"}],
        scale_kind="likert7",
    )
    return services.survey_publish(actor=manager, survey=survey, expected_version=survey.version)


def test_every_question_type_is_loaded_and_counted(survey):
    submit(
        survey,
        {
            "overall": 5,
            "channel": "a",
            "liked": ["x", "z"],
            "why": "fast",
            "grid": {"r1": {"expectation": 6, "perception": 4}},
        },
    )
    submit(survey, {"overall": 3, "channel": "b", "liked": ["z"], "why": "slow"})
    submit(survey, {"overall": 1, "channel": "b"}, partial=True)  # a draft: not counted
    answers, responses = selectors.results_frames(survey)
    assert responses.height == 2
    codes = {q.pk: q.code for q in survey.questions.all()}
    rows = sorted(
        (codes[r["question_id"]], str(r["item"]), str(r["column"]), r["value"])
        for r in answers.iter_rows(named=True)
    )
    assert ("liked", "x", "", None) in rows and rows.count(("liked", "z", "", None)) == 2
    assert ("grid", "r1", "perception", 4.0) in rows and ("overall", "", "", 3.0) in rows
    results = selectors.survey_results(survey)
    by_code = {s.question.code: s for s in results.questions}
    assert by_code["overall"].n == 2 and by_code["overall"].mean == pytest.approx(4.0)
    assert [(label, n) for label, n, _share in by_code["channel"].distribution] == [
        ("A", 1),
        ("B", 1),
    ]
    assert [(label, n) for label, n, _share in by_code["liked"].distribution] == [
        ("X", 1),
        ("Y", 0),
        ("Z", 2),
    ]
    assert by_code["why"].n == 2 and by_code["grid"].n == 1


def test_results_of_a_survey_without_responses(survey):
    answers, responses = selectors.results_frames(survey)
    assert answers.height == 0 and responses.height == 0
    assert selectors.survey_results(survey).responses == 0
