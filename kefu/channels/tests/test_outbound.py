"""Outbound email through Django's SMTP backend to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

import pytest
from django.utils import timezone

from kefu.channels import services
from kefu.channels.models import OutboundEmail
from kefu.channels.tests.conftest import SmtpServer
from kefu.channels.tests.helpers import make_mail
from kefu.tickets import services as tickets_services
from kefu.tickets.models import Message
from kefu.tickets.services import UploadedFile

pytestmark = pytest.mark.django_db


def _email_ticket():
    return services.email_ingest(
        make_mail(message_id="first@customer.example", sender="Li Lei <lilei@example.cn>")
    ).inbound


def _reply(ticket, user, capture, body="We have shipped your order today.", **kw):
    with capture(execute=True):
        return tickets_services.message_add(
            actor=user, ticket=ticket, kind="reply", body=body, confirm_warnings=True, **kw
        )


def test_reply_is_sent_with_threading_headers_html_and_attachment(
    smtp_server, make_user, django_capture_on_commit_callbacks
):
    inbound = _email_ticket()
    agent = make_user("supervisor")
    pdf = UploadedFile("invoice.pdf", "application/pdf", b"%PDF-1.4 test invoice")
    message = _reply(inbound.ticket, agent, django_capture_on_commit_callbacks, attachments=[pdf])
    outbound = OutboundEmail.objects.get(ticket_message=message)
    assert outbound.state == "sent" and outbound.attempts == 1
    assert Message.objects.get(pk=message.pk).delivery_state == "sent"
    (envelope,) = smtp_server.messages
    assert envelope.rcpt_tos == ["lilei@example.cn"]
    sent = message_from_bytes(envelope.content, policy=policy.default)
    public_id = inbound.ticket.public_id
    assert sent["Subject"] == f"Re: [{public_id}] Order 1009 not delivered"
    assert sent["In-Reply-To"] == "<first@customer.example>"
    assert sent["References"] == "<first@customer.example>"
    assert sent["Message-ID"] == f"<{outbound.message_id}>"
    assert sent["X-Kefu-Ticket"] == public_id
    body = sent.get_body(preferencelist=("plain",)).get_content()
    html = sent.get_body(preferencelist=("html",)).get_content()
    assert "shipped your order" in body and "shipped your order" in html
    (attachment,) = list(sent.iter_attachments())
    assert attachment.get_filename() == "invoice.pdf"
    assert attachment.get_content() == b"%PDF-1.4 test invoice"


def test_customer_answer_to_our_reply_threads_by_our_message_id(
    smtp_server, make_user, django_capture_on_commit_callbacks
):
    inbound = _email_ticket()
    message = _reply(inbound.ticket, make_user("supervisor"), django_capture_on_commit_callbacks)
    ours = OutboundEmail.objects.get(ticket_message=message).message_id
    answer = services.email_ingest(
        make_mail(message_id="answer@customer.example", subject="Re: hmm", in_reply_to=ours)
    ).inbound
    assert answer.ticket_id == inbound.ticket_id and answer.thread_rule == "in_reply_to"
    # The second reply names both earlier messages in References, oldest first.
    second = _reply(inbound.ticket, make_user("supervisor"), django_capture_on_commit_callbacks,
                    body="Thank you for confirming.")  # fmt: skip
    sent = message_from_bytes(smtp_server.messages[-1].content, policy=policy.default)
    assert sent["In-Reply-To"] == f"<{ours}>"  # our previous reply was the newest outbound
    assert sent["References"].split() == [
        "<first@customer.example>", "<answer@customer.example>", f"<{ours}>",
    ]  # fmt: skip
    assert OutboundEmail.objects.get(ticket_message=second).state == "sent"


def test_server_down_marks_failure_and_retry_sends_later(
    smtp_settings, make_user, django_capture_on_commit_callbacks
):
    inbound = _email_ticket()
    message = _reply(inbound.ticket, make_user("supervisor"), django_capture_on_commit_callbacks)
    outbound = OutboundEmail.objects.get(ticket_message=message)
    assert outbound.state == "queued" and outbound.attempts == 1
    assert "Connection" in outbound.last_error or "refused" in outbound.last_error.lower()
    assert outbound.next_attempt_at > timezone.now() + dt.timedelta(seconds=25)
    shown = Message.objects.get(pk=message.pk)
    assert shown.delivery_state == "failed" and "Connection" in shown.delivery_error
    # Not due yet: the sweep leaves it alone.
    assert services.retry_due()["emails"] == 0
    server = SmtpServer(smtp_settings.EMAIL_PORT).start()
    try:
        done = services.retry_due(now=timezone.now() + dt.timedelta(seconds=31))
    finally:
        server.stop()
    assert done["emails"] == 1
    outbound.refresh_from_db()
    assert outbound.state == "sent" and outbound.attempts == 2
    assert len(server.messages) == 1
    assert Message.objects.get(pk=message.pk).delivery_state == "sent"


def test_gives_up_after_max_attempts_and_manual_retry_sends(
    smtp_settings, make_user, django_capture_on_commit_callbacks
):
    smtp_settings.KEFU_CHANNELS_MAX_ATTEMPTS = 2
    inbound = _email_ticket()
    message = _reply(inbound.ticket, make_user("supervisor"), django_capture_on_commit_callbacks)
    services.retry_due(now=timezone.now() + dt.timedelta(hours=1))
    outbound = OutboundEmail.objects.get(ticket_message=message)
    assert (
        outbound.state == "failed" and outbound.attempts == 2 and outbound.next_attempt_at is None
    )
    assert "2" in Message.objects.get(pk=message.pk).delivery_error  # "failed 2 times"
    assert services.retry_due(now=timezone.now() + dt.timedelta(days=1))["emails"] == 0
    server = SmtpServer(smtp_settings.EMAIL_PORT).start()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.outbound_email_retry(actor=make_user("supervisor"), outbound=outbound)
    finally:
        server.stop()
    outbound.refresh_from_db()
    assert outbound.state == "sent" and len(server.messages) == 1


def test_agent_may_not_retry(make_user, smtp_settings, django_capture_on_commit_callbacks):
    from kefu.core.errors import NotAllowed

    inbound = _email_ticket()
    message = _reply(inbound.ticket, make_user("supervisor"), django_capture_on_commit_callbacks)
    with pytest.raises(NotAllowed):
        services.outbound_email_retry(
            actor=make_user("agent"), outbound=OutboundEmail.objects.get(ticket_message=message)
        )


def test_sending_twice_sends_once(smtp_server, make_user, django_capture_on_commit_callbacks):
    inbound = _email_ticket()
    message = _reply(inbound.ticket, make_user("supervisor"), django_capture_on_commit_callbacks)
    outbound = OutboundEmail.objects.get(ticket_message=message)
    services.outbound_email_send(outbound_id=outbound.pk)  # a duplicate task run
    assert len(smtp_server.messages) == 1


def test_notes_and_non_email_tickets_send_no_mail(
    smtp_server, make_user, django_capture_on_commit_callbacks
):
    from kefu.customers.services import customer_create

    inbound = _email_ticket()
    user = make_user("supervisor")
    with django_capture_on_commit_callbacks(execute=True):
        tickets_services.message_add(
            actor=user, ticket=inbound.ticket, kind="note", body="internal"
        )
        customer = customer_create(actor=None, name="Web", contacts=[("email", "w@example.cn")])
        web = tickets_services.ticket_create(
            actor=None, customer=customer, subject="Web form", channel="web"
        )
        tickets_services.message_add(
            actor=user, ticket=web, kind="reply", body="Answered on the portal.",
            confirm_warnings=True,
        )  # fmt: skip
    assert OutboundEmail.objects.count() == 0 and smtp_server.messages == []


def test_reply_without_customer_address_is_marked_failed(make_user, smtp_settings):
    from kefu.customers.services import customer_create

    customer = customer_create(actor=None, name="No mail", contacts=[("mobile", "13812341234")])
    ticket = tickets_services.ticket_create(
        actor=None, customer=customer, subject="By email?", channel="email"
    )
    message = tickets_services.message_add(
        actor=make_user("supervisor"), ticket=ticket, kind="reply", body="Hello there.",
        confirm_warnings=True,
    )  # fmt: skip
    message.refresh_from_db()
    assert message.delivery_state == "failed" and message.delivery_error


def test_bounce_of_our_reply_marks_it_failed(
    smtp_server, make_user, django_capture_on_commit_callbacks
):
    inbound = _email_ticket()
    message = _reply(inbound.ticket, make_user("supervisor"), django_capture_on_commit_callbacks)
    ours = OutboundEmail.objects.get(ticket_message=message).message_id
    dsn = make_mail(
        message_id="dsn@mx.example",
        sender="MAILER-DAEMON@mx.example",
        subject="Undelivered Mail Returned to Sender",
        body=f"<lilei@example.cn>: host said: 550 5.1.1 unknown user\n\nMessage-ID: <{ours}>\n",
    )
    row = services.email_ingest(dsn).inbound
    assert row.status == "bounce" and row.ticket_id == inbound.ticket_id
    assert OutboundEmail.objects.get(message_id=ours).state == "failed"
    assert Message.objects.get(pk=message.pk).delivery_state == "failed"
