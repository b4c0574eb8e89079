"""Creating, editing, moving and assigning tickets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.audit import snapshot
from kefu.core.errors import Conflict, ValidationFailed
from kefu.core.versioning import update_versioned
from kefu.tickets import workflow
from kefu.tickets.access import require_ticket_access
from kefu.tickets.models import (
    OPEN_STATUSES,
    Category,
    Priority,
    Ticket,
    TicketKind,
    TicketTag,
)
from kefu.tickets.sanitize import plain_text
from kefu.tickets.services.effects import ticket_changed
from kefu.tickets.services.events import record_event
from kefu.tickets.services.facts import ticket_facts

FIVE_W_TWO_H = ("w_what", "w_why", "w_who", "w_when", "w_where", "w_how", "w_how_much")

# Fields an agent edits from the side panel or the API (status and stage move by transitions).
EDITABLE_FIELDS = (
    "subject",
    "kind",
    "category",
    "priority",
    "severity",
    "assignee",
    "team",
    "custom_fields",
    *FIVE_W_TWO_H,
    "problem_statement",
    "problem_confirmed_by_customer",
    "problem_confirmed_by_company",
    "root_cause",
    "resolution",
    "response_kinds",
    "customer_confirmed",
)


def _repeat_window() -> dt.timedelta:
    return dt.timedelta(days=getattr(settings, "KEFU_REPEAT_COMPLAINT_DAYS", 30))


def _satisfaction_timeout() -> dt.timedelta:
    return dt.timedelta(days=getattr(settings, "KEFU_SATISFACTION_TIMEOUT_DAYS", 3))


def _tags(names: list[str]) -> list[TicketTag]:
    clean = sorted({n.strip()[:50] for n in names if n and n.strip()})
    existing = {t.name: t for t in TicketTag.objects.filter(name__in=clean)}
    missing = [TicketTag(name=n) for n in clean if n not in existing]
    if missing:
        TicketTag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in TicketTag.objects.filter(name__in=clean)}
    return list(existing.values())


def _clean(ticket: Ticket, exclude: list[str] | None = None) -> None:
    try:
        ticket.full_clean(exclude=["customer", *(exclude or [])], validate_unique=False)
    except ValidationError as exc:
        raise ValidationFailed(_("The ticket is not valid."), fields=exc.message_dict) from exc


@transaction.atomic
def ticket_create(
    *,
    actor,
    customer,
    subject: str,
    description: str = "",
    channel: str = "web",
    kind: str = TicketKind.INQUIRY,
    priority: str = Priority.NORMAL,
    category: Category | None = None,
    severity: str = "",
    assignee=None,
    team=None,
    tags: list[str] | None = None,
    fields: dict[str, Any] | None = None,
    custom_fields: dict[str, Any] | None = None,
) -> Ticket:
    """Open a ticket for `customer`. Complaints start at the Listen stage; a complaint from the
    same customer in the same category within the repeat window is flagged as a repeat (M22)."""
    extra = dict(fields or {})
    unknown = set(extra) - set(FIVE_W_TWO_H) - {"problem_statement"}
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %s") % ", ".join(sorted(unknown)),
            fields={name: _("Unknown field.") for name in unknown},
        )
    if getattr(customer, "merged_into_id", None):
        raise ValidationFailed(
            _("This customer was merged into another record; use that one."),
            fields={"customer": _("Merged customer.")},
        )
    ticket = Ticket(
        customer=customer,
        subject=plain_text(subject).strip()[:250],
        description=plain_text(description),
        channel=channel,
        kind=kind,
        priority=priority,
        category=category,
        severity=severity if kind == TicketKind.COMPLAINT else "",
        assignee=assignee,
        team=team,
        custom_fields=custom_fields or {},
        stage=workflow.Stage.LISTEN.value if kind == TicketKind.COMPLAINT else "",
        **extra,
    )
    if not ticket.subject:
        raise ValidationFailed(
            _("A ticket needs a subject."), fields={"subject": _("This field is required.")}
        )
    _clean(ticket)
    if kind == TicketKind.COMPLAINT and category is not None:
        ticket.is_repeat = Ticket.objects.filter(
            customer=customer,
            kind=TicketKind.COMPLAINT,
            category=category,
            created_at__gte=timezone.now() - _repeat_window(),
        ).exists()
    ticket.save()
    ticket.public_id = f"KF-{ticket.created_at.year}-{ticket.pk:06d}"
    Ticket.objects.filter(pk=ticket.pk).update(public_id=ticket.public_id)
    if tags:
        ticket.tags.set(_tags(tags))
    record_event(
        ticket,
        actor=actor,
        kind="created",
        changes={
            "subject": [None, ticket.subject],
            "kind": [None, kind],
            "channel": [None, channel],
            "priority": [None, priority],
            "customer": [None, customer.pk],
        },
    )
    if ticket.is_repeat:
        record_event(
            ticket,
            actor=None,
            kind="repeat_detected",
            note=_("Same customer and category within the repeat window."),
        )
    ticket_changed(ticket, event="created", actor=actor)
    return ticket


MAX_TICKETS_PER_BATCH = 100


@transaction.atomic
def ticket_create_many(*, actor, items: Sequence[Mapping[str, Any]]) -> list[Ticket]:
    """Open several tickets at once, all or none (an import, a batch from another system):
    each item holds `ticket_create`'s arguments and goes through it, so every ticket gets its
    events, audit entry, SLA clocks and notifications as if created alone. A refused item
    rolls the whole batch back; the error names its position (`tickets[3].subject`)."""
    if not items:
        raise ValidationFailed(
            _("Give at least one ticket."), fields={"tickets": _("This field is required.")}
        )
    if len(items) > MAX_TICKETS_PER_BATCH:
        raise ValidationFailed(
            _("At most %(limit)s tickets per request.") % {"limit": MAX_TICKETS_PER_BATCH},
            fields={"tickets": _("Too many items.")},
        )
    created = []
    for index, item in enumerate(items):
        try:
            created.append(ticket_create(actor=actor, **item))
        except ValidationFailed as exc:
            raise ValidationFailed(
                f"tickets[{index}]: {exc.message}",
                fields={f"tickets[{index}].{name}": errors for name, errors in exc.fields.items()},
            ) from exc
    return created


@transaction.atomic
def ticket_update(
    *,
    actor,
    ticket: Ticket,
    expected_version: int,
    changes: dict[str, Any],
    tags: list[str] | None = None,
) -> Ticket:
    """Change editable fields; a stale `expected_version` gets 409 and changes nothing."""
    require_ticket_access(actor, ticket)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed here: %s") % ", ".join(sorted(unknown)),
            fields={name: _("This field cannot be changed here.") for name in unknown},
        )
    changes = dict(changes)
    if "subject" in changes:
        changes["subject"] = plain_text(changes["subject"]).strip()[:250]
    if "response_kinds" in changes:
        try:
            changes["response_kinds"] = sorted(
                {workflow.ResponseKind(k).value for k in changes["response_kinds"]}
            )
        except ValueError as exc:
            raise ValidationFailed(
                str(exc),
                fields={"response_kinds": _("Use regret, reform, restitution or recovery.")},
            ) from exc
    if changes.get("kind") == TicketKind.COMPLAINT and not ticket.stage:
        changes["stage"] = workflow.Stage.LISTEN.value
    elif "kind" in changes and changes["kind"] != TicketKind.COMPLAINT:
        changes["stage"] = ""
    before = snapshot(ticket, list(changes))
    try:
        update_versioned(ticket, expected_version=expected_version, changes=changes)
    except ValidationError as exc:
        raise ValidationFailed(_("The ticket is not valid."), fields=exc.message_dict) from exc
    after = snapshot(ticket, list(changes))
    diff = {k: [before[k], after[k]] for k in changes if before[k] != after[k]}
    if tags is not None:
        old = sorted(ticket.tags.values_list("name", flat=True))
        ticket.tags.set(_tags(tags))
        new = sorted(ticket.tags.values_list("name", flat=True))
        if old != new:
            diff["tags"] = [old, new]
    if diff:
        kind = "assigned" if set(diff) <= {"assignee", "team"} else "updated"
        record_event(ticket, actor=actor, kind=kind, changes=diff)
        ticket_changed(ticket, event="updated", actor=actor)
    return ticket


def _violations_as_error(violations: list[workflow.Violation]):
    illegal = [v for v in violations if v.code == "illegal_transition"]
    fields: dict[str, list[str]] = {}
    for v in violations:
        fields.setdefault(v.field or "__all__", []).append(_(v.message))
    message = " ".join(_(v.message) for v in violations)
    if illegal:
        return Conflict(message, code="illegal_transition", fields=fields)
    return ValidationFailed(message, code="required", fields=fields)


@transaction.atomic
def ticket_transition(
    *, actor, ticket: Ticket, to_status: str, expected_version: int, note: str = ""
) -> Ticket:
    """Move a ticket to `to_status` if the workflow allows it (409 illegal, 422 missing data)."""
    require_ticket_access(actor, ticket)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.version != expected_version:
        raise Conflict(
            _("This record was changed by someone else. Reload it and apply your change again."),
            code="stale_version",
            details={"expected_version": expected_version, "current_version": ticket.version},
        )
    try:
        target = workflow.Status(to_status)
    except ValueError as exc:
        raise ValidationFailed(
            _("Unknown status."), fields={"status": _("Unknown status.")}
        ) from exc
    facts = ticket_facts(ticket)
    reopening = facts.status == workflow.Status.SOLVED and target == workflow.Status.OPEN
    if reopening:
        new_facts = workflow.reopen(facts)
    else:
        violations = workflow.check_transition(facts, target)
        if violations:
            raise _violations_as_error(violations)
        new_facts = workflow.transition(facts, target)
    now = timezone.now()
    changes: dict[str, Any] = {"status": new_facts.status.value}
    if new_facts.stage != facts.stage:
        changes["stage"] = new_facts.stage.value if new_facts.stage else ""
    if new_facts.customer_confirmed != facts.customer_confirmed:
        changes["customer_confirmed"] = new_facts.customer_confirmed
    if new_facts.satisfaction_answered != facts.satisfaction_answered:
        changes["satisfaction_answered"] = new_facts.satisfaction_answered
    if target == workflow.Status.SOLVED:
        changes["solved_at"] = now
        if ticket.is_complaint:
            changes["satisfaction_due_at"] = now + _satisfaction_timeout()
    if target == workflow.Status.CLOSED:
        changes["closed_at"] = now
    if reopening:
        changes.update(solved_at=None, satisfaction_due_at=None)
    before = snapshot(ticket, list(changes))
    update_versioned(ticket, expected_version=expected_version, changes=changes)
    diff = {k: [before[k], snapshot(ticket, [k])[k]] for k in changes if k in ("status", "stage")}
    record_event(
        ticket,
        actor=actor,
        kind="reopened" if reopening else "status_changed",
        changes=diff,
        note=note,
    )
    ticket_changed(ticket, event="reopened" if reopening else "status_changed", actor=actor)
    return ticket


@transaction.atomic
def ticket_advance_stage(
    *, actor, ticket: Ticket, to_stage: str, expected_version: int, reason: str = ""
) -> Ticket:
    """Move a complaint to the next (or, with a reason, previous) LSPCAS stage."""
    require_ticket_access(actor, ticket)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    facts = ticket_facts(ticket)
    try:
        violations = workflow.check_stage_advance(facts, to_stage, reason=reason)
    except ValueError as exc:
        raise ValidationFailed(_("Unknown stage."), fields={"stage": _("Unknown stage.")}) from exc
    if violations:
        raise _violations_as_error(violations)
    old = ticket.stage
    update_versioned(
        ticket, expected_version=expected_version, changes={"stage": workflow.Stage(to_stage).value}
    )
    record_event(
        ticket,
        actor=actor,
        kind="stage_changed",
        changes={"stage": [old, ticket.stage]},
        note=reason,
    )
    ticket_changed(ticket, event="stage_changed", actor=actor)
    return ticket


def next_agent_for_team(team, *, strategy: str = "least_loaded"):
    """The member of `team` who should get the next ticket (one query).

    least_loaded: fewest open tickets assigned, then longest since their last assignment;
    round_robin: longest since their last assignment (never-assigned first).
    """
    members = team.members.filter(is_active=True).annotate(
        open_count=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=OPEN_STATUSES)),
        last_assigned=Max("assigned_tickets__created_at"),
    )
    # Never-assigned members first on every database (PostgreSQL sorts NULL last by default).
    longest_since = F("last_assigned").asc(nulls_first=True)
    if strategy == "round_robin":
        members = members.order_by(longest_since, "pk")
    elif strategy == "least_loaded":
        members = members.order_by("open_count", longest_since, "pk")
    else:
        raise ValidationFailed(_("Unknown assignment strategy."), fields={"strategy": strategy})
    return members.first()


@transaction.atomic
def ticket_auto_assign(*, actor, ticket: Ticket, strategy: str = "least_loaded") -> Ticket:
    """Assign `ticket` to the next agent of its team by `strategy`."""
    if ticket.team is None:
        raise ValidationFailed(
            _("Set a team before assigning automatically."),
            fields={"team": _("This field is required.")},
        )
    agent = next_agent_for_team(ticket.team, strategy=strategy)
    if agent is None:
        raise ValidationFailed(
            _("The team has no active members."), fields={"team": _("No active members.")}
        )
    return ticket_update(
        actor=actor, ticket=ticket, expected_version=ticket.version, changes={"assignee": agent}
    )


@transaction.atomic
def tickets_bulk_update(
    *,
    actor,
    tickets: list[Ticket],
    changes: dict[str, Any],
    to_status: str = "",
    add_tags: list[str] | None = None,
) -> list:
    """Apply the same change to many tickets through the single-ticket services.

    `add_tags` adds tags to each ticket's own (the others stay).

    Returns a list of (ticket, error message or "") so the UI can say which ones failed; a
    failure on one ticket does not undo the others (each runs in its own savepoint).
    """
    results = []
    for ticket in tickets:
        try:
            with transaction.atomic():
                if changes or add_tags:
                    tags = None
                    if add_tags:
                        tags = sorted({*ticket.tags.values_list("name", flat=True), *add_tags})
                    ticket = ticket_update(
                        actor=actor,
                        ticket=ticket,
                        expected_version=ticket.version,
                        changes=changes,
                        tags=tags,
                    )
                if to_status:
                    ticket = ticket_transition(
                        actor=actor,
                        ticket=ticket,
                        to_status=to_status,
                        expected_version=ticket.version,
                    )
            results.append((ticket, ""))
        except (ValidationFailed, Conflict, PermissionDenied) as exc:
            results.append((ticket, getattr(exc, "message", str(exc))))
    return results


def resolve_reference(model, value, field: str):
    """Fetch a related object by pk for a service call, with a 422 naming the field if missing."""
    if value in (None, ""):
        return None
    obj = model.objects.filter(pk=value).first()
    if obj is None:
        raise ValidationFailed(
            _("%(field)s: no such record.") % {"field": field}, fields={field: _("No such record.")}
        )
    return obj


def ticket_set_due_times(
    *,
    ticket: Ticket,
    first_response_due_at: dt.datetime | None,
    resolution_due_at: dt.datetime | None,
) -> None:
    """Store the SLA due times on the ticket (denormalised for the inbox's due-soon and breached
    views). Called by kefu.sla services only; derived data, so no version bump and no event."""
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_due_at=first_response_due_at, resolution_due_at=resolution_due_at
    )
    ticket.first_response_due_at = first_response_due_at
    ticket.resolution_due_at = resolution_due_at


@transaction.atomic
def ticket_record_customer_feedback(
    *, actor, ticket: Ticket, confirmed: bool, satisfaction_answered: bool = True
) -> Ticket:
    """Record the customer's own answer on a solved ticket (LSPCAS Satisfy): that they confirm
    the outcome and/or answered the satisfaction question. Customers may call it on their own
    tickets (portal); a 'not confirmed' answer leaves the flag as it was."""
    require_ticket_access(actor, ticket, work=False)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    wanted = {"customer_confirmed": confirmed, "satisfaction_answered": satisfaction_answered}
    changes = {name: True for name, value in wanted.items() if value and not getattr(ticket, name)}
    if changes:
        update_versioned(ticket, expected_version=ticket.version, changes=changes)
        record_event(
            ticket,
            actor=actor,
            kind="customer_feedback",
            changes={name: [False, True] for name in changes},
        )
        ticket_changed(ticket, event="updated", actor=actor)
    return ticket
