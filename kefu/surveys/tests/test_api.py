"""API: permissions, CRUD and publish/close, token submissions, results, calculators."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kefu.surveys import services
from kefu.surveys.tests.factories import published, question, submit

pytestmark = pytest.mark.django_db

BASE = "/api/v1/surveys"


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_anonymous_callers_are_refused():
    assert Client().get(BASE).status_code == 401
    assert _post(Client(), "/api/v1/instruments/nps", {"scores": [10]}).status_code == 401


def test_agent_reads_but_cannot_create_or_publish(api_client, manager):
    client, _agent = api_client("agent")
    survey = services.survey_create_from_instrument(actor=manager, instrument="csat")
    assert client.get(BASE).status_code == 200
    assert _post(client, BASE, {"instrument": "nps"}).status_code == 403
    assert _post(client, f"{BASE}/{survey.pk}/publish", {"version": 1}).status_code == 403
    assert client.get(f"{BASE}/{survey.pk}/responses").status_code == 403


def test_create_publish_close_and_stale_version(api_client):
    client, _user = api_client("manager")
    created = _post(client, BASE, {"instrument": "nps", "title_en": "Relationship NPS"})
    assert created.status_code == 201
    body = created.json()
    assert body["title_en"] == "Relationship NPS" and len(body["questions"]) == 3
    url = f"{BASE}/{body['id']}"
    assert _post(client, f"{url}/publish", {"version": body["version"]}).status_code == 200
    stale = _post(client, f"{url}/close", {"version": body["version"]})
    assert stale.status_code == 409
    assert _post(client, f"{url}/close", {"version": body["version"] + 1}).json()["status"] == (
        "closed"
    )
    patch = client.patch(
        url,
        json.dumps({"version": 1, "title_zh": "旧版本"}),
        content_type="application/json",
    )
    assert patch.status_code == 409


def test_invalid_survey_fields_are_named(api_client):
    client, _user = api_client("manager")
    created = _post(client, BASE, {"instrument": "custom"})
    assert created.status_code == 422
    assert "title_en" in created.json()["error"]["fields"]
    survey = _post(client, BASE, {"instrument": "custom", "title_en": "Q"}).json()
    bad_points = client.patch(
        f"{BASE}/{survey['id']}",
        json.dumps({"version": survey["version"], "importance_points": {"tangibles": 100}}),
        content_type="application/json",
    )
    assert bad_points.status_code == 422
    assert "importance_points" in bad_points.json()["error"]["fields"]


def test_submit_via_token_then_replay_and_list(api_client, manager):
    survey = published(manager, "csat")
    invitation = services.invitation_create(actor=manager, survey=survey, send=False)
    csat, ces = question(survey, "csat"), question(survey, "ces")
    url = f"{BASE}/{survey.pk}/responses"
    token = services.invitation_token(invitation)
    out_of_range = _post(Client(), url, {"token": token, "answers": {str(csat.pk): 9}})
    assert out_of_range.status_code == 422
    assert f"q{csat.pk}" in out_of_range.json()["error"]["fields"]
    ok = _post(Client(), url, {"token": token, "answers": {str(csat.pk): 4, str(ces.pk): 6}})
    assert ok.status_code == 201 and ok.json()["submitted"] is True
    replay = _post(Client(), url, {"token": token, "answers": {str(csat.pk): 1}})
    assert replay.status_code == 409 and replay.json()["error"]["code"] == "already_answered"
    tampered = _post(Client(), url, {"token": token + "x", "answers": {}})
    assert tampered.status_code == 404
    client, _user = api_client("manager")
    listed = client.get(url).json()
    assert listed["count"] == 1
    assert {a["value"] for a in listed["items"][0]["answers"]} == {4.0, 6.0}


def test_public_link_submission_needs_a_form_key(manager):
    survey = published(manager, "nps")
    survey = services.survey_update(
        actor=manager,
        survey=survey,
        expected_version=survey.version,
        changes={"public_link_enabled": True},
    )
    nps = question(survey, "nps")
    url = f"{BASE}/{survey.pk}/responses"
    token = services.public_token(survey)
    assert _post(Client(), url, {"token": token, "answers": {str(nps.pk): 9}}).status_code == 422
    key = Client().get(f"{url}/form").json()["submission"]
    body = {"token": token, "submission": key, "answers": {str(nps.pk): 9}}
    assert _post(Client(), url, body).status_code == 201
    assert _post(Client(), url, body).status_code == 409


def test_results_endpoint(api_client, manager):
    survey = published(manager, "nps")
    for score in (10, 9, 8, 7, 6, 0):
        submit(survey, {"nps": score})
    client, _user = api_client("agent")
    body = client.get(f"{BASE}/{survey.pk}/results").json()
    assert body["responses"] == 6
    assert body["nps"]["nps"] == pytest.approx(0.0)
    assert body["nps"]["ci_high"] == pytest.approx(65.33, abs=0.01)


def test_employee_results_need_the_employee_permission(api_client, manager):
    survey = published(manager, "employee")
    supervisor, _user = api_client("supervisor")
    assert supervisor.get(f"{BASE}/{survey.pk}/results").status_code == 403
    boss, _user = api_client("manager")
    assert boss.get(f"{BASE}/{survey.pk}/results").status_code == 200
    # Anonymous answers are never listed one by one, even to managers.
    assert boss.get(f"{BASE}/{survey.pk}/responses").status_code == 422


def test_list_query_count_is_constant(api_client, manager, django_assert_max_num_queries):
    client, _user = api_client("agent")
    published(manager, "csat")
    with django_assert_max_num_queries(10) as few:
        client.get(BASE)
    for instrument in ("nps", "rater", "servqual"):
        published(manager, instrument)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(BASE).json()["count"] == 4


def test_responses_list_query_count_is_constant(api_client, manager, django_assert_max_num_queries):
    client, _user = api_client("manager")
    survey = published(manager, "csat")
    submit(survey, {"csat": 5})
    url = f"{BASE}/{survey.pk}/responses"
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for value in (1, 2, 3, 4):
        submit(survey, {"csat": value, "ces": 3})
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).json()["count"] == 5


def test_nps_calculator(api_client):
    client, _user = api_client("agent")
    body = _post(client, "/api/v1/instruments/nps", {"scores": [10, 9, 8, 7, 6, 0, None]}).json()
    assert body["nps"] == pytest.approx(0.0) and body["n"] == 6
    bad = _post(client, "/api/v1/instruments/nps", {"scores": [11]})
    assert bad.status_code == 422 and "11" in bad.json()["error"]["message"]


def test_servqual_calculator(api_client):
    client, _user = api_client("agent")
    body = _post(
        client,
        "/api/v1/instruments/servqual",
        {
            "expectations": [[7, 7], [6, 6]],
            "perceptions": [[5, 6], [6, 3]],
            "item_dimensions": ["tangibles", "empathy"],
        },
    ).json()
    # Item gaps: (−2 + 0)/2 = −1 and (−1 − 3)/2 = −2; unweighted over the two dimensions: −1.5.
    assert body["item_gaps"] == [-1.0, -2.0]
    assert (
        body["dimension_gaps"]["tangibles"] == -1.0
        and body["dimension_gaps"]["reliability"] is None
    )
    assert body["unweighted_score"] == pytest.approx(-1.5)
    wrong = _post(
        client,
        "/api/v1/instruments/servqual",
        {"expectations": [[7]], "perceptions": [[5]], "importance_points": {"tangibles": 50}},
    )
    assert wrong.status_code == 422
