"""Inbound email: corpus ingestion, exactly-once, threading, auto-replies, bounces, quarantine."""

from __future__ import annotations

import pytest

from kefu.channels import services
from kefu.channels.models import InboundEmail, InboundStatus
from kefu.channels.tests.helpers import eml, make_mail
from kefu.customers.models import ContactPoint, Customer
from kefu.tickets.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db

NORMAL = [
    "alternative.eml",
    "big5.eml",
    "gb2312_body_gbk_subject.eml",
    "html_only_script.eml",
    "inline_image_cid.eml",
    "mixed_pdf_rfc2231.eml",
    "no_message_id.eml",
    "plain_utf8.eml",
    "reply_gmail_en.eml",
    "reply_qq_cn.eml",
    "truncated_wrong_charset.eml",
]


@pytest.mark.parametrize("name", NORMAL)
def test_every_normal_corpus_message_opens_one_email_ticket(name):
    result = services.email_ingest(eml(name))
    row = result.inbound
    assert result.created
    assert row.status == InboundStatus.PROCESSED, row.error
    assert row.ticket.channel == "email"
    assert row.ticket_message.kind == "customer"
    assert row.ticket_message.external_id == f"email:{row.message_id}"
    contact = ContactPoint.objects.get(customer=row.ticket.customer, kind="email")
    assert contact.normalized == row.from_address


def test_decoded_chinese_subject_sender_and_body_land_on_the_ticket():
    row = services.email_ingest(eml("plain_utf8.eml")).inbound
    assert row.ticket.subject == "订单未发货 #A1009"
    assert row.ticket.customer.name == "王小明"
    # The address is matched lower-cased, as customers' contacts are normalised.
    assert row.from_address == "xiaoming.wang@example.cn"
    gbk = services.email_ingest(eml("gb2312_body_gbk_subject.eml")).inbound
    assert gbk.ticket.subject == "关于朱镕基纪念品的投诉"
    assert gbk.ticket.customer.name == "李雷"


def test_html_only_mail_is_stored_as_text_without_script():
    row = services.email_ingest(eml("html_only_script.eml")).inbound
    body = row.ticket_message.body_text
    assert "alert(" not in body and "<script" not in body
    assert body.strip()


def test_pdf_attachment_is_stored_and_passwd_name_is_sanitised():
    row = services.email_ingest(eml("mixed_pdf_rfc2231.eml")).inbound
    names = sorted(
        Attachment.objects.filter(message=row.ticket_message).values_list("filename", flat=True)
    )
    assert any(name.endswith(".pdf") for name in names)
    assert all("/" not in name and ".." not in name for name in names)


def test_same_message_twice_creates_one_message():
    raw = eml("plain_utf8.eml")
    first = services.email_ingest(raw)
    second = services.email_ingest(raw)
    assert first.created and not second.created
    assert second.inbound.pk == first.inbound.pk
    assert InboundEmail.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 1


def test_same_mailbox_uid_twice_is_ingested_once_even_with_other_bytes(make_mailbox):
    mailbox = make_mailbox()
    first = services.email_ingest(make_mail(message_id="a@x"), mailbox=mailbox, uid=7)
    again = services.email_ingest(make_mail(message_id="b@x"), mailbox=mailbox, uid=7)
    assert not again.created and again.inbound.pk == first.inbound.pk
    assert Message.objects.count() == 1


def test_message_without_message_id_is_deduplicated_by_its_bytes():
    raw = eml("no_message_id.eml")
    services.email_ingest(raw)
    assert not services.email_ingest(raw).created
    assert InboundEmail.objects.get().message_id.endswith("@synthesised.kefu.invalid")


def test_reply_joins_ticket_by_in_reply_to_and_strips_quoted_history():
    services.email_ingest(
        make_mail(message_id="first@example.cn", sender="Li Lei <lilei@example.cn>")
    )
    reply = make_mail(
        message_id="second@example.cn",
        subject="Re: whatever the client wrote",
        body=(
            "Still nothing.\n\n"
            "On Mon, 1 Jun 2026 at 10:00, Support <s@kefu.example> wrote:\n> old text\n"
        ),
        in_reply_to="first@example.cn",
    )
    row = services.email_ingest(reply).inbound
    assert row.thread_rule == "in_reply_to"
    assert Ticket.objects.count() == 1
    assert row.ticket_message.body_text == "Still nothing."


def test_reply_joins_by_references_when_in_reply_to_is_unknown():
    services.email_ingest(make_mail(message_id="root@example.cn"))
    row = services.email_ingest(
        make_mail(
            message_id="third@example.cn",
            in_reply_to="unknown@elsewhere",
            references=["root@example.cn", "unknown@elsewhere"],
        )
    ).inbound
    assert row.thread_rule == "references"
    assert Ticket.objects.count() == 1


def test_ticket_number_in_subject_threads_only_for_the_ticket_customer():
    first = services.email_ingest(make_mail(message_id="m1@x", sender="lilei@example.cn")).inbound
    public_id = first.ticket.public_id
    same = services.email_ingest(
        make_mail(
            message_id="m2@x", sender="LiLei@Example.cn", subject=f"回复：[{public_id}] 还没到"
        )
    ).inbound
    assert same.ticket_id == first.ticket_id and same.thread_rule == "subject"
    stranger = services.email_ingest(
        make_mail(message_id="m3@x", sender="mallory@evil.example", subject=f"Re: [{public_id}]")
    ).inbound
    assert stranger.ticket_id != first.ticket_id
    assert stranger.thread_rule == "new_ticket"


def test_reply_to_a_closed_ticket_opens_a_new_one():
    first = services.email_ingest(make_mail(message_id="c1@x")).inbound
    Ticket.objects.filter(pk=first.ticket_id).update(status="closed")
    row = services.email_ingest(make_mail(message_id="c2@x", in_reply_to="c1@x")).inbound
    assert row.ticket_id != first.ticket_id
    assert row.thread_rule == "closed_ticket"


def test_reply_on_solved_ticket_reopens_it():
    first = services.email_ingest(make_mail(message_id="s1@x")).inbound
    Ticket.objects.filter(pk=first.ticket_id).update(status="solved")
    services.email_ingest(make_mail(message_id="s2@x", in_reply_to="s1@x"))
    assert Ticket.objects.get(pk=first.ticket_id).status == "open"


def test_known_sender_is_matched_to_existing_customer(make_user):
    from kefu.customers.services import customer_create

    customer = customer_create(
        actor=None, name="Existing", contacts=[("email", "Alice.Brown@Gmail.com")]
    )
    row = services.email_ingest(eml("reply_gmail_en.eml")).inbound
    assert row.ticket.customer_id == customer.pk
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("autoreply_outlook.eml", InboundStatus.AUTO_REPLY),
        ("autoreply_exchange_cn.eml", InboundStatus.AUTO_REPLY),
        ("bounce_postfix.eml", InboundStatus.BOUNCE),
        ("bounce_qq_plain.eml", InboundStatus.BOUNCE),
    ],
)
def test_auto_replies_and_bounces_are_stored_without_ticket_or_message(name, status):
    row = services.email_ingest(eml(name)).inbound
    assert row.status == status
    assert row.ticket_message is None
    assert Ticket.objects.count() == 0 and Message.objects.count() == 0
    assert Customer.objects.count() == 0


def test_kefu_own_mail_coming_back_is_not_answered():
    raw = make_mail(message_id="loop@x", headers={"X-Kefu-Ticket": "KF-2026-000001"})
    assert services.email_ingest(raw).inbound.status == InboundStatus.AUTO_REPLY
    assert Ticket.objects.count() == 0


def test_garbage_is_quarantined_with_the_parse_error_and_kept():
    raw = eml("malformed_garbage.eml")
    row = services.email_ingest(raw).inbound
    assert row.status == InboundStatus.QUARANTINED
    assert row.error
    assert bytes(row.raw) == raw
    assert not services.email_ingest(raw).created  # redelivered garbage is not stored twice
    retried = services.inbound_retry(actor=None, inbound=row)
    assert retried.status == InboundStatus.QUARANTINED and retried.attempts == 2


def test_processing_failure_quarantines_and_retry_processes_after_fix(settings):
    raw = make_mail(message_id="nosender@x", sender="not-an-address")
    row = services.email_ingest(raw).inbound
    assert row.status == InboundStatus.QUARANTINED
    assert "from" in row.error or "sender" in row.error
    assert Ticket.objects.count() == 0 and Customer.objects.count() == 0  # nothing half-written
    assert not services.email_ingest(raw).created


def test_retry_of_a_quarantined_message_creates_the_ticket_once():
    raw = make_mail(message_id="later@x")
    row = services.email_ingest(raw).inbound
    # Simulate an earlier failure: the row is quarantined, as if processing had crashed.
    Message.objects.all().delete()
    Ticket.objects.all().delete()
    InboundEmail.objects.filter(pk=row.pk).update(status="quarantined", error="boom", ticket=None)
    row.refresh_from_db()
    fixed = services.inbound_retry(actor=None, inbound=row)
    assert fixed.status == InboundStatus.PROCESSED, fixed.error
    assert fixed.error == ""
    assert Ticket.objects.count() == 1
    from kefu.core.errors import Conflict

    with pytest.raises(Conflict):
        services.inbound_retry(actor=None, inbound=fixed)


def test_mailbox_team_and_category_are_given_to_new_tickets(make_mailbox):
    mailbox = make_mailbox()
    row = services.email_ingest(make_mail(message_id="mb@x"), mailbox=mailbox, uid=1).inbound
    assert row.ticket.team_id == mailbox.team_id
    assert row.ticket.category_id == mailbox.category_id


def test_unsupported_attachment_is_listed_not_lost():
    raw = make_mail(
        message_id="exe@x", attachments=[("setup.exe", "application/x-msdownload", b"MZ\x90\x00")]
    )
    row = services.email_ingest(raw).inbound
    assert row.status == InboundStatus.PROCESSED
    assert "setup.exe" in row.ticket_message.body_text
    assert Attachment.objects.count() == 0
    assert b"setup.exe" in bytes(row.raw)
