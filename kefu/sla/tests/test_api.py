"""SLA API: permissions, validation, ordering, a ticket's clocks, the report; query counts."""

import datetime as dt
import json

import pytest

from kefu.sla.models import SlaPolicy
from kefu.sla.tests.factories import make_policy, office_calendar
from kefu.tickets.tests.factories import make_ticket

WEEK = {d: [["09:00", "12:00"], ["13:30", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def admin(api_client):
    return api_client("admin")


def test_only_admins_write_settings(api_client, admin):
    body = {"name": "Office", "timezone": "Asia/Shanghai", "weekly": WEEK}
    for role in ("agent", "supervisor", "manager"):
        client, _user = api_client(role)
        assert post(client, "/api/v1/calendars", body).status_code == 403
    client, _user = admin
    response = post(client, "/api/v1/calendars", body)
    assert response.status_code == 201, response.content
    calendar = response.json()
    assert calendar["weekly"]["mon"] == [["09:00", "12:00"], ["13:30", "18:00"]]
    supervisor, _user = api_client("supervisor")
    assert supervisor.get("/api/v1/calendars").json()["count"] == 1
    agent, _user = api_client("agent")
    assert agent.get("/api/v1/calendars").status_code == 403
    rule = {"name": "Late", "target": "first_response", "action": "raise_priority"}
    assert post(supervisor, "/api/v1/escalation-rules", rule).status_code == 403
    assert post(client, "/api/v1/escalation-rules", rule).status_code == 201


def test_calendar_errors_name_the_field_and_stale_edits_conflict(admin):
    client, _user = admin
    bad = post(
        client, "/api/v1/calendars", {"name": "X", "timezone": "Nowhere/City", "weekly": WEEK}
    )
    assert bad.status_code == 422 and "timezone" in bad.json()["error"]["fields"]
    created = post(client, "/api/v1/calendars", {"name": "Office", "weekly": WEEK}).json()
    url = f"/api/v1/calendars/{created['id']}"
    assert (
        patch(client, url, {"version": created["version"], "holidays": ["2026-10-01"]}).status_code
        == 200
    )
    stale = patch(client, url, {"version": created["version"], "name": "Other"})
    assert stale.status_code == 409


def test_holiday_upload(admin):
    client, _user = admin
    created = post(client, "/api/v1/calendars", {"name": "Office", "weekly": WEEK}).json()
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270216\r\n"
        "DTEND;VALUE=DATE:20270218\r\nSUMMARY:春节\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/api/v1/calendars/{created['id']}/holidays",
        {
            "version": created["version"],
            "format": "ics",
            "file": SimpleUploadedFile("h.ics", ics, "text/calendar"),
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["holidays"] == ["2027-02-16", "2027-02-17"]


def test_policies_are_ordered_and_reorderable(admin, db):
    client, _user = admin
    calendar = office_calendar("Office")
    ids = []
    for name in ("Urgent", "Tier A", "Default"):
        response = post(
            client,
            "/api/v1/sla-policies",
            {"name": name, "calendar_id": calendar.pk, "first_response_minutes": 60},
        )
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    listed = client.get("/api/v1/sla-policies").json()["items"]
    assert [p["id"] for p in listed] == ids
    response = post(client, "/api/v1/sla-policies/reorder", {"policy_ids": ids[::-1]})
    assert [p["id"] for p in response.json()] == ids[::-1]
    missing = post(client, "/api/v1/sla-policies/reorder", {"policy_ids": ids[:2]})
    assert missing.status_code == 422 and "policy_ids" in missing.json()["error"]["fields"]
    no_target = post(client, "/api/v1/sla-policies", {"name": "Empty", "calendar_id": calendar.pk})
    assert no_target.status_code == 422


def test_policy_list_query_count(admin, db, django_assert_max_num_queries):
    client, _user = admin
    calendar = office_calendar("Office")
    for n in range(8):
        make_policy(calendar, f"P{n}")
    with django_assert_max_num_queries(8):  # auth (token, user, perms) + 1 count + 3 list
        response = client.get("/api/v1/sla-policies")
    assert response.json()["count"] == 8


def test_rule_list_query_count(admin, db, django_assert_max_num_queries):
    from kefu.sla import services

    client, _user = admin
    for n in range(6):
        services.rule_create(
            actor=None,
            name=f"R{n}",
            target="resolution",
            at_percent=10 + n,
            action="add_tag",
            tag="x",
        )
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/escalation-rules")
    assert response.json()["count"] == 6


def test_ticket_sla_endpoint(api_client, db):
    client, agent = api_client("agent")
    make_policy(office_calendar("Office"), first_response_minutes=120, resolution_minutes=600)
    ticket = make_ticket(agent, assignee=agent)
    body = client.get(f"/api/v1/tickets/{ticket.pk}/sla").json()
    assert [c["kind"] for c in body["clocks"]] == ["first_response", "resolution"]
    first = body["clocks"][0]
    assert first["minutes"] == 120 and first["state"] in ("running", "paused")
    assert first["remaining_seconds"] <= 7200 and first["paused_intervals"] == []
    customer, _user = api_client("customer")
    assert customer.get(f"/api/v1/tickets/{ticket.pk}/sla").status_code == 403


def test_report_endpoint_figures(api_client, db):
    from django.utils import timezone

    from kefu.sla.models import TicketSlaTarget

    client, agent = api_client("supervisor")
    make_policy(
        office_calendar("Office"), "Standard", first_response_minutes=120, resolution_minutes=None
    )
    t1, t2, t3 = (make_ticket(agent, assignee=agent) for _ in range(3))
    now = timezone.now()
    TicketSlaTarget.objects.filter(ticket=t1).update(met_at=now, elapsed_seconds=1800)
    TicketSlaTarget.objects.filter(ticket=t2).update(
        met_at=now, breached_at=now, elapsed_seconds=9000
    )
    response = client.get("/api/v1/reports/sla?group_by=policy")
    assert response.status_code == 200
    (row,) = response.json()["rows"]
    assert row == {
        "group": "Standard",
        "target": "first_response",
        "total": 3,
        "achieved": 1,
        "breached": 1,
        "open": 1,
        "compliance": 50.0,
        "median_minutes": 90.0,  # (30 + 150) / 2
        "p90_minutes": 138.0,  # 30 + 0.9 × 120
    }
    agent_client, _user = api_client("agent")
    assert agent_client.get("/api/v1/reports/sla").status_code == 403
    assert t3.pk and SlaPolicy.objects.count() == 1


def test_expected_response_endpoint(api_client, db):
    client, _user = api_client("agent")
    assert client.get("/api/v1/sla-policies/expected-response").status_code == 204
    make_policy(office_calendar("Office"), first_response_minutes=45)
    body = client.get("/api/v1/sla-policies/expected-response?tier=A").json()
    assert body["minutes"] == 45
    assert dt.datetime.fromisoformat(body["due_at"]) > dt.datetime.now(dt.UTC)
