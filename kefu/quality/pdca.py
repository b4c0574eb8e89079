"""The PDCA improvement-action state machine (M38), in one place. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    PLAN = "plan"
    DO = "do"
    CHECK = "check"
    ACT = "act"
    CLOSED = "closed"


# Act either standardises (close) or starts another cycle (back to Plan).
LEGAL: dict[State, frozenset[State]] = {
    State.PLAN: frozenset({State.DO}),
    State.DO: frozenset({State.CHECK, State.PLAN}),
    State.CHECK: frozenset({State.ACT}),
    State.ACT: frozenset({State.CLOSED, State.PLAN}),
    State.CLOSED: frozenset(),
}


@dataclass(frozen=True)
class ActionFacts:
    state: State
    has_owner: bool
    has_due_date: bool
    has_kpi: bool
    has_plan: bool
    has_baseline: bool
    has_result: bool
    has_conclusion: bool


@dataclass(frozen=True)
class Violation:
    field: str
    message: str


def check_move(facts: ActionFacts, to: State | str) -> list[Violation]:
    """What stops the action moving to `to` (empty list = allowed)."""
    to = State(to)
    if to not in LEGAL[facts.state]:
        return [Violation("state", f"cannot move from {facts.state} to {to}")]
    out: list[Violation] = []
    if facts.state == State.PLAN and to == State.DO:
        for ok, name, text in (
            (facts.has_owner, "owner", "An action needs an owner before it starts."),
            (facts.has_due_date, "due_date", "An action needs a due date before it starts."),
            (facts.has_kpi, "kpi", "Name the KPI the action should move."),
            (facts.has_plan, "plan", "Describe the plan before it starts."),
            (facts.has_baseline, "baseline_value", "The KPI before the action is missing."),
        ):
            if not ok:
                out.append(Violation(name, text))
    if to == State.ACT and not facts.has_result:
        out.append(Violation("result_value", "Measure the KPI after the action first."))
    if facts.state == State.ACT and not facts.has_conclusion:
        out.append(Violation("conclusion", "Record what was learned and decided."))
    return out


def improvement(before: float | None, after: float | None, higher_is_better: bool) -> float | None:
    """Signed improvement of a KPI (positive = better), in the KPI's unit."""
    if before is None or after is None:
        return None
    return (after - before) if higher_is_better else (before - after)
