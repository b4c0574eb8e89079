"""Pages: the right roles see them (403 for others), forms work without JavaScript, list pages
keep a constant number of queries."""

import pytest
from django.test import Client

from kefu.core.models import AuditEvent
from kefu.workforce.models import AgentPresence, AgentSkill, Queue, SimulationRun
from kefu.workforce.tests.factories import available, make_queue, skill, with_skills

pytestmark = pytest.mark.django_db

PLANNING_PAGES = [
    "/workforce/",
    "/workforce/staffing/",
    "/workforce/forecast/",
    "/workforce/simulation/",
    "/workforce/build-options/",
    "/workforce/live/",
    "/workforce/queues/",
    "/workforce/queues/new/",
]


@pytest.fixture
def login(make_user):
    def factory(role):
        user = make_user(role)
        client = Client()
        client.force_login(user)
        return client, user

    return factory


@pytest.mark.parametrize("role", ["supervisor", "manager", "admin"])
def test_planning_pages_render_for_supervisors_managers_admins(login, role):
    client, _user = login(role)
    make_queue(name="电话·售前")
    for url in PLANNING_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("role", ["agent", "qa", "customer"])
def test_planning_pages_are_forbidden_to_other_roles(login, role):
    client, _user = login(role)
    for url in PLANNING_PAGES[1:]:
        assert client.get(url).status_code == 403, url
    # agents are sent to their presence page; QA and customers may not use it
    home = client.get("/workforce/")
    if role == "agent":
        assert home.status_code == 302 and home["Location"].endswith("/workforce/presence/")
    else:
        assert home.status_code == 403
        assert client.get("/workforce/presence/").status_code == 403


def test_anonymous_users_are_sent_to_sign_in():
    response = Client().get("/workforce/staffing/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_staffing_calculator_works_as_a_get_form(login):
    client, _user = login("supervisor")
    response = client.get(
        "/workforce/staffing/",
        {"volume": 100, "interval_minutes": 30, "aht_s": 180, "target_percent": 80,
         "answer_s": 20, "shrinkage_percent": 30},
    )  # fmt: skip
    result = response.context["result"]
    assert result["required"] == 14 and result["scheduled"] == 20
    assert result["traffic"] == pytest.approx(10.0)
    content = response.content.decode()
    assert "staffing-curve" in content and "data-plotly-for" in content
    assert "88.8 %" in content  # the data table shows the service level at 14 agents
    first = client.get("/workforce/staffing/")  # first visit: computed from the defaults
    assert first.context["result"]["required"] == 14
    bad = client.get("/workforce/staffing/", {"volume": -3, "aht_s": 180})
    assert bad.status_code == 200 and bad.context["result"] is None
    assert "volume" in bad.context["form"].errors


def test_forecast_page_shows_accuracy_and_heat_map(login):
    from kefu.workforce.tests.factories import ticket_history

    client, _user = login("manager")
    ticket_history(channel="phone", days=21, per_hour={9: 6, 10: 8, 15: 3})
    response = client.get(
        "/workforce/forecast/",
        {"channel": "phone", "source": "tickets", "weeks": 3, "interval_minutes": 30,
         "horizon_days": 7, "holdout_days": 7, "method": "profile", "target_percent": 80,
         "answer_s": 20, "shrinkage_percent": 30, "scheduled_agents": 3},
    )  # fmt: skip
    assert response.status_code == 200
    result = response.context["result"]
    assert result is not None, response.context["form"].errors
    assert result["history_contacts"] == 21 * 17 and result["accuracy"] is not None
    assert response.context["figures"]["gap"]
    assert "forecast-heat" in response.content.decode()


def test_simulation_form_creates_a_run_and_shows_results(login):
    client, user = login("supervisor")
    response = client.post(
        "/workforce/simulation/",
        {"name": "演练", "rate_per_hour": 120, "aht_s": 180, "service_distribution": "exponential",
         "service_cv": 1, "patience_s": 120, "agents": 7, "duration_h": 2, "interval_min": 30,
         "answer_s": 20, "surge_at_min": 30, "surge_rate_per_hour": 240, "surge_end_min": 90,
         "plan_extra_agents": 3, "plan_extra_after_min": 40, "plan_deflection_percent": 10,
         "plan_deflection_after_min": 35, "plan_overflow_agents": 0,
         "plan_overflow_after_wait_s": 60, "seed": 7, "replications": 4},
    )  # fmt: skip
    run = SimulationRun.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{run.pk}/")
    assert run.status == "done" and run.created_by == user and run.name == "演练"
    page = client.get(response["Location"])
    assert page.status_code == 200 and len(page.context["figures"]) == 4
    assert page.context["rows"][0]["plan"]["mean"] is not None
    again = client.get("/workforce/simulation/", {"from": run.pk})
    assert again.context["form"].initial["agents"] == "7"


def test_simulation_form_errors_name_the_field(login):
    client, _user = login("supervisor")
    response = client.post(
        "/workforce/simulation/",
        {"rate_per_hour": -1, "aht_s": 180, "agents": 5, "duration_h": 1, "seed": 1,
         "replications": 1, "surge_at_min": 10},
    )  # fmt: skip
    form = response.context["form"]
    assert {"rate_per_hour", "replications", "surge_rate_per_hour"} <= set(form.errors)
    assert SimulationRun.objects.count() == 0


def test_build_options_page_ranks_the_options(login):
    client, _user = login("manager")
    response = client.get("/workforce/build-options/")
    report = response.context["report"]
    assert {row["option"] for row in report["costs"]} == {"self_built", "hosted", "outsourced"}
    assert sorted(row["rank"] for row in report["decision"])[0] == 1
    cheapest = min(report["costs"], key=lambda r: r["total"])
    assert next(r for r in report["decision"] if r["option"] == cheapest["option"])["scores"][
        "cost"
    ] == pytest.approx(5.0)


def test_live_wall_and_queues_pages_keep_a_constant_query_count(
    login, make_user, django_assert_max_num_queries
):
    client, _user = login("supervisor")

    def add_some(n):
        for i in range(n):
            make_queue(channel="chat", required_skills=[skill(f"k{i}")])
            agent = available(make_user("agent"))
            with_skills(agent, presales=3)

    add_some(2)
    client.get("/workforce/live/")
    for url in ("/workforce/live/", "/workforce/queues/"):
        with django_assert_max_num_queries(40) as baseline:
            client.get(url)
        add_some(4)
        with django_assert_max_num_queries(len(baseline.captured_queries)):
            assert client.get(url).status_code == 200


def test_queue_admin_create_edit_and_skills(login, make_user):
    client, _user = login("admin")
    skill("presales")
    response = client.post(
        "/workforce/queues/new/",
        {"name": "在线客服", "channel": "chat", "strategy": "longest_idle",
         "target_service_level": "0.85", "answer_seconds": 30, "aht_seconds": 400,
         "priority": 1, "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    queue = Queue.objects.get(name="在线客服")
    response = client.post(
        f"/workforce/queues/{queue.pk}/",
        {"version": 1, "name": "在线客服", "channel": "chat", "strategy": "round_robin",
         "target_service_level": "0.85", "answer_seconds": 30, "aht_seconds": 400,
         "priority": 1, "is_active": "on", "required_skills": [skill("presales").pk]},
    )  # fmt: skip
    assert response.status_code == 302
    queue.refresh_from_db()
    assert queue.strategy == "round_robin" and queue.version == 2
    stale = client.post(
        f"/workforce/queues/{queue.pk}/",
        {"version": 1, "name": "在线客服", "channel": "chat", "strategy": "least_loaded",
         "target_service_level": "0.85", "answer_seconds": 30, "aht_seconds": 400, "priority": 1},
    )  # fmt: skip
    assert stale.status_code == 200 and stale.context["form"].non_field_errors()
    assert client.post("/workforce/skills/", {"name": "english"}).status_code == 302
    agent = make_user("agent")
    client.post(
        "/workforce/agent-skills/", {"agent": agent.pk, "skill": skill("english").pk, "level": 4}
    )
    assert AgentSkill.objects.get(agent=agent).level == 4
    assert client.post(f"/workforce/queues/{queue.pk}/delete/").status_code == 302
    assert not Queue.objects.filter(pk=queue.pk).exists()


def test_supervisor_may_not_delete_queues(login):
    client, _user = login("supervisor")
    queue = make_queue()
    assert client.post(f"/workforce/queues/{queue.pk}/delete/").status_code == 403


def test_agent_presence_switch(login):
    client, agent = login("agent")
    page = client.get("/workforce/presence/")
    assert page.status_code == 200
    response = client.post(
        "/workforce/presence/",
        {"state": "away", "reason": "lunch", "capacity_phone": 1, "capacity_chat": 2,
         "capacity_email": 4},
    )  # fmt: skip
    assert response.status_code == 302
    presence = AgentPresence.objects.get(agent=agent)
    assert (presence.state, presence.reason, presence.capacity["chat"]) == ("away", "lunch", 2)
    client.post("/workforce/presence/available/")
    presence.refresh_from_db()
    assert presence.state == "available" and presence.reason == ""
    history = client.get("/workforce/presence/").context["history"]
    assert len(history) == 2
    assert AuditEvent.objects.filter(actor=agent, action="workforce.presence_changed").count() == 2
