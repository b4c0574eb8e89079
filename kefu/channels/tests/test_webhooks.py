"""Outbound webhooks to a real HTTP server (http.server in a thread) on loopback."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from kefu.channels import services
from kefu.channels.models import WebhookDelivery
from kefu.channels.services.webhooks import SIGNATURE_HEADER, sign, verify
from kefu.channels.tests.helpers import make_mail
from kefu.core.errors import NotAllowed, ValidationFailed

pytestmark = pytest.mark.django_db


class Receiver:
    """Answers each POST with the next status in `statuses` (then 200) and records it."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body,
                                          "path": self.path})  # fmt: skip
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status in (301, 302, 307):
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def factory(statuses=()):
        made.append(Receiver(statuses))
        return made[-1]

    yield factory
    for r in made:
        r.close()


def _subscribe(url, events=("ticket.created", "message.added"), secret="s3cret"):
    return services.webhook_subscription_save(
        actor=None, data={"name": "CRM", "url": url, "events": list(events), "secret": secret}
    )


def test_signature_matches_an_independently_computed_hmac():
    # printf '1700000000.{}' | openssl dgst -sha256 -hmac key
    expected = "9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
    assert sign("key", 1700000000, b"{}") == f"t=1700000000,v1={expected}"
    assert verify("key", f"t=1700000000,v1={expected}", b"{}")
    assert not verify("other", f"t=1700000000,v1={expected}", b"{}")
    assert not verify("key", f"t=1700000000,v1={expected}", b"{ }")
    assert not verify("key", "garbage", b"{}")


def test_new_email_ticket_is_delivered_signed(receiver, django_capture_on_commit_callbacks):
    hook = receiver()
    sub = _subscribe(hook.url)
    with django_capture_on_commit_callbacks(execute=True):
        row = services.email_ingest(make_mail(message_id="wh@x")).inbound
    events = [json.loads(r["body"])["event"] for r in hook.requests]
    assert sorted(events) == ["message.added", "ticket.created"]
    for request in hook.requests:
        assert verify(sub.secret, request["headers"][SIGNATURE_HEADER], request["body"])
        assert request["headers"]["Content-Type"].startswith("application/json")
    created = next(json.loads(r["body"]) for r in hook.requests if b"ticket.created" in r["body"])
    assert created["data"]["ticket"]["public_id"] == row.ticket.public_id
    assert set(WebhookDelivery.objects.values_list("state", "response_code")) == {("sent", 200)}


def test_failure_is_logged_and_retried_with_backoff(receiver, django_capture_on_commit_callbacks):
    hook = receiver(statuses=[500, 503])
    _subscribe(hook.url, events=["sla.breached"])
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_emit("sla.breached", {"ticket": "KF-2026-000001", "at": timezone.now()})
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.response_code, delivery.attempts) == ("queued", 500, 1)
    first_wait = delivery.next_attempt_at - delivery.updated_at
    services.retry_due(now=timezone.now() + dt.timedelta(minutes=5))
    delivery.refresh_from_db()
    assert (delivery.response_code, delivery.attempts) == (503, 2)
    second_wait = delivery.next_attempt_at - delivery.updated_at
    assert second_wait > first_wait * 1.5  # exponential: 30 s, then 60 s
    services.retry_due(now=timezone.now() + dt.timedelta(minutes=5))
    delivery.refresh_from_db()
    assert (delivery.state, delivery.response_code, delivery.attempts) == ("sent", 200, 3)
    assert len(hook.requests) == 3
    # Every attempt carries the same delivery id, so receivers can de-duplicate.
    assert len({r["headers"]["X-Kefu-Delivery"] for r in hook.requests}) == 1


def test_unreachable_url_gives_up_after_max_attempts(settings, django_capture_on_commit_callbacks):
    from kefu.channels.tests.conftest import free_port

    settings.KEFU_CHANNELS_MAX_ATTEMPTS = 2
    _subscribe(f"http://127.0.0.1:{free_port()}/", events=["survey.answered"])
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_emit("survey.answered", {"score": 9})
    services.retry_due(now=timezone.now() + dt.timedelta(hours=1))
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "failed" and delivery.attempts == 2
    assert delivery.response_code is None and delivery.last_error


def test_redirects_are_not_followed(receiver, django_capture_on_commit_callbacks):
    hook = receiver(statuses=[302])
    _subscribe(hook.url, events=["ticket.created"])
    with django_capture_on_commit_callbacks(execute=True):
        services.email_ingest(make_mail(message_id="redir@x"))
    delivery = WebhookDelivery.objects.get()
    assert delivery.response_code == 302 and delivery.state == "queued"
    assert len(hook.requests) == 1


def test_replay_sends_the_same_payload_again(
    receiver, make_user, django_capture_on_commit_callbacks
):
    hook = receiver()
    _subscribe(hook.url, events=["ticket.created"])
    with django_capture_on_commit_callbacks(execute=True):
        services.email_ingest(make_mail(message_id="replay@x"))
    original = WebhookDelivery.objects.get()
    with pytest.raises(NotAllowed):
        services.webhook_replay(actor=make_user("supervisor"), delivery=original)
    with django_capture_on_commit_callbacks(execute=True):
        copy = services.webhook_replay(actor=make_user("admin"), delivery=original)
    copy.refresh_from_db()
    assert copy.replay_of_id == original.pk and copy.state == "sent"
    bodies = [json.loads(r["body"]) for r in hook.requests]
    assert bodies[0]["data"] == bodies[1]["data"] and bodies[0]["id"] != bodies[1]["id"]


def test_only_subscribed_active_events_are_queued():
    _subscribe("http://127.0.0.1:9/a", events=["ticket.solved"])
    inactive = _subscribe("http://127.0.0.1:9/b", events=["message.added"])
    services.webhook_subscription_save(actor=None, subscription=inactive, data={"is_active": False})
    assert services.webhook_emit("message.added", {}) == []
    assert len(services.webhook_emit("ticket.solved", {})) == 1
    with pytest.raises(ValueError):
        services.webhook_emit("ticket.exploded", {})


def test_solving_a_ticket_emits_ticket_solved(make_user):
    from kefu.tickets import services as tickets_services

    _subscribe("http://127.0.0.1:9/a", events=["ticket.solved", "ticket.updated"])
    ticket = services.email_ingest(make_mail(message_id="solve@x")).inbound.ticket
    ticket.refresh_from_db()
    supervisor = make_user("supervisor")
    ticket = tickets_services.ticket_update(
        actor=supervisor, ticket=ticket, expected_version=ticket.version,
        changes={"resolution": "Shipped again."},
    )  # fmt: skip
    tickets_services.ticket_transition(
        actor=supervisor, ticket=ticket, to_status="solved", expected_version=ticket.version
    )
    events = list(WebhookDelivery.objects.order_by("id").values_list("event", flat=True))
    assert events[-2:] == ["ticket.updated", "ticket.solved"]


def test_subscription_validation_names_the_field():
    with pytest.raises(ValidationFailed) as err:
        _subscribe("http://127.0.0.1:9/a", events=["nope"])
    assert "events" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        _subscribe("not a url")
    assert "url" in err.value.fields
