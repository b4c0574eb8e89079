import dataclasses
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.tickets.workflow import (
    ILLEGAL_TRANSITION,
    REQUIRED,
    Kind,
    ResponseKind,
    Stage,
    Status,
    ThreeChange,
    TicketFacts,
    TransitionError,
    Violation,
    advance_stage,
    allowed_transitions,
    check_stage_advance,
    check_transition,
    follow_up_facts,
    reopen,
    stage_requirements,
    three_change_suggestions,
    transition,
    unmet_stage_requirements,
)

# Written out by hand from the brief, independently of workflow.LEGAL_TRANSITIONS.
LEGAL_PAIRS = {
    ("new", "open"),
    ("new", "pending"),
    ("new", "on_hold"),
    ("new", "solved"),
    ("open", "pending"),
    ("open", "on_hold"),
    ("open", "solved"),
    ("pending", "open"),
    ("pending", "on_hold"),
    ("pending", "solved"),
    ("on_hold", "open"),
    ("on_hold", "pending"),
    ("on_hold", "solved"),
    ("solved", "closed"),
    ("solved", "open"),
}
ALL_PAIRS = list(itertools.product([s.value for s in Status], repeat=2))


def complete_facts(kind: Kind, status: Status) -> TicketFacts:
    """Facts with every requirement met, so only the legality of a move can refuse it."""
    is_complaint = kind == Kind.COMPLAINT
    return TicketFacts(
        kind=kind,
        status=status,
        stage=Stage.SATISFY if is_complaint else None,
        has_assignee=True,
        public_reply_count=2,
        problem_statement="The parcel arrived broken.",
        problem_confirmed_by_customer=True,
        problem_confirmed_by_company=True,
        root_cause_category="delivery",
        resolution="Replacement sent.",
        response_kinds={ResponseKind.REGRET, ResponseKind.RESTITUTION},
        customer_confirmed=True,
        category="delivery",
    )


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
def test_every_status_pair_is_legal_or_illegal_as_in_the_table(kind, from_status, to_status):
    facts = complete_facts(kind, Status(from_status))
    violations = check_transition(facts, to_status)
    if (from_status, to_status) in LEGAL_PAIRS:
        assert violations == []
        assert transition(facts, to_status).status == to_status
    else:
        assert len(violations) == 1
        assert violations[0].code == ILLEGAL_TRANSITION
        assert violations[0].http_status == 409
        with pytest.raises(TransitionError) as raised:
            transition(facts, to_status)
        assert raised.value.http_status == 409


def test_closed_is_final_and_follow_up_starts_a_new_ticket():
    closed = complete_facts(Kind.COMPLAINT, Status.CLOSED)
    assert allowed_transitions(closed) == {}
    with pytest.raises(TransitionError):
        reopen(closed)
    follow_up = follow_up_facts(closed)
    assert follow_up.status == Status.NEW
    assert follow_up.stage == Stage.LISTEN
    assert follow_up.kind == Kind.COMPLAINT
    assert follow_up.category == "delivery"
    assert follow_up.resolution == "" and not follow_up.customer_confirmed
    with pytest.raises(TransitionError):
        follow_up_facts(complete_facts(Kind.COMPLAINT, Status.SOLVED))


def test_reopen_clears_confirmation_and_returns_complaint_to_action():
    solved = complete_facts(Kind.COMPLAINT, Status.SOLVED)
    reopened = reopen(solved)
    assert reopened.status == Status.OPEN
    assert reopened.stage == Stage.ACTION
    assert not reopened.customer_confirmed
    assert not reopened.satisfaction_answered and not reopened.satisfaction_timed_out
    assert reopened.resolution == solved.resolution
    with pytest.raises(TransitionError):
        reopen(complete_facts(Kind.INQUIRY, Status.OPEN))


# Each poka-yoke rule: (facts missing one thing, target status, violated field, the fix).
_complaint_at_action = dataclasses.replace(
    complete_facts(Kind.COMPLAINT, Status.OPEN), stage=Stage.ACTION
)
_complaint_solved = complete_facts(Kind.COMPLAINT, Status.SOLVED)
POKA_YOKE_CASES = [
    pytest.param(
        dataclasses.replace(_complaint_at_action, root_cause_category=None),
        Status.SOLVED,
        "root_cause_category",
        {"root_cause_category": "product"},
        id="complaint-solve-needs-root-cause",
    ),
    pytest.param(
        dataclasses.replace(_complaint_at_action, root_cause_category="   "),
        Status.SOLVED,
        "root_cause_category",
        {"root_cause_category": "product"},
        id="complaint-solve-blank-root-cause",
    ),
    pytest.param(
        dataclasses.replace(_complaint_at_action, resolution=""),
        Status.SOLVED,
        "resolution",
        {"resolution": "Refunded."},
        id="complaint-solve-needs-resolution-even-with-reply",
    ),
    pytest.param(
        dataclasses.replace(_complaint_at_action, pending_compensation_approvals=1),
        Status.SOLVED,
        "pending_compensation_approvals",
        {"pending_compensation_approvals": 0},
        id="complaint-solve-blocked-by-pending-approval",
    ),
    pytest.param(
        dataclasses.replace(_complaint_at_action, stage=Stage.CHECK),
        Status.SOLVED,
        "stage",
        {"stage": Stage.ACTION},
        id="complaint-solve-needs-action-stage",
    ),
    pytest.param(
        TicketFacts(kind=Kind.INQUIRY, status=Status.OPEN, has_assignee=True),
        Status.SOLVED,
        "resolution",
        {"resolution": "Answered by phone."},
        id="solve-needs-resolution",
    ),
    pytest.param(
        TicketFacts(kind=Kind.REQUEST, status=Status.OPEN, has_assignee=True),
        Status.SOLVED,
        "resolution",
        {"public_reply_count": 1},
        id="solve-accepts-public-reply",
    ),
    pytest.param(
        dataclasses.replace(_complaint_solved, customer_confirmed=False),
        Status.CLOSED,
        "customer_confirmed",
        {"customer_confirmed": True},
        id="complaint-close-customer-confirmed",
    ),
    pytest.param(
        dataclasses.replace(_complaint_solved, customer_confirmed=False),
        Status.CLOSED,
        "customer_confirmed",
        {"satisfaction_answered": True},
        id="complaint-close-satisfaction-answered",
    ),
    pytest.param(
        dataclasses.replace(_complaint_solved, customer_confirmed=False),
        Status.CLOSED,
        "customer_confirmed",
        {"satisfaction_timed_out": True},
        id="complaint-close-satisfaction-timed-out",
    ),
    pytest.param(
        dataclasses.replace(_complaint_solved, stage=Stage.ACTION),
        Status.CLOSED,
        "stage",
        {"stage": Stage.SATISFY},
        id="complaint-close-needs-satisfy-stage",
    ),
    *[
        pytest.param(
            TicketFacts(kind=Kind.INQUIRY),
            to_status,
            "assignee",
            {"has_assignee": True},
            id=f"new-to-{to_status}-needs-assignee",
        )
        for to_status in (Status.OPEN, Status.PENDING, Status.ON_HOLD)
    ],
]


@pytest.mark.parametrize(("facts", "to_status", "field", "fix"), POKA_YOKE_CASES)
def test_poka_yoke_rule_fails_then_passes_once_its_fact_is_set(facts, to_status, field, fix):
    violations = check_transition(facts, to_status)
    assert [(v.code, v.field) for v in violations] == [(REQUIRED, field)]
    assert violations[0].http_status == 422
    assert violations[0].message  # an English sentence for the UI
    with pytest.raises(TransitionError) as raised:
        transition(facts, to_status)
    assert raised.value.http_status == 422
    assert raised.value.violations == violations
    fixed = dataclasses.replace(facts, **fix)
    assert check_transition(fixed, to_status) == []
    assert transition(fixed, to_status).status == to_status


def test_a_complaint_missing_everything_lists_every_reason():
    facts = TicketFacts(kind=Kind.COMPLAINT, status=Status.OPEN, pending_compensation_approvals=2)
    fields = {v.field for v in check_transition(facts, Status.SOLVED)}
    assert fields == {
        "resolution",
        "root_cause_category",
        "pending_compensation_approvals",
        "stage",
    }


def test_non_complaints_close_without_satisfaction():
    for kind in (Kind.INQUIRY, Kind.REQUEST, Kind.PRAISE):
        solved = TicketFacts(kind=kind, status=Status.SOLVED)
        assert check_transition(solved, Status.CLOSED) == []


def test_new_ticket_can_be_solved_directly_without_assignee():
    facts = TicketFacts(kind=Kind.INQUIRY, public_reply_count=1)
    assert check_transition(facts, Status.SOLVED) == []


def test_allowed_transitions_lists_table_targets_with_reasons():
    facts = TicketFacts(kind=Kind.INQUIRY)
    allowed = allowed_transitions(facts)
    assert list(allowed) == [Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED]
    assert [v.field for v in allowed[Status.OPEN]] == ["assignee"]
    assert [v.field for v in allowed[Status.SOLVED]] == ["resolution"]
    ready = dataclasses.replace(facts, has_assignee=True, resolution="Done")
    assert all(violations == [] for violations in allowed_transitions(ready).values())


def test_strings_are_accepted_and_stored_as_enums():
    facts = TicketFacts(kind="complaint", status="open", response_kinds=["regret"])
    assert facts.kind is Kind.COMPLAINT and facts.status is Status.OPEN
    assert facts.stage is Stage.LISTEN
    assert facts.response_kinds == frozenset({ResponseKind.REGRET})
    with pytest.raises(ValueError):
        TicketFacts(kind="inquiry", stage="listen")
    with pytest.raises(ValueError):
        TicketFacts(kind="inquiry", status="archived")
    with pytest.raises(ValueError):
        TicketFacts(kind="inquiry", public_reply_count=-1)


# --- stages ----------------------------------------------------------------------------------

STAGES = list(Stage)
# For each stage: the facts that meet its exit requirements.
EXIT_FACTS = {
    Stage.LISTEN: {"problem_statement": "Charged twice for one order."},
    Stage.SHARE: {"public_reply_count": 1},
    Stage.PROBLEM: {"problem_confirmed_by_company": True},
    Stage.CHECK: {"problem_confirmed_by_customer": True, "problem_confirmed_by_company": True},
    Stage.ACTION: {"response_kinds": {ResponseKind.REFORM}},
}


def test_complaint_walks_through_all_stages_in_order():
    facts = TicketFacts(kind=Kind.COMPLAINT, status=Status.OPEN, has_assignee=True)
    assert facts.stage == Stage.LISTEN
    for current, following in itertools.pairwise(STAGES):
        assert facts.stage == current
        blocked = check_stage_advance(facts, following)
        assert blocked, f"{current} should need something before {following}"
        assert {v.code for v in blocked} == {REQUIRED}
        facts = dataclasses.replace(facts, **EXIT_FACTS[current])
        assert check_stage_advance(facts, following) == []
        facts = advance_stage(facts, following)
    assert facts.stage == Stage.SATISFY
    facts = transition(
        dataclasses.replace(facts, root_cause_category="billing", resolution="x"), Status.SOLVED
    )
    with pytest.raises(TransitionError) as raised:
        transition(facts, Status.CLOSED)
    assert raised.value.http_status == 422
    closed = transition(dataclasses.replace(facts, satisfaction_answered=True), Status.CLOSED)
    assert closed.status == Status.CLOSED


def test_check_stage_needs_both_confirmations():
    facts = TicketFacts(kind=Kind.COMPLAINT, stage=Stage.CHECK)
    assert {v.field for v in check_stage_advance(facts, Stage.ACTION)} == {
        "problem_confirmed_by_customer",
        "problem_confirmed_by_company",
    }
    only_customer = dataclasses.replace(facts, problem_confirmed_by_customer=True)
    assert [v.field for v in check_stage_advance(only_customer, Stage.ACTION)] == [
        "problem_confirmed_by_company"
    ]


def test_action_stage_accepts_a_granted_compensation_instead_of_a_4r_response():
    facts = TicketFacts(kind=Kind.COMPLAINT, stage=Stage.ACTION)
    assert [v.field for v in check_stage_advance(facts, Stage.SATISFY)] == ["response_kinds"]
    granted = dataclasses.replace(facts, granted_compensation_count=1)
    assert check_stage_advance(granted, Stage.SATISFY) == []


@pytest.mark.parametrize(("from_stage", "to_stage"), list(itertools.product(STAGES, repeat=2)))
def test_stage_moves_are_one_step_forward_or_back(from_stage, to_stage):
    everything = {k: v for extra in EXIT_FACTS.values() for k, v in extra.items()}
    facts = TicketFacts(kind=Kind.COMPLAINT, status=Status.OPEN, stage=from_stage, **everything)
    step = STAGES.index(to_stage) - STAGES.index(from_stage)
    violations = check_stage_advance(facts, to_stage, reason="Customer added new facts.")
    if step in (1, -1):
        assert violations == []
        assert advance_stage(facts, to_stage, reason="Customer added new facts.").stage == to_stage
    else:
        assert [(v.code, v.field) for v in violations] == [(ILLEGAL_TRANSITION, "stage")]


def test_going_back_needs_a_reason():
    facts = TicketFacts(kind=Kind.COMPLAINT, stage=Stage.PROBLEM)
    assert [(v.code, v.field) for v in check_stage_advance(facts, Stage.SHARE)] == [
        (REQUIRED, "reason")
    ]
    assert check_stage_advance(facts, Stage.SHARE, reason="  ") != []
    assert advance_stage(facts, Stage.SHARE, reason="Misheard the order number").stage == (
        Stage.SHARE
    )


def test_solved_complaint_cannot_go_back_before_action_and_closed_cannot_move():
    solved = dataclasses.replace(complete_facts(Kind.COMPLAINT, Status.SOLVED), stage=Stage.ACTION)
    assert check_stage_advance(solved, Stage.CHECK, reason="why")[0].code == ILLEGAL_TRANSITION
    at_satisfy = complete_facts(Kind.COMPLAINT, Status.SOLVED)
    assert check_stage_advance(at_satisfy, Stage.ACTION, reason="not satisfied") == []
    closed = complete_facts(Kind.COMPLAINT, Status.CLOSED)
    assert check_stage_advance(closed, Stage.ACTION, reason="x")[0].code == ILLEGAL_TRANSITION


@pytest.mark.parametrize("kind", [Kind.INQUIRY, Kind.REQUEST, Kind.PRAISE])
def test_non_complaint_kinds_skip_stages(kind):
    facts = TicketFacts(kind=kind, status=Status.OPEN, has_assignee=True, resolution="Done")
    assert facts.stage is None
    assert unmet_stage_requirements(facts) == []
    violations = check_stage_advance(facts, Stage.SHARE)
    assert [(v.code, v.field) for v in violations] == [(ILLEGAL_TRANSITION, "stage")]
    with pytest.raises(TransitionError):
        advance_stage(facts, Stage.SHARE)
    solved = transition(facts, Status.SOLVED)
    assert transition(solved, Status.CLOSED).status == Status.CLOSED


def test_stage_requirements_for_the_stepper():
    assert [f for f, _ in stage_requirements(Stage.LISTEN)] == ["problem_statement"]
    assert [f for f, _ in stage_requirements("check")] == [
        "problem_confirmed_by_customer",
        "problem_confirmed_by_company",
    ]
    for stage in Stage:
        requirements = stage_requirements(stage)
        assert requirements and all(isinstance(m, str) and m for _, m in requirements)
    facts = TicketFacts(kind=Kind.COMPLAINT, stage=Stage.SATISFY)
    assert [f for f, _ in unmet_stage_requirements(facts)] == ["customer_confirmed"]
    timed_out = dataclasses.replace(facts, satisfaction_timed_out=True)
    assert unmet_stage_requirements(timed_out) == []


# --- three-change principle --------------------------------------------------------------------


def test_three_change_is_suggested_after_threshold_failed_contacts():
    facts = TicketFacts(kind=Kind.COMPLAINT, status=Status.OPEN, failed_contact_count=2)
    assert three_change_suggestions(facts) == []
    stuck = dataclasses.replace(facts, failed_contact_count=3)
    assert three_change_suggestions(stuck) == [
        ThreeChange.PERSON,
        ThreeChange.TIME,
        ThreeChange.CHANNEL,
    ]
    tried = dataclasses.replace(stuck, three_changes_tried={"person"})
    assert three_change_suggestions(tried) == [ThreeChange.TIME, ThreeChange.CHANNEL]
    assert three_change_suggestions(stuck, failed_contact_threshold=5) == []
    assert three_change_suggestions(dataclasses.replace(stuck, status=Status.SOLVED)) == []
    inquiry = TicketFacts(kind=Kind.INQUIRY, failed_contact_count=9)
    assert three_change_suggestions(inquiry) == []


# --- properties --------------------------------------------------------------------------------

facts_strategy = st.builds(
    TicketFacts,
    kind=st.sampled_from(list(Kind)),
    status=st.sampled_from(list(Status)),
    has_assignee=st.booleans(),
    public_reply_count=st.integers(0, 3),
    problem_statement=st.sampled_from(["", "  ", "Broken"]),
    problem_confirmed_by_customer=st.booleans(),
    problem_confirmed_by_company=st.booleans(),
    root_cause_category=st.sampled_from([None, "", "product"]),
    resolution=st.sampled_from(["", "Fixed"]),
    response_kinds=st.frozensets(st.sampled_from(list(ResponseKind))),
    granted_compensation_count=st.integers(0, 2),
    pending_compensation_approvals=st.integers(0, 2),
    customer_confirmed=st.booleans(),
    satisfaction_answered=st.booleans(),
    satisfaction_timed_out=st.booleans(),
).map(
    lambda f: (
        f
        if f.kind != Kind.COMPLAINT
        else dataclasses.replace(f, stage=STAGES[(f.public_reply_count * 2) % len(STAGES)])
    )
)


@given(facts=facts_strategy, to_status=st.sampled_from(list(Status)))
def test_transition_succeeds_exactly_when_check_finds_nothing(facts, to_status):
    violations = check_transition(facts, to_status)
    assert all(isinstance(v, Violation) for v in violations)
    legal = (facts.status.value, to_status.value) in LEGAL_PAIRS
    assert any(v.code == ILLEGAL_TRANSITION for v in violations) == (not legal)
    if violations:
        with pytest.raises(TransitionError) as raised:
            transition(facts, to_status)
        assert raised.value.http_status == (422 if legal else 409)
    else:
        moved = transition(facts, to_status)
        assert moved.status == to_status
        assert moved.kind == facts.kind
        if to_status == Status.SOLVED and moved.stage is not None:
            assert STAGES.index(moved.stage) >= STAGES.index(Stage.ACTION)
            assert moved.root_cause_category and moved.resolution
            assert moved.pending_compensation_approvals == 0


@given(facts=facts_strategy, to_stage=st.sampled_from(STAGES), reason=st.sampled_from(["", "r"]))
def test_stage_changes_move_at_most_one_step(facts, to_stage, reason):
    if check_stage_advance(facts, to_stage, reason=reason):
        with pytest.raises(TransitionError):
            advance_stage(facts, to_stage, reason=reason)
        return
    moved = advance_stage(facts, to_stage, reason=reason)
    assert facts.stage is not None and moved.stage == to_stage
    assert abs(STAGES.index(moved.stage) - STAGES.index(facts.stage)) == 1
    if moved.status == Status.SOLVED and STAGES.index(facts.stage) >= STAGES.index(Stage.ACTION):
        # A solved complaint never drops below Action (only reopening allows that).
        assert STAGES.index(moved.stage) >= STAGES.index(Stage.ACTION)
