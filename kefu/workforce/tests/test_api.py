"""The workforce API: batch Erlang, forecast, simulation end to end, queues, presence, routing."""

import pytest

from kefu.core.models import AuditEvent
from kefu.workforce import services, simulation_runner
from kefu.workforce.models import Queue, RoutingDecision, SimulationRun
from kefu.workforce.tests.factories import (
    available,
    make_queue,
    skill,
    ticket_history,
    with_skills,
)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/workforce"


def post(client, url, body):
    return client.post(BASE + url, body, content_type="application/json")


def fields(response):
    return response.json()["error"]["fields"]


def test_erlang_batch_matches_the_textbook_example(api_client):
    client, _user = api_client("supervisor")
    response = post(
        client, "/erlang",
        {"volume": [100, 0, 200], "aht_s": 180, "target_service_level": 0.8, "answer_s": 20,
         "shrinkage": 0.3},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3
    # 100 calls / 30 min, AHT 180 s → 10 Erlangs → 14 agents for 80/20 (SL 88.84 %), 20 to
    # schedule with 30 % shrinkage; nothing for no calls.
    assert body["traffic"][:2] == [10.0, 0.0]
    assert body["required"][:2] == [14, 0] and body["scheduled"][:2] == [20, 0]
    assert body["service_level"][0] == pytest.approx(0.8884, abs=1e-4)
    assert body["asa_s"][0] == pytest.approx(7.84, abs=0.01)
    assert body["wait_probability"][0] == pytest.approx(0.1741, abs=1e-4)
    assert body["required"][2] > body["required"][0]


def test_erlang_batch_adds_erlang_a_abandonment(api_client):
    client, _user = api_client("supervisor")
    body = post(client, "/erlang", {"volume": [100], "aht_s": [180], "patience_s": 120}).json()
    from kefu.workforce.erlang_a import abandonment_probability

    assert body["abandonment"][0] == pytest.approx(abandonment_probability(10, 14, 180, 120))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"volume": [10, 20, 30], "aht_s": [180, 200]}, "aht_s"),  # lengths differ
        ({"volume": [10, -1], "aht_s": 180}, "volume.1"),  # negative volume
        ({"volume": [10], "aht_s": [0]}, "aht_s.0"),  # zero handling time
        (
            {"volume": [10], "aht_s": 180, "target_service_level": [0.8, 1.0]},
            "target_service_level.1",
        ),
        ({"volume": [10], "aht_s": 180, "shrinkage": 1}, "shrinkage.0"),
        ({"volume": ["many"], "aht_s": 180}, "volume"),  # not a number
        ({"volume": [], "aht_s": 180}, "volume"),
        ({"aht_s": 180}, "volume"),  # missing
        ({"volume": [10], "aht_s": 180, "max_occupancy": 1.5}, "max_occupancy"),
    ],
)
def test_erlang_bad_arrays_get_422_naming_the_field(api_client, body, field):
    client, _user = api_client("supervisor")
    response = post(client, "/erlang", body)
    assert response.status_code == 422, response.content
    assert any(name == field or name.startswith(field + ".") for name in fields(response)), fields(
        response
    )


def test_planning_endpoints_need_the_planning_permission(api_client):
    agent, _user = api_client("agent")
    assert post(agent, "/erlang", {"volume": [1], "aht_s": 1}).status_code == 403
    assert post(agent, "/forecast", {}).status_code == 403
    assert post(agent, "/simulate", {"scenario": {}}).status_code == 403
    anonymous = type(agent)()
    assert post(anonymous, "/erlang", {"volume": [1], "aht_s": 1}).status_code == 401


def test_forecast_from_ticket_history(api_client):
    client, _user = api_client("manager")
    # three weeks of chat tickets: 4 per hour from 9:00 to 12:00, 2 at 14:00
    ticket_history(channel="chat", days=21, per_hour={9: 4, 10: 4, 11: 4, 14: 2})
    ticket_history(channel="email", days=21, per_hour={9: 9})  # another channel: ignored
    response = post(
        client, "/forecast",
        {"channel": "chat", "weeks": 3, "interval_minutes": 60, "horizon_days": 7,
         "holdout_days": 7, "aht_s": 600, "target_service_level": 0.8, "answer_s": 30,
         "shrinkage": 0.25},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["source"] == "tickets" and body["history_contacts"] == 21 * 14
    assert len(body["volume"]) == 7 * 24
    # a flat, repeating history is forecast exactly: 4 contacts at 10:00, none at night
    by_hour = dict(
        zip([s[11:13] for s in body["interval_start"][:24]], body["volume"][:24], strict=True)
    )
    assert by_hour["10"] == pytest.approx(4.0, abs=1e-6)
    assert by_hour["03"] == pytest.approx(0.0, abs=1e-9)
    assert body["accuracy"]["wape"] == pytest.approx(0.0, abs=1e-9)
    # 4 chats of 600 s per hour = 0.667 Erlangs → 2 agents for 80 % in 30 s, 3 with shrinkage
    ten = body["interval_start"][:24].index(
        next(s for s in body["interval_start"] if s[11:13] == "10")
    )
    assert body["required"][ten] == 2 and body["scheduled"][ten] == 3
    assert len(body["heat_scheduled"]) == 7 and len(body["heat_scheduled"][0]) == 24


def test_forecast_without_history_is_422(api_client):
    client, _user = api_client("manager")
    response = post(client, "/forecast", {"channel": "sms"})
    assert response.status_code == 422
    assert "no contacts" in response.json()["error"]["message"]


SCENARIO = simulation_runner.simple_inputs(
    rate_per_hour=100, aht_s=180, agents=7, duration_h=2, patience_s=120, plan_extra_agents=2
)


def test_simulation_end_to_end_small_run(api_client):
    client, _user = api_client("supervisor")
    response = post(
        client, "/simulate",
        {"scenario": SCENARIO["scenario"], "plan": SCENARIO["plan"], "seed": 5, "replications": 3,
         "name": "surge"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "done" and body["name"] == "surge"
    results = body["results"]
    assert results["replications"] == 3 and results["seed"] == 5
    assert set(results["baseline"]["intervals"]) >= {"service_level", "asa_s", "mean_queue_length"}
    again = client.get(f"{BASE}/simulate/{body['id']}").json()
    assert again["results"] == results
    # deterministic: the same seed gives the same numbers
    second = post(client, "/simulate", {**SCENARIO, "seed": 5, "replications": 3}).json()
    assert second["results"]["baseline"] == results["baseline"]


def test_simulation_large_run_is_queued(
    api_client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "INLINE_CONTACT_LIMIT", 10)
    client, _user = api_client("supervisor")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "/simulate", {**SCENARIO, "replications": 2})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["results"] is None
    # the eager task queue ran it after commit; polling returns the results
    polled = client.get(f"{BASE}/simulate/{body['id']}").json()
    assert polled["status"] == "done" and polled["results"]["plan"] is not None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda s: s["scenario"].update(duration_s=-1), "scenario"),
        (lambda s: s["scenario"]["queues"][0]["service"].update(mean_s=0), "scenario"),
        (lambda s: s["plan"]["extra_agents"][0].update(skills=["nowhere"]), "plan"),
        (lambda s: s.update(replications=1), "replications"),
        (lambda s: s.update(scenario="not a dict"), "scenario"),
    ],
)
def test_simulation_bad_input_is_422_naming_the_field(api_client, change, field):
    import copy

    client, _user = api_client("supervisor")
    body = copy.deepcopy({**SCENARIO, "seed": 1, "replications": 3})
    change(body)
    response = post(client, "/simulate", body)
    assert response.status_code == 422, response.content
    assert field in fields(response)
    assert SimulationRun.objects.count() == 0


def test_simulation_list_query_count(api_client, django_assert_max_num_queries):
    client, user = api_client("supervisor")
    for seed in range(3):
        services.simulation_run_create(actor=user, inputs=SCENARIO, seed=seed, replications=2)
    client.get(f"{BASE}/simulate")
    with django_assert_max_num_queries(8):
        body = client.get(f"{BASE}/simulate").json()
    assert body["count"] == 3 and body["items"][0]["results"] is None


def test_queue_crud_with_version_conflict(api_client):
    client, _user = api_client("admin")
    skill("presales")
    created = post(
        client, "/queues",
        {"name": "电话·售前", "channel": "phone", "strategy": "skill_based",
         "required_skills": ["presales"], "target_service_level": "0.85", "answer_seconds": 15},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    queue = created.json()
    assert queue["required_skills"] == ["presales"] and queue["version"] == 1
    url = f"{BASE}/queues/{queue['id']}"
    patched = client.patch(
        url, {"version": 1, "strategy": "tier_aware"}, content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = client.patch(url, {"version": 1, "priority": 9}, content_type="application/json")
    assert stale.status_code == 409
    assert Queue.objects.get(pk=queue["id"]).priority == 0
    bad = post(client, "/queues", {"name": "x", "channel": "phone", "required_skills": ["nope"]})
    assert bad.status_code == 422 and "required_skills" in fields(bad)
    bad = post(client, "/queues", {"name": "y", "channel": "fax"})
    assert bad.status_code == 422 and "channel" in fields(bad)
    assert client.delete(url).status_code == 204
    assert not Queue.objects.filter(pk=queue["id"]).exists()


def test_queue_writes_need_permission_and_list_query_count(
    api_client, django_assert_max_num_queries
):
    agent, _user = api_client("agent")
    assert post(agent, "/queues", {"name": "x", "channel": "phone"}).status_code == 403
    for i in range(4):
        make_queue(name=f"q{i}", required_skills=[skill(f"s{i}")])
    agent.get(f"{BASE}/queues")
    with django_assert_max_num_queries(8):
        body = agent.get(f"{BASE}/queues").json()
    assert body["count"] == 4 and body["items"][0]["required_skills"]


def test_presence_get_put_and_permissions(api_client, make_user):
    client, agent = api_client("agent")
    url = f"{BASE}/agents/{agent.pk}/presence"
    assert client.get(url).json()["state"] == "offline"
    response = client.put(
        url, {"state": "available", "capacity": {"chat": 2}}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "available" and body["capacity"]["chat"] == 2 and body["version"] == 1
    stale = client.put(
        url, {"state": "away", "reason": "lunch", "version": 7}, content_type="application/json"
    )
    assert stale.status_code == 409
    bad = client.put(url, {"state": "asleep"}, content_type="application/json")
    assert bad.status_code == 422 and "state" in fields(bad)
    bad = client.put(
        url, {"state": "away", "capacity": {"fax": 1}}, content_type="application/json"
    )
    assert bad.status_code == 422 and "capacity" in fields(bad)
    other = make_user("agent")
    forbidden = client.put(
        f"{BASE}/agents/{other.pk}/presence", {"state": "away"}, content_type="application/json"
    )
    assert forbidden.status_code == 403
    supervisor, _ = api_client("supervisor")
    done = supervisor.put(
        f"{BASE}/agents/{other.pk}/presence",
        {"state": "away", "reason": "meeting"},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["reason"] == "meeting"
    assert AuditEvent.objects.filter(action="workforce.presence_changed").count() == 2


def test_agent_list_query_count(api_client, make_user, django_assert_max_num_queries):
    client, _user = api_client("supervisor")
    for _ in range(3):
        available(make_user("agent"))
    client.get(f"{BASE}/agents")
    with django_assert_max_num_queries(8) as few:
        client.get(f"{BASE}/agents")
    for _ in range(5):
        available(make_user("agent"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(f"{BASE}/agents").json()
    assert body["count"] == 8 and {a["state"] for a in body["items"]} == {"available"}


def test_routing_next(api_client, make_user):
    client, _user = api_client("supervisor")
    senior, junior = make_user("agent"), make_user("agent")
    available(senior)
    available(junior)
    with_skills(senior, senior=5)
    queue = make_queue(strategy="tier_aware")
    response = post(
        client,
        "/routing/next",
        {"queue_id": queue.pk, "customer_tier": "A", "contact_ref": "call-1"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["agent_id"] == senior.pk and "senior" in body["reason"]
    assert body["strategy"] == "tier_aware" and body["eligible_agents"] == 2
    assert RoutingDecision.objects.get(pk=body["decision_id"]).contact_ref == "call-1"
    bad = post(client, "/routing/next", {"queue_id": 999})
    assert bad.status_code == 422 and "queue_id" in fields(bad)
    bad = post(client, "/routing/next", {"queue_id": queue.pk, "assign": True})
    assert bad.status_code == 422 and "ticket_id" in fields(bad)
    agent, _ = api_client("agent")
    assert post(agent, "/routing/next", {"queue_id": queue.pk}).status_code == 403
