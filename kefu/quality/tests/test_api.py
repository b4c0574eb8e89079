"""API: KPIs, rubrics, evaluations with disputes, calibration spread, targets and actions."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kefu.quality import selectors, services
from kefu.quality.tests.factories import worked_ticket

pytestmark = pytest.mark.django_db
BASE = "/api/v1/quality"


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def _values(rubric, value=1.0):
    return {str(c.pk): value for c in selectors.rubric_criteria(rubric)}


def test_anonymous_is_refused():
    assert Client().get(f"{BASE}/kpis").status_code == 401


def test_kpis_endpoint_levels_and_agent_scope(api_client, agent):
    worked_ticket(agent)
    client, _boss = api_client("manager")
    body = client.get(f"{BASE}/kpis?level=agent&period=day").json()
    assert body["level"] == "agent" and len(body["definitions"]) == 14
    rows = [r for r in body["rows"] if r["level_key"] == str(agent.pk)]
    assert sum(r["values"]["tickets_solved"] for r in rows) == 1
    own, me = api_client("agent")
    body = own.get(f"{BASE}/kpis?level=company").json()
    assert body["level"] == "agent" and {r["level_key"] for r in body["rows"]} <= {str(me.pk)}
    assert client.get(f"{BASE}/kpis?level=planet").status_code == 422


def test_rubric_create_and_read(api_client):
    client, _qa = api_client("qa")
    response = _post(
        client,
        f"{BASE}/qa/rubrics",
        {
            "name": "电话质检",
            "sections": [
                {
                    "name": "开场",
                    "criteria": [
                        {"text": "问候", "weight": 1},
                        {"text": "核实身份", "auto_fail": True},
                    ],
                }
            ],
        },
    )
    assert response.status_code == 201, response.content
    detail = response.json()
    assert detail["sections"][0]["criteria"][1]["auto_fail"] is True
    assert client.get(f"{BASE}/qa/rubrics").json()["count"] == 1
    agent_client, _agent = api_client("agent")
    assert (
        _post(agent_client, f"{BASE}/qa/rubrics", {"name": "x", "sections": []}).status_code == 403
    )


def test_evaluate_dispute_and_resolve(api_client, agent, qa, rubric):
    ticket = worked_ticket(agent)
    client, _qa = api_client("qa")
    response = _post(
        client,
        f"{BASE}/qa/evaluations",
        {"ticket_id": ticket.pk, "rubric_id": rubric.pk, "values": _values(rubric)},
    )
    assert response.status_code == 201, response.content
    evaluation = response.json()
    assert evaluation["score"] == 100
    bad = _post(
        client,
        f"{BASE}/qa/evaluations",
        {"ticket_id": ticket.pk, "rubric_id": rubric.pk, "values": _values(rubric, 0.7)},
    )
    assert bad.status_code == 422
    from kefu.accounts.services import token_create

    token = token_create(actor=agent, user=agent, name="t").raw
    agent_client = Client(headers={"Authorization": f"Bearer {token}"})
    assert agent_client.get(f"{BASE}/qa/evaluations").json()["count"] == 1
    disputed = _post(
        agent_client, f"{BASE}/qa/evaluations/{evaluation['id']}/dispute", {"reason": "不同意"}
    )
    assert disputed.status_code == 201 and disputed.json()["state"] == "disputed"
    sup, _sup = api_client("supervisor")
    resolved = _post(
        sup,
        f"{BASE}/qa/evaluations/{evaluation['id']}/resolve",
        {"upheld": False, "resolution": "评分合理"},
    )
    assert resolved.status_code == 200 and resolved.json()["state"] == "final"
    assert resolved.json()["dispute_state"] == "rejected"


def test_calibration_spread(api_client, agent, rubric, make_user):
    ticket = worked_ticket(agent)
    client, qa_user = api_client("qa")
    session = _post(
        client, f"{BASE}/qa/calibrations", {"ticket_id": ticket.pk, "rubric_id": rubric.pk}
    ).json()
    criteria = selectors.rubric_criteria(rubric)
    from kefu.quality.models import CalibrationSession

    obj = CalibrationSession.objects.get(pk=session["id"])
    low = {c.pk: 1.0 for c in criteria}
    low[criteria[1].pk] = 0.0
    services.evaluation_create(
        actor=qa_user,
        ticket=ticket,
        rubric=rubric,
        values={c.pk: 1.0 for c in criteria},
        calibration=obj,
    )
    services.evaluation_create(
        actor=make_user("supervisor"), ticket=ticket, rubric=rubric, values=low, calibration=obj
    )
    body = client.get(f"{BASE}/qa/calibrations/{session['id']}").json()
    assert body["evaluator_count"] == 2
    total = sum(c.weight for c in criteria)
    assert body["score_spread"]["range"] == pytest.approx(100 * criteria[1].weight / total)
    disagreed = [c for c in body["criteria"] if c["range"] > 0]
    assert [c["criterion_id"] for c in disagreed] == [criteria[1].pk]


def test_targets_and_actions(api_client, make_user):
    from kefu.quality.tests.factories import make_team

    make_team("A", members=[make_user("agent")])
    make_team("B", members=[make_user("agent")])
    client, _manager = api_client("manager")
    target = _post(
        client,
        f"{BASE}/targets",
        {"kpi": "tickets_solved", "start": "2026-01-01", "end": "2026-01-31", "value": 101},
    ).json()
    children = _post(client, f"{BASE}/targets/{target['id']}/decompose", {"method": "equal"})
    assert children.status_code == 201
    assert sum(c["value"] for c in children.json()) == pytest.approx(101)
    assert client.get(f"{BASE}/targets").json()["count"] == 3
    action = _post(
        client, f"{BASE}/improvement-actions", {"title": "降低重开率", "kpi": "reopen_rate"}
    ).json()
    moved = _post(
        client,
        f"{BASE}/improvement-actions/{action['id']}/move",
        {"version": action["version"], "state": "do"},
    )
    assert moved.status_code == 422 and "owner" in moved.json()["error"]["fields"]
    assert client.get(f"{BASE}/improvement-actions").json()["count"] == 1


def test_list_endpoints_constant_queries(
    api_client, agent, qa, rubric, django_assert_max_num_queries
):
    client, _user = api_client("supervisor")
    for _ in range(3):
        services.evaluation_create(
            actor=qa,
            ticket=worked_ticket(agent),
            rubric=rubric,
            values={c.pk: 1.0 for c in selectors.rubric_criteria(rubric)},
        )
    for url in (
        "qa/evaluations",
        "qa/rubrics",
        "qa/calibrations",
        "targets",
        "improvement-actions",
    ):
        with django_assert_max_num_queries(8):
            assert client.get(f"{BASE}/{url}").status_code == 200
