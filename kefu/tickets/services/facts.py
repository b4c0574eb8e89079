"""Turn a stored ticket into the workflow's TicketFacts (the state machine lives in workflow.py)."""

from __future__ import annotations

from django.db.models import Count, Q

from kefu.tickets import workflow
from kefu.tickets.models import CompensationState, MessageKind, Ticket


def ticket_facts(ticket: Ticket) -> workflow.TicketFacts:
    """Everything the workflow rules need to know about `ticket`, in two queries."""
    replies = ticket.messages.filter(kind=MessageKind.REPLY).count()
    compensation = ticket.compensations.aggregate(
        pending=Count("id", filter=Q(state=CompensationState.PENDING)),
        granted=Count(
            "id", filter=Q(state__in=[CompensationState.APPROVED, CompensationState.GRANTED])
        ),
    )
    return workflow.TicketFacts(
        kind=workflow.Kind(ticket.kind),
        status=workflow.Status(ticket.status),
        stage=workflow.Stage(ticket.stage) if ticket.stage else None,
        has_assignee=ticket.assignee_id is not None,
        public_reply_count=replies,
        problem_statement=ticket.problem_statement,
        problem_confirmed_by_customer=ticket.problem_confirmed_by_customer,
        problem_confirmed_by_company=ticket.problem_confirmed_by_company,
        root_cause_category=str(ticket.root_cause_id) if ticket.root_cause_id else None,
        resolution=ticket.resolution,
        response_kinds=frozenset(workflow.ResponseKind(k) for k in ticket.response_kinds),
        granted_compensation_count=compensation["granted"],
        pending_compensation_approvals=compensation["pending"],
        customer_confirmed=ticket.customer_confirmed,
        satisfaction_answered=ticket.satisfaction_answered,
        satisfaction_timed_out=_satisfaction_timed_out(ticket),
        category=str(ticket.category_id) if ticket.category_id else None,
        failed_contact_count=ticket.failed_contact_count,
        three_changes_tried=frozenset(workflow.ThreeChange(c) for c in ticket.three_changes_tried),
    )


def _satisfaction_timed_out(ticket: Ticket) -> bool:
    from django.utils import timezone

    return ticket.satisfaction_due_at is not None and ticket.satisfaction_due_at <= timezone.now()
