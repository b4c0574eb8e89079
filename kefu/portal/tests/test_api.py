"""What a portal customer's API token can do on /api/v1/tickets (the tickets API's own rules)."""

import pytest

from kefu.customers.models import Customer
from kefu.portal.tests.factories import answer, make_request
from kefu.tickets import services as ticket_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer_api(api_client):
    """(client with a customer's token, user, customer record)."""
    client, user = api_client("customer", email="eve@example.com")
    customer = Customer.objects.create(name="Eve", number="P-API-1", user=user)
    return client, user, customer


def test_customer_token_reads_own_ticket_only(customer_api, bob):
    client, user, customer = customer_api
    mine = make_request(user, customer)
    theirs = make_request(*bob)
    response = client.get(f"/api/v1/tickets/{mine.pk}")
    assert response.status_code == 200 and response.json()["id"] == mine.pk
    internal = {"assignee_id", "team_id", "priority", "problem_statement", "root_cause_id"}
    assert not internal & set(response.json()), "customers must not read internal fields"
    assert client.get(f"/api/v1/tickets/{theirs.pk}").status_code == 404
    assert client.get(f"/api/v1/tickets/{theirs.pk}/messages").status_code == 404


def test_customer_token_cannot_list_tickets(customer_api):
    """The list endpoint is for staff: a customer token gets 403, not someone else's list."""
    client, user, customer = customer_api
    make_request(user, customer)
    response = client.get("/api/v1/tickets")
    assert response.status_code == 403


def test_customer_token_never_sees_internal_notes(customer_api, agent):
    client, user, customer = customer_api
    ticket = make_request(user, customer)
    answer(agent, ticket, "Public answer")
    ticket_services.message_add(actor=agent, ticket=ticket, kind="note", body="secret note")
    response = client.get(f"/api/v1/tickets/{ticket.pk}/messages")
    assert response.status_code == 200
    bodies = [m["body_text"] for m in response.json()["items"]]
    assert "Public answer" in bodies and "secret note" not in bodies
    assert client.get(f"/api/v1/tickets/{ticket.pk}/events").status_code == 403


def test_customer_token_cannot_post_staff_messages(customer_api, bob):
    """Replies and notes are staff-only (403). The API accepts no "customer" kind (422):
    customers answer through the portal pages, not the tickets API."""
    client, user, customer = customer_api
    mine = make_request(user, customer)
    for kind in ("reply", "note"):
        refused = client.post(
            f"/api/v1/tickets/{mine.pk}/messages",
            {"kind": kind, "body": "pretending to be staff"},
            content_type="application/json",
        )
        assert refused.status_code == 403, kind
    as_customer = client.post(
        f"/api/v1/tickets/{mine.pk}/messages",
        {"kind": "customer", "body": "More details"},
        content_type="application/json",
    )
    assert as_customer.status_code == 422
    theirs = make_request(*bob)
    response = client.post(
        f"/api/v1/tickets/{theirs.pk}/messages",
        {"kind": "reply", "body": "hi"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not mine.messages.exists() and not theirs.messages.exists()


def test_customer_token_cannot_change_or_move_tickets(customer_api):
    client, user, customer = customer_api
    mine = make_request(user, customer)
    patch = client.patch(
        f"/api/v1/tickets/{mine.pk}",
        {"version": mine.version, "priority": "urgent"},
        content_type="application/json",
    )
    assert patch.status_code == 403
    move = client.post(
        f"/api/v1/tickets/{mine.pk}/transition",
        {"status": "solved", "version": mine.version},
        content_type="application/json",
    )
    assert move.status_code == 403
