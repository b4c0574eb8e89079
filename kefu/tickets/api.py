"""Tickets API: tickets, conversation, workflow, compensation and approvals, problems, incidents."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kefu.accounts.models import Team, User
from kefu.api.pagination import PageNumberless
from kefu.core.errors import Conflict, ValidationFailed
from kefu.core.permissions import require_perm, require_staff
from kefu.customers.models import Customer
from kefu.tickets import selectors, services
from kefu.tickets.access import require_ticket_access, visible_tickets
from kefu.tickets.models import (
    Category,
    Compensation,
    Macro,
    MessageKind,
    Problem,
    RootCause,
    Ticket,
)

router = Router(tags=["tickets"])


class CustomerBrief(Schema):
    id: int
    name: str
    tier: str


class CustomerTicketOut(Schema):
    """What a portal customer may read of their own ticket: no assignee, internal analysis or
    priority."""

    id: int
    public_id: str | None
    subject: str
    description: str
    channel: str
    kind: str
    status: str
    stage: str
    w_what: str
    w_why: str
    w_who: str
    w_when: str
    w_where: str
    w_how: str
    w_how_much: Decimal | None
    customer_confirmed: bool
    first_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    solved_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class TicketOut(Schema):
    id: int
    public_id: str | None
    version: int
    subject: str
    description: str
    customer: CustomerBrief
    channel: str
    kind: str
    category_id: int | None
    priority: str
    severity: str
    status: str
    stage: str
    assignee_id: int | None
    team_id: int | None
    is_repeat: bool
    is_incident: bool
    incident_id: int | None
    problem_id: int | None
    root_cause_id: int | None
    resolution: str
    response_kinds: list[str]
    w_what: str
    w_why: str
    w_who: str
    w_when: str
    w_where: str
    w_how: str
    w_how_much: Decimal | None
    problem_statement: str
    problem_confirmed_by_customer: bool
    problem_confirmed_by_company: bool
    customer_confirmed: bool
    first_response_at: dt.datetime | None
    first_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    solved_at: dt.datetime | None
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class FiveWTwoH(Schema):
    w_what: str = ""
    w_why: str = ""
    w_who: str = Field("", max_length=200)
    w_when: str = Field("", max_length=100)
    w_where: str = Field("", max_length=200)
    w_how: str = ""
    w_how_much: Decimal | None = Field(None, ge=0)


class TicketIn(Schema):
    customer_id: int
    subject: str = Field(min_length=1, max_length=250)
    description: str = ""
    channel: Literal["email", "web", "phone", "chat", "wechat", "sms", "api", "other"] = "api"
    kind: Literal["inquiry", "request", "complaint", "praise"] = "inquiry"
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    severity: Literal["", "minor", "major", "critical"] = ""
    category_id: int | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    tags: list[str] = []
    five_w_two_h: FiveWTwoH | None = None
    problem_statement: str = ""


class TicketPatch(Schema):
    version: int = Field(description="The version you read; a stale one gets 409.")
    subject: str | None = Field(None, min_length=1, max_length=250)
    kind: Literal["inquiry", "request", "complaint", "praise"] | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    severity: Literal["", "minor", "major", "critical"] | None = None
    category_id: int | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    root_cause_id: int | None = None
    resolution: str | None = None
    response_kinds: list[Literal["regret", "reform", "restitution", "recovery"]] | None = None
    problem_statement: str | None = None
    problem_confirmed_by_customer: bool | None = None
    problem_confirmed_by_company: bool | None = None
    customer_confirmed: bool | None = None
    tags: list[str] | None = None
    w_what: str | None = None
    w_why: str | None = None
    w_who: str | None = Field(None, max_length=200)
    w_when: str | None = Field(None, max_length=100)
    w_where: str | None = Field(None, max_length=200)
    w_how: str | None = None
    w_how_much: Decimal | None = Field(None, ge=0)


class TicketFilters(Schema):
    view: str | None = Field(
        None,
        description=(
            "mine, unassigned, team, due_soon, breached, complaints, approvals, all_open, solved"
        ),
    )
    status: str | None = None
    kind: str | None = None
    priority: str | None = None
    channel: str | None = None
    assignee: int | None = None
    team: int | None = None
    category: int | None = None
    customer: int | None = None
    q: str = ""
    sort: Literal["updated", "-updated", "created", "priority", "due"] = "updated"
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    updated_from: dt.datetime | None = None
    updated_to: dt.datetime | None = None


class MessageOut(Schema):
    id: int
    kind: str
    author_id: int | None
    channel: str
    body_text: str
    body_html: str
    checker_warnings: list[dict]
    delivery_state: str
    created_at: dt.datetime


class MessageIn(Schema):
    kind: Literal["reply", "note"] = "reply"
    body: str = Field(min_length=1)
    html: bool = False
    confirm_warnings: bool = Field(False, description="Send even if the reply checker warns.")


class EventOut(Schema):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_label: str
    kind: str
    changes: dict
    note: str


class TransitionIn(Schema):
    status: Literal["new", "open", "pending", "on_hold", "solved", "closed"]
    version: int
    note: str = ""


class StageIn(Schema):
    stage: Literal["listen", "share", "problem", "check", "action", "satisfy"]
    version: int
    reason: str = ""


class CompensationOut(Schema):
    id: int
    ticket_id: int
    version: int
    remedy: str
    amount: Decimal
    currency: str
    reason: str
    state: str
    requested_by_id: int
    approver_id: int | None
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_note: str
    created_at: dt.datetime


class CompensationIn(Schema):
    remedy: Literal["apology", "refund", "voucher", "replacement", "gift", "onsite_visit", "other"]
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    currency: str = Field("CNY", min_length=3, max_length=3)
    reason: str = Field(min_length=1)


class DecisionIn(Schema):
    note: str = ""
    version: int | None = None


class ProblemOut(Schema):
    id: int
    version: int
    title: str
    state: str
    root_cause_id: int | None
    root_cause_detail: str
    workaround: str
    standard_fix: str
    ticket_ids: list[int]

    @staticmethod
    def resolve_ticket_ids(obj) -> list[int]:
        return [t.pk for t in obj.tickets.all()]


class ProblemIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    root_cause_id: int | None = None
    root_cause_detail: str = ""
    workaround: str = ""
    standard_fix: str = ""
    ticket_ids: list[int] = []


class IdsIn(Schema):
    ticket_ids: list[int] = Field(
        [], description="Affected tickets; empty only declares the ticket an incident."
    )


class BroadcastIn(Schema):
    body: str = Field(min_length=1)
    confirm_warnings: bool = False


class ResolutionIn(Schema):
    resolution: str = Field(min_length=1)


class TicketRef(Schema):
    id: int
    public_id: str | None


class SkippedOut(TicketRef):
    reasons: list[str]


class IncidentSolveOut(Schema):
    incident: TicketOut
    incident_solved: bool
    incident_problems: list[str]
    solved: list[TicketRef]
    skipped: list[SkippedOut]


class SplitIn(Schema):
    subject: str = Field("", max_length=250, description="Empty: keep the old ticket's subject.")


class MergeIn(Schema):
    target_id: int


class MacroOut(Schema):
    id: int
    name: str
    body: str
    set_status: str
    add_tags: list[str]


class CheckIn(Schema):
    text: str


class ClassifyIn(Schema):
    text: str = Field(min_length=1, max_length=20_000, description="Subject and description.")


class SuggestionOut(Schema):
    value: str = Field(description="Category id or priority value, as PATCH takes it.")
    label: str
    confidence: float = Field(ge=0, le=1)


class ClassifyOut(Schema):
    category: list[SuggestionOut]
    priority: list[SuggestionOut]
    untrained: list[str] = Field(description="Targets with no trained classifier yet.")


def _ticket(request, ticket_id: int) -> Ticket:
    require_staff(request.user) if not getattr(request.user, "is_customer", False) else None
    return get_object_or_404(visible_tickets(request.user), pk=ticket_id)


def _ref(model, pk, field):
    if pk is None:
        return None
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise ValidationFailed(f"{field}: no such record.", fields={field: ["No such record."]})
    return obj


@router.get("", response=list[TicketOut])
@paginate(PageNumberless)
def ticket_list(request, filters: Query[TicketFilters]):
    require_staff(request.user)
    data = filters.dict()
    return selectors.ticket_list(
        request.user,
        view=data.pop("view"),
        q=data.pop("q"),
        sort=data.pop("sort"),
        created_from=data.pop("created_from"),
        created_to=data.pop("created_to"),
        updated_from=data.pop("updated_from"),
        updated_to=data.pop("updated_to"),
        filters=data,
    )


@router.post("", response={201: TicketOut})
def ticket_create(request, payload: TicketIn):
    require_perm(request.user, "tickets.add_ticket")
    customer = _ref(Customer, payload.customer_id, "customer_id")
    ticket = services.ticket_create(
        actor=request.user,
        customer=customer,
        subject=payload.subject,
        description=payload.description,
        channel=payload.channel,
        kind=payload.kind,
        priority=payload.priority,
        severity=payload.severity,
        category=_ref(Category, payload.category_id, "category_id"),
        assignee=_ref(User, payload.assignee_id, "assignee_id"),
        team=_ref(Team, payload.team_id, "team_id"),
        tags=payload.tags,
        fields={
            **(payload.five_w_two_h.dict() if payload.five_w_two_h else {}),
            "problem_statement": payload.problem_statement,
        },
    )
    return Status(201, selectors.get_visible_ticket(request.user, ticket.pk, related=("customer",)))


class TicketBatchIn(Schema):
    tickets: list[TicketIn] = Field(
        min_length=1, max_length=100, description="1 to 100 tickets, created all or none."
    )


class TicketCreatedOut(Schema):
    id: int
    public_id: str
    version: int
    status: str
    customer_id: int


class TicketBatchOut(Schema):
    created: int
    tickets: list[TicketCreatedOut]


def _refs(model, items: list[TicketIn], field: str) -> dict[int, Any]:
    """The `field` records the batch names, read in one query; a missing one is a 422 naming
    the first item that refers to it."""
    wanted = {getattr(item, field) for item in items} - {None}
    found = model.objects.in_bulk(wanted)
    for index, item in enumerate(items):
        pk = getattr(item, field)
        if pk is not None and pk not in found:
            name = f"tickets[{index}].{field}"
            raise ValidationFailed(f"{name}: no such record.", fields={name: ["No such record."]})
    return found


@router.post("/batch", response={201: TicketBatchOut})
def ticket_create_batch(request, payload: TicketBatchIn):
    """Open up to 100 tickets in one request, all or none (like Zendesk's `create_many`). Each
    goes through the same service as `POST /tickets`; a refused item is a 422 naming its
    position (`tickets[3].subject`) and nothing is created."""
    require_perm(request.user, "tickets.add_ticket")
    items = payload.tickets
    customers = _refs(Customer, items, "customer_id")
    categories = _refs(Category, items, "category_id")
    users = _refs(User, items, "assignee_id")
    teams = _refs(Team, items, "team_id")
    tickets = services.ticket_create_many(
        actor=request.user,
        items=[
            {
                "customer": customers[item.customer_id],
                "subject": item.subject,
                "description": item.description,
                "channel": item.channel,
                "kind": item.kind,
                "priority": item.priority,
                "severity": item.severity,
                "category": categories.get(item.category_id),
                "assignee": users.get(item.assignee_id),
                "team": teams.get(item.team_id),
                "tags": item.tags,
                "fields": {
                    **(item.five_w_two_h.dict() if item.five_w_two_h else {}),
                    "problem_statement": item.problem_statement,
                },
            }
            for item in items
        ],
    )
    return Status(201, {"created": len(tickets), "tickets": tickets})


@router.post("/check-reply")
def check_reply(request, payload: CheckIn):
    """The reply checker's warnings for a draft (M16), without sending anything."""
    require_staff(request.user)
    return {"warnings": services.check_reply_text(payload.text)}


@router.post("/classify", response=ClassifyOut)
def classify(request, payload: ClassifyIn):
    """Suggested category and priority for a text with their confidence (M23); never applied.
    409 `no_classifier` until `kefu tickets train-classifier` has run."""
    require_perm(request.user, "tickets.view_ticket")
    require_staff(request.user)
    found = selectors.suggest_fields(payload.text)
    if not found.any_trained:
        raise Conflict(
            "No classifier has been trained yet: run `kefu tickets train-classifier` once enough "
            "tickets are solved or closed.",
            code="no_classifier",
        )
    return {"category": found.category, "priority": found.priority, "untrained": found.untrained}


@router.get("/{ticket_id}", response=TicketOut | CustomerTicketOut)
def ticket_detail(request, ticket_id: int):
    ticket = _ticket(request, ticket_id)
    if getattr(request.user, "is_customer", False):
        return CustomerTicketOut.from_orm(ticket).dict()
    return ticket


@router.patch("/{ticket_id}", response=TicketOut)
def ticket_patch(request, ticket_id: int, payload: TicketPatch):
    ticket = _ticket(request, ticket_id)
    data = payload.dict(exclude_unset=True)
    version, tags = data.pop("version"), data.pop("tags", None)
    refs = {
        "category_id": Category,
        "assignee_id": User,
        "team_id": Team,
        "root_cause_id": RootCause,
    }
    for key, model in refs.items():
        if key in data:
            data[key.removesuffix("_id")] = _ref(model, data.pop(key), key)
    services.ticket_update(
        actor=request.user, ticket=ticket, expected_version=version, changes=data, tags=tags
    )
    return selectors.get_visible_ticket(request.user, ticket.pk)


@router.get("/{ticket_id}/messages", response=list[MessageOut])
@paginate(PageNumberless)
def message_list(request, ticket_id: int):
    ticket = _ticket(request, ticket_id)
    messages = ticket.messages.order_by("created_at", "id")
    return messages.exclude(kind=MessageKind.NOTE) if request.user.is_customer else messages


@router.post("/{ticket_id}/messages", response={201: MessageOut})
def message_create(request, ticket_id: int, payload: MessageIn):
    ticket = _ticket(request, ticket_id)
    message = services.message_add(
        actor=request.user,
        ticket=ticket,
        kind=payload.kind,
        body=payload.body,
        html=payload.html,
        confirm_warnings=payload.confirm_warnings,
    )
    return Status(201, message)


@router.post("/{ticket_id}/messages/{message_id}/split", response={201: TicketOut})
def message_split(request, ticket_id: int, message_id: int, payload: SplitIn):
    """Move a customer message into a new ticket of the same customer ("split from" link)."""
    ticket = _ticket(request, ticket_id)
    message = get_object_or_404(ticket.messages.all(), pk=message_id)
    new = services.ticket_split(actor=request.user, message=message, subject=payload.subject)
    return Status(201, selectors.get_visible_ticket(request.user, new.pk))


@router.get("/{ticket_id}/events", response=list[EventOut])
@paginate(PageNumberless)
def event_list(request, ticket_id: int):
    ticket = _ticket(request, ticket_id)
    require_staff(request.user)
    return ticket.events.order_by("at", "id")


@router.get("/{ticket_id}/3w")
def three_w(request, ticket_id: int):
    """The 3W report of a complaint: what we knew, when we knew it, what we did."""
    ticket = _ticket(request, ticket_id)
    require_staff(request.user)
    return {
        "ticket": ticket.public_id,
        "subject": ticket.subject,
        "events": selectors.three_w_report(ticket),
    }


@router.post("/{ticket_id}/transition", response=TicketOut)
def ticket_transition(request, ticket_id: int, payload: TransitionIn):
    ticket = _ticket(request, ticket_id)
    services.ticket_transition(
        actor=request.user,
        ticket=ticket,
        to_status=payload.status,
        expected_version=payload.version,
        note=payload.note,
    )
    return selectors.get_visible_ticket(request.user, ticket.pk)


@router.post("/{ticket_id}/stage", response=TicketOut)
def ticket_stage(request, ticket_id: int, payload: StageIn):
    ticket = _ticket(request, ticket_id)
    services.ticket_advance_stage(
        actor=request.user,
        ticket=ticket,
        to_stage=payload.stage,
        expected_version=payload.version,
        reason=payload.reason,
    )
    return selectors.get_visible_ticket(request.user, ticket.pk)


@router.post("/{ticket_id}/merge", response=TicketOut)
def ticket_merge(request, ticket_id: int, payload: MergeIn):
    source = _ticket(request, ticket_id)
    target = _ticket(request, payload.target_id)
    return services.ticket_merge(actor=request.user, source=source, target=target)


@router.get("/{ticket_id}/compensations", response=list[CompensationOut])
@paginate(PageNumberless)
def compensation_list(request, ticket_id: int):
    ticket = _ticket(request, ticket_id)
    require_staff(request.user)
    return ticket.compensations.order_by("-created_at")


@router.post("/{ticket_id}/compensations", response={201: CompensationOut})
def compensation_create(request, ticket_id: int, payload: CompensationIn):
    ticket = _ticket(request, ticket_id)
    compensation = services.compensation_request(
        actor=request.user,
        ticket=ticket,
        remedy=payload.remedy,
        amount=payload.amount,
        reason=payload.reason,
        currency=payload.currency.upper(),
    )
    return Status(201, compensation)


@router.post("/{ticket_id}/macros/{macro_id}", response={201: MessageOut})
def macro_apply(request, ticket_id: int, macro_id: int, confirm_warnings: bool = False):
    ticket = _ticket(request, ticket_id)
    macro = get_object_or_404(Macro, pk=macro_id, is_active=True)
    return Status(
        201,
        services.macro_apply(
            actor=request.user, ticket=ticket, macro=macro, confirm_warnings=confirm_warnings
        ),
    )


approvals_router = Router(tags=["tickets"])


@approvals_router.get("", response=list[CompensationOut])
@paginate(PageNumberless)
def approval_list(request):
    require_perm(request.user, "tickets.approve_compensation")
    return selectors.pending_approvals(request.user)


def _decide(request, compensation_id: int, payload: DecisionIn, approve: bool):
    require_perm(request.user, "tickets.approve_compensation")
    compensation = get_object_or_404(Compensation, pk=compensation_id)
    require_ticket_access(request.user, compensation.ticket, work=False)
    return services.compensation_decide(
        actor=request.user,
        compensation=compensation,
        approve=approve,
        note=payload.note,
        expected_version=payload.version,
    )


@approvals_router.post("/{compensation_id}/approve", response=CompensationOut)
def approval_approve(request, compensation_id: int, payload: DecisionIn):
    return _decide(request, compensation_id, payload, approve=True)


@approvals_router.post("/{compensation_id}/reject", response=CompensationOut)
def approval_reject(request, compensation_id: int, payload: DecisionIn):
    return _decide(request, compensation_id, payload, approve=False)


problems_router = Router(tags=["tickets"])


@problems_router.get("", response=list[ProblemOut])
@paginate(PageNumberless)
def problem_list(request):
    require_perm(request.user, "tickets.view_problem")
    return Problem.objects.prefetch_related("tickets").order_by("-created_at")


@problems_router.post("", response={201: ProblemOut})
def problem_create(request, payload: ProblemIn):
    require_perm(request.user, "tickets.add_problem")
    tickets = [_ticket(request, pk) for pk in payload.ticket_ids]
    problem = services.problem_create(
        actor=request.user,
        title=payload.title,
        tickets=tickets,
        root_cause=_ref(RootCause, payload.root_cause_id, "root_cause_id"),
        root_cause_detail=payload.root_cause_detail,
        workaround=payload.workaround,
        standard_fix=payload.standard_fix,
    )
    return Status(201, Problem.objects.prefetch_related("tickets").get(pk=problem.pk))


incidents_router = Router(tags=["tickets"])


@incidents_router.post("/{ticket_id}/tickets", response=TicketOut)
def incident_attach(request, ticket_id: int, payload: IdsIn):
    """Declare the ticket an incident and attach affected tickets: all or none (422 names the
    ids that are unknown or unsuitable)."""
    incident = _ticket(request, ticket_id)
    children, missing = selectors.find_tickets_by_numbers(
        request.user, [str(pk) for pk in payload.ticket_ids]
    )
    if missing:
        raise ValidationFailed(
            f"No such ticket: {', '.join(missing)}. Nothing was attached.",
            fields={"ticket_ids": [f"No such ticket: {n}" for n in missing]},
        )
    services.incident_attach(actor=request.user, incident=incident, tickets=children)
    return selectors.get_visible_ticket(request.user, incident.pk)


@incidents_router.post("/{ticket_id}/broadcast", response={201: list[MessageOut]})
def incident_broadcast(request, ticket_id: int, payload: BroadcastIn):
    incident = _ticket(request, ticket_id)
    messages = services.incident_broadcast(
        actor=request.user,
        incident=incident,
        body=payload.body,
        confirm_warnings=payload.confirm_warnings,
    )
    return Status(201, messages)


@incidents_router.post("/{ticket_id}/solve", response=IncidentSolveOut)
def incident_solve(request, ticket_id: int, payload: ResolutionIn):
    """Solve the incident and its open affected tickets; lists those skipped and why."""
    incident = _ticket(request, ticket_id)
    result = services.incident_solve(
        actor=request.user, incident=incident, resolution=payload.resolution
    )
    return {
        "incident": selectors.get_visible_ticket(request.user, incident.pk),
        "incident_solved": result.incident_solved,
        "incident_problems": result.incident_problems,
        "solved": result.solved,
        "skipped": [
            {"id": t.pk, "public_id": t.public_id, "reasons": why} for t, why in result.skipped
        ],
    }


macros_router = Router(tags=["tickets"])


@macros_router.get("", response=list[MacroOut])
@paginate(PageNumberless)
def macro_list(request):
    require_perm(request.user, "tickets.view_macro")
    return Macro.objects.filter(is_active=True).order_by("name")


ROUTERS = [
    ("/tickets", router),
    ("/approvals", approvals_router),
    ("/problems", problems_router),
    ("/incidents", incidents_router),
    ("/macros", macros_router),
]
