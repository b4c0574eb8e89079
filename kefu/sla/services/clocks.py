"""The ticket's SLA clocks: apply a policy, follow status changes and replies, recompute.

Every figure is recomputed from stored timestamps (the ticket's status history kept in
`TicketSla.history`, the targets' start/met instants) and the calendar, with
`kefu.sla.clock.evaluate_clock` — never from timers in memory — so a restart or a second worker
gets the same answer.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterable

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record
from kefu.sla import clock as core_clock
from kefu.sla.calendar import BusinessCalendar, add_business_time, add_business_time_many
from kefu.sla.models import (
    EscalationFiring,
    EscalationRule,
    PolicyReapplication,
    SlaPolicy,
    TargetKind,
    TicketSla,
    TicketSlaTarget,
)
from kefu.sla.services.config import calendar_core, require_manage

STOP_STATUSES = frozenset({"solved", "closed"})
OPEN_STATUSES = ("new", "open", "pending", "on_hold")
State = TicketSlaTarget.State

# Set while the sweep sends an automatic status message: it is a reply to the customer but it
# must not count as meeting a response target.
automatic_message = contextvars.ContextVar("sla_automatic_message", default=False)


# --- policy matching ------------------------------------------------------------------------


def policy_matches(policy: SlaPolicy, ticket, category_ids: set[int], org_ids: set[int]) -> bool:
    """True when every condition the policy sets holds for the ticket (empty = any)."""
    customer = ticket.customer
    if policy.priorities and ticket.priority not in policy.priorities:
        return False
    if policy.kinds and ticket.kind not in policy.kinds:
        return False
    if policy.channels and ticket.channel not in policy.channels:
        return False
    if policy.tiers and customer.tier not in policy.tiers:
        return False
    if category_ids and ticket.category_id not in category_ids:
        return False
    organization = customer.organization_id or (
        customer.pk if customer.kind == "organization" else None
    )
    return not org_ids or organization in org_ids


def active_policies() -> list[SlaPolicy]:
    """Active policies in matching order, with their calendars and condition sets (3 queries)."""
    return list(
        SlaPolicy.objects.filter(is_active=True)
        .select_related("calendar")
        .prefetch_related("categories", "organizations")
        .order_by("position", "id")
    )


def matching_policy(ticket, policies: Iterable[SlaPolicy] | None = None) -> SlaPolicy | None:
    """The first active policy (by position) whose conditions hold for the ticket."""
    for policy in active_policies() if policies is None else policies:
        category_ids = {c.pk for c in policy.categories.all()}
        org_ids = {o.pk for o in policy.organizations.all()}
        if policy_matches(policy, ticket, category_ids, org_ids):
            return policy
    return None


# --- history and evaluation -----------------------------------------------------------------


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def history_intervals(history: list, since: dt.datetime | None = None) -> list:
    """`TicketSla.history` as clock intervals, clipped to start at `since`."""
    rows = []
    for index, (start_text, status) in enumerate(history):
        start = _parse(start_text)
        end = _parse(history[index + 1][0]) if index + 1 < len(history) else None
        if since is not None:
            if end is not None and end <= since:
                continue
            start = max(start, since)
        rows.append(core_clock.StatusInterval(start, end, status))
    return rows


def core_target(target: TicketSlaTarget, pause_statuses) -> core_clock.SlaTarget:
    return core_clock.SlaTarget(
        duration=dt.timedelta(minutes=target.minutes),
        business_time=target.business_time,
        pause_statuses=frozenset(pause_statuses),
        stop_statuses=STOP_STATUSES,
    )


def evaluate(ticket_sla: TicketSla, target: TicketSlaTarget, now: dt.datetime):
    """The target's `ClockState` at `now` (at `met_at` once met)."""
    calendar = calendar_core(ticket_sla.calendar) if ticket_sla.calendar_id else None
    if calendar is None and target.business_time:
        calendar = BusinessCalendar.from_dict({"timezone": "UTC", "always_open": True})
    at = min(target.met_at, now) if target.met_at else now
    return core_clock.evaluate_clock(
        core_target(target, ticket_sla.pause_statuses),
        history_intervals(ticket_sla.history, since=target.started_at),
        at,
        calendar,
    )


def _apply_state(target: TicketSlaTarget, state, now: dt.datetime) -> None:
    if target.met_at is not None:
        target.state = State.MET
    elif state.stopped:
        target.state = State.STOPPED
    elif state.paused:
        target.state = State.PAUSED
    else:
        target.state = State.RUNNING
    target.due_at = state.due_at
    target.breached_at = state.breached_at
    target.elapsed_seconds = state.elapsed.total_seconds()
    end = target.met_at or now
    target.paused_intervals = [
        [_iso(start), _iso(stop) if stop else None] for start, stop in state.paused_intervals
    ]
    target.paused_seconds = sum(
        max(((stop or end) - start).total_seconds(), 0.0) for start, stop in state.paused_intervals
    )
    target.computed_at = now


def _rules_for(ticket_sla: TicketSla, rules: list[EscalationRule], kind: str):
    return [
        r
        for r in rules
        if r.target == kind and r.is_active and r.policy_id in (None, ticket_sla.policy_id)
    ]


def _alert_at(ticket_sla, target, state, rules, fired: set, now: dt.datetime):
    """When the sweep must look at this clock next: the earliest unfired threshold."""
    if target.state in (State.MET, State.STOPPED) and not state.breached:
        return None
    duration = dt.timedelta(minutes=target.minutes)
    candidates = []
    if target.state == State.RUNNING and not state.breached and state.due_at is not None:
        candidates.append(state.due_at)  # the sweep records the breach even without rules
    for rule in _rules_for(ticket_sla, rules, target.kind):
        if (rule.pk, target.cycle_key) in fired:
            continue
        if rule.at_percent is None:
            if state.breached:
                candidates.append(state.breached_at or now)
            elif target.state == State.RUNNING and state.due_at is not None:
                candidates.append(state.due_at)
            continue
        if state.percent_elapsed >= rule.at_percent:
            candidates.append(now)
        elif target.state == State.RUNNING:
            missing = duration * (rule.at_percent / 100) - state.elapsed
            if target.business_time and ticket_sla.calendar_id:
                candidates.append(
                    add_business_time(now, missing, calendar_core(ticket_sla.calendar))
                )
            else:
                candidates.append(now + missing)
    return min(candidates) if candidates else None


def recompute(
    ticket_sla: TicketSla,
    *,
    now: dt.datetime | None = None,
    rules: list[EscalationRule] | None = None,
    targets: list[TicketSlaTarget] | None = None,
    store: bool = True,
) -> list[TicketSlaTarget]:
    """Re-evaluate every clock of the ticket and store the result (and the ticket's due times);
    with `store=False` only in memory (the sweep, when a ticket service will store it anyway)."""
    now = now or timezone.now()
    if rules is None:
        rules = list(EscalationRule.objects.filter(is_active=True))
    if targets is None:
        targets = list(ticket_sla.targets.all())
    fired = set(
        EscalationFiring.objects.filter(ticket_id=ticket_sla.ticket_id).values_list(
            "rule_id", "target", "cycle"
        )
    )
    fired_keys = {(rule_id, (kind, cycle)) for rule_id, kind, cycle in fired}
    for target in targets:
        target.cycle_key = (target.kind, target.cycles)
        if target.kind == TargetKind.RESOLUTION:
            target.met_at = _resolution_met_at(ticket_sla.history)
        state = evaluate(ticket_sla, target, now)
        _apply_state(target, state, now)
        target.alert_at = _alert_at(ticket_sla, target, state, rules, fired_keys, now)
    if not store:
        return targets
    TicketSlaTarget.objects.bulk_update(
        targets,
        [
            "state",
            "due_at",
            "met_at",
            "breached_at",
            "elapsed_seconds",
            "paused_seconds",
            "paused_intervals",
            "alert_at",
            "computed_at",
            "started_at",
            "cycles",
        ],
    )
    _write_ticket_due_times(ticket_sla, targets)
    return targets


def _resolution_met_at(history: list) -> dt.datetime | None:
    """Resolution is met when the ticket is solved: the start of the trailing solved/closed run."""
    met = None
    for start, status in reversed(history):
        if status not in STOP_STATUSES:
            break
        met = _parse(start)
    return met


def _ticket_due(target: TicketSlaTarget | None) -> dt.datetime | None:
    """What the inbox should see: the deadline while the clock runs or once it was breached;
    nothing while it is paused in time (a projection would drift)."""
    if target is None:
        return None
    if target.breached_at is not None:
        return target.due_at
    if target.state == State.PAUSED:
        return None
    return target.due_at


def _write_ticket_due_times(ticket_sla: TicketSla, targets: list[TicketSlaTarget]) -> None:
    from kefu.tickets.services.tickets import ticket_set_due_times

    by_kind = {t.kind: t for t in targets}
    ticket_set_due_times(
        ticket=ticket_sla.ticket,
        first_response_due_at=_ticket_due(by_kind.get(TargetKind.FIRST_RESPONSE)),
        resolution_due_at=_ticket_due(by_kind.get(TargetKind.RESOLUTION)),
    )


# --- applying a policy ----------------------------------------------------------------------


def _status_history_start(ticket) -> list:
    return [[_iso(ticket.created_at), ticket.status]]


def _target_rows(ticket_sla: TicketSla, policy: SlaPolicy, now: dt.datetime, old=None):
    """Target rows from the policy's targets; existing rows keep their start and met instants."""
    old = {t.kind: t for t in (old or [])}
    rows = []
    for kind, spec in policy.targets().items():
        if kind == TargetKind.NEXT_RESPONSE and kind not in old:
            continue  # starts with the customer's next message after a reply
        previous = old.get(kind)
        row = previous or TicketSlaTarget(
            ticket_sla=ticket_sla,
            ticket_id=ticket_sla.ticket_id,
            kind=kind,
            started_at=ticket_sla.ticket.created_at,
            state=State.RUNNING,
            computed_at=now,
        )
        row.minutes = spec["minutes"]
        row.business_time = spec["business"]
        rows.append(row)
    return rows


def _pause_statuses(policy: SlaPolicy) -> list[str]:
    return ["pending", "on_hold"] if policy.on_hold_pauses else ["pending"]


def sla_apply(*, ticket, policy: SlaPolicy | None = None, now: dt.datetime | None = None):
    """Give a new ticket the matching policy's clocks (no policy: no clocks). Returns the
    TicketSla or None."""
    now = now or timezone.now()
    policy = policy or matching_policy(ticket)
    if policy is None:
        return None
    ticket_sla = TicketSla(
        ticket=ticket,
        policy=policy,
        policy_version=policy.version,
        calendar=policy.calendar,
        pause_statuses=_pause_statuses(policy),
        history=_status_history_start(ticket),
        applied_at=now,
        waiting_since=ticket.created_at,
    )
    _schedule_status_message(ticket_sla, policy)
    ticket_sla.save()
    rows = _target_rows(ticket_sla, policy, now)
    TicketSlaTarget.objects.bulk_create(rows)
    recompute(ticket_sla, now=now, targets=rows)
    return ticket_sla


def _schedule_status_message(ticket_sla: TicketSla, policy: SlaPolicy | None) -> None:
    if (
        policy is None
        or not policy.status_message_after_minutes
        or ticket_sla.waiting_since is None
    ):
        ticket_sla.status_message_due_at = None
    else:
        ticket_sla.status_message_due_at = ticket_sla.waiting_since + dt.timedelta(
            minutes=policy.status_message_after_minutes
        )


@transaction.atomic
def policy_reapply(*, actor, policy: SlaPolicy, now: dt.datetime | None = None) -> int:
    """Apply the policy's current targets to the open tickets that use it (an admin's explicit
    request, recorded). Started and met instants are kept; due times are recomputed."""
    require_manage(actor)
    now = now or timezone.now()
    rules = list(EscalationRule.objects.filter(is_active=True))
    slas = (
        TicketSla.objects.filter(policy=policy, ticket__status__in=OPEN_STATUSES)
        .select_related("ticket", "calendar")
        .prefetch_related("targets")
    )
    count = 0
    for ticket_sla in slas:
        old = list(ticket_sla.targets.all())
        rows = _target_rows(ticket_sla, policy, now, old)
        keep = {r.kind for r in rows}
        TicketSlaTarget.objects.filter(ticket_sla=ticket_sla).exclude(kind__in=keep).delete()
        TicketSlaTarget.objects.bulk_create([r for r in rows if r.pk is None])
        ticket_sla.policy_version = policy.version
        ticket_sla.calendar = policy.calendar
        ticket_sla.pause_statuses = _pause_statuses(policy)
        _schedule_status_message(ticket_sla, policy)
        ticket_sla.save(
            update_fields=["policy_version", "calendar", "pause_statuses", "status_message_due_at"]
        )
        recompute(ticket_sla, now=now, rules=rules, targets=rows)
        count += 1
    record = PolicyReapplication.objects.create(policy=policy, actor=actor, ticket_count=count)
    audit_record(
        actor=actor,
        action="sla.policy_reapplied",
        obj=policy,
        changes={"tickets": [None, count], "policy_version": [None, policy.version]},
    )
    return record.ticket_count


# --- following the ticket -------------------------------------------------------------------


def sla_ticket_changed(*, ticket, event: str, message=None) -> None:
    """Start, pause, resume, meet or recompute the ticket's SLA clocks after `event`.

    Called by kefu.tickets.services.effects inside the ticket's transaction: created applies the
    matching policy; a status change extends the stored status history (pending pauses, on hold
    pauses only when the policy says so, solved meets resolution, a reopen resumes); a reply meets
    the first or next response; a customer message starts the next-response clock.
    """
    now = timezone.now()
    if event == "created":
        sla_apply(ticket=ticket, now=now)
        return
    ticket_sla = (
        TicketSla.objects.select_for_update(of=("self",))
        .select_related("calendar", "policy")
        .filter(ticket_id=ticket.pk)
        .first()
    )
    if ticket_sla is None:
        return
    ticket_sla.ticket = ticket
    changed = ["history"]
    if not ticket_sla.history or ticket_sla.history[-1][1] != ticket.status:
        ticket_sla.history = [*ticket_sla.history, [_iso(now), ticket.status]]
    targets = {t.kind: t for t in ticket_sla.targets.all()}
    if event == "message_added" and message is not None and not automatic_message.get():
        _follow_message(ticket_sla, targets, message, now)
        changed += ["waiting_since", "status_message_due_at"]
    if ticket.status in STOP_STATUSES:
        ticket_sla.waiting_since = None
        ticket_sla.status_message_due_at = None
        changed += ["waiting_since", "status_message_due_at"]
    ticket_sla.save(update_fields=sorted(set(changed)))
    recompute(ticket_sla, now=now, targets=list(targets.values()))


def _follow_message(ticket_sla: TicketSla, targets: dict, message, now: dt.datetime) -> None:
    at = message.created_at or now
    if message.kind == "reply":
        first = targets.get(TargetKind.FIRST_RESPONSE)
        if first is not None and first.met_at is None:
            first.met_at = at
        following = targets.get(TargetKind.NEXT_RESPONSE)
        if following is not None and following.met_at is None:
            following.met_at = at
        ticket_sla.waiting_since = None
        ticket_sla.status_message_due_at = None
    elif message.kind == "customer":
        if ticket_sla.waiting_since is None:
            ticket_sla.waiting_since = at
            ticket_sla.status_message_sent_at = None
            _schedule_status_message(ticket_sla, ticket_sla.policy)
            TicketSla.objects.filter(pk=ticket_sla.pk).update(status_message_sent_at=None)
        first = targets.get(TargetKind.FIRST_RESPONSE)
        answered = first is None or first.met_at is not None
        spec = (
            ticket_sla.policy.targets().get(TargetKind.NEXT_RESPONSE) if ticket_sla.policy else None
        )
        following = targets.get(TargetKind.NEXT_RESPONSE)
        if following is None and spec and answered:
            following = TicketSlaTarget.objects.create(
                ticket_sla=ticket_sla,
                ticket_id=ticket_sla.ticket_id,
                kind=TargetKind.NEXT_RESPONSE,
                minutes=spec["minutes"],
                business_time=spec["business"],
                started_at=at,
                state=State.RUNNING,
                computed_at=now,
            )
            targets[TargetKind.NEXT_RESPONSE] = following
        elif following is not None and following.met_at is not None:
            following.started_at = at  # a new cycle: the customer waits for our next answer
            following.met_at = None
            following.cycles += 1


def sla_onsite_visited(*, actor, ticket, at: dt.datetime | None = None) -> TicketSlaTarget:
    """Record the on-site visit: meets the ticket's on-site target."""
    from kefu.core.errors import ValidationFailed
    from kefu.tickets.access import require_ticket_access

    require_ticket_access(actor, ticket)
    with transaction.atomic():
        ticket_sla = TicketSla.objects.select_for_update().filter(ticket_id=ticket.pk).first()
        target = ticket_sla and ticket_sla.targets.filter(kind=TargetKind.ONSITE).first()
        if target is None:
            raise ValidationFailed(
                "This ticket has no on-site visit target.", fields={"target": "No on-site target."}
            )
        target.met_at = at or timezone.now()
        target.save(update_fields=["met_at"])
        ticket_sla.ticket = ticket
        recompute(ticket_sla)
        audit_record(
            actor=actor,
            action="sla.onsite_visited",
            obj=ticket,
            changes={"at": [None, target.met_at]},
        )
    return target


def sla_refresh_open(*, now: dt.datetime | None = None) -> int:
    """Recompute the sweep's alert instant of every running clock after escalation rules changed,
    vectorised per calendar (business_seconds_between_many / add_business_time_many)."""
    now = now or timezone.now()
    rules = list(EscalationRule.objects.filter(is_active=True))
    rows = list(
        TicketSlaTarget.objects.filter(state__in=[State.RUNNING, State.PAUSED])
        .select_related("ticket_sla__calendar")
        .only(
            "id",
            "ticket_id",
            "kind",
            "minutes",
            "business_time",
            "due_at",
            "breached_at",
            "elapsed_seconds",
            "state",
            "cycles",
            "alert_at",
            "computed_at",
            "ticket_sla__policy_id",
            "ticket_sla__calendar",
        )
    )
    if not rows:
        return 0
    fired = set(
        EscalationFiring.objects.filter(ticket_id__in={r.ticket_id for r in rows}).values_list(
            "ticket_id", "rule_id", "target", "cycle"
        )
    )
    by_calendar: dict = {}
    for row in rows:
        by_calendar.setdefault(row.ticket_sla.calendar_id, []).append(row)
    for group in by_calendar.values():
        sla_calendar = group[0].ticket_sla.calendar
        core = calendar_core(sla_calendar) if sla_calendar is not None else None
        for rule in rules:
            chosen = [
                r
                for r in group
                if r.kind == rule.target
                and rule.policy_id in (None, r.ticket_sla.policy_id)
                and (r.ticket_id, rule.pk, r.kind, r.cycles) not in fired
            ]
            if not chosen:
                continue
            goal = np.array(
                [
                    r.minutes * 60.0 * ((rule.at_percent or 100) / 100.0) - r.elapsed_seconds
                    for r in chosen
                ]
            )
            business = np.array([r.business_time and core is not None for r in chosen])
            # Elapsed was measured at computed_at and the clock has run since (a status change
            # would have recomputed it), so the threshold lies `goal` working seconds after it.
            starts = np.array([r.computed_at.timestamp() for r in chosen])
            due = starts + np.maximum(goal, 0.0)
            if business.any():
                due[business] = add_business_time_many(
                    starts[business], np.maximum(goal[business], 0.0), core
                )
            for r, instant in zip(chosen, due, strict=True):
                if r.state == State.PAUSED and r.breached_at is None:
                    continue
                moment = dt.datetime.fromtimestamp(float(instant), tz=dt.UTC)
                if r.breached_at is not None and rule.at_percent is None:
                    moment = r.breached_at
                r.new_alert = min(getattr(r, "new_alert", moment) or moment, moment)
    for r in rows:
        alert = getattr(r, "new_alert", None)
        if r.state == State.RUNNING and r.breached_at is None and r.due_at is not None:
            alert = min(alert or r.due_at, r.due_at)
        r.alert_at = alert
    TicketSlaTarget.objects.bulk_update(rows, ["alert_at"], batch_size=1000)
    return len(rows)


# --- backfill (existing tickets when SLAs are first configured; the demo) ---------------------


def _history_from_events(ticket, events) -> list:
    """Status history rebuilt from the ticket's 3W events (status changes carry [old, new])."""
    history = [[_iso(ticket.created_at), "new"]]
    for event in events:
        change = (event.changes or {}).get("status")
        if isinstance(change, list) and len(change) == 2 and change[1] != history[-1][1]:
            history.append([_iso(max(event.at, ticket.created_at)), change[1]])
    if history[-1][1] != ticket.status:
        history.append([_iso(max(ticket.updated_at, ticket.created_at)), ticket.status])
    return history


def sla_backfill(*, tickets, now: dt.datetime | None = None) -> int:
    """Give tickets that have no SLA yet the matching policy's clocks, rebuilt from their stored
    events and messages (first reply, the customer's last unanswered message). Returns how many
    tickets got clocks."""
    from kefu.tickets.models import Message, TicketEvent

    now = now or timezone.now()
    policies = active_policies()
    rules = list(EscalationRule.objects.filter(is_active=True))
    tickets = [t for t in tickets if not TicketSla.objects.filter(ticket_id=t.pk).exists()]
    events: dict[int, list] = {}
    for event in TicketEvent.objects.filter(ticket__in=tickets).order_by("at", "id"):
        events.setdefault(event.ticket_id, []).append(event)
    messages: dict[int, list] = {}
    for message in Message.objects.filter(
        ticket__in=tickets, kind__in=["reply", "customer"]
    ).order_by("created_at", "id"):
        messages.setdefault(message.ticket_id, []).append(message)
    count = 0
    for ticket in tickets:
        policy = matching_policy(ticket, policies)
        if policy is None:
            continue
        conversation = messages.get(ticket.pk, [])
        replies = [m for m in conversation if m.kind == "reply"]
        first_reply = replies[0].created_at if replies else None
        ticket_sla = TicketSla(
            ticket=ticket,
            policy=policy,
            policy_version=policy.version,
            calendar=policy.calendar,
            pause_statuses=_pause_statuses(policy),
            history=_history_from_events(ticket, events.get(ticket.pk, [])),
            applied_at=now,
        )
        waiting = None
        last_reply = replies[-1].created_at if replies else None
        for m in conversation:
            if m.kind == "customer" and (last_reply is None or m.created_at > last_reply):
                waiting = m.created_at
                break
        if first_reply is None:
            waiting = ticket.created_at
        if ticket.status in STOP_STATUSES:
            waiting = None
        ticket_sla.waiting_since = waiting
        _schedule_status_message(ticket_sla, policy)
        if ticket_sla.status_message_due_at and ticket_sla.status_message_due_at < now:
            ticket_sla.status_message_sent_at = now  # history: do not message old tickets now
        ticket_sla.save()
        rows = _target_rows(ticket_sla, policy, now)
        for row in rows:
            if row.kind == TargetKind.FIRST_RESPONSE:
                row.met_at = first_reply
        spec = policy.targets().get(TargetKind.NEXT_RESPONSE)
        if spec and first_reply is not None:
            asked = [m for m in conversation if m.kind == "customer" and m.created_at > first_reply]
            if asked:
                later = [r for r in replies if r.created_at > asked[-1].created_at]
                rows.append(
                    TicketSlaTarget(
                        ticket_sla=ticket_sla,
                        ticket_id=ticket.pk,
                        kind=TargetKind.NEXT_RESPONSE,
                        minutes=spec["minutes"],
                        business_time=spec["business"],
                        started_at=waiting or asked[-1].created_at,
                        met_at=later[0].created_at if later else None,
                        state=State.RUNNING,
                        computed_at=now,
                    )
                )
        TicketSlaTarget.objects.bulk_create(rows)
        ticket_sla.ticket = ticket
        recompute(ticket_sla, now=now, rules=rules, targets=rows)
        count += 1
    return count


def sla_breach_reason_set(
    *, actor, ticket, kind: str, reason: str, note: str = ""
) -> TicketSlaTarget:
    """Record why the ticket's `kind` target was missed (only once it is breached; may be
    corrected later, each change audited)."""
    from kefu.core.errors import ValidationFailed
    from kefu.sla.models import BreachReason
    from kefu.tickets.access import require_ticket_access

    require_ticket_access(actor, ticket)
    if reason not in BreachReason.values:
        raise ValidationFailed(
            _("Choose a reason from the list."), fields={"reason": _("Unknown reason.")}
        )
    note = (note or "").strip()
    if reason == BreachReason.OTHER and not note:
        raise ValidationFailed(
            _("Say what happened when the reason is “Other”."),
            fields={"note": _("This field is required.")},
        )
    with transaction.atomic():
        ticket_sla = (
            TicketSla.objects.select_for_update(of=("self",))
            .select_related("calendar")
            .filter(ticket_id=ticket.pk)
            .first()
        )
        target = ticket_sla and ticket_sla.targets.filter(kind=kind).first()
        if target is None:
            raise ValidationFailed(
                _("This ticket has no such SLA target."), fields={"kind": _("No such target.")}
            )
        if target.breached_at is None and not evaluate(ticket_sla, target, timezone.now()).breached:
            raise ValidationFailed(
                _("This target is not breached; there is nothing to explain."),
                fields={"kind": _("Not breached.")},
            )
        before = [target.breach_reason, target.breach_note]
        target.breach_reason = reason
        target.breach_note = note[:2000]
        target.breach_reason_by = actor if getattr(actor, "is_authenticated", False) else None
        target.breach_reason_at = timezone.now()
        target.save(
            update_fields=["breach_reason", "breach_note", "breach_reason_by", "breach_reason_at"]
        )
        audit_record(
            actor=actor,
            action="sla.breach_reason_set",
            obj=ticket,
            changes={"target": [None, kind], "reason": [before, [reason, target.breach_note]]},
        )
    return target
