"""Service recovery (M17) with flexible authorisation (M18), IANAR reviews, follow-ups and
opportunities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.errors import Conflict, NotAllowed, ValidationFailed
from kefu.core.versioning import update_versioned
from kefu.tickets.access import require_ticket_access
from kefu.tickets.models import (
    AuthorityLimit,
    Compensation,
    CompensationState,
    FollowUp,
    IanarReview,
    Opportunity,
    Remedy,
    Ticket,
)
from kefu.tickets.services.events import record_event

# Who approves what an agent may not grant: the team lead first, then up the hierarchy.
APPROVAL_CHAIN_ROLES = ("supervisor", "manager", "admin")


def authority_limit(user: User, remedy: str) -> tuple[Decimal, Decimal | None]:
    """(per case, per month or None) that `user` may grant for `remedy` without approval.

    A limit set for the person wins; otherwise the highest limit of their roles; otherwise the
    person's general authority limit (per case, no monthly budget).
    """
    personal = AuthorityLimit.objects.filter(user=user, remedy=remedy).first()
    if personal is not None:
        return personal.per_case, personal.per_month
    by_role = list(AuthorityLimit.objects.filter(role__in=user.role_names(), remedy=remedy))
    if by_role:
        best = max(by_role, key=lambda limit: limit.per_case)
        monthly = [r.per_month for r in by_role if r.per_month is not None]
        return best.per_case, (max(monthly) if len(monthly) == len(by_role) else None)
    return user.authority_limit, None


def granted_this_month(user: User, remedy: str) -> Decimal:
    start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    total = Compensation.objects.filter(
        requested_by=user,
        remedy=remedy,
        created_at__gte=start,
        state__in=[CompensationState.GRANTED, CompensationState.APPROVED],
    ).aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0")


def within_authority(user: User, remedy: str, amount: Decimal) -> bool:
    per_case, per_month = authority_limit(user, remedy)
    if amount > per_case:
        return False
    return per_month is None or granted_this_month(user, remedy) + amount <= per_month


def next_approver(
    ticket: Ticket, remedy: str, amount: Decimal, *, exclude: set[int]
) -> User | None:
    """The first person up the chain (team lead, supervisors, managers, admins) whose own
    per-case limit covers `amount`; failing that, the most senior one available."""
    candidates: list[User] = []
    if ticket.team_id and ticket.team.lead_id and ticket.team.lead_id not in exclude:
        candidates.append(ticket.team.lead)
    for role in APPROVAL_CHAIN_ROLES:
        people = (
            User.objects.filter(groups__name=role, is_active=True)
            .exclude(pk__in=exclude)
            .order_by("pk")
        )
        candidates.extend(p for p in people if p.pk not in {c.pk for c in candidates})
    approvers = [c for c in candidates if c.has_perm("tickets.approve_compensation")]
    for person in approvers:
        if authority_limit(person, remedy)[0] >= amount:
            return person
    return approvers[-1] if approvers else None


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed(
            _("The amount is not a number."), fields={"amount": _("Not a number.")}
        ) from exc
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(
            _("The amount must be zero or more, with at most two decimals."),
            fields={"amount": _("Invalid amount.")},
        )
    return amount


@transaction.atomic
def compensation_request(
    *, actor: User, ticket: Ticket, remedy: str, amount, reason: str, currency: str = "CNY"
) -> Compensation:
    """Offer a remedy. Within the actor's authority it is granted at once; above it, it waits
    for the next approver and nothing may be promised to the customer until it is approved."""
    require_ticket_access(actor, ticket)
    if remedy not in Remedy.values:
        raise ValidationFailed(_("Unknown remedy."), fields={"remedy": _("Unknown remedy.")})
    if not reason.strip():
        raise ValidationFailed(
            _("Say why the customer gets this remedy."),
            fields={"reason": _("This field is required.")},
        )
    value = _amount(amount)
    compensation = Compensation(
        ticket=ticket,
        remedy=remedy,
        amount=value,
        currency=currency,
        reason=reason.strip(),
        requested_by=actor,
    )
    if within_authority(actor, remedy, value):
        compensation.state = CompensationState.GRANTED
        compensation.decided_by, compensation.decided_at = actor, timezone.now()
    else:
        approver = next_approver(ticket, remedy, value, exclude={actor.pk})
        if approver is None:
            raise ValidationFailed(
                _("Nobody can approve this amount. Ask an administrator to set authority limits.")
            )
        compensation.state = CompensationState.PENDING
        compensation.approver = approver
    compensation.save()
    record_event(
        ticket,
        actor=actor,
        kind="compensation_granted"
        if compensation.state == CompensationState.GRANTED
        else "compensation_requested",
        changes={
            "remedy": [None, remedy],
            "amount": [None, str(value)],
            "state": [None, compensation.state],
            "approver": [None, compensation.approver_id],
        },
        note=reason,
    )
    return compensation


@transaction.atomic
def compensation_decide(
    *,
    actor: User,
    compensation: Compensation,
    approve: bool,
    note: str = "",
    expected_version: int | None = None,
) -> Compensation:
    """Approve or reject a pending compensation. The requester never decides their own request;
    an approver whose own limit is below the amount passes it up the chain instead."""
    compensation = (
        Compensation.objects.select_for_update(of=("self",))
        .select_related("ticket__team")
        .get(pk=compensation.pk)
    )
    if compensation.state != CompensationState.PENDING:
        raise Conflict(_("This compensation was already decided."), code="already_decided")
    if compensation.requested_by_id == actor.pk:
        raise NotAllowed(_("You cannot approve your own request."))
    if compensation.approver_id != actor.pk and not actor.has_perm("tickets.approve_compensation"):
        raise NotAllowed(_("This approval is not yours to decide."))
    if not actor.has_perm("tickets.approve_compensation"):
        raise NotAllowed(_("You may not approve compensation."))
    if not approve and not note.strip():
        raise ValidationFailed(
            _("Give a reason for the rejection."), fields={"note": _("This field is required.")}
        )
    version = compensation.version if expected_version is None else expected_version
    ticket = compensation.ticket
    if approve and authority_limit(actor, compensation.remedy)[0] < compensation.amount:
        higher = next_approver(
            ticket,
            compensation.remedy,
            compensation.amount,
            exclude={actor.pk, compensation.requested_by_id},
        )
        if (
            higher is not None
            and authority_limit(higher, compensation.remedy)[0]
            > authority_limit(actor, compensation.remedy)[0]
        ):
            update_versioned(compensation, expected_version=version, changes={"approver": higher})
            record_event(
                ticket,
                actor=actor,
                kind="compensation_escalated",
                changes={
                    "approver": [actor.pk, higher.pk],
                    "amount": [None, str(compensation.amount)],
                },
                note=note,
            )
            return compensation
    state = CompensationState.APPROVED if approve else CompensationState.REJECTED
    update_versioned(
        compensation,
        expected_version=version,
        changes={
            "state": state,
            "decided_by": actor,
            "decided_at": timezone.now(),
            "decision_note": note.strip(),
        },
    )
    record_event(
        ticket,
        actor=actor,
        kind="compensation_approved" if approve else "compensation_rejected",
        changes={
            "state": [CompensationState.PENDING, state],
            "amount": [None, str(compensation.amount)],
        },
        note=note,
    )
    return compensation


@transaction.atomic
def ianar_save(*, actor: User, ticket: Ticket, values: dict[str, str]) -> IanarReview:
    """Record the IANAR review of a complaint (M19): identify, analyse, negotiate, act, review."""
    require_ticket_access(actor, ticket)
    if not ticket.is_complaint:
        raise ValidationFailed(
            _("IANAR reviews are for complaints."), fields={"kind": _("Not a complaint.")}
        )
    allowed = {"identify", "analyse", "negotiate", "act", "review"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationFailed(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    review, _created = IanarReview.objects.get_or_create(ticket=ticket)
    before = {k: getattr(review, k) for k in allowed}
    for name, value in values.items():
        setattr(review, name, value.strip())
    review.reviewed_by = actor
    review.version += 1
    review.save()
    changes = {
        k: [before[k], getattr(review, k)] for k in allowed if before[k] != getattr(review, k)
    }
    record_event(ticket, actor=actor, kind="ianar_updated", changes=changes)
    return review


@transaction.atomic
def follow_up_schedule(
    *,
    actor: User,
    ticket: Ticket,
    due_at: dt.datetime,
    assignee: User | None = None,
    note: str = "",
) -> FollowUp:
    """Plan a contact after closure (M24)."""
    require_ticket_access(actor, ticket)
    follow_up = FollowUp.objects.create(
        ticket=ticket, due_at=due_at, assignee=assignee or actor, note=note
    )
    record_event(
        ticket,
        actor=actor,
        kind="follow_up_scheduled",
        changes={"due_at": [None, due_at.isoformat()]},
    )
    return follow_up


@transaction.atomic
def follow_up_complete(
    *, actor: User, follow_up: FollowUp, outcome: str, note: str = ""
) -> FollowUp:
    require_ticket_access(actor, follow_up.ticket)
    if outcome not in {c for c in FollowUp.Outcome.values if c}:
        raise ValidationFailed(
            _("Choose the outcome of the follow-up."),
            fields={"outcome": _("This field is required.")},
        )
    if follow_up.done_at is not None:
        raise Conflict(_("This follow-up is already done."))
    follow_up.done_at, follow_up.outcome, follow_up.note = (
        timezone.now(),
        outcome,
        note or follow_up.note,
    )
    follow_up.save(update_fields=["done_at", "outcome", "note", "updated_at"])
    record_event(
        follow_up.ticket,
        actor=actor,
        kind="follow_up_done",
        changes={"outcome": [None, outcome]},
        note=note,
    )
    return follow_up


@transaction.atomic
def opportunity_create(
    *, actor: User, ticket: Ticket, description: str, estimated_value=None
) -> Opportunity:
    """Note a sales opportunity seen while serving the customer (M50)."""
    require_ticket_access(actor, ticket)
    if not description.strip():
        raise ValidationFailed(
            _("Describe the opportunity."), fields={"description": _("This field is required.")}
        )
    value = _amount(estimated_value) if estimated_value not in (None, "") else None
    opportunity = Opportunity.objects.create(
        ticket=ticket, description=description.strip(), estimated_value=value, owner=actor
    )
    record_event(
        ticket,
        actor=actor,
        kind="opportunity_noted",
        changes={"estimated_value": [None, str(value) if value else None]},
        note=description,
    )
    return opportunity


def require_approver(actor: User) -> None:
    if not actor.has_perm("tickets.approve_compensation"):
        raise PermissionDenied(_("You may not approve compensation."))
