"""Demo workforce of 华信电子 Huaxin Electronics: queues per channel, skills, agent skill levels,
agents' presence and one saved surge simulation with an emergency plan.

Idempotent: queues and skills by name, skills and presence per agent, the run by its name.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from kefu.accounts.models import Team
from kefu.workforce import simulation_runner
from kefu.workforce.models import (
    AgentPresence,
    AgentSkill,
    PresenceReason,
    PresenceState,
    Queue,
    SimulationRun,
    Skill,
)

SKILLS = [
    ("senior", "资深坐席 Senior agent: tier-A customers and escalations"),
    ("presales", "售前产品咨询 Product questions before purchase"),
    ("aftersales", "售后维修退换 Repairs, returns and warranty"),
    ("complaints", "投诉处理 Complaint handling (LSPCAS)"),
    ("english", "英语服务 English-speaking customers"),
]

# name, channel, team name prefix, strategy, required skills, SL target, answer s, AHT s, priority.
# Phone queues carry the CTI's queue names (kefu.channels' call records), so the live wall and
# forecasts read those calls.
QUEUES = [
    ("售前咨询", "phone", "售前", "skill_based", ["presales"], "0.80", 20, 180, 1),
    ("售后服务", "phone", "售后", "tier_aware", ["aftersales"], "0.80", 20, 300, 2),
    ("投诉热线", "phone", "投诉", "round_robin", ["complaints"], "0.80", 30, 480, 3),
    ("在线客服", "chat", None, "longest_idle", [], "0.85", 30, 420, 1),
    ("电子邮件", "email", None, "least_loaded", [], "0.90", 4 * 3600, 600, 0),
]

STATES = [
    (PresenceState.AVAILABLE, ""),
    (PresenceState.BUSY, ""),
    (PresenceState.AVAILABLE, ""),
    (PresenceState.AWAY, PresenceReason.LUNCH),
    (PresenceState.BUSY, ""),
    (PresenceState.AVAILABLE, ""),
    (PresenceState.AWAY, PresenceReason.TRAINING),
    (PresenceState.OFFLINE, PresenceReason.END_OF_SHIFT),
]

DEMO_RUN = "双十一高峰演练 Singles' Day surge drill"


def _team(prefix: str | None):
    if prefix is None:
        return None
    return Team.objects.filter(name__startswith=prefix).first()


def load(*, scale: int, rng, stdout=None) -> None:
    skills = {}
    for name, description in SKILLS:
        skills[name], _ = Skill.objects.get_or_create(
            name=name, defaults={"description": description}
        )
    for name, channel, team, strategy, required, target, answer, aht, priority in QUEUES:
        queue, created = Queue.objects.get_or_create(
            name=name,
            defaults={
                "channel": channel,
                "team": _team(team),
                "strategy": strategy,
                "target_service_level": target,
                "answer_seconds": answer,
                "aht_seconds": aht,
                "priority": priority,
            },
        )
        if created:
            queue.required_skills.set([skills[s] for s in required])

    user_model = get_user_model()
    agents = list(
        user_model.objects.filter(groups__name="agent", is_active=True)
        .distinct()
        .order_by("username")
        .prefetch_related("teams")
    )
    now = timezone.now()
    levels = []
    presences = []
    existing = set(AgentPresence.objects.values_list("agent_id", flat=True))
    for index, agent in enumerate(agents):
        teams = " ".join(t.name for t in agent.teams.all())
        owned = []
        if "售前" in teams:
            owned.append(("presales", 3 + index % 3))
        if "售后" in teams:
            owned.append(("aftersales", 2 + index % 4))
        if "投诉" in teams or "大客户" in teams:
            owned.append(("complaints", 3 + index % 2))
        if index % 3 == 0 or agent.username == "agent":
            owned.append(("senior", 4 + index % 2))
        if agent.language == "en" or index % 5 == 1:
            owned.append(("english", 3 + index % 3))
        if not owned:
            owned.append(("presales", 2))
        levels += [
            AgentSkill(agent=agent, skill=skills[name], level=level) for name, level in owned
        ]
        if agent.pk not in existing:
            state, reason = STATES[index % len(STATES)]
            presences.append(
                AgentPresence(
                    agent=agent,
                    state=state,
                    reason=reason,
                    since=now - dt.timedelta(minutes=rng.randint(2, 180)),
                    capacity={"phone": 1, "chat": 2 + index % 3, "email": 5},
                )
            )
    AgentSkill.objects.bulk_create(levels, ignore_conflicts=True)
    AgentPresence.objects.bulk_create(presences, ignore_conflicts=True)

    if not SimulationRun.objects.filter(name=DEMO_RUN).exists():
        from kefu.workforce import services

        inputs = simulation_runner.simple_inputs(
            rate_per_hour=240,
            aht_s=180,
            agents=13,
            duration_h=6,
            interval_min=30,
            patience_s=120,
            surge_at_min=120,
            surge_rate_per_hour=480,
            surge_end_min=240,
            plan_extra_agents=8,
            plan_extra_after_min=135,
            plan_deflection=0.2,
            plan_deflection_after_min=130,
            plan_overflow_agents=3,
            plan_overflow_after_wait_s=60,
        )
        services.simulation_run_create(
            actor=None, inputs=inputs, seed=2026, replications=10, name=DEMO_RUN
        )
    if stdout is not None:
        stdout.write(
            f"  workforce: {len(QUEUES)} queues, {len(SKILLS)} skills, "
            f"{len(agents)} agents with skills and presence"
        )
