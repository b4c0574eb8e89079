"""Results wired to the scoring functions, checked against small hand-computed cases."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from kefu.surveys import analysis, selectors, services
from kefu.surveys.analysis import QuestionInfo
from kefu.surveys.models import Response
from kefu.surveys.tests.factories import published, submit
from kefu.tickets.tests.factories import make_team

pytestmark = pytest.mark.django_db


def test_csat_ces_and_distribution_from_the_database(manager):
    survey = published(manager, "csat")
    for csat, ces in ((5, 7), (4, 6), (3, 2), (1, 1), (5, 7)):
        submit(survey, {"csat": csat, "ces": ces, **({"why_low": "slow"} if csat <= 2 else {})})
    results = selectors.survey_results(survey)
    # CSAT = 3 of 5 answers are 4–5 = 60 %; mean (5+4+3+1+5)/5 = 3.6.
    assert results.csat.csat == pytest.approx(60.0)
    assert results.csat.mean == pytest.approx(3.6)
    # CES: mean (7+6+2+1+7)/5 = 4.6; low effort = answers above the midpoint 4 → 3/5.
    assert results.ces.mean == pytest.approx(4.6)
    assert results.ces.low_effort_share == pytest.approx(0.6)
    csat_summary = results.questions[0]
    assert [(label, n) for label, n, _share in csat_summary.distribution] == [
        ("1", 1),
        ("2", 0),
        ("3", 1),
        ("4", 1),
        ("5", 2),
    ]
    # Mean 3.6, s = √(11.2/4) = 1.6733, t(0.975, 4) = 2.7764 → half = 2.7764·1.6733/√5 = 2.0777.
    assert csat_summary.ci_low == pytest.approx(3.6 - 2.0777, abs=1e-3)
    assert csat_summary.ci_high == pytest.approx(3.6 + 2.0777, abs=1e-3)
    assert results.questions[1].n == 1  # one comment, only shown to the unhappy respondent


def test_nps_and_response_rate(manager):
    survey = published(manager, "nps")
    invitations = [
        services.invitation_create(actor=manager, survey=survey, send=False) for _ in range(8)
    ]
    for score, invitation in zip((10, 9, 8, 7, 6, 0), invitations, strict=False):
        submit(survey, {"nps": score}, invitation=invitation)
    results = selectors.survey_results(survey)
    # (2 promoters − 2 detractors) / 6 = 0; var = (4/6)/6 = 1/9 → CI 0 ± 1.96·33.3 (docs example).
    assert results.nps.nps == pytest.approx(0.0)
    assert (results.nps.promoters, results.nps.passives, results.nps.detractors) == (2, 2, 2)
    assert results.nps.ci_low == pytest.approx(-65.33, abs=0.01)
    assert results.response_rate == pytest.approx(6 / 8)


def test_servqual_gaps_weighted_and_unweighted(manager):
    survey = published(manager, "servqual")
    matrices = list(survey.questions.filter(kind="matrix").order_by("order"))

    def answers(expectation, perception_by_dimension, points):
        body = {
            q.code: {
                i["id"]: {
                    "expectation": expectation,
                    "perception": perception_by_dimension[q.dimension],
                }
                for i in q.items
            }
            for q in matrices
        }
        body["importance"] = points
        return body

    points_a = {
        "tangibles": 10,
        "reliability": 30,
        "responsiveness": 20,
        "assurance": 20,
        "empathy": 20,
    }
    points_b = {
        "tangibles": 30,
        "reliability": 30,
        "responsiveness": 20,
        "assurance": 10,
        "empathy": 10,
    }
    # Respondent A: E = 7 everywhere; P tangibles 6, reliability 4, others 7.
    submit(
        survey,
        answers(
            7,
            {"tangibles": 6, "reliability": 4, "responsiveness": 7, "assurance": 7, "empathy": 7},
            points_a,
        ),
    )
    # Respondent B: E = 6; P = 6 except empathy 3.
    submit(
        survey,
        answers(
            6,
            {"tangibles": 6, "reliability": 6, "responsiveness": 6, "assurance": 6, "empathy": 3},
            points_b,
        ),
    )
    block = selectors.survey_results(survey).servqual
    # Dimension gaps: tangibles (−1 + 0)/2 = −0.5; reliability (−3 + 0)/2 = −1.5;
    # responsiveness 0; assurance 0; empathy (0 − 3)/2 = −1.5.
    assert block["dimensions"] == pytest.approx(
        {
            "tangibles": -0.5,
            "reliability": -1.5,
            "responsiveness": 0.0,
            "assurance": 0.0,
            "empathy": -1.5,
        }
    )
    # Unweighted = mean of the five = −3.5 / 5 = −0.7.
    assert block["unweighted"] == pytest.approx(-0.7)
    # Importance = mean points: tangibles 20, reliability 30, responsiveness 20, assurance 15,
    # empathy 15 → weighted = (−0.5·20 − 1.5·30 − 1.5·15)/100 = −0.775.
    assert block["points"] == pytest.approx(
        {"tangibles": 20, "reliability": 30, "responsiveness": 20, "assurance": 15, "empathy": 15}
    )
    assert block["weighted"] == pytest.approx(-0.775)
    t1 = next(item for item in block["items"] if item["code"] == "T1")
    assert (t1["expectation"], t1["perception"], t1["gap"]) == pytest.approx((6.5, 6.0, -0.5))


def test_rater_index_from_servqual_perceptions(manager):
    survey = published(manager, "rater")
    for scores in ((7, 4, 1, 7, 7), (7, 4, 1, 1, 7)):
        submit(
            survey,
            dict(
                zip(
                    (
                        "rater_reliability",
                        "rater_assurance",
                        "rater_tangibles",
                        "rater_empathy",
                        "rater_responsiveness",
                    ),
                    scores,
                    strict=True,
                )
            ),
        )
    overall = selectors.survey_results(survey).rater["overall"]
    # 100·(mean − 1)/6: reliability 7 → 100; assurance 4 → 50; tangibles 1 → 0;
    # empathy mean 4 → 50; responsiveness 100 → overall (100+50+0+50+100)/5 = 60.
    assert overall["reliability"] == pytest.approx(100)
    assert overall["assurance"] == pytest.approx(50)
    assert overall["tangibles"] == pytest.approx(0)
    assert overall["empathy"] == pytest.approx(50)
    assert overall["overall"] == pytest.approx(60)


def test_csi_and_priority_matrix(manager):
    survey = published(manager, "csi")
    # Weights 30, 25, 15, 20, 10 (speed, competence, courtesy, resolution, information).
    submit(survey, {"speed": 2, "competence": 4, "courtesy": 5, "resolution": 3, "information": 5})
    submit(survey, {"speed": 2, "competence": 4, "courtesy": 5, "resolution": 5, "information": 5})
    block = selectors.survey_results(survey).csi
    # Means 2, 4, 5, 4, 5 → weighted mean (60 + 100 + 75 + 80 + 50)/100 = 3.65 → CSI 100·2.65/4.
    assert block["index"] == pytest.approx(66.25)
    quadrant = {row["importance"]: row["quadrant"] for row in block["attributes"]}
    # Mean importance 20, mean satisfaction 4: speed (30, 2) is the one to fix first.
    assert quadrant[30] == "concentrate_here"
    assert quadrant[25] == "keep_up_the_good_work"
    assert quadrant[10] == "possible_overkill"


def test_self_assessment_percentages(manager):
    survey = published(manager, "self_assessment")
    answers = {q.code: 5 if q.dimension == "philosophy" else 3 for q in survey.questions.all()}
    answers["P1"] = 1
    submit(survey, answers)
    categories = {
        c["category"]: c for c in selectors.survey_results(survey).dimensions["categories"]
    }
    # Philosophy: 1 + 5 + 5 + 5 = 16 of 4·5 = 20 → 80 %; every other category 3/5 = 60 %.
    assert categories["philosophy"]["score"] == pytest.approx(16)
    assert categories["philosophy"]["percent"] == pytest.approx(80)
    assert categories["approachability"]["percent"] == pytest.approx(60)
    assert len(categories) == 7


def test_employee_breakdown_needs_five_people_per_team(manager, make_user):
    survey = published(manager, "employee")
    big, small = make_team(name="Big"), make_team(name="Small")
    for team, count in ((big, 5), (small, 4)):
        for _ in range(count):
            person = make_user("agent")
            team.members.add(person)
            invitation = services.invitation_create(
                actor=manager, survey=survey, employee=person, send=False
            )
            submit(survey, {q.code: 4 for q in survey.questions.all()}, invitation=invitation)
    block = selectors.survey_results(survey).dimensions
    assert {row["team"] for row in block["teams"]} == {"Big"}
    assert block["hidden_teams"] == 1
    assert block["n"] == 9


def test_breakdowns_hide_small_groups_only_for_anonymous_surveys():
    questions = [QuestionInfo(1, "csat", "likert5", "CSAT", metric="csat")]
    answers = pl.DataFrame(
        {
            "response_id": [1, 2, 3],
            "question_id": [1, 1, 1],
            "item": ["", "", ""],
            "column": ["", "", ""],
            "value": [5.0, 1.0, 4.0],
        }
    )
    at = dt.datetime(2026, 11, 3)
    responses = pl.DataFrame(
        {
            "response_id": [1, 2, 3],
            "submitted_at": [at, at, at],
            "team": ["A", "A", "B"],
            "agent": ["", "", ""],
            "channel": ["phone", "phone", "chat"],
            "tier": ["", "", ""],
        }
    )
    open_results = analysis.survey_results(questions, answers, responses)
    teams = {row["group"]: row for row in open_results.breakdowns["team"]}
    assert teams["A"]["score"] == pytest.approx(50.0) and teams["B"]["n"] == 1
    assert open_results.trend == [
        {"group": "2026-11", "n": 3, "mean": pytest.approx(10 / 3), "score": pytest.approx(200 / 3)}
    ]
    hidden = analysis.survey_results(
        questions, answers, responses, anonymous=True, min_group_size=2
    )
    assert [row["group"] for row in hidden.breakdowns["team"]] == ["A"]


def test_results_ignore_drafts(manager):
    survey = published(manager, "csat")
    invitation = services.invitation_create(actor=manager, survey=survey, send=False)
    submit(survey, {"csat": 1}, invitation=invitation, partial=True)
    submit(survey, {"csat": 5})
    assert Response.objects.filter(survey=survey).count() == 2
    results = selectors.survey_results(survey)
    assert results.responses == 1 and results.csat.csat == pytest.approx(100)
