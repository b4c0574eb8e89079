"""Reads of the audit trail."""

from __future__ import annotations

from django.db.models import QuerySet

from kefu.core.models import AuditEvent


def audit_event_list(
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    action: str | None = None,
    actor_id: int | None = None,
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if action:
        events = events.filter(action=action)
    if actor_id:
        events = events.filter(actor_id=actor_id)
    return events.order_by("-at", "-id")
