"""Breach reasons: only on a breached clock, audited, reported, from the page and the API."""

import datetime as dt

import pytest
from django.test import Client

from kefu.core.errors import ValidationFailed
from kefu.core.models import AuditEvent
from kefu.sla import reporting, services
from kefu.sla.models import TicketSlaTarget
from kefu.sla.tests.factories import always_calendar, make_policy
from kefu.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def late_ticket(make_user, clock):
    """A ticket whose first-response target (60 min, 24×7) is breached two hours later."""
    agent = make_user("agent", username="lina")
    make_policy(always_calendar("24x7"), first_response_minutes=60)
    ticket = make_ticket(agent, assignee=agent)
    clock.advance(hours=2)
    return agent, ticket


def test_reason_only_for_a_breached_target(make_user, clock):
    agent = make_user("agent", username="lina")
    make_policy(always_calendar("24x7"), first_response_minutes=60)
    ticket = make_ticket(agent, assignee=agent)
    with pytest.raises(ValidationFailed) as not_late:
        services.sla_breach_reason_set(
            actor=agent, ticket=ticket, kind="first_response", reason="workload"
        )
    assert "kind" in not_late.value.fields
    clock.advance(minutes=61)  # breached now, before any sweep stored breached_at
    services.sla_breach_reason_set(
        actor=agent, ticket=ticket, kind="first_response", reason="workload"
    )
    target = TicketSlaTarget.objects.get(ticket=ticket, kind="first_response")
    assert (target.breach_reason, target.breach_reason_by) == ("workload", agent)


def test_other_needs_a_note_and_bad_reasons_are_refused(late_ticket):
    agent, ticket = late_ticket
    with pytest.raises(ValidationFailed) as bare_other:
        services.sla_breach_reason_set(
            actor=agent, ticket=ticket, kind="first_response", reason="other"
        )
    assert "note" in bare_other.value.fields
    with pytest.raises(ValidationFailed) as unknown:
        services.sla_breach_reason_set(
            actor=agent, ticket=ticket, kind="first_response", reason="bad-luck"
        )
    assert "reason" in unknown.value.fields
    with pytest.raises(ValidationFailed) as no_target:
        services.sla_breach_reason_set(actor=agent, ticket=ticket, kind="onsite", reason="system")
    assert "kind" in no_target.value.fields
    assert not AuditEvent.objects.filter(action="sla.breach_reason_set").exists()


def test_a_correction_is_audited_each_time(late_ticket):
    agent, ticket = late_ticket
    for reason, note in (("workload", ""), ("other", "快递系统宕机")):
        services.sla_breach_reason_set(
            actor=agent, ticket=ticket, kind="first_response", reason=reason, note=note
        )
    events = AuditEvent.objects.filter(action="sla.breach_reason_set").order_by("id")
    assert [e.changes["reason"][1][0] for e in events] == ["workload", "other"]
    assert events.last().changes["reason"][0] == ["workload", ""]


def test_report_groups_breaches_by_reason(make_user, clock):
    agent = make_user("agent", username="lina")
    make_policy(always_calendar("24x7"), first_response_minutes=60)
    tickets = [make_ticket(agent, assignee=agent) for _ in range(4)]
    clock.advance(hours=2)
    services.sla_sweep()  # stores breached_at
    reasons = ("workload", "workload", "third_party", None)
    for ticket, reason in zip(tickets, reasons, strict=True):
        if reason:
            services.sla_breach_reason_set(
                actor=agent, ticket=ticket, kind="first_response", reason=reason
            )
    today = dt.date(2026, 9, 14)
    rows = reporting.sla_report(date_from=today, date_to=today, group_by="reason").rows
    by_group = {row["group"]: row for row in rows if row["target"] == "first_response"}
    assert {g: r["breached"] for g, r in by_group.items()} == {
        "Too many contacts / not enough staff": 2,
        "Waiting on a third party or another department": 1,
        "Not recorded": 1,
    }
    assert all(r["total"] == r["breached"] for r in rows)  # met targets are left out


def test_ticket_page_form_and_api(late_ticket):
    agent, ticket = late_ticket
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(agent)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Record why it was missed" in page
    response = client.post(
        f"/sla/tickets/{ticket.pk}/breach-reason/",
        {"kind": "first_response", "reason": "complex", "note": "需要二线支持"},
    )
    assert response.status_code == 302
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Complex case needing a specialist — 需要二线支持" in page

    api = client.put(
        f"/api/v1/tickets/{ticket.pk}/sla/first_response/breach-reason",
        {"reason": "other", "note": ""},
        content_type="application/json",
    )
    assert api.status_code == 422 and "note" in api.json()["error"]["fields"]
    api = client.put(
        f"/api/v1/tickets/{ticket.pk}/sla/first_response/breach-reason",
        {"reason": "system", "note": "CRM 宕机"},
        content_type="application/json",
    )
    assert api.status_code == 200
    assert (api.json()["breach_reason"], api.json()["breach_note"]) == ("system", "CRM 宕机")


def test_customers_and_other_teams_cannot_record_a_reason(late_ticket, make_user):
    _agent, ticket = late_ticket
    outsider = make_user("customer")
    client = Client()
    client.force_login(outsider)
    response = client.post(
        f"/sla/tickets/{ticket.pk}/breach-reason/",
        {"kind": "first_response", "reason": "workload"},
    )
    assert response.status_code in (403, 404)
    assert not TicketSlaTarget.objects.exclude(breach_reason="").exists()
