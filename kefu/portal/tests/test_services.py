"""Portal services against the real database: submit (5W2H, files), reply, rate, access."""

from decimal import Decimal

import pytest

from kefu.core.errors import Conflict, NotAllowed, ValidationFailed
from kefu.core.models import AuditEvent
from kefu.portal import services
from kefu.portal.models import PortalAccess, ResolutionRating
from kefu.portal.tests.factories import make_organisation, make_request, png_bytes, solve
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Attachment, Message, Ticket
from kefu.tickets.services.conversation import UploadedFile

pytestmark = pytest.mark.django_db

FIVE_W = {
    "w_what": "The screen cracked on the first day.",
    "w_why": "I need the phone for work.",
    "w_who": "Courier Zhang",
    "w_when": "2026-11-30 morning",
    "w_where": "Home, Chaoyang district",
    "w_how": "The box was crushed.",
    "w_how_much": Decimal("3299.00"),
}


def test_complaint_records_5w2h_and_the_attachment(alice):
    user, customer = alice
    ticket = services.request_submit(
        actor=user,
        customer=customer,
        kind="complaint",
        subject="Cracked screen",
        five_w_two_h=FIVE_W,
        uploads=[UploadedFile("photo.png", "image/png", png_bytes())],
    )
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.channel, ticket.kind, ticket.stage) == ("web", "complaint", "listen")
    for name, value in FIVE_W.items():
        assert getattr(ticket, name) == value
    assert ticket.description == FIVE_W["w_what"]  # what the agents read first
    message = Message.objects.get(ticket=ticket)
    assert message.kind == "customer" and message.author == user
    attachment = Attachment.objects.get(message=message)
    assert attachment.filename == "photo.png" and attachment.size == len(png_bytes())
    assert "photo.png" in message.body_text


def test_complaint_needs_what_happened(alice):
    user, customer = alice
    with pytest.raises(ValidationFailed) as err:
        services.request_submit(
            actor=user, customer=customer, kind="complaint", subject="Bad", five_w_two_h={}
        )
    assert "w_what" in err.value.fields
    assert not Ticket.objects.exists()


def test_5w2h_fields_are_ignored_for_an_inquiry(alice):
    user, customer = alice
    ticket = services.request_submit(
        actor=user,
        customer=customer,
        kind="inquiry",
        subject="Opening hours",
        description="When are you open on holidays?",
        five_w_two_h=FIVE_W,
    )
    assert ticket.w_what == "" and ticket.w_how_much is None and ticket.stage == ""


def test_an_inquiry_needs_a_description(alice):
    user, customer = alice
    with pytest.raises(ValidationFailed) as err:
        services.request_submit(actor=user, customer=customer, kind="inquiry", subject="Hi")
    assert "description" in err.value.fields


def test_a_disguised_file_is_refused_and_nothing_is_stored(alice):
    user, customer = alice
    fake_pdf = UploadedFile("invoice.pdf", "application/pdf", b"MZ\x90\x00 not a pdf")
    with pytest.raises(ValidationFailed) as err:
        services.request_submit(
            actor=user,
            customer=customer,
            kind="request",
            subject="Invoice",
            description="Please see the invoice.",
            uploads=[fake_pdf],
        )
    assert "attachments" in err.value.fields
    assert not Ticket.objects.exists() and not Attachment.objects.exists()


def test_too_many_files_are_refused(alice):
    user, customer = alice
    files = [UploadedFile(f"{i}.txt", "text/plain", b"x") for i in range(6)]
    with pytest.raises(ValidationFailed) as err:
        services.request_submit(
            actor=user,
            customer=customer,
            kind="request",
            subject="Files",
            description="Six files",
            uploads=files,
        )
    assert "attachments" in err.value.fields and not Ticket.objects.exists()


def test_a_customer_cannot_submit_for_someone_else(alice, bob):
    with pytest.raises(NotAllowed):
        services.request_submit(
            actor=alice[0], customer=bob[1], kind="inquiry", subject="x", description="y"
        )


def test_staff_cannot_use_the_portal_services(agent, alice):
    ticket = make_request(alice[0], alice[1])
    with pytest.raises(NotAllowed):
        services.request_reply(actor=agent, ticket=ticket, body="hello")


def test_reply_adds_a_customer_message_and_reopens_a_solved_request(alice, agent):
    user, customer = alice
    ticket = solve(agent, make_request(user, customer))
    assert ticket.status == "solved"
    message = services.request_reply(
        actor=user,
        ticket=ticket,
        body="It is still broken.",
        uploads=[UploadedFile("note.txt", "text/plain", b"details")],
    )
    assert message.kind == "customer" and message.channel == "web"
    assert message.attachments.count() == 1
    assert Ticket.objects.get(pk=ticket.pk).status == "open"


def test_reply_to_another_customers_request_is_refused(alice, bob):
    ticket = make_request(bob[0], bob[1])
    with pytest.raises(NotAllowed):
        services.request_reply(actor=alice[0], ticket=ticket, body="let me in")
    assert not Message.objects.filter(ticket=ticket).exists()


def test_reply_to_a_closed_request_is_refused(alice, agent):
    user, customer = alice
    ticket = solve(agent, make_request(user, customer))
    ticket = ticket_services.ticket_transition(
        actor=agent, ticket=ticket, to_status="closed", expected_version=ticket.version
    )
    with pytest.raises(Conflict):
        services.request_reply(actor=user, ticket=ticket, body="one more thing")


def test_rating_a_solved_request_once(alice, agent):
    user, customer = alice
    ticket = solve(agent, make_request(user, customer))
    rating = services.resolution_rate(
        actor=user, ticket=ticket, score=4, comment="  Fast, thanks  ", confirmed=True
    )
    assert (rating.score, rating.comment, rating.confirmed) == (4, "Fast, thanks", True)
    event = AuditEvent.objects.get(action="portal.resolution_rated")
    assert event.actor == user and event.changes["score"] == [None, 4]
    with pytest.raises(Conflict):
        services.resolution_rate(actor=user, ticket=ticket, score=5)
    assert ResolutionRating.objects.count() == 1


@pytest.mark.parametrize("score", [0, 6])
def test_rating_outside_1_to_5_is_refused(alice, agent, score):
    user, customer = alice
    ticket = solve(agent, make_request(user, customer))
    with pytest.raises(ValidationFailed) as err:
        services.resolution_rate(actor=user, ticket=ticket, score=score)
    assert "score" in err.value.fields and not ResolutionRating.objects.exists()


def test_an_open_request_cannot_be_rated(alice):
    user, customer = alice
    ticket = make_request(user, customer)
    with pytest.raises(Conflict):
        services.resolution_rate(actor=user, ticket=ticket, score=5)


def test_a_reopened_and_solved_again_request_can_be_rated_again(alice, agent):
    user, customer = alice
    ticket = solve(agent, make_request(user, customer))
    services.resolution_rate(actor=user, ticket=ticket, score=2, confirmed=False)
    services.request_reply(actor=user, ticket=ticket, body="Still not working.")
    ticket = solve(agent, Ticket.objects.get(pk=ticket.pk))
    services.resolution_rate(actor=user, ticket=ticket, score=5, confirmed=True)
    assert list(ResolutionRating.objects.order_by("id").values_list("score", flat=True)) == [2, 5]


def test_rating_records_the_customers_answer_on_the_ticket(alice, agent):
    user, customer = alice
    ticket = solve(agent, make_request(user, customer))
    services.resolution_rate(actor=user, ticket=ticket, score=3, confirmed=False)
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.satisfaction_answered and not ticket.customer_confirmed
    other = solve(agent, make_request(user, customer))
    services.resolution_rate(actor=user, ticket=other, score=5, confirmed=True)
    other = Ticket.objects.get(pk=other.pk)
    assert other.customer_confirmed and other.satisfaction_answered
    event = other.events.get(kind="customer_feedback")
    assert event.actor == user and event.changes["customer_confirmed"] == [False, True]


def test_organisation_access_needs_an_organisation(alice, make_user):
    with pytest.raises(ValidationFailed):
        services.portal_access_set(actor=None, customer=alice[1], sees_organisation_tickets=True)
    org = make_organisation()
    customer = alice[1]
    customer.organization = org
    customer.save()
    access = services.portal_access_set(
        actor=None, customer=customer, sees_organisation_tickets=True
    )
    assert PortalAccess.objects.get(pk=access.pk).sees_organisation_tickets
    assert AuditEvent.objects.filter(action="portal.access_changed").count() == 1


def test_an_agent_without_customer_rights_cannot_change_access(make_user, alice):
    qa = make_user("qa")
    with pytest.raises(NotAllowed):
        services.portal_access_set(actor=qa, customer=alice[1], sees_organisation_tickets=False)


def test_portal_login_create_links_the_customer(make_user):
    from kefu.tickets.tests.factories import make_customer

    customer = make_customer("Carol Zhao")
    user = services.portal_login_create(actor=None, customer=customer, email="Carol@Example.com")
    customer.refresh_from_db()
    assert customer.user == user and user.is_customer
    assert user.username == "carol@example.com" and not user.has_usable_password()
    with pytest.raises(ValidationFailed):
        services.portal_login_create(actor=None, customer=customer, email="x@example.com")
