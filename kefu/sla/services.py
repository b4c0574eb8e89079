"""Writes of the sla app (its services own its models)."""

from __future__ import annotations


def sla_ticket_changed(*, ticket, event: str, message=None) -> None:
    """Start, pause, resume, meet or recompute the ticket's SLA clocks after `event`.

    Called by kefu.tickets.services.effects inside the ticket's transaction.
    """
    return None
