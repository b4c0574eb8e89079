"""Which agent gets the next contact of a queue (METHODS M32). Pure: no Django import.

The service layer loads the eligible candidates in bulk, this module picks one and explains why.
Strategies:

- ``round_robin``: the agent routed to longest ago by this queue (never routed first);
- ``least_loaded``: lowest share of capacity in use, then longest idle;
- ``longest_idle``: idle the longest (since they became available or last got a contact);
- ``skill_based``: agents holding every required skill, best total level, then longest idle;
- ``tier_aware``: tier-A customers to agents with the "senior" skill (least loaded among them;
  if no senior agent is free, the least loaded of the rest); other customers least loaded.

Ties end on the lowest agent id, so a decision is reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["REASONS", "STRATEGIES", "Candidate", "Choice", "choose_agent"]

STRATEGIES = ("round_robin", "least_loaded", "longest_idle", "skill_based", "tier_aware")
NEVER = float("-inf")


def _(message: str) -> str:
    """Marks a string for translation (makemessages finds it); it is translated when shown."""
    return message


# Why an agent was chosen, by code: stored with the decision's parameters and translated into
# the reader's language when shown (the English text is kept too, for logs and the API).
REASONS: dict[str, str] = {
    "no_agent": _("no available agent with free capacity"),
    "round_robin_never": _("round robin: never routed by this queue"),
    "round_robin_oldest": _("round robin: routed to longest ago"),
    "least_loaded": _("least loaded: %(load)s/%(capacity)s in use"),
    "longest_idle": _("longest idle"),
    "skill_best": _("skill based: best level total %(total)s in %(skills)s, then longest idle"),
    "skill_none": _("skill based: the queue requires no skill; longest idle"),
    "tier_senior": _("tier aware: tier-A customer to a %(skill)s agent (least loaded)"),
    "tier_no_senior": _("tier aware: tier-A customer but no %(skill)s agent free; least loaded"),
    "tier_other": _("tier aware: tier %(tier)s customer, least loaded"),
}


@dataclass(frozen=True)
class Candidate:
    """An agent who may take the contact: load and capacity on the queue's channel, and times
    (POSIX seconds) they became idle and were last routed to by this queue."""

    agent_id: int
    load: int
    capacity: int
    idle_since: float
    last_routed: float = NEVER
    skills: Mapping[str, int] = field(default_factory=dict)

    @property
    def has_room(self) -> bool:
        return self.load < self.capacity

    @property
    def utilisation(self) -> float:
        return self.load / self.capacity if self.capacity > 0 else 1.0


@dataclass(frozen=True)
class Choice:
    """The chosen agent (None when nobody can take the contact) and the reason, for the log."""

    agent_id: int | None
    reason_code: str
    eligible: int
    params: Mapping[str, str | int] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """The reason in English (REASONS[reason_code] filled with params)."""
        return REASONS[self.reason_code] % dict(self.params)


def _least_loaded(pool: Sequence[Candidate]) -> Candidate:
    return min(pool, key=lambda c: (c.utilisation, c.idle_since, c.agent_id))


def _longest_idle(pool: Sequence[Candidate]) -> Candidate:
    return min(pool, key=lambda c: (c.idle_since, c.agent_id))


def _level_total(candidate: Candidate, skills: Sequence[str]) -> int:
    return sum(candidate.skills.get(s, 0) for s in skills)


def choose_agent(
    candidates: Sequence[Candidate],
    strategy: str,
    *,
    required_skills: Sequence[str] = (),
    customer_tier: str = "",
    senior_skill: str = "senior",
) -> Choice:
    """Pick the agent for one contact by `strategy` → Choice(agent_id, reason, eligible)."""
    if strategy not in STRATEGIES:
        raise ValueError(_("Unknown routing strategy: ") + str(strategy))
    pool = [c for c in candidates if c.has_room]
    if strategy == "skill_based" and required_skills:
        pool = [c for c in pool if all(s in c.skills for s in required_skills)]
    if not pool:
        return Choice(None, "no_agent", 0)
    params: dict[str, str | int] = {}
    if strategy == "round_robin":
        chosen = min(pool, key=lambda c: (c.last_routed, c.agent_id))
        code = "round_robin_never" if chosen.last_routed == NEVER else "round_robin_oldest"
    elif strategy == "least_loaded":
        chosen = _least_loaded(pool)
        code, params = "least_loaded", {"load": chosen.load, "capacity": chosen.capacity}
    elif strategy == "longest_idle":
        chosen = _longest_idle(pool)
        code = "longest_idle"
    elif strategy == "skill_based" and required_skills:
        chosen = min(
            pool, key=lambda c: (-_level_total(c, required_skills), c.idle_since, c.agent_id)
        )
        code = "skill_best"
        params = {
            "total": _level_total(chosen, required_skills),
            "skills": ", ".join(required_skills),
        }
    elif strategy == "skill_based":
        chosen = _longest_idle(pool)
        code = "skill_none"
    elif customer_tier == "A":  # tier_aware
        seniors = [c for c in pool if senior_skill in c.skills]
        chosen = _least_loaded(seniors or pool)
        code, params = ("tier_senior" if seniors else "tier_no_senior"), {"skill": senior_skill}
    else:
        chosen = _least_loaded(pool)
        code, params = "tier_other", {"tier": customer_tier or "none"}
    return Choice(chosen.agent_id, code, len(pool), params)
