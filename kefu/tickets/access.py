"""Who may see and work which tickets. Every selector and service goes through here."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kefu.tickets.models import Ticket


def actor_team_ids(actor) -> list[int]:
    """The ids of `actor`'s teams, read once per user object (like Django's permission cache:
    a request has its own user object, so a membership change shows on the next request)."""
    cached = getattr(actor, "_ticket_team_ids", None)
    if cached is None:
        cached = list(actor.teams.values_list("pk", flat=True))
        actor._ticket_team_ids = cached
    return cached


def visible_tickets(actor) -> QuerySet[Ticket]:
    """Tickets `actor` may see: all (view_all_tickets), their teams' and their own, or — for a
    portal customer — only the tickets of their customer record."""
    tickets = Ticket.objects.all()
    if not actor.is_authenticated or not actor.is_active:
        return tickets.none()
    if getattr(actor, "is_customer", False):
        return tickets.filter(customer__user=actor)
    if actor.has_perm("tickets.view_all_tickets"):
        return tickets
    if not actor.has_perm("tickets.view_ticket"):
        return tickets.none()
    team_ids = actor_team_ids(actor)
    return tickets.filter(Q(assignee=actor) | Q(team_id__in=team_ids) | Q(team__isnull=True))


def visible_ticket_parts(actor) -> list[Q]:
    """`visible_tickets` as disjoint filters whose union is the visible set: counting each part
    on its own lets the database read one index range per part (an OR of the three conditions
    makes PostgreSQL visit every matching table row). An empty list: nothing is visible."""
    if not actor.is_authenticated or not actor.is_active:
        return []
    if getattr(actor, "is_customer", False):
        return [Q(customer__user=actor)]
    if actor.has_perm("tickets.view_all_tickets"):
        return [Q()]
    if not actor.has_perm("tickets.view_ticket"):
        return []
    team_ids = actor_team_ids(actor)
    return [
        Q(team_id__in=team_ids),
        Q(team__isnull=True),
        Q(assignee=actor, team__isnull=False) & ~Q(team_id__in=team_ids),
    ]


def require_ticket_access(actor, ticket: Ticket, *, work: bool = True) -> None:
    """Raise PermissionDenied unless `actor` may see (and, with work=True, change) `ticket`.

    `actor=None` is Kefu itself (SLA escalations, mail ingest, scheduled jobs): services called
    from views and the API always pass the request's user, never None.
    """
    if actor is None:
        return
    if not visible_tickets(actor).filter(pk=ticket.pk).exists():
        raise PermissionDenied(_("You cannot see this ticket."))
    if work and (
        getattr(actor, "is_customer", False) or not actor.has_perm("tickets.change_ticket")
    ):
        raise PermissionDenied(_("You may not change this ticket."))
