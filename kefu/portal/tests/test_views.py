"""Portal pages: who gets in, IDOR on every URL, submit/reply/rate through the forms."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kefu.portal import services
from kefu.portal.models import ResolutionRating
from kefu.portal.tests.factories import (
    answer,
    make_organisation,
    make_portal_customer,
    make_request,
    png_bytes,
    solve,
)
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Attachment, Message, Ticket
from kefu.tickets.services.conversation import UploadedFile

pytestmark = pytest.mark.django_db


def ticket_urls(ticket_id: int, attachment_id: int) -> list[tuple[str, str]]:
    """(method, url) of every portal URL that names a ticket."""
    return [
        ("get", reverse("portal:detail", args=[ticket_id])),
        ("post", reverse("portal:reply", args=[ticket_id])),
        ("post", reverse("portal:rate", args=[ticket_id])),
        ("get", reverse("portal:attachment", args=[ticket_id, attachment_id])),
    ]


@pytest.fixture
def bobs_solved_ticket(bob, agent):
    user, customer = bob
    ticket = make_request(user, customer)
    services.request_reply(
        actor=user,
        ticket=ticket,
        body="photo",
        uploads=[UploadedFile("bob.png", "image/png", png_bytes())],
    )
    return solve(agent, ticket)


def test_idor_another_customers_ticket_is_404_everywhere(alice_client, bobs_solved_ticket):
    attachment = Attachment.objects.get(message__ticket=bobs_solved_ticket)
    messages_before = Message.objects.count()
    for method, url in ticket_urls(bobs_solved_ticket.pk, attachment.pk):
        data = {"body": "hi", "score": "5", "confirmed": "on"} if method == "post" else None
        response = getattr(alice_client, method)(url, data)
        assert response.status_code == 404, url
    assert Message.objects.count() == messages_before
    assert not ResolutionRating.objects.exists()
    listing = alice_client.get(reverse("portal:home") + "?show=all").content.decode()
    assert bobs_solved_ticket.public_id not in listing


def test_idor_an_attachment_of_another_ticket_through_my_ticket_is_404(
    alice, alice_client, bobs_solved_ticket
):
    mine = make_request(*alice)
    attachment = Attachment.objects.get(message__ticket=bobs_solved_ticket)
    url = reverse("portal:attachment", args=[mine.pk, attachment.pk])
    assert alice_client.get(url).status_code == 404


def test_internal_notes_and_their_files_never_show(alice, alice_client, agent):
    ticket = make_request(*alice)
    answer(agent, ticket, "We are on it.")
    note = ticket_services.message_add(
        actor=agent,
        ticket=ticket,
        kind="note",
        body="Customer sounds angry, VIP discount code QX-8812",
        attachments=[UploadedFile("internal.txt", "text/plain", b"secret")],
    )
    page = alice_client.get(reverse("portal:detail", args=[ticket.pk])).content.decode()
    assert "We are on it." in page
    assert "QX-8812" not in page and "internal.txt" not in page
    url = reverse("portal:attachment", args=[ticket.pk, note.attachments.get().pk])
    assert alice_client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in():
    for url in (reverse("portal:home"), reverse("portal:new"), reverse("portal:detail", args=[1])):
        response = Client().get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    assert Client().get(reverse("portal:login")).status_code == 200


def test_staff_are_sent_to_the_staff_ui(make_user):
    client = Client()
    client.force_login(make_user("agent"))
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302 and response["Location"] == reverse("core:home")


def test_a_login_without_a_customer_record_is_told_so(make_user):
    client = Client()
    client.force_login(make_user("customer"))
    response = client.get(reverse("portal:home"))
    assert response.status_code == 403 and "not linked" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/", "/customers/", "/tickets/", "/settings/", "/settings/audit/", "/accounts/profile/"],
)
def test_customers_cannot_open_staff_pages(alice_client, url):
    response = alice_client.get(url)
    if url == "/accounts/profile/":
        # Their own profile (password, API tokens) is allowed; it shows no staff navigation.
        assert response.status_code == 200
        assert reverse("customers:list") not in response.content.decode()
    elif url == "/":
        # The staff home sends customers to their own home, the portal.
        assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    else:
        assert response.status_code == 403, url


def test_customers_cannot_open_a_customer_record(alice, alice_client):
    url = reverse("customers:detail", args=[alice[1].pk])
    assert alice_client.get(url).status_code == 403


def test_list_shows_my_requests_with_status(alice, alice_client, agent):
    user, customer = alice
    waiting = make_request(user, customer, subject="Where is my parcel")
    answer(agent, waiting)
    ticket_services.ticket_transition(
        actor=agent,
        ticket=Ticket.objects.get(pk=waiting.pk),
        to_status="pending",
        expected_version=Ticket.objects.get(pk=waiting.pk).version,
    )
    page = alice_client.get(reverse("portal:home")).content.decode()
    assert "Where is my parcel" in page and "Waiting for your reply" in page


def test_closed_requests_show_only_under_all(alice, alice_client, agent):
    user, customer = alice
    ticket = solve(agent, make_request(user, customer, subject="Old question"))
    ticket_services.ticket_transition(
        actor=agent, ticket=ticket, to_status="closed", expected_version=ticket.version
    )
    assert "Old question" not in alice_client.get(reverse("portal:home")).content.decode()
    everything = alice_client.get(reverse("portal:home") + "?show=all").content.decode()
    assert "Old question" in everything


def test_list_costs_the_same_queries_for_1_or_25_requests(
    alice, alice_client, django_assert_max_num_queries
):
    user, customer = alice
    make_request(user, customer)
    with django_assert_max_num_queries(12) as one:
        alice_client.get(reverse("portal:home"))
    for i in range(24):
        make_request(user, customer, subject=f"Request {i}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = alice_client.get(reverse("portal:home"))
    assert response.content.decode().count('class="request-item"') == 20


def test_detail_queries_do_not_grow_with_the_conversation(
    alice, alice_client, agent, django_assert_max_num_queries
):
    ticket = make_request(*alice)
    answer(agent, ticket)
    url = reverse("portal:detail", args=[ticket.pk])
    with django_assert_max_num_queries(20) as few:
        alice_client.get(url)
    for i in range(10):
        services.request_reply(
            actor=alice[0],
            ticket=Ticket.objects.get(pk=ticket.pk),
            body=f"more {i}",
            uploads=[UploadedFile(f"{i}.txt", "text/plain", b"x")],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        alice_client.get(url)


def test_submit_a_complaint_with_5w2h_and_a_photo(alice, alice_client):
    photo = SimpleUploadedFile("crack.png", png_bytes(), content_type="image/png")
    response = alice_client.post(
        reverse("portal:new"),
        {
            "kind": "complaint",
            "subject": "Cracked screen",
            "w_what": "Screen cracked",
            "w_why": "Need it for work",
            "w_who": "Courier",
            "w_when": "Monday",
            "w_where": "Home",
            "w_how": "Crushed box",
            "w_how_much": "3299",
            "attachments": [photo],
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:detail", args=[ticket.pk])
    assert ticket.customer == alice[1] and ticket.kind == "complaint"
    assert (ticket.w_where, str(ticket.w_how_much)) == ("Home", "3299.00")
    attachment = Attachment.objects.get(message__ticket=ticket)
    download = alice_client.get(reverse("portal:attachment", args=[ticket.pk, attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == png_bytes()
    assert "attachment" in download["Content-Disposition"]
    detail = alice_client.get(response["Location"]).content.decode()
    assert "Complaint details" in detail and "Crushed box" in detail


def test_submit_errors_name_the_field_and_store_nothing(alice_client):
    response = alice_client.post(
        reverse("portal:new"), {"kind": "complaint", "subject": "No details"}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["w_what"]
    bad = SimpleUploadedFile("run.pdf", b"MZ\x90 not pdf", content_type="application/pdf")
    response = alice_client.post(
        reverse("portal:new"),
        {"kind": "request", "subject": "x", "description": "y", "attachments": [bad]},
    )
    assert response.status_code == 422 and response.context["form"].errors["attachments"]
    assert not Ticket.objects.exists()


def test_reply_through_the_form(alice, alice_client, agent):
    ticket = make_request(*alice)
    answer(agent, ticket)
    response = alice_client.post(
        reverse("portal:reply", args=[ticket.pk]),
        {
            "body": "Here is the receipt.",
            "attachments": [SimpleUploadedFile("r.txt", b"receipt", content_type="text/plain")],
        },
    )
    assert response.status_code == 302
    message = Message.objects.filter(ticket=ticket, kind="customer").get()
    assert message.body_text == "Here is the receipt." and message.attachments.count() == 1
    empty = alice_client.post(reverse("portal:reply", args=[ticket.pk]), {"body": ""})
    assert empty.status_code == 422 and empty.context["reply_form"].errors["body"]


def test_rate_through_the_form(alice, alice_client, agent):
    ticket = solve(agent, make_request(*alice))
    page = alice_client.get(reverse("portal:detail", args=[ticket.pk])).content.decode()
    assert "Is your problem solved?" in page
    response = alice_client.post(
        reverse("portal:rate", args=[ticket.pk]),
        {"score": "5", "confirmed": "on", "comment": "Great"},
    )
    assert response.status_code == 302
    rating = ResolutionRating.objects.get()
    assert (rating.score, rating.confirmed, rating.comment) == (5, True, "Great")
    page = alice_client.get(reverse("portal:detail", args=[ticket.pk])).content.decode()
    assert "Is your problem solved?" not in page and "5/5" in page
    again = alice_client.post(reverse("portal:rate", args=[ticket.pk]), {"score": "1"})
    assert again.status_code == 422 and ResolutionRating.objects.count() == 1


def test_organisation_requests_are_visible_only_when_allowed(make_user, agent):
    org = make_organisation()
    alice, alice_customer = make_portal_customer(
        make_user, name="Alice", email="a@org.example", organization=org
    )
    _carol, carol_customer = make_portal_customer(
        make_user, name="Carol", email="c@org.example", organization=org
    )
    colleagues = make_request(_carol, carol_customer, subject="Printer toner order")
    client = Client()
    client.force_login(alice)
    detail = reverse("portal:detail", args=[colleagues.pk])
    assert client.get(detail).status_code == 404
    assert "Printer toner order" not in client.get(reverse("portal:home")).content.decode()

    services.portal_access_set(actor=None, customer=alice_customer, sees_organisation_tickets=True)
    assert "Printer toner order" in client.get(reverse("portal:home")).content.decode()
    page = client.get(detail)
    assert page.status_code == 200 and "only they can reply" in page.content.decode()
    # Seeing is not answering: the colleague's request stays read-only for Alice.
    response = client.post(reverse("portal:reply", args=[colleagues.pk]), {"body": "me too"})
    assert response.status_code == 403
    assert not Message.objects.filter(ticket=colleagues).exists()


def test_new_request_page_renders_the_5w2h_fields(alice_client):
    page = alice_client.get(reverse("portal:new")).content.decode()
    for name in ("w_what", "w_why", "w_who", "w_when", "w_where", "w_how", "w_how_much"):
        assert f'name="{name}"' in page
    assert 'enctype="multipart/form-data"' in page


def test_pages_are_translated_to_chinese(alice, alice_client):
    make_request(*alice)
    page = alice_client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert "我的请求" in text and "已受理" in text and "My requests" not in text


def test_customers_cannot_open_the_staff_ticket_pages_even_for_their_own_ticket(
    alice, alice_client, agent
):
    """The staff ticket page shows internal notes; customers use /portal/r/<id>/ instead."""
    ticket = make_request(*alice)
    note = ticket_services.message_add(
        actor=agent,
        ticket=ticket,
        kind="note",
        body="internal",
        attachments=[UploadedFile("internal.txt", "text/plain", b"secret")],
    )
    for url in (
        reverse("tickets:detail", args=[ticket.pk]),
        reverse("tickets:three-w", args=[ticket.pk]),
        reverse("tickets:attachment", args=[note.attachments.get().pk]),
    ):
        response = alice_client.get(url)
        assert response.status_code in (403, 404), url
