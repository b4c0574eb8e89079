"""Writes of the channels app (its services own its models)."""

from __future__ import annotations


def channels_ticket_changed(*, ticket, event: str, message=None) -> None:
    """Send a public reply through the ticket's channel and notify webhook subscribers.

    Called by kefu.tickets.services.effects inside the ticket's transaction.
    """
    return None
