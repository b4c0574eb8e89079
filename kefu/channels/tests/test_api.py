"""The channels API: raw email in, calls, chats, external messages; validation and permissions."""

from __future__ import annotations

import pytest

from kefu.channels.models import CallRecord, ChatTranscript, ExternalMessage, InboundEmail
from kefu.channels.tests.helpers import eml
from kefu.customers.models import ContactPoint, Customer
from kefu.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

CALL = {
    "external_id": "cti-0001",
    "caller_number": "138 1234 1234",
    "offered_at": "2026-06-01T09:00:00.250+08:00",
    "answered_at": "2026-06-01T09:00:17.750+08:00",
    "ended_at": "2026-06-01T09:04:05.750+08:00",
    "wrap_up_seconds": 42.5,
    "queue": "billing",
    "recording_url": "https://pbx.example.cn/rec/0001.wav",
    "disposition": "resolved",
}


def _post(client, path, data):
    return client.post(f"/api/v1/channels/{path}", data, content_type="application/json")


def test_email_inbound_endpoint_is_exactly_once(api_client):
    client, _user = api_client("admin")
    raw = eml("plain_utf8.eml")
    first = client.post("/api/v1/channels/email/inbound", raw, content_type="message/rfc822")
    again = client.post("/api/v1/channels/email/inbound", raw, content_type="message/rfc822")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["status"] == "processed"
    assert first.json()["ticket_public_id"].startswith("KF-")
    assert InboundEmail.objects.count() == 1 and Message.objects.count() == 1


def test_email_inbound_garbage_is_quarantined_not_rejected(api_client):
    client, _user = api_client("admin")
    response = client.post(
        "/api/v1/channels/email/inbound",
        eml("malformed_garbage.eml"),
        content_type="message/rfc822",
    )
    assert response.status_code == 201
    assert response.json()["status"] == "quarantined" and response.json()["error"]


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_integration_endpoints_need_the_add_permissions(api_client, role):
    client, _user = api_client(role)
    assert (
        client.post(
            "/api/v1/channels/email/inbound", b"x", content_type="message/rfc822"
        ).status_code
        == 403
    )
    assert _post(client, "calls", CALL).status_code == 403
    assert InboundEmail.objects.count() == 0 and CallRecord.objects.count() == 0


def test_anonymous_gets_401(client):
    assert _post(client, "calls", CALL).status_code == 401


def test_call_keeps_exact_times_and_computes_wait_and_talk(api_client):
    client, _user = api_client("admin")
    response = _post(client, "calls", CALL)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["caller_number"] == "+8613812341234"
    assert body["wait_seconds"] == 17.5  # 09:00:17.750 − 09:00:00.250
    assert body["talk_seconds"] == 228.0  # 09:04:05.750 − 09:00:17.750
    assert body["wrap_up_seconds"] == 42.5 and body["abandoned"] is False
    record = CallRecord.objects.get()
    assert record.offered_at.isoformat() == "2026-06-01T01:00:00.250000+00:00"
    ticket = Ticket.objects.get(pk=body["ticket_id"])
    assert ticket.channel == "phone" and ticket.customer_id == body["customer_id"]
    note = Message.objects.get(ticket=ticket)
    assert note.kind == "note" and "cti-0001" in note.body_text and "3:48" in note.body_text


def test_same_call_twice_is_stored_once(api_client):
    client, _user = api_client("admin")
    assert _post(client, "calls", CALL).status_code == 201
    repeat = _post(client, "calls", {**CALL, "disposition": "changed"})
    assert repeat.status_code == 200 and repeat.json()["disposition"] == "resolved"
    assert CallRecord.objects.count() == 1 and Ticket.objects.count() == 1


def test_call_matches_existing_customer_by_e164(api_client):
    from kefu.customers.services import customer_create

    customer = customer_create(actor=None, name="Wang", contacts=[("mobile", "+86 138-1234-1234")])
    client, _user = api_client("admin")
    assert _post(client, "calls", CALL).json()["customer_id"] == customer.pk
    assert Customer.objects.count() == 1


def test_abandoned_call_opens_no_ticket_and_given_ticket_is_attached(api_client):
    client, _user = api_client("admin")
    abandoned = {
        **CALL,
        "external_id": "cti-2",
        "answered_at": None,
        "ended_at": "2026-06-01T09:00:40.250+08:00",
    }
    body = _post(client, "calls", abandoned).json()
    assert body["abandoned"] is True and body["ticket_id"] is None and body["wait_seconds"] == 40.0
    first = _post(client, "calls", CALL).json()
    attached = _post(
        client, "calls", {**CALL, "external_id": "cti-3", "ticket": first["ticket_public_id"]}
    ).json()
    assert attached["ticket_id"] == first["ticket_id"]
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"offered_at": "2026-06-01T09:00:00"}, "offered_at"),  # no time zone
        ({"answered_at": "2026-06-01T08:59:00+08:00"}, "answered_at"),  # before offered
        ({"ended_at": "2026-06-01T09:00:01+08:00"}, "ended_at"),  # before answered
        ({"caller_number": "abc"}, "caller_number"),
        ({"wait_seconds": -1}, "wait_seconds"),
        ({"agent": "nobody"}, "agent"),
        ({"ticket": "KF-2026-999999"}, "ticket"),
        ({"abandoned": True}, "abandoned"),
        ({"recording_url": "ftp://x"}, "recording_url"),
    ],
)
def test_call_validation_names_the_field(api_client, change, field):
    client, _user = api_client("admin")
    response = _post(client, "calls", {**CALL, **change})
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"], response.json()
    assert CallRecord.objects.count() == 0 and Customer.objects.count() == 0


def test_chat_transcript_is_stored_with_ordered_lines_once(api_client):
    client, _user = api_client("admin")
    chat = {
        "external_id": "chat-77",
        "contact_kind": "email",
        "contact": "Visitor@Example.cn",
        "visitor_name": "访客",
        "started_at": "2026-06-01T10:00:00+08:00",
        "answered_at": "2026-06-01T10:00:30+08:00",
        "ended_at": "2026-06-01T10:05:00+08:00",
        "lines": [
            {
                "at": "2026-06-01T10:00:40+08:00",
                "author": "agent",
                "text": "您好，请问有什么可以帮您？",
            },
            {"at": "2026-06-01T10:00:05+08:00", "author": "customer", "text": "我的订单还没到"},
        ],
    }
    response = _post(client, "chats", chat)
    assert response.status_code == 201, response.content
    assert response.json()["wait_seconds"] == 30.0 and response.json()["line_count"] == 2
    transcript = ChatTranscript.objects.get()
    assert [line.author for line in transcript.lines.all()] == ["customer", "agent"]
    assert transcript.ticket.subject == "我的订单还没到"
    message = Message.objects.get(ticket=transcript.ticket)
    assert message.body_text.index("我的订单") < message.body_text.index("您好")
    assert _post(client, "chats", chat).status_code == 200
    assert ChatTranscript.objects.count() == 1 and Message.objects.count() == 1
    bad = _post(
        client,
        "chats",
        {
            **chat,
            "external_id": "c2",
            "lines": [{**chat["lines"][0], "at": "2026-06-01T09:00:00+08:00"}],
        },
    )
    assert bad.status_code == 422 and "lines.0.at" in bad.json()["error"]["fields"]


def test_external_messages_thread_to_the_open_ticket_and_are_idempotent(api_client):
    client, _user = api_client("admin")
    base = {"channel": "wechat", "sender": "wx_zhang3", "sent_at": "2026-06-01T10:00:00+08:00"}
    first = _post(client, "messages", {**base, "external_id": "wx-1", "text": "发票开错了"})
    second = _post(client, "messages", {**base, "external_id": "wx-2", "text": "抬头应为公司"})
    repeat = _post(client, "messages", {**base, "external_id": "wx-1", "text": "发票开错了"})
    assert (first.status_code, second.status_code, repeat.status_code) == (201, 201, 200)
    assert first.json()["ticket_id"] == second.json()["ticket_id"]
    assert ExternalMessage.objects.count() == 2 and Message.objects.count() == 2
    assert ContactPoint.objects.get().kind == "wechat"
    sms = _post(client, "messages", {**base, "channel": "sms", "sender": "13912345678",
                                     "external_id": "wx-1", "text": "hi"})  # fmt: skip
    assert sms.status_code == 201  # the key is unique per channel
    bad = _post(
        client,
        "messages",
        {**base, "channel": "sms", "sender": "x", "external_id": "s", "text": "t"},
    )
    assert bad.status_code == 422 and "sender" in bad.json()["error"]["fields"]


def test_list_endpoints_do_a_constant_number_of_queries(api_client, django_assert_max_num_queries):
    client, _user = api_client("admin")
    for i in range(5):
        _post(client, "calls", {**CALL, "external_id": f"c{i}"})
        client.post(
            "/api/v1/channels/email/inbound",
            eml("plain_utf8.eml").replace(b"CAF=plain.0001", f"p{i}".encode()),
            content_type="message/rfc822",
        )
    for path in ("calls", "email/inbound", "email/outbound", "webhooks/deliveries"):
        with django_assert_max_num_queries(8):
            response = client.get(f"/api/v1/channels/{path}")
        assert response.status_code == 200
    assert client.get("/api/v1/channels/calls").json()["count"] == 5


def _batch(n, start=0, **extra):
    return [
        {**CALL, "external_id": f"b{i}", "caller_number": f"+86139{i % 7:08d}", **extra}
        for i in range(start, start + n)
    ]


def test_bulk_calls_store_new_once_and_create_customers_in_bulk(api_client):
    from kefu.customers.services import customer_create

    known = customer_create(actor=None, name="Known", contacts=[("mobile", "+8613900000001")])
    client, _user = api_client("admin")
    batch = _batch(10) + _batch(2)  # b0, b1 repeated inside the batch
    response = _post(client, "calls/bulk", batch)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["duplicates"]) == (10, 2)
    assert CallRecord.objects.count() == 10
    assert Customer.objects.count() == 7  # 7 distinct numbers, one of them already known
    assert body["items"][1]["customer_id"] == known.pk
    assert body["items"][0]["talk_seconds"] == 228.0 and body["items"][0]["ticket_id"] is None
    again = _post(client, "calls/bulk", _batch(12)).json()
    assert (again["created"], again["duplicates"]) == (2, 10)
    assert Ticket.objects.count() == 0


def test_bulk_calls_are_all_or_nothing_naming_the_record(api_client):
    client, _user = api_client("admin")
    batch = _batch(3)
    batch[2]["answered_at"] = "2026-06-01T08:00:00+08:00"
    response = _post(client, "calls/bulk", batch)
    assert response.status_code == 422
    assert "2.answered_at" in response.json()["error"]["fields"]
    assert CallRecord.objects.count() == 0 and Customer.objects.count() == 0


def test_bulk_calls_take_a_constant_number_of_queries(api_client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, _user = api_client("admin")
    counts = []
    for start, n in ((0, 20), (1000, 200)):
        with CaptureQueriesContext(connection) as ctx:
            assert _post(client, "calls/bulk", _batch(n, start)).status_code == 200
        counts.append(len(ctx.captured_queries))
    # The first batch also creates the 7 customers; the second finds them: no per-row queries.
    assert counts[1] <= counts[0]
    assert CallRecord.objects.count() == 220


def test_bulk_call_with_create_ticket_opens_a_ticket(api_client):
    client, _user = api_client("admin")
    body = _post(client, "calls/bulk", _batch(2, create_ticket=True)).json()
    assert body["created"] == 2 and all(item["ticket_id"] for item in body["items"])
    assert Ticket.objects.count() == 2
