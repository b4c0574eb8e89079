"""Contact-center simulation scenarios as plain dataclasses (JSON via ``dataclasses.asdict``).

A scenario names its queues (arrivals, handling times, patience, priority), its agent groups
(skills, head count, when they join and leave), overflow rules and broadcast deflections. An
emergency plan (应急预案, METHODS M28) is a bundle of the same kinds of changes, merged into a
scenario with ``with_plan`` so the simulator can test it before it is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

__all__ = [
    "AgentGroup",
    "Deflection",
    "EmergencyPlan",
    "OverflowRule",
    "QueueSpec",
    "RatePeriod",
    "Scenario",
    "ServiceTime",
    "scenario_from_dict",
    "with_plan",
]


def _(message: str) -> str:
    return message


@dataclass
class ServiceTime:
    """Handling-time distribution: exponential, lognormal (mean and coefficient of variation) or
    empirical (resampled from observed handling times)."""

    distribution: Literal["exponential", "lognormal", "empirical"] = "exponential"
    mean_s: float = 180.0
    cv: float = 1.0
    samples_s: list[float] = field(default_factory=list)


@dataclass
class RatePeriod:
    """From ``start_s`` on, arrivals come at ``rate_per_hour`` (a surge or a lull)."""

    start_s: float
    rate_per_hour: float


@dataclass
class QueueSpec:
    """One queue: Poisson arrivals (piecewise-constant rate) or replayed arrival times."""

    name: str
    rate_per_hour: float = 0.0
    rate_changes: list[RatePeriod] = field(default_factory=list)
    arrival_times_s: list[float] | None = None
    service: ServiceTime = field(default_factory=ServiceTime)
    patience_mean_s: float | None = None
    priority: int = 0


@dataclass
class AgentGroup:
    """``count`` identical agents with the given skills (queue names), on shift [start, end)."""

    name: str
    skills: list[str]
    count: int
    start_s: float = 0.0
    end_s: float | None = None


@dataclass
class OverflowRule:
    """Contacts waiting ``after_wait_s`` in ``from_queue`` may also be answered by agents of
    ``to_queue`` (from ``active_from_s`` on)."""

    from_queue: str
    to_queue: str
    after_wait_s: float
    active_from_s: float = 0.0


@dataclass
class Deflection:
    """From ``from_s`` on, a broadcast answers ``fraction`` of arrivals (one queue or all)."""

    fraction: float
    from_s: float = 0.0
    queue: str | None = None


@dataclass
class EmergencyPlan:
    """Extra agents, overflow queues opened and broadcast deflections, applied together."""

    name: str
    extra_agents: list[AgentGroup] = field(default_factory=list)
    overflow_rules: list[OverflowRule] = field(default_factory=list)
    deflections: list[Deflection] = field(default_factory=list)


@dataclass
class Scenario:
    """Everything the simulator needs; arrivals stop at ``duration_s``, work then drains."""

    queues: list[QueueSpec]
    agent_groups: list[AgentGroup]
    duration_s: float
    interval_s: float = 1800.0
    answer_target_s: float = 20.0
    warmup_s: float = 0.0
    overflow_rules: list[OverflowRule] = field(default_factory=list)
    deflections: list[Deflection] = field(default_factory=list)

    def validate(self) -> None:
        """Raise ValueError naming the first inconsistent part."""
        names = [queue.name for queue in self.queues]
        if not names or len(set(names)) != len(names):
            raise ValueError(_("Queue names must be present and unique."))
        if self.duration_s <= 0 or self.interval_s <= 0:
            raise ValueError(_("Duration and interval length must be positive."))
        if not 0 <= self.warmup_s < self.duration_s:
            raise ValueError(_("The warm-up must be shorter than the duration."))
        for queue in self.queues:
            if queue.rate_per_hour < 0 or any(p.rate_per_hour < 0 for p in queue.rate_changes):
                raise ValueError(_("Arrival rates must not be negative: ") + queue.name)
            service = queue.service
            if service.distribution == "empirical":
                if not service.samples_s or min(service.samples_s) < 0:
                    raise ValueError(_("Empirical handling times are missing: ") + queue.name)
            elif service.distribution not in ("exponential", "lognormal") or service.mean_s <= 0:
                raise ValueError(_("Handling time must be a positive mean: ") + queue.name)
            if queue.patience_mean_s is not None and queue.patience_mean_s <= 0:
                raise ValueError(_("Patience must be positive: ") + queue.name)
        for group in self.agent_groups:
            unknown = set(group.skills) - set(names)
            if unknown or group.count < 0:
                raise ValueError(
                    _("Agent group has an unknown skill or a negative count: ") + group.name
                )
        for rule in self.overflow_rules:
            if rule.from_queue not in names or rule.to_queue not in names:
                raise ValueError(_("Overflow rule names an unknown queue: ") + rule.from_queue)
        for deflection in self.deflections:
            if not 0 <= deflection.fraction <= 1 or (
                deflection.queue is not None and deflection.queue not in names
            ):
                raise ValueError(_("Deflection fraction must be in [0, 1] for a known queue."))


def with_plan(scenario: Scenario, plan: EmergencyPlan) -> Scenario:
    """The scenario with the plan's agents, overflow rules and deflections added."""
    return replace(
        scenario,
        agent_groups=[*scenario.agent_groups, *plan.extra_agents],
        overflow_rules=[*scenario.overflow_rules, *plan.overflow_rules],
        deflections=[*scenario.deflections, *plan.deflections],
    )


def scenario_from_dict(data: dict[str, Any]) -> Scenario:
    """Rebuild a scenario from ``dataclasses.asdict(scenario)`` (e.g. after a JSON round trip)."""
    queues = [
        QueueSpec(
            **{
                **q,
                "service": ServiceTime(**q["service"]),
                "rate_changes": [RatePeriod(**p) for p in q.get("rate_changes", [])],
            }
        )
        for q in data["queues"]
    ]
    return Scenario(
        **{
            **data,
            "queues": queues,
            "agent_groups": [AgentGroup(**g) for g in data["agent_groups"]],
            "overflow_rules": [OverflowRule(**r) for r in data.get("overflow_rules", [])],
            "deflections": [Deflection(**d) for d in data.get("deflections", [])],
        }
    )
