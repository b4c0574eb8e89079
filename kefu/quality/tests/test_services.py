"""Services: evaluations with auto-fail coaching, disputes, mystery contacts, calibration,
targets and PDCA actions — validation, permissions and audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from kefu.core.errors import Conflict, ValidationFailed
from kefu.core.models import AuditEvent
from kefu.quality import selectors, services
from kefu.quality.models import CoachingRecord, Evaluation, KpiTarget
from kefu.quality.tests.factories import make_team, worked_ticket

pytestmark = pytest.mark.django_db


def _all_met(rubric, over=None):
    values = {c.pk: 1.0 for c in selectors.rubric_criteria(rubric)}
    values.update(over or {})
    return values


def test_8f_starter_rubric_is_weighted_and_idempotent(qa, rubric):
    criteria = selectors.rubric_criteria(rubric)
    assert len(criteria) == 10
    assert sum(c.auto_fail for c in criteria) == 2
    assert all(c.competency_id for c in criteria)
    assert services.rubric_create_8f(actor=qa) == rubric


def test_evaluation_scores_with_weights(qa, agent, rubric):
    ticket = worked_ticket(agent)
    criteria = selectors.rubric_criteria(rubric)
    partly = next(c for c in criteria if not c.auto_fail)
    evaluation = services.evaluation_create(
        actor=qa, ticket=ticket, rubric=rubric, values=_all_met(rubric, {partly.pk: 0.5})
    )
    total = sum(c.weight for c in criteria)
    assert evaluation.score == pytest.approx(100 * (total - partly.weight / 2) / total)
    assert evaluation.agent == agent and not evaluation.auto_failed
    assert AuditEvent.objects.filter(action="quality.evaluation_created").count() == 1


def test_auto_fail_opens_coaching_at_once(qa, agent, rubric):
    ticket = worked_ticket(agent)
    critical = next(c for c in selectors.rubric_criteria(rubric) if c.auto_fail)
    evaluation = services.evaluation_create(
        actor=qa, ticket=ticket, rubric=rubric, values=_all_met(rubric, {critical.pk: 0.0})
    )
    assert evaluation.score == 0 and evaluation.auto_failed
    coaching = CoachingRecord.objects.get()
    assert coaching.agent == agent and coaching.criterion == critical
    assert coaching.due_at <= timezone.now() + dt.timedelta(days=services.COACHING_DAYS)


def test_every_criterion_must_be_scored_and_agents_cannot_evaluate(qa, agent, rubric):
    ticket = worked_ticket(agent)
    values = _all_met(rubric)
    missing = values.popitem()[0]
    with pytest.raises(ValidationFailed) as exc:
        services.evaluation_create(actor=qa, ticket=ticket, rubric=rubric, values=values)
    assert f"criterion_{missing}" in exc.value.fields
    with pytest.raises(PermissionDenied):
        services.evaluation_create(
            actor=agent, ticket=ticket, rubric=rubric, values=_all_met(rubric)
        )


def test_dispute_by_the_agent_resolved_by_a_supervisor(qa, agent, supervisor, make_user, rubric):
    evaluation = services.evaluation_create(
        actor=qa, ticket=worked_ticket(agent), rubric=rubric, values=_all_met(rubric)
    )
    other = make_user("agent")
    with pytest.raises(PermissionDenied):
        services.dispute_raise(actor=other, evaluation=evaluation, reason="not mine")
    with pytest.raises(ValidationFailed):
        services.dispute_raise(actor=agent, evaluation=evaluation, reason=" ")
    dispute = services.dispute_raise(actor=agent, evaluation=evaluation, reason="客户已确认")
    assert Evaluation.objects.get().state == "disputed"
    with pytest.raises(PermissionDenied):
        services.dispute_resolve(actor=agent, dispute=dispute, upheld=False, resolution="x")
    with pytest.raises(ValidationFailed):
        services.dispute_resolve(actor=supervisor, dispute=dispute, upheld=True, resolution="ok")
    services.dispute_resolve(
        actor=supervisor, dispute=dispute, upheld=True, resolution="同意", new_score=88
    )
    evaluation.refresh_from_db()
    assert evaluation.state == "final" and evaluation.score == 88
    dispute.refresh_from_db()
    assert dispute.original_score == 100 and dispute.state == "upheld"
    with pytest.raises(Conflict):
        services.dispute_resolve(actor=supervisor, dispute=dispute, upheld=False, resolution="x")


def test_calibration_scores_are_kept_out_of_agent_kpis(qa, supervisor, agent, rubric):
    ticket = worked_ticket(agent)
    session = services.calibration_create(actor=qa, ticket=ticket, rubric=rubric)
    criteria = selectors.rubric_criteria(rubric)
    services.evaluation_create(
        actor=qa, ticket=ticket, rubric=rubric, values=_all_met(rubric), calibration=session
    )
    services.evaluation_create(
        actor=supervisor,
        ticket=ticket,
        rubric=rubric,
        values=_all_met(rubric, {criteria[1].pk: 0.0}),
        calibration=session,
    )
    with pytest.raises(Conflict):
        services.evaluation_create(
            actor=qa, ticket=ticket, rubric=rubric, values=_all_met(rubric), calibration=session
        )
    frame = selectors.calibration_scores(session)
    assert frame.height == 2 * len(criteria)
    assert selectors.evaluation_list(qa).count() == 0
    today = timezone.localdate()
    report = selectors.kpi_report(level="company", period="day", start=today, end=today)
    assert report["qa_score"][0] is None


def test_mystery_contact_needs_a_scenario_and_is_unique(qa, agent):
    ticket = worked_ticket(agent)
    with pytest.raises(ValidationFailed) as exc:
        services.mystery_contact_create(actor=qa, ticket=ticket, shopper="张三", scenario="")
    assert "scenario" in exc.value.fields
    services.mystery_contact_create(actor=qa, ticket=ticket, shopper="张三", scenario="退货")
    with pytest.raises(Conflict):
        services.mystery_contact_create(actor=qa, ticket=ticket, shopper="李四", scenario="退货")


def test_company_target_split_to_teams_sums(manager, agent, make_user):
    make_team("A", members=[agent])
    make_team("B", members=[make_user("agent")])
    make_team("C")
    start, end = dt.date(2026, 1, 1), dt.date(2026, 1, 31)
    target = services.target_create(
        actor=manager, kpi="tickets_solved", start=start, end=end, value=1000
    )
    children = services.target_decompose(actor=manager, target=target, method="share", weights={})
    assert len(children) == 3
    assert sum(c.value for c in children) == pytest.approx(1000)
    rate = services.target_create(actor=manager, kpi="csat", start=start, end=end, value=90)
    assert {
        c.value for c in services.target_decompose(actor=manager, target=rate, method="equal")
    } == {90}
    with pytest.raises(ValidationFailed) as exc:
        services.target_create(actor=manager, kpi="speed", start=start, end=end, value=1)
    assert "kpi" in exc.value.fields
    team_target = KpiTarget.objects.filter(level="team").first()
    agents = services.target_decompose(actor=manager, target=team_target, method="equal")
    assert [a.agent for a in agents] == list(team_target.team.members.all())


def test_pdca_action_measures_before_and_after(manager, supervisor, agent):
    action = services.action_create(actor=manager, title="提速", kpi="tickets_solved")
    with pytest.raises(ValidationFailed) as exc:
        services.action_move(actor=manager, action=action, to_state="do", expected_version=1)
    assert {"owner", "due_date", "plan"} <= set(exc.value.fields)
    services.action_update(
        actor=manager,
        action=action,
        expected_version=1,
        changes={"owner": supervisor, "due_date": dt.date(2026, 12, 31), "plan": "早高峰加人"},
    )
    action = services.action_move(actor=manager, action=action, to_state="do", expected_version=2)
    assert action.state == "do" and action.baseline_value == 0  # nothing solved before
    worked_ticket(agent)
    worked_ticket(agent)
    action = services.action_move(
        actor=manager, action=action, to_state="check", expected_version=action.version
    )
    assert action.result_value == 2
    action = services.action_move(
        actor=manager, action=action, to_state="act", expected_version=action.version
    )
    with pytest.raises(ValidationFailed):
        services.action_move(
            actor=manager, action=action, to_state="closed", expected_version=action.version
        )
    action = services.action_move(
        actor=manager,
        action=action,
        to_state="plan",
        expected_version=action.version,
        conclusion="有效，但需覆盖午间",
    )
    assert action.state == "plan" and action.cycle == 2 and action.result_value is None
    with pytest.raises(Conflict):
        services.action_move(actor=manager, action=action, to_state="do", expected_version=1)
    with pytest.raises(PermissionDenied):
        services.action_create(actor=agent, title="x", kpi="csat")


def test_training_assignment_and_care_settings(supervisor, agent, rubric):
    from kefu.quality.models import Competency

    competency = Competency.objects.first()
    item = services.training_item_create(actor=supervisor, competency=competency, title="同理心")
    assignment = services.training_assign(actor=supervisor, agent=agent, item=item)
    assert services.training_assign(actor=supervisor, agent=agent, item=item) == assignment
    services.training_complete(actor=agent, assignment=assignment)
    assert assignment.completed_at is not None
    settings = services.care_settings_update(actor=supervisor, max_consecutive_difficult=3)
    assert settings.max_consecutive_difficult == 3
    with pytest.raises(ValidationFailed):
        services.care_settings_update(actor=supervisor, max_tickets_per_day=-1)
