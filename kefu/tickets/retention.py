"""Retention rules: attachments of tickets closed more than N months ago are deleted.

`KEFU_RETENTION_ATTACHMENT_MONTHS` (0 = keep them for ever) sets N; the daily task
`tickets.retention` applies it. The ticket and its messages stay; each ticket gets an event
saying how many attachments were removed, and each run is audited. The rows go in batches, each
in its own transaction, and a file is deleted only after its row's deletion has committed, so an
interrupted run loses nothing that is still referenced and the next run finishes the work.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kefu.core.audit import audit_record
from kefu.tickets.models import Attachment, TicketEvent, TicketStatus

BATCH = 500


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months earlier (the last day when it is shorter)."""
    years, month0 = divmod(moment.month - 1 - months, 12)
    year, month = moment.year + years, month0 + 1
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


def attachments_retention_sweep(
    *, months: int | None = None, now: dt.datetime | None = None
) -> int:
    """Delete the attachments of tickets closed before `months` months ago; returns how many."""
    months = settings.KEFU_RETENTION_ATTACHMENT_MONTHS if months is None else months
    if months <= 0:
        return 0
    cutoff = months_before(now or timezone.now(), months)
    due = Attachment.objects.filter(
        message__ticket__status=TicketStatus.CLOSED, message__ticket__closed_at__lt=cutoff
    ).order_by("pk")
    removed = 0
    while batch := list(due.values_list("pk", "message__ticket_id", "file")[:BATCH]):
        with transaction.atomic():
            Attachment.objects.filter(pk__in=[pk for pk, _t, _f in batch]).delete()
            per_ticket = Counter(ticket_id for _pk, ticket_id, _f in batch)
            TicketEvent.objects.bulk_create(
                TicketEvent(
                    ticket_id=ticket_id,
                    actor_label="system",
                    kind="attachments_removed",
                    changes={"attachments": [count, 0]},
                    note=f"retention: closed more than {months} months ago",
                )
                for ticket_id, count in per_ticket.items()
            )
            names = [name for _pk, _t, name in batch if name]
            transaction.on_commit(lambda names=names: _delete_files(names))
        removed += len(batch)
    if removed:
        audit_record(
            actor=None,
            action="retention.attachments_removed",
            object_type="tickets.attachment",
            object_id="*",
            object_label=f"closed before {cutoff:%Y-%m-%d}",
            changes={"removed": [None, removed], "months": [None, months]},
        )
    return removed


def _delete_files(names: list[str]) -> None:
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        storage.delete(name)
