"""Portal reads: whose requests a customer sees, and what they are told about waiting (M26)."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kefu.portal import selectors, services
from kefu.portal.tests.factories import make_organisation, make_portal_customer, make_request
from kefu.tickets.models import Ticket

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.mark.django_db
def test_a_customer_sees_only_their_own_requests(alice, bob):
    mine = make_request(*alice)
    make_request(*bob)
    assert list(selectors.portal_tickets(alice[1])) == [mine]
    assert not selectors.portal_tickets(None).exists()


@pytest.mark.django_db
def test_organisation_visibility_follows_the_flag(make_user):
    org, other_org = make_organisation("Huaxin"), make_organisation("Other Co")
    alice, alice_c = make_portal_customer(make_user, name="A", email="a@x.cn", organization=org)
    carol, carol_c = make_portal_customer(make_user, name="C", email="c@x.cn", organization=org)
    dave, dave_c = make_portal_customer(make_user, name="D", email="d@x.cn", organization=other_org)
    own = make_request(alice, alice_c)
    colleague = make_request(carol, carol_c)
    outsider = make_request(dave, dave_c)
    from kefu.tickets import services as ticket_services

    org_itself = ticket_services.ticket_create(actor=None, customer=org, subject="Contract")
    alice_c = selectors.portal_customer(alice)
    assert set(selectors.portal_tickets(alice_c)) == {own}

    services.portal_access_set(actor=None, customer=alice_c, sees_organisation_tickets=True)
    alice_c = selectors.portal_customer(alice)
    assert set(selectors.portal_tickets(alice_c)) == {own, colleague, org_itself}
    assert outsider not in selectors.portal_tickets(alice_c)
    # The flag is personal: Carol still sees only her own.
    assert set(selectors.portal_tickets(selectors.portal_customer(carol))) == {colleague}


@pytest.mark.django_db
def test_staff_and_unlinked_logins_have_no_portal_customer(make_user, alice):
    assert selectors.portal_customer(make_user("agent")) is None
    assert selectors.portal_customer(make_user("customer")) is None
    assert selectors.portal_customer(alice[0]) == alice[1]


def ticket(**fields) -> Ticket:
    fields.setdefault("status", "open")
    return Ticket(**fields)


def test_waiting_for_the_first_reply():
    due = NOW + 2 * HOUR
    info = selectors.waiting(ticket(first_response_due_at=due, resolution_due_at=NOW), NOW)
    assert (info.kind, info.due_at, info.late) == ("first_reply", due, False)


def test_after_the_first_reply_the_resolution_is_awaited():
    info = selectors.waiting(
        ticket(first_response_at=NOW - HOUR, first_response_due_at=NOW, resolution_due_at=NOW),
        NOW,
    )
    assert (info.kind, info.late) == ("resolution", True)  # due == now: the promise slipped


@pytest.mark.parametrize("status", ["pending", "solved", "closed"])
def test_nothing_is_promised_while_we_wait_for_the_customer_or_are_done(status):
    t = ticket(status=status, first_response_due_at=NOW + HOUR, resolution_due_at=NOW + HOUR)
    assert selectors.waiting(t, NOW) is None


def test_nothing_is_promised_without_sla_due_times():
    assert selectors.waiting(ticket(), NOW) is None


@pytest.mark.django_db
def test_first_reply_promises_come_from_the_sla_policies(alice):
    from kefu.sla import services as sla_services

    assert selectors.first_reply_promises(alice[1]) == []
    calendar = sla_services.calendar_create(
        actor=None, name="24x7", timezone="UTC", always_open=True
    )
    sla_services.policy_create(
        actor=None,
        name="Complaints",
        calendar=calendar,
        kinds=["complaint"],
        first_response_minutes=90,
        first_response_business=False,
    )
    (promise,) = selectors.first_reply_promises(alice[1])
    assert (promise.kind, promise.duration, promise.business_time) == (
        "complaint",
        "1 h 30 min",
        False,
    )


@pytest.mark.django_db
def test_a_new_request_shows_its_expected_first_reply(alice, alice_client):
    from kefu.sla import services as sla_services

    calendar = sla_services.calendar_create(
        actor=None, name="24x7", timezone="UTC", always_open=True
    )
    sla_services.policy_create(
        actor=None,
        name="Everything",
        calendar=calendar,
        first_response_minutes=120,
        first_response_business=False,
    )
    before = timezone.now()
    ticket = services.request_submit(
        actor=alice[0],
        customer=alice[1],
        kind="inquiry",
        subject="Opening hours",
        description="When are you open?",
    )
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.first_response_due_at is not None
    assert (
        dt.timedelta(hours=2)
        <= ticket.first_response_due_at - before
        < dt.timedelta(hours=2, minutes=1)
    )
    page = alice_client.get(reverse("portal:home")).content.decode()
    assert "Expected first reply by" in page
    assert (
        "Expected first reply by"
        in Client().get(selectors.status_link_path(ticket)).content.decode()
    )
