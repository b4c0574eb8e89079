"""The escalation sweep and the proactive status messages (M25, M26).

The sweep reads only clocks whose `alert_at` (the next threshold) has passed — an indexed range
scan — locks each ticket's SLA row with SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL) so two
workers never work the same ticket, and inserts an `EscalationFiring` (unique per ticket, rule,
target and cycle) before acting: running it twice, or on two workers, fires each escalation once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record
from kefu.sla.models import EscalationFiring, EscalationRule, TicketSla, TicketSlaTarget
from kefu.sla.services.clocks import _rules_for, automatic_message, recompute

log = logging.getLogger(__name__)


PRIORITY_STEPS = ("low", "normal", "high", "urgent")
Action = EscalationRule.Action
State = TicketSlaTarget.State


@dataclass(frozen=True)
class SweepResult:
    examined: int
    fired: int
    status_messages: int


def _locking(queryset):
    """Row locks that skip rows another worker holds (PostgreSQL); plain locks elsewhere."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset.select_for_update()


def _text(rule: EscalationRule, target: TicketSlaTarget) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        when = (
            _("%(percent)s%% of the target") % {"percent": rule.at_percent}
            if rule.at_percent is not None
            else _("the target was breached")
        )
        return _("SLA escalation “%(rule)s”: %(target)s — %(when)s.") % {
            "rule": rule.name,
            "target": target.get_kind_display(),
            "when": when,
        }


def _perform(rule: EscalationRule, ticket, target: TicketSlaTarget) -> tuple[str, bool]:
    """Do the rule's action through the tickets services; returns what happened and whether a
    ticket service ran (and so recomputed the clocks)."""
    from kefu.tickets import services as tickets

    text = _text(rule, target)
    if rule.action in (Action.NOTIFY_ASSIGNEE, Action.NOTIFY_LEAD):
        person = ticket.assignee
        if rule.action == Action.NOTIFY_LEAD:
            person = ticket.team.lead if ticket.team_id and ticket.team else None
        if person is None:
            return "nobody to notify", False
        tickets.message_add(
            actor=None, ticket=ticket, kind="note", body=f"@{person.username} {text}"
        )
        return f"notified {person.username}", True
    actor = None  # Kefu itself: the audit trail and the ticket's events say "system"
    if rule.action == Action.REASSIGN_TEAM:
        if ticket.team_id == rule.team_id:
            return "already with the team", False
        tickets.ticket_update(
            actor=actor,
            ticket=ticket,
            expected_version=ticket.version,
            changes={"team": rule.team, "assignee": None},
        )
        return f"reassigned to team {rule.team_id}", True
    if rule.action == Action.RAISE_PRIORITY:
        step = PRIORITY_STEPS.index(ticket.priority) if ticket.priority in PRIORITY_STEPS else 1
        if step == len(PRIORITY_STEPS) - 1:
            return "already urgent", False
        new = PRIORITY_STEPS[step + 1]
        tickets.ticket_update(
            actor=actor, ticket=ticket, expected_version=ticket.version, changes={"priority": new}
        )
        return f"priority {ticket.priority}", True
    if rule.action == Action.ADD_TAG:
        names = sorted({*ticket.tags.values_list("name", flat=True), rule.tag})
        tickets.ticket_update(
            actor=actor, ticket=ticket, expected_version=ticket.version, changes={}, tags=names
        )
        return f"tagged {rule.tag}", True
    return "unknown action", False


def _due_firings(ticket_sla, targets, rules):
    for target in targets:
        if target.state not in (State.RUNNING, State.PAUSED):
            continue
        percent = 100.0 * target.elapsed_seconds / max(target.minutes * 60.0, 1.0)
        for rule in _rules_for(ticket_sla, rules, target.kind):
            if rule.at_percent is None and target.breached_at is None:
                continue
            if rule.at_percent is not None and percent < rule.at_percent:
                continue
            yield rule, target, percent


def _sweep_ticket(sla_id: int, now: dt.datetime, rules: list[EscalationRule]) -> int:
    from kefu.tickets.models import Ticket

    with transaction.atomic():
        ticket_sla = _locking(
            TicketSla.objects.filter(pk=sla_id).select_related("calendar")
        ).first()
        if ticket_sla is None:
            return 0  # another worker holds it
        targets = list(ticket_sla.targets.all())
        if not any(t.alert_at is not None and t.alert_at <= now for t in targets):
            return 0  # already handled
        ticket = Ticket.objects.select_related("team__lead", "assignee").get(
            pk=ticket_sla.ticket_id
        )
        ticket_sla.ticket = ticket
        # In memory only: when an action runs a ticket service, that service stores the clocks.
        recompute(ticket_sla, now=now, rules=rules, targets=targets, store=False)
        # Record every due escalation first (the unique constraint makes each fire once), so the
        # recomputation the actions trigger already sees all of them.
        new = []
        for rule, target, percent in list(_due_firings(ticket_sla, targets, rules)):
            try:
                with transaction.atomic():
                    firing = EscalationFiring.objects.create(
                        ticket_id=ticket.pk,
                        rule=rule,
                        target=target.kind,
                        cycle=target.cycles,
                        percent_elapsed=round(percent, 2),
                    )
            except IntegrityError:
                continue  # fired before
            new.append((rule, target, firing))
        touched = False
        for rule, target, firing in new:
            if touched:
                ticket.refresh_from_db()
            outcome, changed = _perform(rule, ticket, target)
            touched = touched or changed
            firing.outcome = outcome[:300]
            firing.save(update_fields=["outcome"])
            audit_record(
                actor=None,
                action="sla.escalated",
                obj=ticket,
                changes={
                    "rule": [None, rule.pk],
                    "target": [None, target.kind],
                    "percent_elapsed": [None, firing.percent_elapsed],
                    "outcome": [None, firing.outcome],
                },
            )
        if not touched:  # no ticket service ran (and stored the clocks): move alert_at on
            recompute(ticket_sla, now=now, rules=rules, targets=targets)
        return len(new)


def render_status_message(template: str, ticket) -> str:
    """The policy's status message with {customer_name}, {ticket_id} and {subject} filled in."""

    class _Safe(dict):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    values = _Safe(
        customer_name=ticket.customer.name, ticket_id=ticket.public_id or "", subject=ticket.subject
    )
    try:
        return template.format_map(values)
    except (ValueError, IndexError):
        return template


def _send_status_message(sla_id: int, now: dt.datetime) -> int:
    from kefu.tickets import services as tickets

    with transaction.atomic():
        ticket_sla = (
            _locking(TicketSla.objects.filter(pk=sla_id))
            .filter(status_message_due_at__lte=now, status_message_sent_at__isnull=True)
            .first()
        )
        if ticket_sla is None or ticket_sla.policy is None:
            return 0
        ticket = ticket_sla.ticket
        TicketSla.objects.filter(pk=sla_id).update(status_message_sent_at=now)
        if ticket.status not in ("new", "open", "on_hold"):
            return 0
        body = render_status_message(ticket_sla.policy.status_message_template, ticket)
        token = automatic_message.set(True)
        try:
            tickets.message_add(
                actor=None, ticket=ticket, kind="reply", body=body, confirm_warnings=True
            )
        finally:
            automatic_message.reset(token)
        audit_record(actor=None, action="sla.status_message_sent", obj=ticket)
        return 1


def sla_sweep(*, now: dt.datetime | None = None, limit: int = 5000) -> SweepResult:
    """Fire the escalations whose threshold has passed and send due status messages.

    Touches only clocks with `alert_at <= now` (index `sla_target_alert_idx`) and SLA rows with
    `status_message_due_at <= now`; idempotent.
    """
    now = now or timezone.now()
    rules = list(EscalationRule.objects.filter(is_active=True).select_related("team"))
    due = (
        TicketSlaTarget.objects.filter(alert_at__lte=now)
        .order_by("alert_at")
        .values_list("ticket_sla_id", flat=True)[:limit]
    )
    sla_ids = list(dict.fromkeys(due))
    fired = 0
    for sla_id in sla_ids:
        try:
            fired += _sweep_ticket(sla_id, now, rules)
        except Exception:  # rolls back this ticket's work only; retried next sweep
            log.exception("SLA sweep failed on ticket SLA %s", sla_id)
    waiting = TicketSla.objects.filter(
        status_message_due_at__lte=now, status_message_sent_at__isnull=True
    ).values_list("pk", flat=True)[:limit]
    sent = 0
    for pk in list(waiting):
        try:
            sent += _send_status_message(pk, now)
        except Exception:
            log.exception("SLA status message failed on ticket SLA %s", pk)
    return SweepResult(examined=len(sla_ids), fired=fired, status_messages=sent)
