"""Signed, expiring status links: one request's status and conversation without signing in."""

import time

import pytest
from django.core import signing
from django.test import Client

from kefu.portal.selectors import status_link_path
from kefu.portal.tests.factories import answer, make_request, png_bytes
from kefu.portal.tokens import STATUS_SALT, make_status_token
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Ticket
from kefu.tickets.services.conversation import UploadedFile

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(alice, agent):
    ticket = make_request(*alice, subject="Washing machine leaks")
    answer(agent, ticket, "A technician comes on Friday.")
    ticket_services.message_add(
        actor=agent, ticket=ticket, kind="note", body="Internal: check warranty WX-4471"
    )
    return Ticket.objects.get(pk=ticket.pk)


def test_a_status_link_works_without_signing_in(ticket):
    response = Client().get(status_link_path(ticket))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Washing machine leaks" in page and "A technician comes on Friday." in page
    assert ticket.public_id in page and "Received" in page
    assert "WX-4471" not in page  # internal notes never
    assert 'name="body"' not in page  # read-only: no reply box


def test_the_status_shown_is_the_current_one(ticket, agent):
    ticket_services.ticket_transition(
        actor=agent, ticket=ticket, to_status="pending", expected_version=ticket.version
    )
    page = Client().get(status_link_path(ticket)).content.decode()
    assert "Waiting for your reply" in page


def test_a_tampered_status_link_is_refused(ticket, bob):
    other = make_request(*bob, subject="Bob's private matter")
    token = make_status_token(ticket)
    _payload, stamp, signature = token.split(":")
    forged_payload = make_status_token(other).split(":")[0]
    for bad in (f"{forged_payload}:{stamp}:{signature}", token[:-2], "garbage"):
        response = Client().get(f"/portal/t/{bad}/")
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
        assert "Bob's private matter" not in response.content.decode()


def test_a_token_for_another_purpose_is_refused(ticket):
    sign_in_like = signing.dumps({"t": ticket.uuid.hex, "c": ticket.customer_id}, salt="other")
    assert Client().get(f"/portal/t/{sign_in_like}/").status_code == 400
    assert signing.loads(make_status_token(ticket), salt=STATUS_SALT)["t"] == ticket.uuid.hex


def test_an_expired_status_link_is_refused(ticket, monkeypatch, settings):
    settings.KEFU_PORTAL_STATUS_LINK_DAYS = 30
    path = status_link_path(ticket)
    later = time.time() + 31 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = Client().get(path)
    assert response.status_code == 410 and "expired" in response.content.decode()


def test_a_link_stops_working_when_the_ticket_moves_to_another_customer(ticket, bob):
    path = status_link_path(ticket)
    Ticket.objects.filter(pk=ticket.pk).update(customer=bob[1])  # as a merge would
    response = Client().get(path)
    assert response.status_code == 404
    assert "Washing machine leaks" not in response.content.decode()


def test_files_of_public_messages_download_through_the_link(ticket, alice):
    from kefu.portal import services

    message = services.request_reply(
        actor=alice[0],
        ticket=ticket,
        body="photo",
        uploads=[UploadedFile("leak.png", "image/png", png_bytes())],
    )
    token = make_status_token(ticket)
    attachment = message.attachments.get()
    ok = Client().get(f"/portal/t/{token}/files/{attachment.pk}/")
    assert ok.status_code == 200 and b"".join(ok.streaming_content) == png_bytes()
    other = make_request(*alice, subject="Another")
    other_token = make_status_token(other)
    assert Client().get(f"/portal/t/{other_token}/files/{attachment.pk}/").status_code == 404
