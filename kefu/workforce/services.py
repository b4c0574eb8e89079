"""Every write to the workforce models: queues, skills, presence, routing and simulation runs.

Each service validates, runs in one transaction and records an audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record, diff, snapshot
from kefu.core.errors import Conflict, ValidationFailed
from kefu.core.permissions import require_perm
from kefu.core.versioning import update_versioned
from kefu.workforce import routing, selectors
from kefu.workforce.models import (
    AgentPresence,
    AgentSkill,
    PresenceReason,
    PresenceState,
    Queue,
    QueueChannel,
    RoutingDecision,
    RunStatus,
    SimulationRun,
    Skill,
    Strategy,
)

QUEUE_FIELDS = (
    "name",
    "channel",
    "team",
    "strategy",
    "target_service_level",
    "answer_seconds",
    "aht_seconds",
    "priority",
    "is_active",
)
# Runs expected to simulate more contacts than this (over all replications) go to the task
# queue; smaller ones finish within about a second and run in the request.
INLINE_CONTACT_LIMIT = 200_000
# About a minute of the simulator on one core; more belongs in a notebook, not a web request.
MAX_CONTACTS_PER_REQUEST = 30_000_000


def _stale_message() -> str:
    return _("This record was changed by someone else. Reload it and apply your change again.")


def _invalid(exc: ValidationError, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields=exc.message_dict)


# --- queues and skills -------------------------------------------------------------------------


def _set_required_skills(queue: Queue, skills: Iterable[Skill] | None) -> list[str] | None:
    if skills is None:
        return None
    skills = list(skills)
    queue.required_skills.set(skills)
    return sorted(s.name for s in skills)


@transaction.atomic
def queue_create(*, actor, required_skills: Iterable[Skill] | None = None, **fields) -> Queue:
    """Create a queue (name, channel, team, strategy, service-level target, AHT, priority)."""
    unknown = set(fields) - set(QUEUE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown queue fields."), fields={k: _("Unknown field.") for k in unknown}
        )
    queue = Queue(**fields)
    try:
        queue.full_clean()
    except ValidationError as exc:
        raise _invalid(exc, _("The queue is not valid.")) from exc
    queue.save()
    skills = _set_required_skills(queue, required_skills)
    audit_record(
        actor=actor,
        action="workforce.queue_created",
        obj=queue,
        changes={**snapshot(queue, QUEUE_FIELDS), "required_skills": skills or []},
    )
    return queue


@transaction.atomic
def queue_update(
    *,
    actor,
    queue: Queue,
    expected_version: int,
    changes: Mapping[str, Any],
    required_skills: Iterable[Skill] | None = None,
) -> Queue:
    """Change a queue; a stale `expected_version` gets 409 and changes nothing."""
    unknown = set(changes) - set(QUEUE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown queue fields."), fields={k: _("Unknown field.") for k in unknown}
        )
    before = snapshot(queue, list(changes))
    old_skills = sorted(queue.required_skills.values_list("name", flat=True))
    if "name" in changes and Queue.objects.filter(name=changes["name"]).exclude(pk=queue.pk):
        raise ValidationFailed(
            _("The queue is not valid."), fields={"name": _("A queue with this name exists.")}
        )
    try:
        update_versioned(queue, expected_version=expected_version, changes=dict(changes))
    except ValidationError as exc:
        raise _invalid(exc, _("The queue is not valid.")) from exc
    change_log = diff(before, snapshot(queue, list(changes)))
    skills = _set_required_skills(queue, required_skills)
    if skills is not None and skills != old_skills:
        change_log["required_skills"] = [old_skills, skills]
    audit_record(actor=actor, action="workforce.queue_updated", obj=queue, changes=change_log)
    return queue


@transaction.atomic
def queue_delete(*, actor, queue: Queue) -> None:
    """Delete a queue and its routing log (the audit trail keeps the record)."""
    audit_record(
        actor=actor,
        action="workforce.queue_deleted",
        obj=queue,
        changes=snapshot(queue, QUEUE_FIELDS),
    )
    queue.delete()


@transaction.atomic
def skill_create(*, actor, name: str, description: str = "") -> Skill:
    """Create a skill; names are unique (case as typed)."""
    skill = Skill(name=name.strip(), description=description.strip())
    try:
        skill.full_clean()
    except ValidationError as exc:
        raise _invalid(exc, _("The skill is not valid.")) from exc
    skill.save()
    audit_record(actor=actor, action="workforce.skill_created", obj=skill, changes={"name": name})
    return skill


@transaction.atomic
def agent_skill_set(*, actor, agent, skill: Skill, level: int | None) -> AgentSkill | None:
    """Give `agent` `skill` at `level` (1–5); level None or 0 removes the skill."""
    current = AgentSkill.objects.filter(agent=agent, skill=skill).first()
    old = current.level if current else None
    if not level:
        if current is not None:
            current.delete()
            audit_record(
                actor=actor,
                action="workforce.agent_skill_removed",
                obj=agent,
                changes={skill.name: [old, None]},
            )
        return None
    if not 1 <= int(level) <= 5:
        raise ValidationFailed(
            _("The skill level must be 1 to 5."), fields={"level": _("Use 1 to 5.")}
        )
    record, _created = AgentSkill.objects.update_or_create(
        agent=agent, skill=skill, defaults={"level": int(level)}
    )
    if old != record.level:
        audit_record(
            actor=actor,
            action="workforce.agent_skill_set",
            obj=agent,
            changes={skill.name: [old, record.level]},
        )
    return record


# --- presence ----------------------------------------------------------------------------------


def _clean_capacity(capacity: Mapping[str, Any]) -> dict[str, int]:
    cleaned = {}
    for channel, value in capacity.items():
        if channel not in QueueChannel.values:
            raise ValidationFailed(
                _("Unknown channel in capacity."), fields={"capacity": _("Unknown channel.")}
            )
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = -1
        if not 0 <= number <= 50 or str(value).strip() != str(number):
            raise ValidationFailed(
                _("Capacity must be a whole number from 0 to 50."),
                fields={f"capacity.{channel}": _("Use a whole number from 0 to 50.")},
            )
        cleaned[channel] = number
    return cleaned


@transaction.atomic
def presence_set(
    *,
    actor,
    agent,
    state: str,
    reason: str = "",
    capacity: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> AgentPresence:
    """Set `agent`'s presence (state, reason code, capacity); audited, with the time in state.

    Agents change their own; changing someone else's needs workforce.change_agentpresence.
    A stale `expected_version` gets 409.
    """
    if actor is not None and actor.pk != agent.pk:
        require_perm(actor, "workforce.change_agentpresence")
    if state not in PresenceState.values:
        raise ValidationFailed(_("Unknown presence state."), fields={"state": _("Unknown state.")})
    if reason not in PresenceReason.values:
        raise ValidationFailed(_("Unknown reason code."), fields={"reason": _("Unknown reason.")})
    if state == PresenceState.AVAILABLE and reason:
        reason = ""  # reasons explain not being available
    now = timezone.now()
    cleaned_capacity = _clean_capacity(capacity) if capacity is not None else None
    presence = AgentPresence.objects.select_for_update().filter(agent=agent).first()
    if presence is None:
        if expected_version is not None:
            raise Conflict(
                _stale_message(),
                code="stale_version",
                details={"expected_version": expected_version, "current_version": None},
            )
        presence = AgentPresence.objects.create(
            agent=agent, state=state, reason=reason, since=now, capacity=cleaned_capacity or {}
        )
        audit_record(
            actor=actor,
            action="workforce.presence_changed",
            obj=presence,
            object_label=str(agent),
            changes={"state": [None, state], "reason": [None, reason]},
        )
        return presence
    if expected_version is not None and presence.version != expected_version:
        raise Conflict(
            _stale_message(),
            code="stale_version",
            details={"expected_version": expected_version, "current_version": presence.version},
        )
    before = snapshot(presence, ["state", "reason", "capacity"])
    seconds_in_state = int((now - presence.since).total_seconds())
    changes: dict[str, Any] = {"state": state, "reason": reason}
    if state != presence.state:
        changes["since"] = now
    if cleaned_capacity is not None:
        changes["capacity"] = cleaned_capacity
    update_versioned(presence, expected_version=presence.version, changes=changes)
    change_log = diff(before, snapshot(presence, ["state", "reason", "capacity"]))
    if change_log:
        if "state" in change_log:
            change_log["seconds_in_previous_state"] = seconds_in_state
        audit_record(
            actor=actor,
            action="workforce.presence_changed",
            obj=presence,
            object_label=str(agent),
            changes=change_log,
        )
    return presence


# --- routing -----------------------------------------------------------------------------------


def _timestamp(value: dt.datetime | None) -> float:
    return value.timestamp() if value is not None else routing.NEVER


@transaction.atomic
def route_next(
    *,
    actor,
    queue: Queue,
    ticket=None,
    customer=None,
    customer_tier: str | None = None,
    contact_ref: str = "",
    assign: bool = False,
) -> RoutingDecision:
    """Choose the agent for one contact of `queue` by its strategy and log the decision.

    Constant number of queries whatever the team size (selectors.routing_candidates). With
    `assign` and a ticket, the ticket is assigned through the tickets service.
    """
    if not queue.is_active:
        raise ValidationFailed(_("The queue is not active."), fields={"queue": _("Inactive.")})
    if ticket is not None and customer is None:
        customer = ticket.customer
    tier = customer_tier if customer_tier is not None else (customer.tier if customer else "")
    rows = selectors.routing_candidates(queue)
    candidates = [
        routing.Candidate(
            agent_id=row["agent_id"],
            load=row["load"],
            capacity=row["capacity"],
            idle_since=max(_timestamp(row["since"]), _timestamp(row["last_routed_at"])),
            last_routed=_timestamp(row["last_routed_by_queue"]),
            skills=row["skills"],
        )
        for row in rows
    ]
    required = selectors.required_skill_names(queue)
    choice = routing.choose_agent(
        candidates, queue.strategy, required_skills=required, customer_tier=tier or ""
    )
    decision = RoutingDecision.objects.create(
        queue=queue,
        ticket=ticket,
        customer=customer,
        contact_ref=contact_ref[:100],
        customer_tier=(tier or "")[:1],
        agent_id=choice.agent_id,
        strategy=queue.strategy,
        reason=choice.reason[:300],
        reason_code=choice.reason_code,
        reason_params=dict(choice.params),
        candidates=choice.eligible,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if choice.agent_id is not None:
        AgentPresence.objects.filter(agent_id=choice.agent_id).update(last_routed_at=decision.at)
        if assign and ticket is not None:
            from kefu.tickets import services as ticket_services

            ticket_services.ticket_update(
                actor=actor,
                ticket=ticket,
                expected_version=ticket.version,
                changes={"assignee": decision.agent},
            )
    return decision


# --- simulation runs ---------------------------------------------------------------------------


def expected_contacts(inputs: Mapping[str, Any], replications: int) -> int:
    """Expected offered contacts over all replications (scenario and plan runs)."""
    scenario = inputs["scenario"]
    hours = float(scenario["duration_s"]) / 3600.0
    per_run = 0.0
    for queue in scenario["queues"]:
        if queue.get("arrival_times_s") is not None:
            per_run += len(queue["arrival_times_s"])
            continue
        rate = float(queue.get("rate_per_hour", 0.0))
        periods = sorted(queue.get("rate_changes", []), key=lambda p: p["start_s"])
        edges = [0.0] + [float(p["start_s"]) for p in periods] + [hours * 3600.0]
        rates = [rate] + [float(p["rate_per_hour"]) for p in periods]
        for start, end, value in zip(edges[:-1], edges[1:], rates, strict=True):
            per_run += max(0.0, min(end, hours * 3600.0) - start) / 3600.0 * value
    runs = replications * (2 if inputs.get("plan") else 1)
    return int(per_run * runs)


@transaction.atomic
def simulation_run_create(
    *, actor, inputs: Mapping[str, Any], seed: int, replications: int, name: str = ""
) -> SimulationRun:
    """Save a simulation run; small runs execute now, large ones are queued (kefu.core.tasks).

    `inputs` = {"scenario": asdict(Scenario), "plan": asdict(EmergencyPlan) | None}; it is
    validated here so a bad scenario is refused before anything is saved.
    """
    from kefu.core.tasks import enqueue
    from kefu.workforce import simulation_runner, tasks

    try:
        simulation_runner.validate_inputs(inputs, replications=replications, seed=seed)
    except simulation_runner.InputError as exc:
        raise ValidationFailed(str(exc), fields={exc.field: str(exc)}) from exc
    expected = expected_contacts(inputs, replications)
    if expected > MAX_CONTACTS_PER_REQUEST:
        message = _(
            "At most %(limit)s simulated contacts over all replications (this asks for %(n)s)."
        )
        raise ValidationFailed(
            message % {"limit": f"{MAX_CONTACTS_PER_REQUEST:,}", "n": f"{expected:,}"},
            fields={"replications": _("Fewer replications or a shorter scenario.")},
        )
    run = SimulationRun.objects.create(
        name=name[:200],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        inputs=dict(inputs),
        seed=seed,
        replications=replications,
        expected_contacts=expected,
    )
    audit_record(
        actor=actor,
        action="workforce.simulation_requested",
        obj=run,
        changes={"seed": seed, "replications": replications, "contacts": run.expected_contacts},
    )
    if run.expected_contacts <= INLINE_CONTACT_LIMIT:
        simulation_run_execute(run_id=run.pk)
        run.refresh_from_db()
    else:
        enqueue(tasks.simulation_run, run.pk)
    return run


def simulation_run_execute(*, run_id: int) -> SimulationRun | None:
    """Run a saved simulation (idempotent: a finished run is left alone) and store results."""
    from kefu.workforce import simulation_runner

    with transaction.atomic():
        run = SimulationRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status in (RunStatus.DONE, RunStatus.FAILED):
            return run
        run.status = RunStatus.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["status", "started_at", "updated_at"])
    try:
        results = simulation_runner.run(run.inputs, replications=run.replications, seed=run.seed)
    except Exception as exc:  # stored for the user; the traceback is in the task log
        run.status, run.error = RunStatus.FAILED, str(exc)[:2000]
    else:
        run.status, run.results = RunStatus.DONE, results
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "results", "error", "finished_at", "updated_at"])
    return run


def require_strategy(value: str) -> str:
    if value not in Strategy.values:
        raise ValidationFailed(_("Unknown routing strategy."), fields={"strategy": value})
    return value


def require_own_or_perm(actor, agent) -> None:
    """Agents see and change their own presence; others need change_agentpresence."""
    if actor.pk != agent.pk and not actor.has_perm("workforce.change_agentpresence"):
        raise PermissionDenied(_("You do not have permission to do this."))
