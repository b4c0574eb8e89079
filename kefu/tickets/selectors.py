"""Reads of tickets: the inbox's saved views and filters, the ticket page, the 3W report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.tickets import workflow
from kefu.tickets.access import actor_team_ids, visible_ticket_parts, visible_tickets
from kefu.tickets.models import (
    OPEN_STATUSES,
    Attachment,
    Compensation,
    CompensationState,
    Message,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from kefu.tickets.services.facts import ticket_facts

DUE_SOON = dt.timedelta(hours=1)


def _due_soon_q(now) -> Q:
    return Q(resolution_due_at__gt=now, resolution_due_at__lte=now + DUE_SOON) | Q(
        first_response_at__isnull=True,
        first_response_due_at__gt=now,
        first_response_due_at__lte=now + DUE_SOON,
    )


def _awaiting_approval_q() -> Q:
    # EXISTS rather than a join: no duplicate rows, so lists need no DISTINCT (which made
    # PostgreSQL group every matching row before it could sort and take a page).
    return Q(
        Exists(
            Compensation.objects.filter(ticket_id=OuterRef("pk"), state=CompensationState.PENDING)
        )
    )


def _breached_q(now) -> Q:
    return Q(resolution_due_at__lte=now) | Q(
        first_response_at__isnull=True, first_response_due_at__lte=now
    )


@dataclass(frozen=True)
class InboxView:
    key: str
    label: Any
    narrow: Any  # function (actor, now) -> Q, within the open tickets when open_only
    open_only: bool = True

    def filter(self, actor, now) -> Q:
        """The view's tickets among those `actor` may see."""
        narrow = self.narrow(actor, now)
        return Q(status__in=OPEN_STATUSES) & narrow if self.open_only else narrow


INBOX_VIEWS = (
    InboxView("mine", _("My open tickets"), lambda a, now: Q(assignee=a)),
    InboxView("unassigned", _("Unassigned"), lambda a, now: Q(assignee__isnull=True)),
    # The ids, not a subquery: PostgreSQL then walks the open-tickets-by-team index in update
    # order and stops after the page.
    InboxView("team", _("My teams"), lambda a, now: Q(team_id__in=actor_team_ids(a))),
    InboxView("due_soon", _("Due within an hour"), lambda a, now: _due_soon_q(now)),
    InboxView("breached", _("Breached"), lambda a, now: _breached_q(now)),
    InboxView("complaints", _("Open complaints"), lambda a, now: Q(kind=TicketKind.COMPLAINT)),
    InboxView(
        "approvals", _("Awaiting approval"), lambda a, now: _awaiting_approval_q(), open_only=False
    ),
    InboxView("all_open", _("All open"), lambda a, now: Q()),
    InboxView("solved", _("Recently solved"), lambda a, now: Q(status="solved"), open_only=False),
)
VIEWS_BY_KEY = {v.key: v for v in INBOX_VIEWS}

SORTS = {
    "updated": "-updated_at",
    "-updated": "updated_at",
    "created": "-created_at",
    "priority": "-priority_rank",
    "due": "resolution_due_at",
}

FILTER_FIELDS = (
    "status",
    "kind",
    "priority",
    "channel",
    "assignee",
    "team",
    "category",
    "customer",
)


# Views counted among open tickets only (one aggregate); the others are counted on their own.
OPEN_VIEW_KEYS = tuple(view.key for view in INBOX_VIEWS if view.open_only)


def inbox_counts(actor) -> dict[str, int]:
    """Count of every saved view for `actor`, in a fixed number of queries.

    The open-ticket views are one aggregate per part of the visible set (`visible_ticket_parts`:
    disjoint, so the counts add up), which PostgreSQL answers from the covering partial indexes
    of open tickets; "solved" and "approvals" are counted on their own so the aggregates never
    read the closed history.
    """
    now = timezone.now()
    open_views = [VIEWS_BY_KEY[key] for key in OPEN_VIEW_KEYS]
    counts = dict.fromkeys((*OPEN_VIEW_KEYS, "solved"), 0)
    for part in visible_ticket_parts(actor):
        found = (
            Ticket.objects.filter(part, status__in=OPEN_STATUSES)
            .order_by()
            .aggregate(**{view.key: _count_where(view.narrow(actor, now)) for view in open_views})
        )
        for key in OPEN_VIEW_KEYS:
            counts[key] += found[key]
        counts["solved"] += Ticket.objects.filter(part, status=TicketStatus.SOLVED).count()
    counts["approvals"] = (
        visible_tickets(actor).filter(VIEWS_BY_KEY["approvals"].filter(actor, now)).count()
    )
    return {view.key: counts[view.key] for view in INBOX_VIEWS}


def _count_where(narrow: Q):
    # Within the open tickets already: no status test per row (PostgreSQL evaluates every
    # FILTER on each of the tens of thousands of index entries it reads).
    return Count("pk", filter=narrow) if narrow else Count("pk")


def visible_ticket_count(actor) -> int:
    """How many tickets `actor` may see: a count per disjoint part (`visible_ticket_parts`),
    each an index range, rather than one count of an OR that visits every table row."""
    return sum(Ticket.objects.filter(part).count() for part in visible_ticket_parts(actor))


def tickets_of_page(tickets: QuerySet[Ticket]) -> list[Ticket]:
    """The tickets of one (sliced) page of `ticket_list`, in its order, read in two steps: the
    page's ids first, sorted on narrow index rows, then those tickets with their joins (one
    query would join every matching ticket's customer before sorting)."""
    ids = list(tickets.values_list("pk", flat=True))
    found = Ticket.objects.select_related("customer", "assignee", "team", "category").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def ticket_list(
    actor,
    *,
    view: str | None = None,
    filters: dict[str, Any] | None = None,
    q: str = "",
    sort: str = "updated",
    created_from: dt.datetime | None = None,
    created_to: dt.datetime | None = None,
    updated_from: dt.datetime | None = None,
    updated_to: dt.datetime | None = None,
) -> QuerySet[Ticket]:
    """The tickets `actor` may see, narrowed by a saved view, field filters and a text query.

    Related rows shown in lists are joined, so a page costs the same queries whatever its size.
    """
    from django.db.models import Case, IntegerField, Value, When

    tickets = visible_tickets(actor)
    if view:
        if view not in VIEWS_BY_KEY:
            from kefu.core.errors import ValidationFailed

            raise ValidationFailed(_("Unknown view."), fields={"view": _("Unknown view.")})
        tickets = tickets.filter(VIEWS_BY_KEY[view].filter(actor, timezone.now()))
    for name, value in (filters or {}).items():
        if name in FILTER_FIELDS and value not in (None, ""):
            tickets = tickets.filter(
                **{
                    f"{name}_id"
                    if name in ("assignee", "team", "category", "customer")
                    else name: value
                }
            )
    if q:
        query = (
            Q(subject__icontains=q)
            | Q(public_id__iexact=q)
            | Q(customer__name__icontains=q)
            | Q(description__icontains=q)
        )
        tickets = tickets.filter(query)
    for field, start, end in (
        ("created_at", created_from, created_to),
        ("updated_at", updated_from, updated_to),
    ):
        if start:
            tickets = tickets.filter(**{f"{field}__gte": start})
        if end:
            tickets = tickets.filter(**{f"{field}__lt": end})
    tickets = tickets.annotate(
        priority_rank=Case(
            When(priority="urgent", then=Value(3)),
            When(priority="high", then=Value(2)),
            When(priority="normal", then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    return tickets.select_related("customer", "assignee", "team", "category").order_by(
        SORTS.get(sort, "-updated_at"), "-id"
    )


TICKET_PAGE_RELATED = (
    "customer",
    "assignee",
    "team",
    "category",
    "root_cause",
    "problem",
    "incident",
)


def get_visible_ticket(actor, pk: int, *, related: tuple[str, ...] = TICKET_PAGE_RELATED) -> Ticket:
    """One ticket `actor` may see, or Ticket.DoesNotExist (→ 404, never a hint it exists).
    `related`: the relations read along (the API's ticket answer needs only the customer)."""
    return visible_tickets(actor).select_related(*related).get(pk=pk)


@dataclass(frozen=True)
class TicketPage:
    ticket: Ticket
    messages: list[Message]
    events: list[TicketEvent]
    compensations: list[Compensation]
    facts: workflow.TicketFacts
    allowed: dict
    stage_requirements: list
    three_change: list
    customer_open_tickets: int
    recent_tickets: list[Ticket]


def ticket_page(actor, ticket: Ticket) -> TicketPage:
    """Everything the ticket page shows, in a fixed number of queries."""
    customer_view = getattr(actor, "is_customer", False)
    messages = ticket.messages.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
    )
    if customer_view:
        messages = messages.exclude(kind="note")
    facts = ticket_facts(ticket)
    recent = list(
        Ticket.objects.filter(customer_id=ticket.customer_id)
        .exclude(pk=ticket.pk)
        .order_by("-created_at")[:5]
    )
    return TicketPage(
        ticket=ticket,
        messages=list(messages),
        events=[]
        if customer_view
        else list(ticket.events.select_related("actor").order_by("at", "id")),
        compensations=list(
            ticket.compensations.select_related("requested_by", "approver", "decided_by")
        ),
        facts=facts,
        allowed=workflow.allowed_transitions(facts),
        stage_requirements=workflow.unmet_stage_requirements(facts) if ticket.is_complaint else [],
        three_change=workflow.three_change_suggestions(facts) if ticket.is_complaint else [],
        customer_open_tickets=Ticket.objects.filter(
            customer_id=ticket.customer_id, status__in=OPEN_STATUSES
        ).count(),
        recent_tickets=recent,
    )


def three_w_report(ticket: Ticket) -> list[dict[str, Any]]:
    """The 3W record of a complaint (M14): for each event, what we knew, when, and what we did."""
    rows = []
    for event in ticket.events.select_related("actor").order_by("at", "id"):
        rows.append(
            {
                "when": event.at,
                "who": event.actor_label,
                "what_we_did": event.kind,
                "what_we_knew": event.note,
                "changes": event.changes,
            }
        )
    return rows


def pending_approvals(actor) -> QuerySet[Compensation]:
    """Compensation requests waiting for `actor` (or all of them, for a supervisor's overview)."""
    pending = Compensation.objects.filter(state=CompensationState.PENDING).select_related(
        "ticket", "ticket__customer", "requested_by", "approver"
    )
    if actor.has_perm("tickets.view_all_tickets"):
        return pending.order_by("created_at")
    return pending.filter(approver=actor).order_by("created_at")


# Event kinds already visible as a message in the conversation (not repeated between messages).
MESSAGE_EVENTS = frozenset({"reply_sent", "note_added", "customer_message"})


@dataclass(frozen=True)
class ConversationItem:
    """One entry of the ticket page's centre column: a message, or a run of events between."""

    at: dt.datetime
    message: Message | None = None
    events: tuple[TicketEvent, ...] = ()


def conversation(messages: list[Message], events: list[TicketEvent]) -> list[ConversationItem]:
    """Messages in time order with the events that happened between them grouped in runs."""
    stream = sorted(
        [(m.created_at, 1, m) for m in messages]
        + [(e.at, 0, e) for e in events if e.kind not in MESSAGE_EVENTS],
        key=lambda row: (row[0], row[1]),
    )
    items: list[ConversationItem] = []
    run: list[TicketEvent] = []
    for at, is_message, obj in stream:
        if is_message:
            if run:
                items.append(ConversationItem(at=run[0].at, events=tuple(run)))
                run = []
            items.append(ConversationItem(at=at, message=obj))
        else:
            run.append(obj)
    if run:
        items.append(ConversationItem(at=run[0].at, events=tuple(run)))
    return items


@dataclass(frozen=True)
class SidePanel:
    follow_ups: list
    opportunities: list
    links: list  # (kind, other ticket, direction)
    incident_children: list
    ianar: Any
    purchases: Any


def ticket_side_panel(ticket: Ticket) -> SidePanel:
    """The ticket page's right-hand extras (a fixed number of queries)."""
    from kefu.customers.selectors import purchase_summary
    from kefu.tickets.models import FollowUp, IanarReview, Opportunity, TicketLink

    both = list(
        TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket))
        .select_related("source", "target")
        .order_by("pk")
    )
    links = [(link.kind, link.target, "out") for link in both if link.source_id == ticket.pk] + [
        (link.kind, link.source, "in") for link in both if link.target_id == ticket.pk
    ]
    return SidePanel(
        follow_ups=list(FollowUp.objects.filter(ticket=ticket).select_related("assignee")),
        opportunities=list(Opportunity.objects.filter(ticket=ticket).select_related("owner")),
        links=links,
        incident_children=list(
            ticket.incident_children.select_related("customer").order_by("-created_at")[:50]
        )
        if ticket.is_incident
        else [],
        ianar=IanarReview.objects.filter(ticket=ticket).first() if ticket.is_complaint else None,
        purchases=purchase_summary(ticket.customer),
    )


def find_ticket_by_number(actor, number: str) -> Ticket | None:
    """A visible ticket by its public id (KF-2026-000123) or plain id, else None."""
    number = number.strip()
    tickets = visible_tickets(actor)
    if number.isdigit():
        return tickets.filter(pk=int(number)).first()
    return tickets.filter(public_id__iexact=number).first()


def find_tickets_by_numbers(actor, numbers: list[str]) -> tuple[list[Ticket], list[str]]:
    """The visible tickets for public ids (KF-2026-000123) or plain ids, in the order given, and
    the numbers that match no ticket `actor` may see (one query)."""
    wanted = [n.strip() for n in numbers if n and n.strip()]
    ids = [int(n) for n in wanted if n.isdigit()]
    public = [n.upper() for n in wanted if not n.isdigit()]
    found = list(visible_tickets(actor).filter(Q(pk__in=ids) | Q(public_id__in=public)))
    by_key = {str(t.pk): t for t in found} | {(t.public_id or "").upper(): t for t in found}
    tickets, missing = [], []
    for number in wanted:
        ticket = by_key.get(number if number.isdigit() else number.upper())
        if ticket is None:
            missing.append(number)
        elif ticket not in tickets:
            tickets.append(ticket)
    return tickets, missing


def active_macros() -> QuerySet:
    from kefu.tickets.models import Macro

    return Macro.objects.filter(is_active=True).order_by("name")


# --- category and urgency suggestion (M23) ------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """One suggested value for a field, with the classifier's confidence in [0, 1]."""

    target: str  # "category" or "priority"
    value: str  # category id or priority value, as the form posts it
    label: str
    confidence: float

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)


@dataclass(frozen=True)
class Suggestions:
    category: list[Suggestion]
    priority: list[Suggestion]
    untrained: list[str]  # targets with no trained classifier yet

    @property
    def any_trained(self) -> bool:
        return len(self.untrained) < 2


# Loaded classifiers of this process, by target: (TrainedClassifier pk, TextClassifier).
_LOADED_CLASSIFIERS: dict[str, tuple[int, Any]] = {}


def current_classifiers() -> dict[str, Any]:
    """The newest trained classifier per target, loaded once per process and kept while it is
    the newest (one small query per call; the model bytes are read only after a retraining)."""
    from kefu.tickets.classifier import TextClassifier
    from kefu.tickets.models import TrainedClassifier

    newest: dict[str, int] = {}
    for target, pk in TrainedClassifier.objects.order_by(
        "target", "-trained_at", "-id"
    ).values_list("target", "pk"):
        newest.setdefault(target, pk)
    loaded = {}
    for target, pk in newest.items():
        cached = _LOADED_CLASSIFIERS.get(target)
        if cached is None or cached[0] != pk:
            blob = TrainedClassifier.objects.filter(pk=pk).values_list("model", flat=True).get()
            cached = (pk, TextClassifier.from_bytes(bytes(blob)))
            _LOADED_CLASSIFIERS[target] = cached
        loaded[target] = cached[1]
    return loaded


def suggest_fields(text: str, *, top: int = 3) -> Suggestions:
    """Suggested categories and priorities for a ticket's text (subject and description), best
    first with their confidence. Never applied here: the agent chooses."""
    from kefu.tickets.models import Category, Priority

    models_by_target = current_classifiers()
    untrained = [t for t in ("category", "priority") if t not in models_by_target]
    found: dict[str, list[Suggestion]] = {"category": [], "priority": []}
    if not (text or "").strip():
        return Suggestions(category=[], priority=[], untrained=untrained)
    ranked = {t: model.suggest(text, top=top) for t, model in models_by_target.items()}
    if "category" in ranked:
        ids = [int(v) for v, _p in ranked["category"] if v.isdigit()]
        names = {
            str(c.pk): str(c)
            for c in Category.objects.filter(pk__in=ids, is_active=True).select_related("parent")
        }
        found["category"] = [
            Suggestion("category", v, names[v], p) for v, p in ranked["category"] if v in names
        ]
    if "priority" in ranked:
        labels = dict(Priority.choices)
        found["priority"] = [
            Suggestion("priority", v, str(labels[v]), p)
            for v, p in ranked["priority"]
            if v in labels
        ]
    return Suggestions(category=found["category"], priority=found["priority"], untrained=untrained)
