"""Tickets in relation: merge, split, links, incidents (M28), problem records (M22), three-change
(M21) and macros."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kefu.core.errors import Conflict, ValidationFailed
from kefu.tickets import workflow
from kefu.tickets.access import require_ticket_access
from kefu.tickets.models import (
    OPEN_STATUSES,
    Macro,
    Message,
    MessageKind,
    Problem,
    Ticket,
    TicketLink,
    TicketStatus,
)
from kefu.tickets.services.conversation import message_add
from kefu.tickets.services.events import record_event
from kefu.tickets.services.facts import ticket_facts
from kefu.tickets.services.tickets import ticket_create, ticket_transition, ticket_update


@transaction.atomic
def ticket_merge(*, actor, source: Ticket, target: Ticket) -> Ticket:
    """Merge `source` into `target`: its messages move over, it is closed and points at target."""
    require_ticket_access(actor, source)
    require_ticket_access(actor, target)
    if source.pk == target.pk:
        raise ValidationFailed(
            _("A ticket cannot be merged into itself."), fields={"target": _("Same ticket.")}
        )
    if source.customer_id != target.customer_id:
        raise ValidationFailed(
            _("Only tickets of the same customer can be merged."),
            fields={"target": _("Other customer.")},
        )
    if target.merged_into_id or target.status == TicketStatus.CLOSED:
        raise Conflict(_("The target ticket is closed or merged; pick an open one."))
    moved = list(source.messages.values_list("pk", flat=True))
    Message.objects.filter(pk__in=moved).update(ticket=target)
    Ticket.objects.filter(pk=source.pk).update(
        merged_into=target, status=TicketStatus.CLOSED, version=F("version") + 1
    )
    TicketLink.objects.get_or_create(
        source=source, target=target, defaults={"kind": TicketLink.LinkKind.DUPLICATE}
    )
    record_event(
        source,
        actor=actor,
        kind="merged_away",
        changes={"merged_into": [None, target.pk], "messages": [None, moved]},
    )
    record_event(
        target,
        actor=actor,
        kind="merged_in",
        changes={"from": [None, source.pk], "messages": [None, moved]},
    )
    source.refresh_from_db()
    return target


@transaction.atomic
def ticket_split(*, actor, message: Message, subject: str = "") -> Ticket:
    """Move one customer message into a new ticket of the same customer, linked to the old one
    ("split from"); the new ticket's subject is `subject` or, when blank, the old one's."""
    origin = message.ticket
    require_ticket_access(actor, origin)
    if message.kind != MessageKind.CUSTOMER:
        raise ValidationFailed(
            _("Only a customer's message can be split into a new ticket."),
            fields={"message": _("Not a customer message.")},
        )
    if origin.merged_into_id:
        raise Conflict(_("This ticket was merged; split the message from the other ticket."))
    new = ticket_create(
        actor=actor,
        customer=origin.customer,
        subject=(subject or "").strip() or origin.subject,
        description=message.body_text,
        channel=message.channel,
        kind=origin.kind,
        category=origin.category,
        team=origin.team,
    )
    Message.objects.filter(pk=message.pk).update(ticket=new)
    TicketLink.objects.create(source=new, target=origin, kind=TicketLink.LinkKind.SPLIT_FROM)
    record_event(
        origin,
        actor=actor,
        kind="split",
        changes={"message": [message.pk, None], "new_ticket": [None, new.pk]},
    )
    record_event(
        new,
        actor=actor,
        kind="split_from",
        changes={"message": [None, message.pk], "from": [None, origin.pk]},
    )
    return new


@transaction.atomic
def ticket_link(
    *, actor, source: Ticket, target: Ticket, kind: str = TicketLink.LinkKind.RELATED
) -> TicketLink:
    require_ticket_access(actor, source)
    require_ticket_access(actor, target, work=False)
    if source.pk == target.pk:
        raise ValidationFailed(_("A ticket cannot be linked to itself."))
    link, created = TicketLink.objects.get_or_create(
        source=source, target=target, defaults={"kind": kind}
    )
    if created:
        record_event(
            source,
            actor=actor,
            kind="linked",
            changes={"target": [None, target.pk], "kind": [None, kind]},
        )
    return link


def _number(ticket: Ticket) -> str:
    return ticket.public_id or f"#{ticket.pk}"


@transaction.atomic
def incident_attach(*, actor, incident: Ticket, tickets: list[Ticket]) -> Ticket:
    """Declare `incident` an incident (M28: one mass incident, many affected customers) and make
    it the parent of `tickets`. All or nothing: one unsuitable ticket attaches none, and the
    error names it."""
    require_ticket_access(actor, incident)
    if incident.incident_id:
        raise ValidationFailed(
            _("This ticket belongs to an incident; a child ticket cannot itself be an incident."),
            fields={"incident": _("Already a child of an incident.")},
        )
    if incident.merged_into_id or incident.status == TicketStatus.CLOSED:
        raise Conflict(_("A closed or merged ticket cannot become an incident."))
    problems: list[str] = []
    for ticket in tickets:
        number = _number(ticket)
        if ticket.pk == incident.pk:
            problems.append(_("%(number)s is the incident itself.") % {"number": number})
        elif ticket.is_incident:
            problems.append(_("%(number)s is itself an incident.") % {"number": number})
        elif ticket.incident_id and ticket.incident_id != incident.pk:
            problems.append(
                _("%(number)s already belongs to another incident.") % {"number": number}
            )
        elif ticket.merged_into_id:
            problems.append(_("%(number)s was merged into another ticket.") % {"number": number})
    if problems:
        raise ValidationFailed(
            _("Nothing was attached. %(problems)s") % {"problems": " ".join(problems)},
            fields={"tickets": problems},
        )
    for ticket in tickets:
        require_ticket_access(actor, ticket)
    if not incident.is_incident:
        Ticket.objects.filter(pk=incident.pk).update(is_incident=True)
        incident.is_incident = True
        record_event(incident, actor=actor, kind="incident_declared")
    new = list({t.pk: t for t in tickets if t.incident_id != incident.pk}.values())
    Ticket.objects.filter(pk__in=[t.pk for t in new]).update(incident=incident)
    for ticket in new:
        ticket.incident = incident
        record_event(
            ticket, actor=actor, kind="incident_linked", changes={"incident": [None, incident.pk]}
        )
    if new:
        record_event(
            incident,
            actor=actor,
            kind="incident_attached",
            changes={"tickets": [None, [_number(t) for t in new]]},
        )
    return incident


@transaction.atomic
def incident_broadcast(
    *, actor, incident: Ticket, body: str, confirm_warnings: bool = False
) -> list[Message]:
    """Send the same public reply on every open ticket linked to the incident.

    The reply checker runs once on the text: with warnings and no `confirm_warnings`, nothing is
    sent and ReplyNeedsConfirmation lists them (as for a single reply)."""
    require_ticket_access(actor, incident)
    if not incident.is_incident:
        raise ValidationFailed(_("This ticket is not an incident."))
    if not (body or "").strip():
        raise ValidationFailed(
            _("The message is empty."), fields={"body": _("This field is required.")}
        )
    children = list(
        incident.incident_children.filter(status__in=OPEN_STATUSES).select_related("customer")
    )
    messages = [
        message_add(
            actor=actor,
            ticket=child,
            kind=MessageKind.REPLY,
            body=body,
            confirm_warnings=confirm_warnings,
        )
        for child in children
    ]
    if messages:
        record_event(
            incident,
            actor=actor,
            kind="incident_broadcast",
            changes={"tickets": [None, [_number(c) for c in children]]},
            note=body.strip()[:500],
        )
    return messages


@dataclass(frozen=True)
class IncidentSolveResult:
    """What `incident_solve` did: the incident, the tickets solved and those skipped (with why)."""

    incident: Ticket
    solved: list[Ticket]
    skipped: list[tuple[Ticket, list[str]]]
    incident_problems: list[str]

    @property
    def incident_solved(self) -> bool:
        return self.incident.status == TicketStatus.SOLVED


@transaction.atomic
def incident_solve(*, actor, incident: Ticket, resolution: str) -> IncidentSolveResult:
    """Solve every open child ticket and the incident, with an event on each child.

    A child the workflow does not let solve yet (e.g. a complaint without a root cause) is
    skipped with an `incident_solve_skipped` event naming what it still needs. An unassigned
    ticket is assigned to the actor first: whoever solves the incident handled it."""
    require_ticket_access(actor, incident)
    if not incident.is_incident:
        raise ValidationFailed(_("This ticket is not an incident."))
    if not (resolution or "").strip():
        raise ValidationFailed(
            _("Describe the resolution."), fields={"resolution": _("This field is required.")}
        )
    resolution = resolution.strip()
    solved: list[Ticket] = []
    skipped: list[tuple[Ticket, list[str]]] = []
    children = list(incident.incident_children.filter(status__in=OPEN_STATUSES).order_by("pk"))
    targets = [*children, incident] if incident.status in OPEN_STATUSES else children
    for ticket in targets:
        changes: dict = {"resolution": resolution} if ticket.resolution != resolution else {}
        if ticket.assignee_id is None and actor is not None:
            changes["assignee"] = actor
        if changes:
            ticket = ticket_update(
                actor=actor, ticket=ticket, expected_version=ticket.version, changes=changes
            )
        violations = workflow.check_transition(ticket_facts(ticket), workflow.Status.SOLVED)
        if violations:
            reasons = [_(v.message) for v in violations]
            record_event(
                ticket,
                actor=actor,
                kind="incident_solve_skipped",
                note=" ".join([_("Needs its own handling first."), *reasons]),
            )
            skipped.append((ticket, reasons))
            continue
        ticket = ticket_transition(
            actor=actor,
            ticket=ticket,
            to_status=TicketStatus.SOLVED,
            expected_version=ticket.version,
            note=_("Solved with incident %s") % incident.public_id,
        )
        solved.append(ticket)
    incident.refresh_from_db()
    return IncidentSolveResult(
        incident=incident,
        solved=[t for t in solved if t.pk != incident.pk],
        skipped=[(t, why) for t, why in skipped if t.pk != incident.pk],
        incident_problems=next((why for t, why in skipped if t.pk == incident.pk), []),
    )


@transaction.atomic
def problem_create(*, actor, title: str, tickets: list[Ticket] = (), **fields) -> Problem:
    """Open a problem record (M22) and link tickets to it."""
    if not title.strip():
        raise ValidationFailed(
            _("A problem record needs a title."), fields={"title": _("This field is required.")}
        )
    problem = Problem.objects.create(title=title.strip(), owner=actor, **fields)
    for ticket in tickets:
        problem_link(actor=actor, problem=problem, ticket=ticket)
    from kefu.core.audit import audit_record

    audit_record(actor=actor, action="problem.created", obj=problem)
    return problem


@transaction.atomic
def problem_link(*, actor, problem: Problem, ticket: Ticket) -> Ticket:
    require_ticket_access(actor, ticket)
    old = ticket.problem_id
    Ticket.objects.filter(pk=ticket.pk).update(problem=problem)
    ticket.problem = problem
    record_event(ticket, actor=actor, kind="problem_linked", changes={"problem": [old, problem.pk]})
    return ticket


PROBLEM_EDITABLE = (
    "title",
    "root_cause",
    "root_cause_detail",
    "workaround",
    "standard_fix",
    "state",
    "owner",
)


@transaction.atomic
def problem_update(*, actor, problem: Problem, expected_version: int, changes: dict) -> Problem:
    """Change a problem record (title, root cause, workaround, fix, state, owner); a stale
    `expected_version` raises Conflict (409)."""
    from kefu.core.audit import audit_record, diff, snapshot
    from kefu.core.permissions import require_perm
    from kefu.core.versioning import update_versioned

    require_perm(actor, "tickets.change_problem")
    unknown = set(changes) - set(PROBLEM_EDITABLE)
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed here."),
            fields={name: _("Not editable.") for name in unknown},
        )
    if "title" in changes and not (changes["title"] or "").strip():
        raise ValidationFailed(
            _("A problem record needs a title."), fields={"title": _("This field is required.")}
        )
    if "state" in changes and changes["state"] not in Problem.State.values:
        raise ValidationFailed(_("Unknown state."), fields={"state": _("Unknown state.")})
    before = snapshot(problem, list(changes))
    problem = update_versioned(problem, expected_version=expected_version, changes=changes)
    audit_record(
        actor=actor,
        action="problem.updated",
        obj=problem,
        changes=diff(before, snapshot(problem, list(changes))),
    )
    return problem


@transaction.atomic
def contact_failed(*, actor, ticket: Ticket, note: str = "") -> Ticket:
    """Count an unsuccessful contact on a complaint (the input of the three-change rule, M21)."""
    require_ticket_access(actor, ticket)
    Ticket.objects.filter(pk=ticket.pk).update(failed_contact_count=F("failed_contact_count") + 1)
    ticket.refresh_from_db()
    record_event(
        ticket,
        actor=actor,
        kind="contact_failed",
        changes={
            "failed_contact_count": [ticket.failed_contact_count - 1, ticket.failed_contact_count]
        },
        note=note,
    )
    return ticket


@transaction.atomic
def three_change_apply(
    *, actor, ticket: Ticket, change: str, note: str = "", new_assignee=None
) -> Ticket:
    """Record that another person, time or channel was tried (三换原则).

    A change of person also reassigns the ticket.
    """
    require_ticket_access(actor, ticket)
    try:
        which = workflow.ThreeChange(change)
    except ValueError as exc:
        raise ValidationFailed(
            _("Unknown change."), fields={"change": _("Use person, time or channel.")}
        ) from exc
    tried = sorted({*ticket.three_changes_tried, which.value})
    changes = {}
    if which == workflow.ThreeChange.PERSON:
        if new_assignee is None or new_assignee.pk == ticket.assignee_id:
            raise ValidationFailed(
                _("Choose another person."), fields={"assignee": _("Choose another person.")}
            )
        changes["assignee"] = new_assignee
    ticket = (
        ticket_update(actor=actor, ticket=ticket, expected_version=ticket.version, changes=changes)
        if changes
        else ticket
    )
    Ticket.objects.filter(pk=ticket.pk).update(three_changes_tried=tried, failed_contact_count=0)
    ticket.three_changes_tried, ticket.failed_contact_count = tried, 0
    record_event(
        ticket,
        actor=actor,
        kind="three_change_applied",
        changes={"change": [None, which.value]},
        note=note,
    )
    return ticket


def macro_render(macro: Macro, ticket: Ticket, agent) -> str:
    """The macro's text with {customer_name}, {ticket_id} and {agent_name} filled in."""
    values = {
        "customer_name": ticket.customer.name,
        "ticket_id": ticket.public_id or "",
        "agent_name": str(agent),
    }
    text = macro.body
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


@transaction.atomic
def macro_apply(*, actor, ticket: Ticket, macro: Macro, confirm_warnings: bool = False) -> Message:
    """Send the macro's reply, then apply its actions (tags, status) through the normal services."""
    message = message_add(
        actor=actor,
        ticket=ticket,
        kind=MessageKind.REPLY,
        body=macro_render(macro, ticket, actor),
        confirm_warnings=confirm_warnings,
    )
    macro_run_actions(actor=actor, ticket=ticket, macro=macro)
    return message


@transaction.atomic
def macro_run_actions(*, actor, ticket: Ticket, macro: Macro) -> Ticket:
    """Apply a macro's actions (add tags, then set status) after its reply was sent.

    Used when the agent edited the macro's text before sending it from the reply box.
    """
    ticket.refresh_from_db()
    if macro.add_tags:
        names = sorted({*ticket.tags.values_list("name", flat=True), *macro.add_tags})
        ticket = ticket_update(
            actor=actor, ticket=ticket, expected_version=ticket.version, changes={}, tags=names
        )
    if macro.set_status and macro.set_status != ticket.status:
        ticket = ticket_transition(
            actor=actor, ticket=ticket, to_status=macro.set_status, expected_version=ticket.version
        )
    return ticket
