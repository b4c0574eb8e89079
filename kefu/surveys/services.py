"""Writes of the surveys app (its services own its models)."""

from __future__ import annotations


def surveys_ticket_changed(*, ticket, event: str, actor=None) -> None:
    """Schedule the post-resolution survey when a ticket is solved.

    Called by kefu.tickets.services.effects inside the ticket's transaction.
    """
    return None
