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


def test_batch_creates_every_ticket_as_a_single_create_would(api_client):
    from kefu.core.models import AuditEvent
    from kefu.tickets.models import TicketEvent

    client, _agent = api_client("agent")
    customers = [make_customer(f"批量{i}") for i in range(3)]
    items = [
        {"customer_id": c.pk, "subject": f"批量工单 {i}", "kind": kind, "tags": ["batch"]}
        for i, (c, kind) in enumerate(
            zip(customers, ["inquiry", "complaint", "request"], strict=True)
        )
    ]
    response = post(client, f"{URL}/batch", {"tickets": items})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] == 3
    ids = [t["id"] for t in body["tickets"]]
    tickets = Ticket.objects.in_bulk(ids)
    assert [tickets[i].subject for i in ids] == ["批量工单 0", "批量工单 1", "批量工单 2"]
    assert [t["customer_id"] for t in body["tickets"]] == [c.pk for c in customers]
    assert all(t["public_id"] == tickets[t["id"]].public_id for t in body["tickets"])
    assert tickets[ids[1]].stage == "listen"  # a complaint starts at Listen, as alone
    assert set(tickets[ids[0]].tags.values_list("name", flat=True)) == {"batch"}
    assert TicketEvent.objects.filter(ticket_id__in=ids, kind="created").count() == 3
    single = post(client, URL, {"customer_id": customers[0].pk, "subject": "单个"}).json()
    per_ticket = {
        kind
        for kind in TicketEvent.objects.filter(ticket_id=single["id"]).values_list(
            "kind", flat=True
        )
    }
    batched = set(TicketEvent.objects.filter(ticket_id=ids[0]).values_list("kind", flat=True))
    assert batched == per_ticket
    audited = AuditEvent.objects.filter(object_type="tickets.ticket").values_list(
        "object_id", flat=True
    )
    assert {str(i) for i in ids} <= {str(o) for o in audited}


def test_batch_is_all_or_none_and_names_the_bad_item(api_client):
    client, _agent = api_client("agent")
    customer = make_customer()
    good = {"customer_id": customer.pk, "subject": "好的"}
    missing = post(client, f"{URL}/batch", {"tickets": [good, {**good, "customer_id": 999999}]})
    assert missing.status_code == 422
    assert "tickets[1].customer_id" in missing.json()["error"]["fields"]
    blank = post(client, f"{URL}/batch", {"tickets": [good, good, {**good, "subject": "   "}]})
    assert blank.status_code == 422, blank.content
    assert "tickets[2].subject" in blank.json()["error"]["fields"]
    too_many = post(client, f"{URL}/batch", {"tickets": [good] * 101})
    assert too_many.status_code == 422
    assert post(client, f"{URL}/batch", {"tickets": []}).status_code == 422
    assert Ticket.objects.count() == 0


def test_batch_needs_the_create_permission(api_client):
    client, _qa = api_client("qa")
    customer = make_customer()
    response = post(
        client, f"{URL}/batch", {"tickets": [{"customer_id": customer.pk, "subject": "x"}]}
    )
    assert response.status_code == 403
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
