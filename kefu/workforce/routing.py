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

__all__ = ["STRATEGIES", "Candidate", "Choice", "choose_agent"]

STRATEGIES = ("round_robin", "least_loaded", "longest_idle", "skill_based", "tier_aware")
NEVER = float("-inf")


def _(message: str) -> str:
    return message


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
    reason: str
    eligible: int


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
        return Choice(None, "no available agent with free capacity", 0)
    if strategy == "round_robin":
        chosen = min(pool, key=lambda c: (c.last_routed, c.agent_id))
        reason = (
            "round robin: never routed by this queue"
            if chosen.last_routed == NEVER
            else "round robin: routed to longest ago"
        )
    elif strategy == "least_loaded":
        chosen = _least_loaded(pool)
        reason = f"least loaded: {chosen.load}/{chosen.capacity} in use"
    elif strategy == "longest_idle":
        chosen = _longest_idle(pool)
        reason = "longest idle"
    elif strategy == "skill_based" and required_skills:
        chosen = min(
            pool, key=lambda c: (-_level_total(c, required_skills), c.idle_since, c.agent_id)
        )
        reason = (
            f"skill based: best level total {_level_total(chosen, required_skills)} "
            f"in {', '.join(required_skills)}, then longest idle"
        )
    elif strategy == "skill_based":
        chosen = _longest_idle(pool)
        reason = "skill based: the queue requires no skill; longest idle"
    else:  # tier_aware
        if customer_tier == "A":
            seniors = [c for c in pool if senior_skill in c.skills]
            if seniors:
                chosen = _least_loaded(seniors)
                reason = f"tier aware: tier-A customer to a {senior_skill} agent (least loaded)"
                return Choice(chosen.agent_id, reason, len(pool))
            chosen = _least_loaded(pool)
            reason = f"tier aware: tier-A customer but no {senior_skill} agent free; least loaded"
        else:
            chosen = _least_loaded(pool)
            tier = customer_tier or "none"
            reason = f"tier aware: tier {tier} customer, least loaded"
    return Choice(chosen.agent_id, reason, len(pool))
