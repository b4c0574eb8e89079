"""The ticket state machine: statuses, complaint stages (LSPCAS) and the poka-yoke checks.

Pure: no Django import. The models and services describe a ticket as `TicketFacts`, ask
`check_transition`/`check_stage_advance` what stands in the way (for the UI) and call
`transition`/`advance_stage` to get the new facts (raising `TransitionError`).

References: LSPCAS complaint steps (Listen, Share, Problem, Check, Action, Satisfy) and the
4R responses (Regret, Reform, Restitution, Recovery) from /work/shared/reference
(crm-training-course.txt "客户抱怨处理步骤"; crm-ch9 "4R原则"); poka-yoke after Shingo (1986),
*Zero Quality Control: Source Inspection and the Poka-yoke System*. METHODS M13, M15, M21, M39.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


def _(message: str) -> str:
    """Mark a user-visible string for translation (Django's makemessages extracts it)."""
    return message


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer
    ON_HOLD = "on_hold"  # waiting on a third party (supplier, courier, another team)
    SOLVED = "solved"
    CLOSED = "closed"


class Stage(StrEnum):
    """LSPCAS complaint stages, in order (倾听 分担 问题 确认 行动 满意)."""

    LISTEN = "listen"
    SHARE = "share"
    PROBLEM = "problem"
    CHECK = "check"
    ACTION = "action"
    SATISFY = "satisfy"


class Kind(StrEnum):
    INQUIRY = "inquiry"
    REQUEST = "request"
    COMPLAINT = "complaint"
    PRAISE = "praise"  # praise & suggestion


class ResponseKind(StrEnum):
    """4R responses to a complaint (遗憾 改错 赔偿 纠正)."""

    REGRET = "regret"
    REFORM = "reform"
    RESTITUTION = "restitution"
    RECOVERY = "recovery"


class ThreeChange(StrEnum):
    """Three-change principle (三换原则): another person, another time, another channel."""

    PERSON = "person"
    TIME = "time"
    CHANNEL = "channel"


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)
STATUS_ORDER: tuple[Status, ...] = tuple(Status)

ILLEGAL_TRANSITION = "illegal_transition"
REQUIRED = "required"
HTTP_STATUS_BY_CODE: dict[str, int] = {ILLEGAL_TRANSITION: 409, REQUIRED: 422}

# The legal moves between statuses. CLOSED is final: a closed ticket is never reopened;
# `follow_up_facts` starts a new ticket linked to it instead.
LEGAL_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.SOLVED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED}),
    Status.SOLVED: frozenset({Status.CLOSED, Status.OPEN}),
    Status.CLOSED: frozenset(),
}

# Statuses that hand the ticket to a person: leaving NEW for one of them needs an assignee.
_STATUSES_NEEDING_ASSIGNEE = frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD})


@dataclass(frozen=True)
class TicketFacts:
    """What the services know about a ticket, as far as the workflow rules need it.

    kind, status: the ticket's kind and status.
    stage: the LSPCAS stage; complaints only (None for other kinds; a complaint given None
        starts at LISTEN).
    has_assignee: an agent (处理人) is assigned.
    public_reply_count: replies sent to the customer (internal notes do not count).
    problem_statement: what the customer said happened, in their words (5W2H "What").
    problem_confirmed_by_customer / problem_confirmed_by_company: both sides agree on the
        problem statement (LSPCAS Check: 客户方面确认, 我方确认).
    root_cause_category: the root-cause category chosen from the taxonomy (M23), or None.
    resolution: what was done to resolve the ticket (free text).
    response_kinds: the 4R responses recorded on a complaint (M15).
    granted_compensation_count: compensations approved and granted (M17/M18).
    pending_compensation_approvals: compensations waiting for an approver (M18).
    customer_confirmed: the customer said the matter is settled.
    satisfaction_answered: the customer answered the satisfaction survey.
    satisfaction_timed_out: the satisfaction survey expired without an answer.
    category: the ticket's category from the taxonomy, or None.
    failed_contact_count: contacts with the customer that did not move the complaint on (M21).
    three_changes_tried: which of the three changes were already made (M21).
    """

    kind: Kind
    status: Status = Status.NEW
    stage: Stage | None = None
    has_assignee: bool = False
    public_reply_count: int = 0
    problem_statement: str = ""
    problem_confirmed_by_customer: bool = False
    problem_confirmed_by_company: bool = False
    root_cause_category: str | None = None
    resolution: str = ""
    response_kinds: frozenset[ResponseKind] = field(default_factory=frozenset)
    granted_compensation_count: int = 0
    pending_compensation_approvals: int = 0
    customer_confirmed: bool = False
    satisfaction_answered: bool = False
    satisfaction_timed_out: bool = False
    category: str | None = None
    failed_contact_count: int = 0
    three_changes_tried: frozenset[ThreeChange] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        # Accept plain strings and any iterable from the services, store the enum types.
        object.__setattr__(self, "kind", Kind(self.kind))
        object.__setattr__(self, "status", Status(self.status))
        object.__setattr__(
            self, "response_kinds", frozenset(ResponseKind(r) for r in self.response_kinds)
        )
        object.__setattr__(
            self, "three_changes_tried", frozenset(ThreeChange(c) for c in self.three_changes_tried)
        )
        if self.kind == Kind.COMPLAINT:
            object.__setattr__(self, "stage", Stage(self.stage or Stage.LISTEN))
        elif self.stage is not None:
            raise ValueError(f"Only complaints have a stage; a {self.kind} has stage {self.stage}")
        for name in ("public_reply_count", "granted_compensation_count"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.pending_compensation_approvals < 0 or self.failed_contact_count < 0:
            raise ValueError("counts must not be negative")

    @property
    def is_complaint(self) -> bool:
        return self.kind == Kind.COMPLAINT


@dataclass(frozen=True)
class Violation:
    """One reason a move is refused: `code` is ILLEGAL_TRANSITION (409) or REQUIRED (422)."""

    code: str
    field: str
    message: str

    @property
    def http_status(self) -> int:
        return HTTP_STATUS_BY_CODE[self.code]


class TransitionError(Exception):
    """Raised by `transition`/`advance_stage`; carries the violations that refused the move."""

    def __init__(self, violations: Iterable[Violation]) -> None:
        self.violations: list[Violation] = list(violations)
        super().__init__("; ".join(f"{v.field}: {v.message}" for v in self.violations))

    @property
    def http_status(self) -> int:
        """409 when the move itself is illegal, else 422 (data missing for a legal move)."""
        if any(v.code == ILLEGAL_TRANSITION for v in self.violations):
            return HTTP_STATUS_BY_CODE[ILLEGAL_TRANSITION]
        return HTTP_STATUS_BY_CODE[REQUIRED]


def _stage_index(stage: Stage) -> int:
    return STAGE_ORDER.index(stage)


def _has_text(value: str | None) -> bool:
    return bool(value and value.strip())


def _satisfaction_settled(facts: TicketFacts) -> bool:
    return facts.customer_confirmed or facts.satisfaction_answered or facts.satisfaction_timed_out


# ---------------------------------------------------------------------------------------------
# Status transitions
# ---------------------------------------------------------------------------------------------


def _solve_violations(facts: TicketFacts) -> list[Violation]:
    found: list[Violation] = []
    if not _has_text(facts.resolution) and facts.public_reply_count == 0:
        found.append(
            Violation(
                REQUIRED,
                "resolution",
                _("Write a resolution or send the customer a reply before solving the ticket."),
            )
        )
    if not facts.is_complaint:
        return found
    if not _has_text(facts.root_cause_category):
        found.append(
            Violation(
                REQUIRED,
                "root_cause_category",
                _("Choose the root cause of the complaint before solving it."),
            )
        )
    if not _has_text(facts.resolution) and facts.public_reply_count > 0:
        # A reply is enough for other kinds; a complaint needs the resolution written down.
        found.append(
            Violation(
                REQUIRED,
                "resolution",
                _("Write down how the complaint was resolved before solving it."),
            )
        )
    if facts.pending_compensation_approvals > 0:
        found.append(
            Violation(
                REQUIRED,
                "pending_compensation_approvals",
                _("A compensation awaits approval; solve the complaint once it is decided."),
            )
        )
    if facts.stage is None or _stage_index(facts.stage) < _stage_index(Stage.ACTION):
        found.append(
            Violation(
                REQUIRED,
                "stage",
                _("Take the complaint through to the Action stage before solving it."),
            )
        )
    return found


def _close_violations(facts: TicketFacts) -> list[Violation]:
    if not facts.is_complaint:
        return []
    found: list[Violation] = []
    if facts.stage != Stage.SATISFY:
        found.append(
            Violation(
                REQUIRED,
                "stage",
                _("Move the complaint to the Satisfy stage before closing it."),
            )
        )
    if not _satisfaction_settled(facts):
        found.append(
            Violation(
                REQUIRED,
                "customer_confirmed",
                _(
                    "Record the customer's confirmation or satisfaction answer, or wait for the "
                    "satisfaction survey to time out, before closing the complaint."
                ),
            )
        )
    return found


def check_transition(facts: TicketFacts, to_status: Status | str) -> list[Violation]:
    """Return why `facts` may not move to `to_status` (empty list: the move is allowed)."""
    to_status = Status(to_status)
    if to_status not in LEGAL_TRANSITIONS[facts.status]:
        if facts.status == Status.CLOSED:
            message = _("A closed ticket is final; open a follow-up ticket instead.")
        elif to_status == facts.status:
            message = _("The ticket already has this status.")
        else:
            message = _("This status change is not allowed.")
        return [Violation(ILLEGAL_TRANSITION, "status", message)]
    found: list[Violation] = []
    if (
        facts.status == Status.NEW
        and to_status in _STATUSES_NEEDING_ASSIGNEE
        and not facts.has_assignee
    ):
        found.append(Violation(REQUIRED, "assignee", _("Assign the ticket to an agent first.")))
    if to_status == Status.SOLVED:
        found.extend(_solve_violations(facts))
    elif to_status == Status.CLOSED:
        found.extend(_close_violations(facts))
    return found


def transition(facts: TicketFacts, to_status: Status | str) -> TicketFacts:
    """Return the facts after moving to `to_status`; raise `TransitionError` if refused.

    Reopening (solved → open) clears the customer's confirmation and satisfaction answer, and
    a complaint in the Satisfy stage goes back to Action: what was done did not satisfy.
    """
    to_status = Status(to_status)
    violations = check_transition(facts, to_status)
    if violations:
        raise TransitionError(violations)
    if facts.status == Status.SOLVED and to_status == Status.OPEN:
        return dataclasses.replace(
            facts,
            status=to_status,
            stage=Stage.ACTION if facts.stage == Stage.SATISFY else facts.stage,
            customer_confirmed=False,
            satisfaction_answered=False,
            satisfaction_timed_out=False,
        )
    return dataclasses.replace(facts, status=to_status)


def reopen(facts: TicketFacts) -> TicketFacts:
    """Reopen a solved ticket (solved → open); same as `transition(facts, Status.OPEN)`."""
    if facts.status != Status.SOLVED:
        raise TransitionError(
            [
                Violation(
                    ILLEGAL_TRANSITION,
                    "status",
                    _("Only a solved ticket can be reopened; open a follow-up for a closed one."),
                )
            ]
        )
    return transition(facts, Status.OPEN)


def follow_up_facts(facts: TicketFacts) -> TicketFacts:
    """Facts of a new follow-up ticket for a closed one: same kind and category, all else new."""
    if facts.status != Status.CLOSED:
        raise TransitionError(
            [
                Violation(
                    ILLEGAL_TRANSITION,
                    "status",
                    _("Only a closed ticket gets a follow-up; reopen a solved ticket instead."),
                )
            ]
        )
    return TicketFacts(kind=facts.kind, category=facts.category)


def allowed_transitions(facts: TicketFacts) -> dict[Status, list[Violation]]:
    """For each status the table allows from here, the violations in the way (empty: allowed).

    The UI renders one button per key, disabled with the messages as the reason when not empty.
    """
    return {
        to_status: check_transition(facts, to_status)
        for to_status in STATUS_ORDER
        if to_status in LEGAL_TRANSITIONS[facts.status]
    }


# ---------------------------------------------------------------------------------------------
# Complaint stages (LSPCAS)
# ---------------------------------------------------------------------------------------------

_STAGE_EXIT_REQUIREMENTS: dict[Stage, tuple[tuple[str, str], ...]] = {
    Stage.LISTEN: (
        ("problem_statement", _("Write down what the customer says happened, in their words.")),
    ),
    Stage.SHARE: (
        ("public_reply_count", _("Reply to the customer, acknowledging the problem and feelings.")),
    ),
    Stage.PROBLEM: (
        ("problem_confirmed_by_company", _("Agree the problem statement on our side.")),
    ),
    Stage.CHECK: (
        ("problem_confirmed_by_customer", _("Have the customer confirm the problem statement.")),
        ("problem_confirmed_by_company", _("Confirm the problem statement on our side.")),
    ),
    Stage.ACTION: (
        (
            "response_kinds",
            _(
                "Record a response (regret, reform, restitution, recovery) or a "
                "granted compensation."
            ),
        ),
    ),
    Stage.SATISFY: (
        (
            "customer_confirmed",
            _(
                "Get the customer's confirmation or satisfaction answer (or let "
                "the survey time out), then close the complaint."
            ),
        ),
    ),
}


def _stage_requirement_met(facts: TicketFacts, field_name: str) -> bool:
    if field_name == "problem_statement":
        return _has_text(facts.problem_statement)
    if field_name == "public_reply_count":
        return facts.public_reply_count > 0
    if field_name == "response_kinds":
        return bool(facts.response_kinds) or facts.granted_compensation_count > 0
    if field_name == "customer_confirmed":
        return _satisfaction_settled(facts)
    return bool(getattr(facts, field_name))


def stage_requirements(stage: Stage | str) -> list[tuple[str, str]]:
    """What must be recorded before leaving `stage`, as (field, message) for the UI stepper."""
    return list(_STAGE_EXIT_REQUIREMENTS[Stage(stage)])


def unmet_stage_requirements(facts: TicketFacts) -> list[tuple[str, str]]:
    """The exit requirements of the complaint's current stage that are not met yet."""
    if facts.stage is None:
        return []
    return [
        (name, message)
        for name, message in _STAGE_EXIT_REQUIREMENTS[facts.stage]
        if not _stage_requirement_met(facts, name)
    ]


def check_stage_advance(
    facts: TicketFacts, to_stage: Stage | str, *, reason: str = ""
) -> list[Violation]:
    """Return why the complaint may not move to `to_stage` (empty list: allowed).

    Forward one stage when the current stage's exit requirements are met; back one stage with a
    reason. Satisfy is left only by closing the ticket.
    """
    to_stage = Stage(to_stage)
    if facts.stage is None:
        return [Violation(ILLEGAL_TRANSITION, "stage", _("Only complaints have stages."))]
    if facts.status == Status.CLOSED:
        return [Violation(ILLEGAL_TRANSITION, "stage", _("A closed complaint's stage is final."))]
    step = _stage_index(to_stage) - _stage_index(facts.stage)
    if step == 1:
        return [
            Violation(REQUIRED, name, message) for name, message in unmet_stage_requirements(facts)
        ]
    if step == -1:
        if facts.status == Status.SOLVED and _stage_index(to_stage) < _stage_index(Stage.ACTION):
            return [
                Violation(
                    ILLEGAL_TRANSITION,
                    "stage",
                    _("Reopen the complaint before taking it back before the Action stage."),
                )
            ]
        if not reason.strip():
            return [Violation(REQUIRED, "reason", _("Say why the complaint goes back a stage."))]
        return []
    if step == 0:
        message = _("The complaint is already in this stage.")
    elif facts.stage == Stage.SATISFY:
        message = _("The Satisfy stage is left only by closing the complaint.")
    else:
        message = _("Complaints move one stage at a time.")
    return [Violation(ILLEGAL_TRANSITION, "stage", message)]


def advance_stage(facts: TicketFacts, to_stage: Stage | str, *, reason: str = "") -> TicketFacts:
    """Return the facts with the complaint in `to_stage`; raise `TransitionError` if refused."""
    violations = check_stage_advance(facts, to_stage, reason=reason)
    if violations:
        raise TransitionError(violations)
    return dataclasses.replace(facts, stage=Stage(to_stage))


# ---------------------------------------------------------------------------------------------
# Three-change principle (M21)
# ---------------------------------------------------------------------------------------------

DEFAULT_FAILED_CONTACT_THRESHOLD = 3


def three_change_suggestions(
    facts: TicketFacts, *, failed_contact_threshold: int = DEFAULT_FAILED_CONTACT_THRESHOLD
) -> list[ThreeChange]:
    """Changes (person, time, channel) to suggest for a stuck complaint, not yet tried.

    Suggested once `failed_contact_count` reaches the threshold on an unsolved complaint
    (三换原则 — 换人、换时、换地点, crm-training-course.txt).
    """
    if (
        not facts.is_complaint
        or facts.status in (Status.SOLVED, Status.CLOSED)
        or facts.failed_contact_count < failed_contact_threshold
    ):
        return []
    return [change for change in ThreeChange if change not in facts.three_changes_tried]
