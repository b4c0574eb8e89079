"""Survey services against the real database: builder, tokens, validation, skip logic,
post-resolution surveys (sampling, throttling), low-score follow-up tickets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from kefu.core.errors import Conflict, NotFound, ValidationFailed
from kefu.core.models import AuditEvent
from kefu.customers.models import ContactPoint
from kefu.surveys import services, tasks
from kefu.surveys.models import Answer, Invitation, InvitationState, Response, SurveyStatus
from kefu.surveys.tests.factories import published, question, submit
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Ticket, TicketKind
from kefu.tickets.tests.factories import make_customer, make_team, make_ticket

pytestmark = pytest.mark.django_db


def _customer_with_email(email="li@example.com", **fields):
    customer = make_customer(**fields)
    ContactPoint.objects.create(
        customer=customer, kind="email", value=email, normalized=email, is_primary=True
    )
    return customer


# --------------------------------------------------------------------------- builder


def test_instrument_templates_create_adaptable_drafts(manager):
    survey = services.survey_create_from_instrument(actor=manager, instrument="servqual")
    assert survey.status == SurveyStatus.DRAFT
    matrices = list(survey.questions.filter(kind="matrix"))
    assert len(matrices) == 5
    assert sum(len(q.items) for q in matrices) == 22
    assert {c["id"] for c in matrices[0].columns} == {"expectation", "perception"}
    assert survey.importance_points == dict.fromkeys(
        ["tangibles", "reliability", "responsiveness", "assurance", "empathy"], 20
    )
    employee = services.survey_create_from_instrument(actor=manager, instrument="employee")
    assert employee.anonymous and employee.audience == "employees"
    assert AuditEvent.objects.filter(action="survey.created").count() == 2


def test_publish_needs_questions_and_stale_version_is_refused(manager):
    survey = services.survey_create(actor=manager, title_en="Empty")
    with pytest.raises(ValidationFailed) as error:
        services.survey_publish(actor=manager, survey=survey, expected_version=survey.version)
    assert "questions" in error.value.fields
    services.question_add(actor=manager, survey=survey, kind="likert5", text_en="Happy?")
    stale = survey.version
    services.survey_update(
        actor=manager, survey=survey, expected_version=stale, changes={"title_zh": "空"}
    )
    with pytest.raises(Conflict):
        services.survey_publish(actor=manager, survey=survey, expected_version=stale)


def test_question_validation_names_the_field(manager):
    survey = services.survey_create(actor=manager, title_en="T")
    with pytest.raises(ValidationFailed) as error:
        services.question_add(
            actor=manager, survey=survey, kind="single", text_en="Pick", choices=[{"id": "a"}]
        )
    assert "choices" in error.value.fields
    with pytest.raises(ValidationFailed) as error:
        services.question_add(actor=manager, survey=survey, kind="text")
    assert "text_en" in error.value.fields


def test_move_up_and_down_and_conditions_keep_their_order(manager):
    survey = services.survey_create_from_instrument(actor=manager, instrument="csat")
    csat, _why, ces = services.survey_questions(survey)
    services.question_move(actor=manager, question=ces, direction="up")
    assert [q.code for q in services.survey_questions(survey)] == ["csat", "ces", "why_low"]
    services.question_move(actor=manager, question=csat, direction="down")
    assert [q.code for q in services.survey_questions(survey)] == ["ces", "csat", "why_low"]
    with pytest.raises(ValidationFailed):  # "why_low" depends on "csat": cannot go above it
        services.question_move(actor=manager, question=csat, direction="down")
    assert [q.code for q in services.survey_questions(survey)] == ["ces", "csat", "why_low"]


# --------------------------------------------------------------------------- tokens


def test_invitation_token_one_response_then_replay_is_refused(manager):
    survey = published(manager, "csat")
    customer = _customer_with_email()
    invitation = services.invitation_create(actor=manager, survey=survey, customer=customer)
    token = services.invitation_token(invitation)
    resolved, found = services.resolve_token(token)
    assert (resolved.pk, found.pk) == (survey.pk, invitation.pk)
    submit(survey, {"csat": 4}, invitation=invitation)
    with pytest.raises(Conflict) as replay:
        submit(survey, {"csat": 5}, invitation=invitation)
    assert replay.value.code == "already_answered"
    assert Response.objects.filter(survey=survey, submitted_at__isnull=False).count() == 1
    assert Answer.objects.get(question__code="csat").value == 4
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.RESPONDED


def test_expired_and_tampered_tokens(manager):
    survey = published(manager, "csat")
    invitation = services.invitation_create(actor=manager, survey=survey, send=False)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    invitation.refresh_from_db()
    with pytest.raises(Conflict) as expired:
        submit(survey, {"csat": 4}, invitation=invitation)
    assert expired.value.code == "expired"
    token = services.invitation_token(invitation)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(NotFound):
        services.resolve_token(tampered)
    key, signature = token.split(":")
    with pytest.raises(NotFound):  # someone else's key with this signature
        services.resolve_token(f"{key[:-1]}x:{signature}")


def test_public_link_form_key_counts_once(manager):
    survey = published(manager, "nps")
    services.survey_update(
        actor=manager,
        survey=survey,
        expected_version=survey.version,
        changes={"public_link_enabled": True},
    )
    resolved, invitation = services.resolve_token(services.public_token(survey))
    assert resolved.pk == survey.pk and invitation is None
    key = services.submission_key_from(services.submission_token())
    nps = question(survey, "nps")
    services.response_save(survey=survey, data={f"q{nps.pk}": "9"}, submission_key=key)
    with pytest.raises(Conflict):
        services.response_save(survey=survey, data={f"q{nps.pk}": "9"}, submission_key=key)
    with pytest.raises(ValidationFailed):
        services.submission_key_from("forged:signature")
    assert survey.responses.count() == 1


def test_closed_survey_takes_no_answers(manager):
    survey = published(manager, "csat")
    services.survey_close(actor=manager, survey=survey, expected_version=survey.version)
    with pytest.raises(Conflict) as closed:
        submit(survey, {"csat": 4})
    assert closed.value.code == "survey_closed"


# --------------------------------------------------------------------------- validation


def test_required_and_range_errors_name_the_question(manager):
    survey = published(manager, "csat")
    csat, ces = question(survey, "csat"), question(survey, "ces")
    with pytest.raises(ValidationFailed) as missing:
        submit(survey, {"ces": 5})
    assert missing.value.fields == {
        f"q{csat.pk}": [
            "1. How satisfied are you with how we handled your request?: an answer is required."
        ]
    }
    with pytest.raises(ValidationFailed) as out_of_range:
        submit(survey, {"csat": 4, "ces": 8})
    assert "from 1 to 7" in out_of_range.value.fields[f"q{ces.pk}"][0]
    assert out_of_range.value.fields[f"q{ces.pk}"][0].startswith("3. ")
    assert Response.objects.count() == 0  # nothing half-written


def test_choice_ids_are_checked(manager):
    survey = services.survey_create(actor=manager, title_en="Choices")
    single = services.question_add(
        actor=manager,
        survey=survey,
        kind="single",
        text_en="Channel?",
        code="channel",
        choices=[{"id": "phone", "en": "Phone"}, {"id": "mail", "en": "Mail"}],
    )
    services.question_add(
        actor=manager,
        survey=survey,
        kind="multi",
        text_en="Topics?",
        code="topics",
        choices=[{"id": "a"}, {"id": "b"}, {"id": "c"}],
    )
    survey = services.survey_publish(actor=manager, survey=survey, expected_version=1)
    with pytest.raises(ValidationFailed) as unknown:
        submit(survey, {"channel": "fax"})
    assert "listed options" in unknown.value.fields[f"q{single.pk}"][0]
    response = submit(survey, {"channel": "phone", "topics": ["a", "c"]})
    assert sorted(response.answers.values_list("choice_ids", flat=True), key=len) == [
        ["phone"],
        ["a", "c"],
    ]


def test_skip_logic_drops_answers_to_hidden_questions(manager):
    survey = published(manager, "csat")
    satisfied = submit(survey, {"csat": 5, "why_low": "nothing"})
    assert not satisfied.answers.filter(question__code="why_low").exists()
    unhappy = submit(survey, {"csat": 2, "why_low": "too slow"})
    assert unhappy.answers.get(question__code="why_low").text == "too slow"


def test_skip_logic_required_only_when_shown(manager):
    survey = services.survey_create(actor=manager, title_en="Skip")
    score = services.question_add(actor=manager, survey=survey, kind="likert5", text_en="Score")
    services.question_add(
        actor=manager,
        survey=survey,
        kind="text",
        text_en="Why?",
        code="why",
        required=True,
        show_if_question=score,
        show_if_operator="le",
        show_if_value=2,
    )
    survey = services.survey_publish(actor=manager, survey=survey, expected_version=1)
    data = {f"q{score.pk}": "4"}
    assert services.response_save(survey=survey, data=data, submission_key="k1").submitted_at
    with pytest.raises(ValidationFailed) as error:
        services.response_save(survey=survey, data={f"q{score.pk}": "1"}, submission_key="k2")
    assert "an answer is required" in next(iter(error.value.fields.values()))[0]


def test_partial_save_then_submit_counts_once(manager):
    survey = published(manager, "servqual")
    invitation = services.invitation_create(actor=manager, survey=survey, send=False)
    draft = submit(
        survey,
        {"sq_tangibles": {"T1": {"expectation": 7, "perception": 5}}},
        invitation=invitation,
        partial=True,
    )
    assert draft.submitted_at is None and draft.answers.count() == 2
    with pytest.raises(ValidationFailed):  # the matrices are required on submit
        submit(survey, {"sq_tangibles": {"T1": {"expectation": 7}}}, invitation=invitation)
    answers = {
        q.code: {i["id"]: {"expectation": 6, "perception": 5} for i in q.items}
        for q in survey.questions.filter(kind="matrix")
    }
    final = submit(survey, answers, invitation=invitation)
    assert final.pk == draft.pk and final.submitted_at is not None
    assert final.answers.count() == 44


def test_points_must_sum_to_100(manager):
    survey = published(manager, "servqual")
    matrices = {
        q.code: {i["id"]: {"expectation": 6, "perception": 5} for i in q.items}
        for q in survey.questions.filter(kind="matrix")
    }
    with pytest.raises(ValidationFailed) as error:
        submit(survey, {**matrices, "importance": {"tangibles": 50, "empathy": 40}})
    assert "add up to 100" in next(iter(error.value.fields.values()))[0]


# --------------------------------------------------------------------------- post-resolution


def _solve(agent, ticket) -> Ticket:
    ticket = Ticket.objects.get(pk=ticket.pk)
    ticket = ticket_services.ticket_update(
        actor=agent,
        ticket=ticket,
        expected_version=ticket.version,
        changes={"resolution": "Replaced the charger."},
    )
    return ticket_services.ticket_transition(
        actor=agent, ticket=ticket, to_status="solved", expected_version=ticket.version
    )


@pytest.fixture
def agent(make_user):
    return make_user("agent", username="lina")


def test_solving_a_ticket_schedules_the_survey_and_the_dispatcher_sends_it(manager, agent):
    survey = published(manager, "csat")
    services.auto_rule_save(actor=manager, survey=survey, delay_minutes=30, min_days_between=30)
    team = make_team(members=[agent])
    customer = _customer_with_email()
    ticket = make_ticket(agent, customer=customer, assignee=agent, team=team, channel="phone")
    _solve(agent, ticket)
    invitation = Invitation.objects.get(survey=survey)
    assert invitation.ticket_id == ticket.pk and invitation.automatic
    assert invitation.state == InvitationState.SCHEDULED
    assert invitation.send_after > timezone.now() + dt.timedelta(minutes=29)
    assert tasks.dispatch_due() == 0 and not mail.outbox  # not due yet
    Invitation.objects.filter(pk=invitation.pk).update(send_after=timezone.now())
    assert tasks.dispatch_due() == 1
    assert tasks.dispatch_due() == 0  # idempotent
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["li@example.com"]
    assert "/s/" in mail.outbox[0].body
    # The answer carries the ticket's agent, team and channel for the breakdowns.
    invitation.refresh_from_db()
    response = submit(survey, {"csat": 5}, invitation=invitation)
    assert (response.agent_id, response.team_id, response.channel) == (agent.pk, team.pk, "phone")
    assert response.ticket_id == ticket.pk and response.customer_id == customer.pk


def test_at_most_one_automatic_survey_per_customer_per_period(
    manager, agent, django_capture_on_commit_callbacks
):
    survey = published(manager, "csat")
    services.auto_rule_save(actor=manager, survey=survey, delay_minutes=0, min_days_between=30)
    customer = _customer_with_email()
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            _solve(agent, make_ticket(agent, customer=customer, assignee=agent))
    assert Invitation.objects.filter(survey=survey).count() == 1
    assert len(mail.outbox) == 1  # no delay: sent at once
    Invitation.objects.update(created_at=timezone.now() - dt.timedelta(days=31))
    _solve(agent, make_ticket(agent, customer=customer, assignee=agent))
    assert Invitation.objects.filter(survey=survey).count() == 2


def test_sampling_is_deterministic_and_near_the_rate():
    chosen = [services.sampled(7, ticket_id, 30) for ticket_id in range(1, 2001)]
    assert chosen == [services.sampled(7, ticket_id, 30) for ticket_id in range(1, 2001)]
    assert 500 <= sum(chosen) <= 700  # 30 % of 2000 = 600; binomial sd ≈ 20
    assert not any(services.sampled(7, t, 0) for t in range(100))
    assert all(services.sampled(7, t, 100) for t in range(100))


def test_sampling_rate_zero_invites_nobody(manager, agent):
    survey = published(manager, "csat")
    services.auto_rule_save(actor=manager, survey=survey, sampling_percent=0)
    _solve(agent, make_ticket(agent, customer=_customer_with_email(), assignee=agent))
    assert not Invitation.objects.exists()


def test_disabled_rule_or_draft_survey_invites_nobody(manager, agent):
    survey = services.survey_create_from_instrument(actor=manager, instrument="csat")
    services.auto_rule_save(actor=manager, survey=survey)  # survey still a draft
    published_survey = published(manager, "csat")
    services.auto_rule_save(actor=manager, survey=published_survey, enabled=False)
    _solve(agent, make_ticket(agent, customer=_customer_with_email(), assignee=agent))
    assert not Invitation.objects.exists()


# --------------------------------------------------------------------------- follow-up


def test_low_csat_opens_a_follow_up_complaint(manager, agent, django_capture_on_commit_callbacks):
    survey = published(manager, "csat", follow_up_low_scores=True)
    customer = _customer_with_email()
    ticket = make_ticket(agent, customer=customer, assignee=agent)
    invitation = services.invitation_create(actor=manager, survey=survey, ticket=ticket, send=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(
            survey, {"csat": 2, "why_low": "Nobody called back"}, invitation=invitation
        )
    response.refresh_from_db()
    follow_up = Ticket.objects.get(pk=response.follow_up_ticket_id)
    assert follow_up.customer_id == customer.pk and follow_up.kind == TicketKind.COMPLAINT
    assert ticket.public_id in follow_up.subject
    assert "Nobody called back" in follow_up.description
    assert services.follow_up_open(response_id=response.pk).pk == follow_up.pk  # idempotent
    assert Ticket.objects.filter(customer=customer).count() == 2


def test_good_scores_and_disabled_follow_up_open_nothing(
    manager, agent, django_capture_on_commit_callbacks
):
    customer = _customer_with_email()
    enabled = published(manager, "nps", follow_up_low_scores=True)
    disabled = published(manager, "csat")
    for survey, answers in ((enabled, {"nps": 7}), (disabled, {"csat": 1})):
        invitation = services.invitation_create(
            actor=manager, survey=survey, customer=customer, send=False
        )
        with django_capture_on_commit_callbacks(execute=True):
            submit(survey, answers, invitation=invitation)
    assert not Ticket.objects.filter(customer=customer).exists()
    detractor = services.invitation_create(
        actor=manager, survey=enabled, customer=customer, send=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        submit(enabled, {"nps": 6}, invitation=detractor)
    assert Ticket.objects.filter(customer=customer).count() == 1


def test_anonymous_survey_stores_no_person(manager, make_user):
    survey = published(manager, "employee")
    employee = make_user("agent", email="e@example.com")
    team = make_team(members=[employee])
    invitation = services.invitation_create(actor=manager, survey=survey, employee=employee)
    answers = {q.code: 4 for q in survey.questions.all()}
    response = submit(survey, answers, invitation=invitation)
    assert response.agent_id is None and response.invitation_id is None
    assert response.customer_id is None and response.team_id == team.pk
    with pytest.raises(Conflict):
        submit(survey, answers, invitation=invitation)


def test_copy_makes_an_editable_draft_with_conditions_remapped(manager):
    survey = published(manager, "csat")
    submit(survey, {"csat": 4})
    with pytest.raises(Conflict):
        services.question_add(actor=manager, survey=survey, kind="text", text_en="More?")
    copy = services.survey_copy(actor=manager, survey=survey)
    assert copy.status == SurveyStatus.DRAFT and copy.title_en == "How did we do? (copy)"
    why = copy.questions.get(code="why_low")
    assert why.show_if_question.survey_id == copy.pk
    assert why.show_if_question.code == "csat"
    services.question_add(actor=manager, survey=copy, kind="text", text_en="More?")
    assert copy.questions.count() == survey.questions.count() + 1
