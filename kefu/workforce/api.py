"""Workforce API: batch Erlang staffing, forecasts, simulations (queued when large), queues,
agent presence and routing ("which agent gets this contact")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

import numpy as np
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kefu.api.pagination import PageNumberless
from kefu.core.errors import ValidationFailed
from kefu.core.permissions import require_perm
from kefu.workforce import erlang_a, planning, selectors, services
from kefu.workforce.models import (
    AgentPresence,
    PresenceReason,
    PresenceState,
    Queue,
    QueueChannel,
    SimulationRun,
    Skill,
    Strategy,
)

PLAN = "workforce.use_planning"
MAX_BATCH = 100_000

router = Router(tags=["workforce"])

Finite = Annotated[float, Field(allow_inf_nan=False)]
Numbers = list[Finite] | Finite


# --- Erlang ------------------------------------------------------------------------------------


class ErlangIn(Schema):
    volume: Numbers = Field(description="Contacts per interval (one number or an array).")
    aht_s: Numbers = Field(description="Average handling time in seconds.")
    interval_s: Numbers = Field(1800, description="Interval length in seconds.")
    target_service_level: Numbers = Field(0.8, description="Share answered in time, 0–1.")
    answer_s: Numbers = Field(20, description="Answer-time target in seconds.")
    shrinkage: Numbers = Field(0.0, description="Share of paid time not available, 0–1.")
    max_occupancy: Finite | None = Field(None, description="Cap on occupancy, 0–1.")
    patience_s: Finite | None = Field(
        None, description="Mean patience (s): adds Erlang A abandonment at the required count."
    )


class ErlangOut(Schema):
    count: int
    traffic: list[float]
    required: list[int]
    scheduled: list[int]
    service_level: list[float]
    asa_s: list[float | None]
    occupancy: list[float]
    wait_probability: list[float]
    abandonment: list[float] | None = None


_RANGES = {
    "volume": (0.0, 1e7, True, True),
    "aht_s": (0.0, 86_400.0, False, True),
    "interval_s": (0.0, 86_400.0, False, True),
    "target_service_level": (0.0, 1.0, True, False),
    "answer_s": (0.0, 86_400.0, True, True),
    "shrinkage": (0.0, 1.0, True, False),
}


def _arrays(payload: Schema, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Arrays of equal length (or length 1), each within its range; 422 names the field."""
    arrays = {}
    for name in names:
        value = getattr(payload, name)
        array = np.atleast_1d(np.asarray(value, dtype=float))
        if array.size == 0 or array.size > MAX_BATCH:
            raise ValidationFailed(
                _("Give 1 to 100,000 values."), fields={name: _("Give 1 to 100,000 values.")}
            )
        low, high, low_inclusive, high_inclusive = _RANGES[name]
        bad = (array < low) if low_inclusive else (array <= low)
        bad |= (array > high) if high_inclusive else (array >= high)
        if np.any(bad):
            index = int(np.flatnonzero(bad)[0])
            interval = (
                f"{'[' if low_inclusive else '('}{low:g}, {high:g}{']' if high_inclusive else ')'}"
            )
            raise ValidationFailed(
                _("A value is out of range."),
                fields={f"{name}.{index}": _("Must be in %s.") % interval},
            )
        arrays[name] = array
    sizes = {a.size for a in arrays.values()} - {1}
    if len(sizes) > 1:
        longest = max(sizes)
        wrong = next(n for n, a in arrays.items() if a.size not in (1, longest))
        raise ValidationFailed(
            _("Arrays must have the same length (or one value)."),
            fields={
                wrong: _("Length %(got)d, expected %(want)d or 1.")
                % {"got": arrays[wrong].size, "want": longest}
            },
        )
    return arrays


def _finite_list(values) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in np.ravel(values)]


@router.post("/erlang", response=ErlangOut, summary="Erlang C staffing for arrays of cases")
def erlang_batch(request, payload: ErlangIn):
    """Required and scheduled agents, service level, ASA, occupancy and P(wait) per case.

    Arrays broadcast: give one value for a parameter shared by every case.
    """
    require_perm(request.user, PLAN)
    arrays = _arrays(payload, tuple(_RANGES))
    if payload.max_occupancy is not None and not 0 < payload.max_occupancy <= 1:
        raise ValidationFailed(
            _("A value is out of range."), fields={"max_occupancy": _("Must be in (0, 1].")}
        )
    if payload.patience_s is not None and payload.patience_s <= 0:
        raise ValidationFailed(
            _("A value is out of range."), fields={"patience_s": _("Must be positive.")}
        )
    table = planning.staffing_table(
        arrays["volume"],
        arrays["interval_s"],
        arrays["aht_s"],
        arrays["target_service_level"],
        arrays["answer_s"],
        shrinkage=arrays["shrinkage"],
        max_occupancy=payload.max_occupancy,
    )
    abandonment = None
    if payload.patience_s is not None:
        traffic, required = table["traffic"], table["required"]
        aht = np.broadcast_to(arrays["aht_s"], traffic.shape)
        busy = (traffic > 0) & (required > 0)
        values = np.zeros(traffic.shape)
        if np.any(busy):
            values[busy] = erlang_a.abandonment_probability(
                traffic[busy], required[busy], aht[busy], payload.patience_s
            )
        abandonment = values.tolist()
    return {
        "count": int(table["required"].size),
        "traffic": table["traffic"].ravel().tolist(),
        "required": table["required"].ravel().tolist(),
        "scheduled": table["scheduled"].ravel().tolist(),
        "service_level": table["service_level"].ravel().tolist(),
        "asa_s": _finite_list(table["asa_s"]),
        "occupancy": table["occupancy"].ravel().tolist(),
        "wait_probability": table["wait_probability"].ravel().tolist(),
        "abandonment": abandonment,
    }


# --- forecast ----------------------------------------------------------------------------------


class ForecastIn(Schema):
    queue_id: int | None = Field(None, description="Forecast this queue's channel (and team).")
    channel: QueueChannel | None = None
    source: Literal["auto", "tickets", "calls"] = "auto"
    weeks: int = Field(8, ge=2, le=104, description="Weeks of history before today.")
    interval_minutes: Literal[15, 30, 60] = 30
    horizon_days: int = Field(7, ge=1, le=28)
    holdout_days: int = Field(7, ge=0, le=28)
    method: Literal["profile", "holt_winters", "auto"] = "profile"
    holidays: list[dt.date] = []
    aht_s: Finite | None = Field(None, gt=0, le=86_400)
    target_service_level: Finite = Field(0.8, gt=0, lt=1)
    answer_s: Finite = Field(20, ge=0)
    shrinkage: Finite = Field(0.3, ge=0, lt=1)
    scheduled_agents: int | None = Field(None, ge=0)


class ForecastOut(Schema):
    source: str
    interval_s: int
    history_contacts: int
    accuracy: dict[str, float | None] | None
    interval_start: list[str]
    volume: list[float]
    required: list[int]
    scheduled: list[int]
    slot_labels: list[str]
    heat_scheduled: list[list[int | None]]
    heat_gap: list[list[int | None]] | None
    agent_hours: float
    peak_scheduled: int


@router.post("/forecast", response=ForecastOut, summary="Forecast volume and agents to schedule")
def forecast(request, payload: ForecastIn):
    """History (call records or tickets) → volume per interval → forecast with holdout MAPE/WAPE
    → required and scheduled agents per interval and a weekday × time heat map."""
    require_perm(request.user, PLAN)
    queue = get_object_or_404(Queue, pk=payload.queue_id) if payload.queue_id else None
    end = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - dt.timedelta(weeks=payload.weeks)
    timestamps, source = selectors.contact_history(
        channel=queue.channel if queue else (payload.channel or ""),
        team_id=queue.team_id if queue else None,
        queue_name=queue.name if queue else "",
        since=start,
        until=end,
        source=payload.source,
    )
    try:
        result = planning.forecast_requirement(
            timestamps,
            history_start=np.datetime64(start.replace(tzinfo=None), "s"),
            history_end=np.datetime64(end.replace(tzinfo=None), "s"),
            interval_s=payload.interval_minutes * 60,
            horizon_days=payload.horizon_days,
            holdout_days=payload.holdout_days,
            method=payload.method,
            holidays=tuple(str(d) for d in payload.holidays),
            aht_s=payload.aht_s or (queue.aht_seconds if queue else 180.0),
            target_service_level=payload.target_service_level,
            answer_s=payload.answer_s,
            shrinkage=payload.shrinkage,
            scheduled_agents=payload.scheduled_agents,
        )
    except ValueError as exc:
        raise ValidationFailed(str(exc), fields={"method": str(exc)}) from exc
    if result["accuracy"]:
        result["accuracy"] = {k: _finite_list([v])[0] for k, v in result["accuracy"].items()}
    return {**result, "source": source}


# --- simulation --------------------------------------------------------------------------------


class SimulateIn(Schema):
    scenario: dict[str, Any] = Field(
        description="A scenario as in kefu.workforce.scenario (queues, agent_groups, duration_s…)."
    )
    plan: dict[str, Any] | None = Field(
        None, description="An emergency plan (extra_agents, overflow_rules, deflections)."
    )
    seed: int = Field(0, ge=0)
    replications: int = Field(10, ge=2, le=200)
    name: str = Field("", max_length=200)


class RunOut(Schema):
    id: int
    name: str
    status: str
    seed: int
    replications: int
    expected_contacts: int
    created_at: dt.datetime
    finished_at: dt.datetime | None
    error: str
    results: dict[str, Any] | None = None


def _run_body(run: SimulationRun, *, with_results: bool = True) -> dict:
    body = {
        f: getattr(run, f)
        for f in (
            "id",
            "name",
            "status",
            "seed",
            "replications",
            "expected_contacts",
            "created_at",
            "finished_at",
            "error",
        )
    }
    body["results"] = run.results if with_results and run.status == "done" else None
    return body


@router.post(
    "/simulate",
    response={201: RunOut, 202: RunOut},
    summary="Simulate a scenario (and an emergency plan)",
)
def simulate(request, payload: SimulateIn):
    """Small runs finish in the request (201 with results); large ones are queued (202): poll
    GET /workforce/simulate/{id}."""
    require_perm(request.user, PLAN)
    require_perm(request.user, "workforce.add_simulationrun")
    run = services.simulation_run_create(
        actor=request.user,
        inputs={"scenario": payload.scenario, "plan": payload.plan},
        seed=payload.seed,
        replications=payload.replications,
        name=payload.name,
    )
    return Status(201 if run.status in ("done", "failed") else 202, _run_body(run))


@router.get("/simulate", response=list[RunOut], summary="Simulation runs, newest first")
@paginate(PageNumberless)
def simulation_runs(request):
    require_perm(request.user, PLAN)
    return [_run_body(r, with_results=False) for r in selectors.simulation_run_list()[:1000]]


@router.get("/simulate/{run_id}", response=RunOut, summary="A simulation run and its results")
def simulation_run(request, run_id: int):
    require_perm(request.user, PLAN)
    return _run_body(get_object_or_404(SimulationRun, pk=run_id))


# --- queues ------------------------------------------------------------------------------------


class QueueOut(Schema):
    id: int
    version: int
    name: str
    channel: str
    team_id: int | None
    strategy: str
    required_skills: list[str]
    target_service_level: Decimal
    answer_seconds: int
    aht_seconds: int
    priority: int
    is_active: bool

    @staticmethod
    def resolve_required_skills(obj) -> list[str]:
        return sorted(s.name for s in obj.required_skills.all())


class QueueIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    channel: QueueChannel
    team_id: int | None = None
    strategy: Strategy = Strategy.LEAST_LOADED
    required_skills: list[str] = []
    target_service_level: Decimal = Field(Decimal("0.8"), ge=Decimal("0.01"), le=Decimal("0.999"))
    answer_seconds: int = Field(20, ge=1)
    aht_seconds: int = Field(180, ge=1)
    priority: int = 0
    is_active: bool = True


class QueuePatch(Schema):
    version: int = Field(description="The version you read; a stale one gets 409.")
    name: str | None = Field(None, min_length=1, max_length=100)
    channel: QueueChannel | None = None
    team_id: int | None = None
    strategy: Strategy | None = None
    required_skills: list[str] | None = None
    target_service_level: Decimal | None = Field(None, ge=Decimal("0.01"), le=Decimal("0.999"))
    answer_seconds: int | None = Field(None, ge=1)
    aht_seconds: int | None = Field(None, ge=1)
    priority: int | None = None
    is_active: bool | None = None


def _skills(names: list[str] | None) -> list[Skill] | None:
    if names is None:
        return None
    skills = list(Skill.objects.filter(name__in=names))
    missing = sorted(set(names) - {s.name for s in skills})
    if missing:
        raise ValidationFailed(
            _("Unknown skill."), fields={"required_skills": _("Unknown: %s") % ", ".join(missing)}
        )
    return skills


def _team(team_id: int | None):
    from kefu.accounts.models import Team

    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ValidationFailed(_("Unknown team."), fields={"team_id": _("No such team.")})
    return team


@router.get("/queues", response=list[QueueOut], summary="Queues")
@paginate(PageNumberless)
def queue_list(request):
    require_perm(request.user, "workforce.view_queue")
    return selectors.queue_list()


@router.post("/queues", response={201: QueueOut}, summary="Create a queue")
def queue_create(request, payload: QueueIn):
    require_perm(request.user, "workforce.add_queue")
    data = payload.dict()
    skills = _skills(data.pop("required_skills"))
    data["team"] = _team(data.pop("team_id"))
    queue = services.queue_create(actor=request.user, required_skills=skills, **data)
    return Status(201, selectors.queue_list().get(pk=queue.pk))


@router.get("/queues/{queue_id}", response=QueueOut, summary="A queue")
def queue_detail(request, queue_id: int):
    require_perm(request.user, "workforce.view_queue")
    return get_object_or_404(selectors.queue_list(), pk=queue_id)


@router.patch("/queues/{queue_id}", response=QueueOut, summary="Change a queue")
def queue_update(request, queue_id: int, payload: QueuePatch):
    require_perm(request.user, "workforce.change_queue")
    queue = get_object_or_404(Queue, pk=queue_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    skills = _skills(data.pop("required_skills", None))
    if "team_id" in data:
        data["team"] = _team(data.pop("team_id"))
    services.queue_update(
        actor=request.user,
        queue=queue,
        expected_version=version,
        changes=data,
        required_skills=skills,
    )
    return selectors.queue_list().get(pk=queue.pk)


@router.delete("/queues/{queue_id}", response={204: None}, summary="Delete a queue")
def queue_delete(request, queue_id: int):
    require_perm(request.user, "workforce.delete_queue")
    services.queue_delete(actor=request.user, queue=get_object_or_404(Queue, pk=queue_id))
    return Status(204, None)


# --- presence ----------------------------------------------------------------------------------


class PresenceOut(Schema):
    agent_id: int
    agent_name: str
    state: str
    reason: str
    since: dt.datetime | None
    seconds_in_state: int | None
    capacity: dict[str, int]
    version: int | None


class PresenceIn(Schema):
    state: PresenceState
    reason: PresenceReason = PresenceReason.NONE
    capacity: dict[str, int] | None = Field(
        None, description='Contacts at once per channel, e.g. {"phone": 1, "chat": 3}.'
    )
    version: int | None = Field(None, description="The version you read; a stale one gets 409.")


def _presence_body(agent, presence: AgentPresence | None) -> dict:
    from kefu.workforce.models import DEFAULT_CAPACITY

    now = timezone.now()
    return {
        "agent_id": agent.pk,
        "agent_name": str(agent),
        "state": presence.state if presence else PresenceState.OFFLINE,
        "reason": presence.reason if presence else "",
        "since": presence.since if presence else None,
        "seconds_in_state": int((now - presence.since).total_seconds()) if presence else None,
        "capacity": {**DEFAULT_CAPACITY, **(presence.capacity if presence else {})},
        "version": presence.version if presence else None,
    }


@router.get("/agents", response=list[PresenceOut], summary="Agents and their presence")
@paginate(PageNumberless)
def agent_list(request):
    require_perm(request.user, "workforce.view_agentpresence")
    agents = selectors.agent_queryset().select_related("presence").order_by("username")
    return [_presence_body(a, getattr(a, "presence", None)) for a in agents[:2000]]


@router.get("/agents/{agent_id}/presence", response=PresenceOut, summary="An agent's presence")
def presence_get(request, agent_id: int):
    agent = get_object_or_404(get_user_model(), pk=agent_id)
    if agent.pk != request.user.pk:
        require_perm(request.user, "workforce.view_agentpresence")
    return _presence_body(agent, AgentPresence.objects.filter(agent=agent).first())


@router.put("/agents/{agent_id}/presence", response=PresenceOut, summary="Set a presence")
def presence_put(request, agent_id: int, payload: PresenceIn):
    """Agents set their own; supervisors anyone's. Audited with the time spent in the old state."""
    agent = get_object_or_404(get_user_model(), pk=agent_id, is_active=True)
    services.require_own_or_perm(request.user, agent)
    presence = services.presence_set(
        actor=request.user,
        agent=agent,
        state=payload.state,
        reason=payload.reason,
        capacity=payload.capacity,
        expected_version=payload.version,
    )
    return _presence_body(agent, presence)


# --- routing -----------------------------------------------------------------------------------


class RouteIn(Schema):
    queue_id: int
    ticket_id: int | None = None
    customer_id: int | None = None
    customer_tier: Literal["", "A", "B", "C", "D"] | None = Field(
        None, description="Overrides the customer's tier (e.g. from the CTI's caller lookup)."
    )
    contact_ref: str = Field("", max_length=100, description="The call or chat id.")
    assign: bool = Field(False, description="Also assign the ticket to the chosen agent.")


class RouteOut(Schema):
    decision_id: int
    queue_id: int
    agent_id: int | None
    agent_name: str | None
    strategy: str
    reason: str = Field(description="Why this agent, in English (for logs)")
    reason_code: str = Field(description="The reason's code (see docs/workforce.md)")
    reason_text: str = Field(description="The reason in the request's language")
    eligible_agents: int
    at: dt.datetime


@router.post("/routing/next", response=RouteOut, summary="Which agent gets this contact")
def routing_next(request, payload: RouteIn):
    """Choose the agent by the queue's strategy and log the decision with its reason.
    agent_id is null when nobody available has free capacity (the contact waits)."""
    require_perm(request.user, "workforce.route_contact")
    from kefu.customers.models import Customer
    from kefu.tickets.models import Ticket

    queue = Queue.objects.filter(pk=payload.queue_id).first()
    if queue is None:
        raise ValidationFailed(_("Unknown queue."), fields={"queue_id": _("No such queue.")})
    ticket = customer = None
    if payload.ticket_id is not None:
        ticket = Ticket.objects.select_related("customer").filter(pk=payload.ticket_id).first()
        if ticket is None:
            raise ValidationFailed(_("Unknown ticket."), fields={"ticket_id": _("No such ticket.")})
    if payload.customer_id is not None:
        customer = Customer.objects.filter(pk=payload.customer_id).first()
        if customer is None:
            raise ValidationFailed(
                _("Unknown customer."), fields={"customer_id": _("No such customer.")}
            )
    if payload.assign and ticket is None:
        raise ValidationFailed(
            _("Give a ticket to assign."), fields={"ticket_id": _("Required with assign.")}
        )
    decision = services.route_next(
        actor=request.user,
        queue=queue,
        ticket=ticket,
        customer=customer,
        customer_tier=payload.customer_tier,
        contact_ref=payload.contact_ref,
        assign=payload.assign,
    )
    return {
        "decision_id": decision.pk,
        "queue_id": queue.pk,
        "agent_id": decision.agent_id,
        "agent_name": str(decision.agent) if decision.agent_id else None,
        "strategy": decision.strategy,
        "reason": decision.reason,
        "reason_code": decision.reason_code,
        "reason_text": decision.reason_text,
        "eligible_agents": decision.candidates,
        "at": decision.at,
    }


ROUTERS = [("/workforce", router)]
