"""Reads for the portal, always scoped to what the signed-in customer may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from kefu.customers.models import Customer
from kefu.tickets.models import Attachment, Message, MessageKind, Ticket, TicketStatus

SOLVED_STATUSES = (TicketStatus.SOLVED, TicketStatus.CLOSED)


def portal_customer(user) -> Customer | None:
    """The customer record a portal user signs in for, or None (staff, or not linked yet)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_customer", False):
        return None
    return (
        Customer.objects.active()
        .select_related("organization", "portal_access")
        .filter(user=user)
        .first()
    )


def sees_organisation(customer: Customer) -> bool:
    access = getattr(customer, "portal_access", None)
    return bool(
        customer.organization_id is not None
        and access is not None
        and access.sees_organisation_tickets
    )


def portal_tickets(customer: Customer | None) -> QuerySet[Ticket]:
    """Requests the portal shows to `customer`: their own, and their organisation's when the
    customer's portal access allows it. None (no linked record) sees nothing."""
    if customer is None:
        return Ticket.objects.none()
    scope = Q(customer=customer)
    if sees_organisation(customer):
        org = customer.organization_id
        scope |= Q(customer_id=org) | Q(customer__organization_id=org)
    return Ticket.objects.filter(scope)


def portal_ticket_list(customer: Customer | None, *, show: str = "open") -> QuerySet[Ticket]:
    """The "my requests" list: open ones first by default; `show="all"` includes closed ones."""
    tickets = portal_tickets(customer).select_related("customer")
    if show == "open":
        tickets = tickets.exclude(status=TicketStatus.CLOSED)
    return tickets.order_by("-updated_at", "-id")


def portal_ticket(customer: Customer | None, ticket_id: int) -> Ticket:
    """One request the customer may see, or Ticket.DoesNotExist (→ 404, never a hint)."""
    return portal_tickets(customer).select_related("customer").get(pk=ticket_id)


def ticket_by_uuid(uuid_hex: str, customer_id: int) -> Ticket | None:
    """The ticket a status link names, if it still belongs to the customer the link was for."""
    return (
        Ticket.objects.select_related("customer")
        .filter(uuid=uuid_hex, customer_id=customer_id)
        .first()
    )


def conversation(ticket: Ticket) -> list[Message]:
    """The public conversation: customer messages and replies. Internal notes never appear."""
    return list(
        ticket.messages.exclude(kind=MessageKind.NOTE)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("created_at", "id")
    )


def public_attachment(ticket: Ticket, attachment_id: int) -> Attachment:
    """An attachment of a public message of `ticket`, or Attachment.DoesNotExist."""
    return Attachment.objects.exclude(message__kind=MessageKind.NOTE).get(
        pk=attachment_id, message__ticket=ticket
    )


def can_reply(user, ticket: Ticket) -> bool:
    """Customers answer their own requests; an organisation's other requests are read-only."""
    return ticket.customer.user_id == user.pk and ticket.status != TicketStatus.CLOSED


def latest_rating(ticket: Ticket):
    """The customer's rating of the current resolution (given after it was solved), or None."""
    from kefu.portal.models import ResolutionRating

    ratings = ResolutionRating.objects.filter(ticket=ticket)
    if ticket.solved_at is not None:
        ratings = ratings.filter(created_at__gte=ticket.solved_at)
    return ratings.order_by("-created_at", "-id").first()


def can_rate(user, ticket: Ticket, rating=None) -> bool:
    """A solved request of their own that they have not rated since it was solved."""
    return (
        ticket.customer.user_id == user.pk
        and ticket.status == TicketStatus.SOLVED
        and rating is None
    )


@dataclass(frozen=True)
class Waiting:
    """What the customer is told about waiting (M26): the next promise and whether it slipped.

    `kind` is "first_reply" (no answer yet) or "resolution"."""

    kind: str
    due_at: dt.datetime
    late: bool


def waiting(ticket: Ticket, now: dt.datetime | None = None) -> Waiting | None:
    """The SLA promise the customer is waiting on, from the due times the SLA module keeps on
    the ticket (no query). None while the ball is with the customer or the request is done."""
    if ticket.status in (TicketStatus.PENDING, *SOLVED_STATUSES):
        return None
    now = now or timezone.now()
    if ticket.first_response_at is None and ticket.first_response_due_at is not None:
        due = ticket.first_response_due_at
        return Waiting(kind="first_reply", due_at=due, late=due <= now)
    if ticket.resolution_due_at is not None:
        due = ticket.resolution_due_at
        return Waiting(kind="resolution", due_at=due, late=due <= now)
    return None


@dataclass(frozen=True)
class Promise:
    kind: str
    label: str
    duration: str
    business_time: bool


def first_reply_promises(customer: Customer) -> list[Promise]:
    """For the new-request form: how soon we promise a first reply to this customer, per kind
    of request (kefu.sla.selectors.expected_response; kinds without a policy are left out)."""
    from kefu.sla.selectors import expected_response, format_duration
    from kefu.tickets.models import TicketKind

    promises = []
    for kind, label in TicketKind.choices:
        expected = expected_response(
            kind=kind,
            tier=customer.tier,
            channel="web",
            organization_id=customer.organization_id,
        )
        if expected is not None:
            promises.append(
                Promise(
                    kind=kind,
                    label=str(label),
                    duration=format_duration(expected.minutes * 60),
                    business_time=expected.business_time,
                )
            )
    return promises


def status_link_path(ticket: Ticket) -> str:
    """The path of a signed, expiring status link for `ticket` (for emails: prefix the site)."""
    from django.urls import reverse

    from kefu.portal.tokens import make_status_token

    return reverse("portal:status", args=[make_status_token(ticket)])
