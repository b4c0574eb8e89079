"""Signing in: emailed links (single use, expiring, tamper-proof) and passwords."""

import re
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from kefu.accounts.models import User
from kefu.customers.models import ContactPoint
from kefu.portal import services
from kefu.portal.models import MagicLink
from kefu.portal.tokens import TokenExpired, TokenInvalid

pytestmark = pytest.mark.django_db

LOGIN = "/portal/login/"


def request_link(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(LOGIN, {"action": "magic", "email": email})


def link_in_last_mail() -> str:
    (url,) = re.findall(r"http://testserver(/portal/magic/\S+/)", mail.outbox[-1].body)
    return url


def signed_in_as(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value else None


def test_link_is_emailed_and_signs_in_once(alice, django_capture_on_commit_callbacks):
    user, _customer = alice
    client = Client()
    response = request_link(client, "ALICE@example.com", django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == f"{LOGIN}?sent=1"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]
    url = link_in_last_mail()

    # Opening the link (as a mail scanner would) does not sign in nor use it up.
    page = client.get(url)
    assert page.status_code == 200 and signed_in_as(client) is None
    assert "Alice Wang" in page.content.decode()

    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert signed_in_as(client) == user.pk

    again = Client().post(url)
    assert again.status_code == 410 and signed_in_as(Client()) is None
    assert "already used" in again.content.decode()


def test_the_same_answer_for_unknown_addresses(django_capture_on_commit_callbacks, alice):
    client = Client()
    response = request_link(client, "nobody@example.com", django_capture_on_commit_callbacks)
    assert response["Location"] == f"{LOGIN}?sent=1"
    assert mail.outbox == [] and not MagicLink.objects.exists()
    assert "a sign-in link is on its way" in client.get(f"{LOGIN}?sent=1").content.decode()


def test_staff_never_get_links(make_user, django_capture_on_commit_callbacks):
    make_user("agent", email="agent@huaxin.example")
    request_link(Client(), "agent@huaxin.example", django_capture_on_commit_callbacks)
    assert mail.outbox == [] and not MagicLink.objects.exists()


def test_a_customer_known_by_email_contact_gets_a_login_on_first_use(
    django_capture_on_commit_callbacks,
):
    from kefu.tickets.tests.factories import make_customer

    customer = make_customer("Dan Xu")
    ContactPoint.objects.create(
        customer=customer, kind="email", value="dan@example.com", normalized="dan@example.com"
    )
    request_link(Client(), "dan@example.com", django_capture_on_commit_callbacks)
    customer.refresh_from_db()
    assert customer.user is not None and customer.user.is_customer
    assert mail.outbox[0].to == ["dan@example.com"]
    client = Client()
    client.post(link_in_last_mail())
    assert signed_in_as(client) == customer.user_id


def test_an_expired_link_is_refused_with_a_clear_page(alice, monkeypatch):
    token = services.magic_link_issue(user=alice[0])
    url = reverse("portal:magic", args=[token])
    later = time.time() + 16 * 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = Client().post(url)
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert MagicLink.objects.get().used_at is None


def test_a_link_past_its_stored_expiry_is_refused(alice):
    token = services.magic_link_issue(user=alice[0])
    from django.utils import timezone

    MagicLink.objects.update(expires_at=timezone.now())
    with pytest.raises(TokenExpired):
        services.magic_link_consume(token=token)


def test_a_tampered_link_is_refused(alice):
    token = services.magic_link_issue(user=alice[0])
    secret, stamp, signature = token.split(":")
    forged = f"{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}:{stamp}:{signature}"
    response = Client().post(reverse("portal:magic", args=[forged]))
    assert response.status_code == 400 and "not valid" in response.content.decode()
    with pytest.raises(TokenInvalid):
        services.magic_link_consume(token="not-a-token")


def test_signing_in_retires_the_other_links(alice):
    first = services.magic_link_issue(user=alice[0])
    second = services.magic_link_issue(user=alice[0])
    services.magic_link_consume(token=second)
    with pytest.raises(services.MagicLinkUsed):
        services.magic_link_consume(token=first)


def test_a_deactivated_customer_cannot_use_a_link(alice):
    token = services.magic_link_issue(user=alice[0])
    User.objects.filter(pk=alice[0].pk).update(is_active=False)
    with pytest.raises(TokenInvalid):
        services.magic_link_consume(token=token)


def test_links_per_person_are_limited(alice, django_capture_on_commit_callbacks):
    client = Client()
    for _ in range(services.MAX_OPEN_LINKS + 2):
        request_link(client, "alice@example.com", django_capture_on_commit_callbacks)
    assert len(mail.outbox) == services.MAX_OPEN_LINKS


def test_the_email_is_in_the_customers_language(make_user, django_capture_on_commit_callbacks):
    from kefu.portal.tests.factories import make_portal_customer

    user, _customer = make_portal_customer(make_user, name="张伟", email="zw@example.com")
    User.objects.filter(pk=user.pk).update(language="zh-hans")
    request_link(Client(), "zw@example.com", django_capture_on_commit_callbacks)
    assert mail.outbox[0].subject != "Your sign-in link for the customer portal"
    assert "/portal/magic/" in mail.outbox[0].body


def test_password_sign_in_by_email_goes_to_the_portal(alice):
    client = Client()
    response = client.post(
        LOGIN,
        {"action": "password", "login": "alice@example.com", "password": "pw-Correct-Horse-1"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert signed_in_as(client) == alice[0].pk


def test_password_sign_in_keeps_a_portal_next_but_not_a_foreign_one(alice):
    data = {"action": "password", "login": alice[0].username, "password": "pw-Correct-Horse-1"}
    ok = Client().post(LOGIN, {**data, "next": "/portal/new/"})
    assert ok["Location"] == "/portal/new/"
    evil = Client().post(LOGIN, {**data, "next": "https://evil.example/portal/"})
    assert evil["Location"] == reverse("portal:home")
    staff_page = Client().post(LOGIN, {**data, "next": "/customers/"})
    assert staff_page["Location"] == reverse("portal:home")


def test_wrong_password_is_refused(alice):
    client = Client()
    response = client.post(LOGIN, {"action": "password", "login": "alice", "password": "nope"})
    assert response.status_code == 200 and signed_in_as(client) is None
    assert "not correct" in response.content.decode()


def test_staff_signing_in_on_the_portal_go_to_the_staff_ui(make_user):
    make_user("agent", username="lina", email="lina@huaxin.example")
    client = Client()
    response = client.post(
        LOGIN, {"action": "password", "login": "lina", "password": "pw-Correct-Horse-1"}
    )
    assert response["Location"] == reverse("core:home")


def test_sign_out(alice_client):
    response = alice_client.post(reverse("portal:logout"))
    assert response["Location"] == LOGIN and signed_in_as(alice_client) is None


def test_a_link_used_between_check_and_sign_in_loses_the_race(alice, monkeypatch):
    """Two tabs post the same link at once: the one whose conditional update comes second fails,
    even though both passed the validity check."""
    token = services.magic_link_issue(user=alice[0])
    link = services._valid_link(token)
    services.magic_link_consume(token=token)  # the other tab wins
    monkeypatch.setattr(services, "_valid_link", lambda _token: link)  # stale check passed
    with pytest.raises(services.MagicLinkUsed):
        services.magic_link_consume(token=token)
