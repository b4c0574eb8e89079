"""The 3W record: every change to a ticket becomes a TicketEvent and an audit event."""

from __future__ import annotations

from typing import Any

from kefu.core.audit import audit_record
from kefu.tickets.models import Ticket, TicketEvent


def record_event(
    ticket: Ticket,
    *,
    actor,
    kind: str,
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> TicketEvent:
    """Append one event to the ticket's 3W log and the global audit trail."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    event = TicketEvent.objects.create(
        ticket=ticket,
        actor=actor if is_user else None,
        actor_label=(str(actor) if is_user else "system")[:200],
        kind=kind,
        changes=changes or {},
        note=note,
    )
    audit_record(actor=actor, action=f"ticket.{kind}", obj=ticket, changes=changes or {})
    return event
