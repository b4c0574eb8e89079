"""Channels pages: permissions, forms, retry/replay actions and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from kefu.channels import services
from kefu.channels.models import InboundEmail, Mailbox, WebhookDelivery, WebhookSubscription
from kefu.channels.tests.helpers import eml, make_mail

pytestmark = pytest.mark.django_db

PAGES = ["home", "inbound", "outbound", "calls", "deliveries"]
ADMIN_PAGES = ["mailboxes", "mailbox-create", "webhooks", "webhook-create"]


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", [p for p in PAGES + ADMIN_PAGES if p != "calls"])
def test_agent_gets_403_and_anonymous_is_sent_to_login(make_user, name):
    assert _client(make_user("agent")).get(reverse(f"channels:{name}")).status_code == 403
    response = Client().get(reverse(f"channels:{name}"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_agent_reads_call_records_but_not_the_mail_log(make_user):
    client = _client(make_user("agent"))
    assert client.get(reverse("channels:calls")).status_code == 200
    assert client.get(reverse("channels:inbound")).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_supervisor_sees_the_logs_but_not_configuration(make_user, name):
    client = _client(make_user("supervisor"))
    assert client.get(reverse(f"channels:{name}")).status_code == 200
    assert client.get(reverse("channels:webhooks")).status_code == 403
    assert client.get(reverse("channels:mailbox-create")).status_code == 403


@pytest.mark.parametrize("name", PAGES + ADMIN_PAGES)
def test_admin_sees_every_page(make_user, name):
    assert _client(make_user("admin")).get(reverse(f"channels:{name}")).status_code == 200


def test_list_pages_do_a_constant_number_of_queries(make_user, django_assert_max_num_queries):
    admin = make_user("admin")
    client = _client(admin)
    for i in range(12):
        services.email_ingest(make_mail(message_id=f"v{i}@x", sender=f"c{i}@example.cn"))
    services.email_ingest(eml("malformed_garbage.eml"))
    sub = services.webhook_subscription_save(
        actor=None, data={"name": "A", "url": "http://127.0.0.1:9/", "events": ["ticket.created"]}
    )
    services.webhook_emit("ticket.created", {"n": 1})
    assert WebhookDelivery.objects.filter(subscription=sub).count() == 1
    client.get(reverse("channels:home"))  # warm the session and permission caches
    for name in [*PAGES, "mailboxes", "webhooks"]:
        with django_assert_max_num_queries(14):
            response = client.get(reverse(f"channels:{name}"))
        assert response.status_code == 200, name


def test_admin_creates_and_edits_a_mailbox_with_stale_edit_refused(make_user):
    client = _client(make_user("admin"))
    data = {
        "name": "Support", "address": "support@kefu.example", "imap_host": "imap.example.cn",
        "imap_port": "993", "imap_ssl": "on", "imap_user": "support",
        "password_env": "KEFU_IMAP_PW", "folder": "INBOX", "is_active": "on",
    }  # fmt: skip
    response = client.post(reverse("channels:mailbox-create"), data)
    assert response.status_code == 302
    mailbox = Mailbox.objects.get()
    url = reverse("channels:mailbox-edit", args=[mailbox.pk])
    assert client.post(url, {**data, "folder": "Support", "version": "1"}).status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.folder == "Support" and mailbox.version == 2
    stale = client.post(url, {**data, "folder": "Other", "version": "1"})
    assert stale.status_code == 200 and "alert-error" in stale.content.decode()
    mailbox.refresh_from_db()
    assert mailbox.folder == "Support"  # the stale edit changed nothing
    bad = client.post(reverse("channels:mailbox-create"), {**data, "name": "B", "address": "x"})
    assert bad.status_code == 200 and Mailbox.objects.count() == 1


def test_quarantine_retry_from_the_page(make_user):
    row = services.email_ingest(eml("malformed_garbage.eml")).inbound
    client = _client(make_user("supervisor"))
    detail = client.get(reverse("channels:inbound-detail", args=[row.pk]))
    from django.utils import translation

    with translation.override("zh-hans"):  # the page's language; the parser's reason is translated
        shown = translation.gettext(row.error)
    assert shown != row.error
    assert detail.status_code == 200 and shown in detail.content.decode()
    response = client.post(reverse("channels:inbound-retry", args=[row.pk]), follow=True)
    assert response.status_code == 200
    assert InboundEmail.objects.get(pk=row.pk).attempts == 2
    raw = client.get(reverse("channels:inbound-raw", args=[row.pk]))
    assert raw.content == eml("malformed_garbage.eml")
    agent = _client(make_user("agent"))
    assert agent.post(reverse("channels:inbound-retry", args=[row.pk])).status_code == 403


def test_admin_adds_webhook_and_replays_a_delivery(make_user, django_capture_on_commit_callbacks):
    client = _client(make_user("admin"))
    response = client.post(
        reverse("channels:webhook-create"),
        {"name": "CRM", "url": "http://127.0.0.1:9/hook", "events": ["ticket.created"],
         "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    sub = WebhookSubscription.objects.get()
    assert len(sub.secret) == 48
    services.webhook_emit("ticket.created", {"x": 1})
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("channels:delivery-replay", args=[delivery.pk]))
    assert WebhookDelivery.objects.filter(replay_of=delivery).count() == 1
    supervisor = _client(make_user("supervisor"))
    assert (
        supervisor.post(reverse("channels:delivery-replay", args=[delivery.pk])).status_code == 403
    )


def test_call_numbers_are_masked_for_agents(make_user):
    services.call_record_ingest(
        actor=None, external_id="m1", caller_number="13812341234",
        offered_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
        create_ticket=False,
    )  # fmt: skip
    agent_page = _client(make_user("agent")).get(reverse("channels:calls")).content.decode()
    assert "138****1234" in agent_page and "13812341234" not in agent_page
    supervisor_page = _client(make_user("supervisor")).get(reverse("channels:calls")).content
    assert b"+8613812341234" in supervisor_page
