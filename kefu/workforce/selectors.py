"""Reads for the workforce pages and API: queues, routing candidates, the live wall and the
contact history that feeds forecasts. Each states its queries; none loops queries over rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from importlib import import_module
from typing import Any

import numpy as np
import polars as pl
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.utils import timezone

from kefu.workforce.models import (
    DEFAULT_CAPACITY,
    AgentPresence,
    AgentSkill,
    PresenceState,
    Queue,
    RoutingDecision,
    SimulationRun,
    Skill,
)

OPEN_STATUSES = ("new", "open", "pending", "on_hold")


def queue_list(*, active_only: bool = False) -> QuerySet[Queue]:
    """Queues with team and required skills (2 queries)."""
    qs = Queue.objects.select_related("team").prefetch_related("required_skills")
    return qs.filter(is_active=True) if active_only else qs


def required_skill_names(queue: Queue) -> list[str]:
    return sorted(s.name for s in queue.required_skills.all())


def skill_list() -> QuerySet[Skill]:
    return Skill.objects.annotate(agent_count=Count("agent_skills")).order_by("name")


def agent_queryset():
    """Active staff who take contacts: members of the agent role or anyone with a presence."""
    user_model = get_user_model()
    return (
        user_model.objects.filter(is_active=True)
        .filter(Q(groups__name="agent") | Q(presence__isnull=False))
        .distinct()
    )


def _open_load(agent_ids, channel: str | None = None) -> dict[int, dict[str, int]]:
    """Open tickets assigned per agent and channel (1 query)."""
    from kefu.tickets.models import Ticket

    qs = Ticket.objects.filter(status__in=OPEN_STATUSES, assignee_id__in=agent_ids)
    if channel:
        qs = qs.filter(channel=channel)
    load: dict[int, dict[str, int]] = defaultdict(dict)
    for row in qs.values("assignee_id", "channel").annotate(n=Count("id")).order_by():
        load[row["assignee_id"]][row["channel"]] = row["n"]
    return load


def _skills_of(agent_ids) -> dict[int, dict[str, int]]:
    skills: dict[int, dict[str, int]] = defaultdict(dict)
    rows = AgentSkill.objects.filter(agent_id__in=agent_ids).values_list(
        "agent_id", "skill__name", "level"
    )
    for agent_id, name, level in rows:
        skills[agent_id][name] = level
    return skills


def routing_candidates(queue: Queue) -> list[dict[str, Any]]:
    """Agents who may take a contact of `queue` now (available, or busy with room), with load,
    capacity, skills and when this queue last routed to them (4 queries)."""
    presences = AgentPresence.objects.filter(
        state__in=(PresenceState.AVAILABLE, PresenceState.BUSY), agent__is_active=True
    )
    if queue.team_id:
        presences = presences.filter(agent__teams=queue.team_id)
    rows = list(
        presences.values("agent_id", "state", "since", "capacity", "last_routed_at").distinct()
    )
    ids = [row["agent_id"] for row in rows]
    load = _open_load(ids, queue.channel)
    skills = _skills_of(ids)
    last_routed = dict(
        RoutingDecision.objects.filter(queue=queue, agent_id__in=ids)
        .values("agent_id")
        .annotate(last=Max("at"))
        .values_list("agent_id", "last")
        .order_by()
    )
    candidates = []
    for row in rows:
        capacity = (row["capacity"] or {}).get(
            queue.channel, DEFAULT_CAPACITY.get(queue.channel, 1)
        )
        candidates.append(
            {
                "agent_id": row["agent_id"],
                "state": row["state"],
                "since": row["since"],
                "last_routed_at": row["last_routed_at"],
                "last_routed_by_queue": last_routed.get(row["agent_id"]),
                "load": load.get(row["agent_id"], {}).get(queue.channel, 0),
                "capacity": int(capacity),
                "skills": skills.get(row["agent_id"], {}),
            }
        )
    return candidates


def agent_board(*, team_id: int | None = None) -> list[dict[str, Any]]:
    """Every agent with presence (state, reason, time in state), open load and skills
    (4 queries whatever the number of agents)."""
    agents = agent_queryset().select_related("presence").order_by("display_name", "username")
    if team_id:
        agents = agents.filter(teams=team_id)
    agents = list(agents)
    ids = [a.pk for a in agents]
    load = _open_load(ids)
    skills = _skills_of(ids)
    now = timezone.now()
    board = []
    for agent in agents:
        presence = getattr(agent, "presence", None)
        state = presence.state if presence else PresenceState.OFFLINE
        board.append(
            {
                "agent": agent,
                "presence": presence,
                "state": state,
                "seconds_in_state": int((now - presence.since).total_seconds())
                if presence
                else None,
                "load": load.get(agent.pk, {}),
                "open_total": sum(load.get(agent.pk, {}).values()),
                "skills": skills.get(agent.pk, {}),
            }
        )
    return board


def presence_counts() -> dict[str, int]:
    """Agents per presence state; agents without a presence row count as offline (2 queries)."""
    counts = {state: 0 for state in PresenceState.values}
    for row in (
        AgentPresence.objects.filter(agent__is_active=True)
        .values("state")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[row["state"]] = row["n"]
    without = agent_queryset().filter(presence__isnull=True).count()
    counts[PresenceState.OFFLINE] += without
    return counts


def _queue_filter(queue: Queue, prefix: str = "") -> Q:
    condition = Q(**{f"{prefix}channel": queue.channel})
    if queue.team_id:
        condition &= Q(**{f"{prefix}team_id": queue.team_id})
    return condition


def live_wall(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """The supervisors' wall: per queue the open unassigned tickets waiting, the longest wait and
    today's service level (first response within the queue's answer time); agents by state.
    Phone queues whose name matches calls of kefu.channels' CallRecord use the calls instead
    (answered within the answer time / offered; calls ringing now). A constant 7 queries
    whatever the number of queues, tickets, calls or agents."""
    from kefu.tickets.models import Ticket

    now = now or timezone.now()
    queues = list(queue_list(active_only=True))
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    waiting = {
        (row["channel"], row["team_id"]): row
        for row in Ticket.objects.filter(status__in=OPEN_STATUSES, assignee__isnull=True)
        .values("channel", "team_id")
        .annotate(n=Count("id"), oldest=Min("created_at"))
        .order_by()
    }
    aggregates = {}
    for queue in queues:
        mine = _queue_filter(queue)
        within = F("created_at") + dt.timedelta(seconds=queue.answer_seconds)
        aggregates[f"offered_{queue.pk}"] = Count("id", filter=mine)
        aggregates[f"met_{queue.pk}"] = Count("id", filter=mine & Q(first_response_at__lte=within))
    today = (
        Ticket.objects.filter(created_at__gte=day_start, created_at__lte=now).aggregate(
            **aggregates
        )
        if aggregates
        else {}
    )
    calls = _calls_today(queues, day_start, now)
    rows = []
    for queue in queues:
        length, oldest = 0, None
        for (channel, team_id), row in waiting.items():
            if channel == queue.channel and (queue.team_id is None or team_id == queue.team_id):
                length += row["n"]
                oldest = row["oldest"] if oldest is None else min(oldest, row["oldest"])
        offered = today.get(f"offered_{queue.pk}", 0)
        met = today.get(f"met_{queue.pk}", 0)
        source = "tickets"
        call = calls.get(queue.pk)
        if call and (call["offered"] or call["waiting"]):
            # A phone queue fed by the CTI: its calls are the truth, not its tickets.
            offered, met, source = call["offered"], call["met"], "calls"
            length, oldest = call["waiting"], call["oldest"]
        level = met / offered if offered else None
        rows.append(
            {
                "queue": queue,
                "source": source,
                "waiting": length,
                "longest_wait_s": int((now - oldest).total_seconds()) if oldest else 0,
                "offered_today": offered,
                "answered_in_target_today": met,
                "service_level_today": level,
                "meets_target": level is None or level >= float(queue.target_service_level),
            }
        )
    return {"queues": rows, "agents_by_state": presence_counts(), "at": now}


def _calls_today(queues, day_start, now) -> dict[int, dict[str, Any]]:
    """Per phone queue (matched by name): calls offered today, answered within the queue's
    answer time, and calls waiting now with the oldest offer time (2 queries)."""
    model = call_record_model()
    phone = [q for q in queues if q.channel == "phone"]
    if model is None or not phone:
        return {}
    names = [q.name for q in phone]
    inbound = model.objects.filter(direction="inbound", queue_name__in=names)
    aggregates = {}
    for queue in phone:
        mine = Q(queue_name=queue.name)
        aggregates[f"offered_{queue.pk}"] = Count("id", filter=mine)
        aggregates[f"met_{queue.pk}"] = Count(
            "id",
            filter=mine & Q(answered_at__isnull=False, wait_seconds__lte=queue.answer_seconds),
        )
    today = inbound.filter(offered_at__gte=day_start, offered_at__lte=now).aggregate(**aggregates)
    ringing = {
        row["queue_name"]: row
        for row in inbound.filter(
            answered_at__isnull=True,
            abandoned=False,
            ended_at__isnull=True,
            offered_at__gte=now - dt.timedelta(hours=12),
            offered_at__lte=now,
        )
        .values("queue_name")
        .annotate(n=Count("id"), oldest=Min("offered_at"))
        .order_by()
    }
    return {
        q.pk: {
            "offered": today[f"offered_{q.pk}"],
            "met": today[f"met_{q.pk}"],
            "waiting": ringing.get(q.name, {}).get("n", 0),
            "oldest": ringing.get(q.name, {}).get("oldest"),
        }
        for q in phone
    }


def routing_decision_list(*, queue_id: int | None = None) -> QuerySet[RoutingDecision]:
    qs = RoutingDecision.objects.select_related("queue", "agent", "ticket", "customer")
    return qs.filter(queue_id=queue_id) if queue_id else qs


def simulation_run_list(*, actor=None) -> QuerySet[SimulationRun]:
    return SimulationRun.objects.select_related("created_by").defer("results", "inputs")


# --- contact history for forecasts -------------------------------------------------------------


def call_record_model():
    """kefu.channels' CallRecord model when that app provides it, else None."""
    try:
        module = import_module("kefu.channels.models")
    except ImportError:
        return None
    return getattr(module, "CallRecord", None)


def _first_field(model, names: tuple[str, ...]) -> str | None:
    fields = {f.name for f in model._meta.get_fields()}
    return next((n for n in names if n in fields), None)


def contact_history(
    *,
    channel: str = "",
    team_id: int | None = None,
    queue_name: str = "",
    since: dt.datetime,
    until: dt.datetime,
    source: str = "auto",
) -> tuple[np.ndarray, str]:
    """Arrival times of past contacts as local-time ``datetime64[s]`` and the source used.

    `source` "calls" reads kefu.channels' CallRecord (inbound calls' offered time, filtered by
    queue name; phone only), "tickets" reads Ticket.created_at per channel (and team); "auto"
    uses call records when that model exists and has rows in the window, else tickets. One
    query; the times are converted to the local time zone in bulk with polars.
    """
    times: list[dt.datetime] = []
    used = "tickets"
    model = call_record_model() if source in ("auto", "calls") else None
    # Call records are phone calls: they are the history of phone queues only.
    if model is not None and channel in ("", "phone"):
        stamp = _first_field(model, ("offered_at", "started_at", "created_at"))
        qs = model.objects.filter(**{f"{stamp}__gte": since, f"{stamp}__lt": until})
        if _first_field(model, ("direction",)):
            qs = qs.filter(direction="inbound")
        queue_field = _first_field(model, ("queue_name", "queue"))
        if queue_name and queue_field:
            qs = qs.filter(**{queue_field: queue_name})
        times = list(qs.values_list(stamp, flat=True))
        used = "calls"
    if source == "tickets" or (source == "auto" and not times):
        from kefu.tickets.models import Ticket

        qs = Ticket.objects.filter(created_at__gte=since, created_at__lt=until)
        if channel:
            qs = qs.filter(channel=channel)
        if team_id:
            qs = qs.filter(team_id=team_id)
        times = list(qs.values_list("created_at", flat=True))
        used = "tickets"
    if not times:
        return np.array([], dtype="datetime64[s]"), used
    local = (
        pl.Series("t", times, dtype=pl.Datetime("us", "UTC"))
        .dt.convert_time_zone(settings.TIME_ZONE)
        .dt.replace_time_zone(None)
    )
    return local.to_numpy().astype("datetime64[s]"), used


def presence_history(agent):
    """The agent's recent presence changes from the audit trail (newest first)."""
    from kefu.core.models import AuditEvent

    presence = AgentPresence.objects.filter(agent=agent).values_list("pk", flat=True).first()
    if presence is None:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(
        action="workforce.presence_changed",
        object_type="workforce.agentpresence",
        object_id=str(presence),
    ).order_by("-at", "-id")
