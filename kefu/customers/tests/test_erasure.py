"""The right to erasure: personal data gone everywhere, statistics and the audit trail kept."""

import datetime as dt
import io
import json
import os
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from kefu.channels import services as channels
from kefu.core.models import AuditEvent
from kefu.customers import erasure
from kefu.customers.models import ContactPoint, Customer
from kefu.customers.tests.factories import make_customer, make_purchase
from kefu.portal.tests.factories import make_portal_customer, png_bytes
from kefu.surveys import services as surveys
from kefu.surveys.models import Answer, Response
from kefu.surveys.tests.factories import published, submit
from kefu.tickets import services as tickets
from kefu.tickets.models import Attachment, Compensation, Message, Ticket, TicketEvent
from kefu.tickets.services.conversation import UploadedFile
from kefu.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

# Every piece of 王芳's personal data the world below stores somewhere.
PERSONAL = [
    "王芳",
    "wangfang@example.cn",
    "13912345678",
    "充电器到货即损坏",
    "外壳破裂",
    "快递员态度很差",
    "朝阳区幸福路",
    "改名后的主题",
]


@pytest.fixture
def world(make_user, settings):
    """王芳: portal login, phone, a purchase, a complaint with a photo, a compensation, an
    inbound email, a call, a low CSAT with a comment; 李雷 is someone else."""
    settings.KEFU_TASKS_EAGER = True
    admin = make_user("admin", username="boss")
    agent = make_user("agent", username="lina")
    user, wang = make_portal_customer(make_user, name="王芳", email="wangfang@example.cn")
    ContactPoint.objects.create(customer=wang, kind="phone", value="13912345678",
                                normalized="+8613912345678")  # fmt: skip
    ContactPoint.objects.create(customer=wang, kind="email", value="wangfang@example.cn",
                                normalized="wangfang@example.cn")  # fmt: skip
    make_purchase(wang, amount="129.00")
    ticket = make_ticket(agent, customer=wang, subject="充电器到货即损坏", kind="complaint")
    tickets.ticket_update(
        actor=agent, ticket=ticket, expected_version=ticket.version,
        changes={"subject": "改名后的主题", "w_where": "寄到朝阳区幸福路"},
    )  # fmt: skip
    ticket.refresh_from_db()
    photo = UploadedFile("charger.png", "image/png", png_bytes())
    tickets.message_add(
        actor=user, ticket=ticket, kind="customer", body="外壳破裂，见照片。", attachments=[photo]
    )
    tickets.compensation_request(
        actor=agent, ticket=ticket, remedy="refund", amount=Decimal("50.00"),
        reason="王芳的充电器外壳破裂",
    )  # fmt: skip
    raw = (
        "From: 王芳 <wangfang@example.cn>\r\nTo: service@example.com\r\n"
        f"Subject: Re: [{ticket.public_id}] 充电器到货即损坏\r\nMessage-ID: <w1@example.cn>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n外壳破裂了，请尽快处理。\r\n"
    ).encode()
    assert channels.email_ingest(raw).created
    channels.call_record_ingest(
        actor=None, external_id="call-1", caller_number="13912345678",
        offered_at=dt.datetime(2026, 6, 1, 1, tzinfo=dt.UTC),
        ended_at=dt.datetime(2026, 6, 1, 1, 5, tzinfo=dt.UTC),
        create_ticket=False,
    )  # fmt: skip
    survey = published(admin, "csat")
    invitation = surveys.invitation_create(actor=admin, survey=survey, customer=wang, send=False)
    submit(survey, {"csat": 1, "why_low": "快递员态度很差"}, invitation=invitation)
    li = make_customer("李雷")
    make_ticket(agent, customer=li, subject="李雷的问题")
    return {"admin": admin, "wang": wang, "user": user, "ticket": ticket, "li": li}


def _everything() -> dict[str, str]:
    """Every row of every app as text, by "model pk", to search for what must be gone."""
    out = io.StringIO()
    call_command("dumpdata", stdout=out, exclude=["contenttypes", "auth.permission"])
    return {
        f"{row['model']} {row['pk']}": json.dumps(row["fields"], ensure_ascii=False)
        for row in json.loads(out.getvalue())
    }


def _holding(rows: dict[str, str], value: str) -> list[str]:
    return [key for key, text in rows.items() if value in text]


def test_erasure_removes_personal_data_everywhere_and_keeps_the_figures(
    world, django_capture_on_commit_callbacks
):
    wang, ticket = world["wang"], world["ticket"]
    dump = _everything()
    assert all(_holding(dump, value) for value in PERSONAL)  # the world really holds them
    attachment = Attachment.objects.get(message__ticket=ticket)
    photo = attachment.file.path
    before = {
        "tickets": Ticket.objects.filter(customer=wang).count(),
        "status": list(Ticket.objects.filter(customer=wang).values_list("status", "kind")),
        "messages": Message.objects.filter(ticket__customer=wang).count(),
        "events": TicketEvent.objects.filter(ticket__customer=wang).count(),
        "compensation": list(Compensation.objects.values_list("amount", "state")),
        "scores": sorted(Answer.objects.exclude(value=None).values_list("value", flat=True)),
        "audit": AuditEvent.objects.count(),
    }

    client = Client(headers={"Accept-Language": "en"})
    client.force_login(world["admin"])
    with django_capture_on_commit_callbacks(execute=True):  # files go after the commit
        response = client.post(
            f"/api/v1/customers/{wang.pk}/erase",
            {"reason": "DSR-2026-017, identity checked by phone", "confirm": wang.number},
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    counts = response.json()["counts"]
    assert counts["customers.ContactPoint"] == 2 and counts["tickets.Attachment"] == 1

    dump = _everything()
    for value in PERSONAL:
        assert _holding(dump, value) == [], value
    assert _holding(dump, "李雷的问题")  # someone else's data is untouched
    assert not os.path.exists(photo)
    wang.refresh_from_db()
    assert wang.name == erasure.ERASED and wang.number  # the row and its number remain
    assert not wang.user.is_active and not wang.user.has_usable_password()
    # The figures do not move.
    assert Ticket.objects.filter(customer=wang).count() == before["tickets"]
    assert (
        list(Ticket.objects.filter(customer=wang).values_list("status", "kind"))
        == (before["status"])
    )
    assert Message.objects.filter(ticket__customer=wang).count() == before["messages"]
    assert TicketEvent.objects.filter(ticket__customer=wang).count() == before["events"]
    assert list(Compensation.objects.values_list("amount", "state")) == before["compensation"]
    assert (
        sorted(Answer.objects.exclude(value=None).values_list("value", flat=True))
        == (before["scores"])
    )
    assert Response.objects.filter(customer=wang).count() == 0
    assert Response.objects.count() == 1
    assert wang.purchases.get().amount == Decimal("129.00")
    # The audit trail keeps every entry, and says the erasure happened, without the data.
    assert AuditEvent.objects.count() == before["audit"] + 1
    erased = AuditEvent.objects.get(action="customer.erased")
    assert erased.actor == world["admin"] and erased.object_id == str(wang.pk)
    assert erased.changes["reason"][1].startswith("DSR-2026-017")


def test_a_redelivered_email_after_erasure_is_still_a_duplicate(world):
    wang = world["wang"]
    erasure.customer_erase(actor=None, customer=wang, reason="DSR-1", confirm=wang.number)
    raw = (
        b"From: someone <x@example.cn>\r\nTo: service@example.com\r\nSubject: again\r\n"
        b"Message-ID: <w1@example.cn>\r\n\r\nbody\r\n"
    )
    assert not channels.email_ingest(raw).created


def test_refusals_name_the_field_and_change_nothing(world, make_user):
    wang = world["wang"]
    for role in ("agent", "supervisor", "manager"):
        client = Client()
        client.force_login(make_user(role))
        response = client.post(
            f"/api/v1/customers/{wang.pk}/erase",
            {"reason": "x", "confirm": wang.number},
            content_type="application/json",
        )
        assert response.status_code == 403, role
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(world["admin"])
    response = client.post(
        f"/api/v1/customers/{wang.pk}/erase",
        {"reason": " ", "confirm": world["li"].number},
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"reason", "confirm"} and wang.number in fields["confirm"][0]
    wang.refresh_from_db()
    assert wang.name == "王芳"
    assert not AuditEvent.objects.filter(action="customer.erased").exists()


def test_a_failure_half_way_leaves_the_customer_as_it_was(world, monkeypatch):
    wang = world["wang"]

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(erasure, "_erase_customers", broken)  # after tickets and channels
    with pytest.raises(RuntimeError):
        erasure.customer_erase(actor=None, customer=wang, reason="DSR-2", confirm=wang.number)
    assert Ticket.objects.get(pk=world["ticket"].pk).subject == "改名后的主题"
    assert Message.objects.filter(body_text__contains="外壳破裂").exists()
    assert Attachment.objects.filter(message__ticket=world["ticket"]).exists()
    assert Customer.objects.get(pk=wang.pk).name == "王芳"


def test_the_page_and_the_command(world, make_user):
    wang, li = world["wang"], world["li"]
    client = Client(headers={"Accept-Language": "zh-hans"})
    client.force_login(world["admin"])
    page = client.get(f"/customers/{wang.pk}/")
    assert f"/customers/{wang.pk}/erase/" in page.content.decode()
    form = client.get(f"/customers/{wang.pk}/erase/")
    assert form.status_code == 200 and "删除个人数据" in form.content.decode()
    wrong = client.post(f"/customers/{wang.pk}/erase/", {"reason": "DSR-3", "confirm": "nope"})
    assert wrong.status_code == 422 and wang.number in wrong.content.decode()
    done = client.post(f"/customers/{wang.pk}/erase/", {"reason": "DSR-3", "confirm": wang.number})
    assert done.status_code == 302
    assert Customer.objects.get(pk=wang.pk).name == erasure.ERASED

    agent = Client()
    agent.force_login(make_user("agent"))
    assert agent.get(f"/customers/{li.pk}/erase/").status_code == 403
    assert f"/customers/{li.pk}/erase/" not in agent.get(f"/customers/{li.pk}/").content.decode()

    out = io.StringIO()
    call_command("privacy", "erase", li.number, "--reason", "DSR-4", "--yes", stdout=out)
    assert f"erased customer {li.number}" in out.getvalue()
    assert Customer.objects.get(pk=li.pk).name == erasure.ERASED


def test_the_export_includes_survey_answers_and_emails_linked_without_a_reverse_name(world):
    """Rows pointing at the customer or the ticket through related_name="+" are exported too."""
    from kefu.customers.privacy import _owned_rows

    rows = _owned_rows(world["wang"])
    assert "surveys.Response" in rows and "channels.InboundEmail" in rows
    assert not any(label.startswith(("quality.", "workforce.")) for label in rows)
