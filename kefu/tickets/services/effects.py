"""What other apps do when a ticket changes — explicit calls, not signals (STYLE.md rule 5).

Every ticket service ends by calling `ticket_changed`, inside its transaction, so the effects
commit or roll back with the change. Effects that talk to the outside world (mail, webhooks)
start themselves with `transaction.on_commit` inside the receiving app.
"""

from __future__ import annotations

from kefu.tickets.models import Message, Ticket

# Events: created, updated, status_changed, reopened, stage_changed, message_added.


def ticket_changed(ticket: Ticket, *, event: str, actor=None, message: Message | None = None):
    """Tell the SLA clocks, the channels (outbound mail, webhooks) and the surveys."""
    from kefu.channels import services as channels_services
    from kefu.sla import services as sla_services
    from kefu.surveys import services as surveys_services

    sla_services.sla_ticket_changed(ticket=ticket, event=event, message=message)
    channels_services.channels_ticket_changed(ticket=ticket, event=event, message=message)
    surveys_services.surveys_ticket_changed(ticket=ticket, event=event, actor=actor)
