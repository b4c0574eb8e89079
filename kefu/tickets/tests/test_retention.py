"""Retention: attachments of tickets closed more than N months ago are deleted, nothing else."""

import datetime as dt
import os

import pytest

from kefu.core.models import AuditEvent
from kefu.tickets import services as tickets
from kefu.tickets.models import Attachment, Ticket, TicketEvent
from kefu.tickets.retention import attachments_retention_sweep, months_before
from kefu.tickets.services.conversation import UploadedFile
from kefu.tickets.tests.factories import make_customer, make_ticket

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (dt.datetime(2026, 12, 2, tzinfo=dt.UTC), 12, dt.datetime(2025, 12, 2, tzinfo=dt.UTC)),
        (dt.datetime(2026, 3, 31, tzinfo=dt.UTC), 1, dt.datetime(2026, 2, 28, tzinfo=dt.UTC)),
        (dt.datetime(2024, 3, 31, tzinfo=dt.UTC), 1, dt.datetime(2024, 2, 29, tzinfo=dt.UTC)),
        (dt.datetime(2026, 1, 15, tzinfo=dt.UTC), 13, dt.datetime(2024, 12, 15, tzinfo=dt.UTC)),
    ],
)
def test_months_before_is_calendar_arithmetic(moment, months, expected):
    assert months_before(moment, months) == expected


def _with_photo(agent, subject: str, *, status: str, closed_at):
    ticket = make_ticket(agent, customer=make_customer(), subject=subject)
    photo = UploadedFile("photo.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    tickets.message_add(actor=agent, ticket=ticket, kind="note", body="照片", attachments=[photo])
    Ticket.objects.filter(pk=ticket.pk).update(status=status, closed_at=closed_at)
    return ticket


def test_only_old_closed_tickets_lose_their_attachments(
    make_user, django_capture_on_commit_callbacks
):
    agent = make_user("agent")
    old = _with_photo(agent, "old", status="closed", closed_at=NOW - dt.timedelta(days=400))
    recent = _with_photo(agent, "recent", status="closed", closed_at=NOW - dt.timedelta(days=20))
    open_old = _with_photo(agent, "open", status="open", closed_at=None)
    old_file = Attachment.objects.get(message__ticket=old).file.path
    assert os.path.exists(old_file)

    assert attachments_retention_sweep(months=0, now=NOW) == 0  # 0 keeps everything
    with django_capture_on_commit_callbacks(execute=True):
        assert attachments_retention_sweep(months=12, now=NOW) == 1
    assert not Attachment.objects.filter(message__ticket=old).exists()
    assert not os.path.exists(old_file)
    assert Attachment.objects.filter(message__ticket=recent).count() == 1
    assert Attachment.objects.filter(message__ticket=open_old).count() == 1
    assert old.messages.filter(body_text="照片").exists()  # the message itself stays
    event = TicketEvent.objects.get(ticket=old, kind="attachments_removed")
    assert event.changes == {"attachments": [1, 0]}
    audit = AuditEvent.objects.get(action="retention.attachments_removed")
    assert audit.changes["removed"] == [None, 1]
    assert attachments_retention_sweep(months=12, now=NOW) == 0  # idempotent


def test_the_setting_drives_the_daily_task(make_user, settings):
    from kefu.tickets.tasks import retention

    agent = make_user("agent")
    _with_photo(agent, "ancient", status="closed", closed_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    settings.KEFU_RETENTION_ATTACHMENT_MONTHS = 0
    assert retention() == 0
    settings.KEFU_RETENTION_ATTACHMENT_MONTHS = 24
    assert retention() == 1
    assert retention.every_seconds == 24 * 3600
