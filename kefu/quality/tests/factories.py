"""Factories for the quality tests; they write through the services like real callers."""

from __future__ import annotations

from kefu.tickets import services as ticket_services
from kefu.tickets.tests.factories import make_customer, make_team, make_ticket

__all__ = ["make_customer", "make_team", "make_ticket", "worked_ticket"]


def worked_ticket(agent, *, team=None, solve: bool = True, **fields):
    """A ticket assigned to `agent`, answered once and (optionally) solved."""
    ticket = make_ticket(
        agent, assignee=agent, team=team, channel="email", kind="inquiry", **fields
    )
    ticket_services.message_add(
        actor=agent, ticket=ticket, kind="reply", body="您好，已为您处理。", confirm_warnings=True
    )
    ticket.refresh_from_db()
    if solve:
        ticket = ticket_services.ticket_transition(
            actor=agent, ticket=ticket, to_status="solved", expected_version=ticket.version
        )
    return ticket
