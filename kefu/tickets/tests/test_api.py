"""The tickets API: CRUD, filters, messages with the reply checker, transitions, optimistic
locking, compensation and approvals, incidents, problems, permissions and query counts."""

from __future__ import annotations

import pytest

from kefu.tickets.models import Compensation, Ticket
from kefu.tickets.tests.factories import make_customer, make_team, make_ticket, set_limit

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets"


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def test_create_read_and_filter(api_client):
    client, _agent = api_client("agent")
    customer = make_customer("张伟")
    created = post(
        client,
        URL,
        {
            "customer_id": customer.pk,
            "subject": "耳机没有声音",
            "kind": "complaint",
            "priority": "high",
            "five_w_two_h": {"w_what": "右耳无声", "w_how_much": "299.00"},
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["public_id"].startswith("KF-") and body["w_what"] == "右耳无声"
    post(client, URL, {"customer_id": customer.pk, "subject": "发票问题"})
    listed = client.get(URL, {"kind": "complaint"}).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]
    assert client.get(URL, {"q": "发票"}).json()["count"] == 1
    assert client.get(URL, {"priority": "high", "customer": customer.pk}).json()["count"] == 1


def test_bad_input_names_the_field(api_client):
    client, _agent = api_client("agent")
    unknown = post(client, URL, {"customer_id": 999999, "subject": "x"})
    assert unknown.status_code == 422 and "customer_id" in unknown.json()["error"]["fields"]
    bad_kind = post(client, URL, {"customer_id": make_customer().pk, "subject": "x", "kind": "x"})
    assert bad_kind.status_code == 422
    assert client.get(URL, {"view": "nonsense"}).status_code == 422
    assert Ticket.objects.count() == 0


def test_stale_patch_gets_409_and_loses_nothing(api_client):
    client, agent = api_client("agent")
    ticket = make_ticket(agent)
    first = patch(client, f"{URL}/{ticket.pk}", {"version": 1, "priority": "urgent"})
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = patch(client, f"{URL}/{ticket.pk}", {"version": 1, "priority": "low"})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
    assert Ticket.objects.get(pk=ticket.pk).priority == "urgent"


def test_transitions_refuse_illegal_moves_and_missing_data(api_client):
    client, agent = api_client("agent")
    complaint = make_ticket(agent, kind="complaint")
    illegal = post(client, f"{URL}/{complaint.pk}/transition", {"status": "closed", "version": 1})
    assert illegal.status_code == 409
    unassigned = post(client, f"{URL}/{complaint.pk}/transition", {"status": "open", "version": 1})
    assert unassigned.status_code == 422 and "assignee" in unassigned.json()["error"]["fields"]
    patch(client, f"{URL}/{complaint.pk}", {"version": 1, "assignee_id": agent.pk})
    opened = post(client, f"{URL}/{complaint.pk}/transition", {"status": "open", "version": 2})
    assert opened.status_code == 200 and opened.json()["status"] == "open"
    missing = post(client, f"{URL}/{complaint.pk}/transition", {"status": "solved", "version": 3})
    assert missing.status_code == 422  # a complaint needs a root cause and a resolution
    assert set(missing.json()["error"]["fields"]) & {"root_cause", "resolution"}
    assert Ticket.objects.get(pk=complaint.pk).status == "open"


def test_reply_checker_warns_until_confirmed(api_client):
    client, agent = api_client("agent")
    ticket = make_ticket(agent)
    text = {"kind": "reply", "body": "这不是我们部门的问题，你自己看说明书。"}
    warned = post(client, f"{URL}/{ticket.pk}/messages", text)
    assert warned.status_code == 422 and warned.json()["error"]["details"]["warnings"]
    assert ticket.messages.count() == 0
    sent = post(client, f"{URL}/{ticket.pk}/messages", {**text, "confirm_warnings": True})
    assert sent.status_code == 201 and sent.json()["checker_warnings"]
    events = client.get(f"{URL}/{ticket.pk}/events").json()["items"]
    assert "reply_sent" in [e["kind"] for e in events]


def test_html_is_sanitised(api_client):
    client, agent = api_client("agent")
    ticket = make_ticket(agent)
    sent = post(
        client,
        f"{URL}/{ticket.pk}/messages",
        {"kind": "note", "html": True, "body": '<p onclick="x()">hi<script>bad()</script></p>'},
    )
    assert sent.status_code == 201
    assert "script" not in sent.json()["body_html"] and "onclick" not in sent.json()["body_html"]


def test_compensation_above_the_limit_waits_for_approval(api_client):
    client, agent = api_client("agent")
    lead_client, lead = api_client("supervisor")
    team = make_team(members=[agent], lead=lead)
    set_limit("agent", "refund", 100)
    set_limit("supervisor", "refund", 5000)
    ticket = make_ticket(agent, team=team, kind="complaint")
    asked = post(
        client,
        f"{URL}/{ticket.pk}/compensations",
        {"remedy": "refund", "amount": "800.00", "reason": "屏幕划痕"},
    )
    assert asked.status_code == 201 and asked.json()["state"] == "pending"
    comp_id = asked.json()["id"]
    assert post(client, f"/api/v1/approvals/{comp_id}/approve", {}).status_code == 403
    mine = lead_client.get("/api/v1/approvals").json()
    assert comp_id in [c["id"] for c in mine["items"]]
    approved = post(lead_client, f"/api/v1/approvals/{comp_id}/approve", {"note": "ok"})
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert Compensation.objects.get(pk=comp_id).decided_by == lead


def test_agents_of_another_team_get_404(api_client, make_user):
    insider = make_user("agent")
    ticket = make_ticket(insider, team=make_team(members=[insider]))
    client, _outsider = api_client("agent")
    assert client.get(f"{URL}/{ticket.pk}").status_code == 404
    assert client.get(f"{URL}/{ticket.pk}/messages").status_code == 404
    assert patch(client, f"{URL}/{ticket.pk}", {"version": 1, "priority": "low"}).status_code == 404
    assert ticket.pk not in [t["id"] for t in client.get(URL).json()["items"]]


def test_incident_broadcast_reaches_every_linked_ticket(api_client):
    client, agent = api_client("agent")
    incident = make_ticket(agent, subject="物流中心系统故障")
    children = [make_ticket(agent) for _ in range(3)]
    linked = post(
        client,
        f"/api/v1/incidents/{incident.pk}/tickets",
        {"ticket_ids": [t.pk for t in children]},
    )
    assert linked.status_code == 200 and linked.json()["is_incident"]
    sent = post(
        client, f"/api/v1/incidents/{incident.pk}/broadcast", {"body": "物流已恢复，今日发货。"}
    )
    assert sent.status_code == 201 and len(sent.json()) == 3
    for child in children:
        assert child.messages.filter(body_text__contains="物流已恢复").count() == 1


def test_problem_records_link_tickets(api_client):
    client, agent = api_client("supervisor")
    tickets = [make_ticket(agent) for _ in range(2)]
    created = post(
        client,
        "/api/v1/problems",
        {"title": "充电器批次故障", "ticket_ids": [t.pk for t in tickets]},
    )
    assert created.status_code == 201
    assert sorted(created.json()["ticket_ids"]) == sorted(t.pk for t in tickets)


def test_list_query_count_is_constant(api_client, django_assert_max_num_queries):
    client, agent = api_client("agent")
    make_ticket(agent, assignee=agent)
    with django_assert_max_num_queries(15) as few:
        assert client.get(URL).status_code == 200
    for _ in range(8):
        make_ticket(agent, assignee=agent)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL).json()["count"] == 9
