"""Writes of the surveys app (its services own its models).

Surveys and their questions, invitations (signed single-use links), responses (validated
server-side, never counted twice), the post-resolution survey and the low-score follow-up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record, diff, snapshot
from kefu.core.errors import Conflict, NotFound, ValidationFailed
from kefu.core.tasks import enqueue
from kefu.core.versioning import update_versioned
from kefu.surveys import aggregates, answering
from kefu.surveys.blueprints import blueprint
from kefu.surveys.models import (
    Answer,
    Audience,
    AutoSurveyRule,
    Instrument,
    Invitation,
    InvitationState,
    Question,
    QuestionKind,
    Response,
    Section,
    Survey,
    SurveyStatus,
)
from kefu.surveys.scoring import SERVQUAL_DIMENSIONS

INVITATION_SALT = "kefu.surveys.invitation"
PUBLIC_SALT = "kefu.surveys.public"
SUBMISSION_SALT = "kefu.surveys.submission"
SURVEY_FIELDS = (
    "title_en",
    "title_zh",
    "description_en",
    "description_zh",
    "anonymous",
    "min_group_size",
    "importance_points",
    "follow_up_low_scores",
    "public_link_enabled",
)
QUESTION_FIELDS = (
    "kind",
    "text_en",
    "text_zh",
    "help_en",
    "help_zh",
    "required",
    "metric",
    "dimension",
    "weight",
    "labels",
    "choices",
    "items",
    "columns",
    "scale_kind",
    "code",
    "section",
    "show_if_question",
    "show_if_operator",
    "show_if_value",
)


def _new_key() -> str:
    return secrets.token_urlsafe(16)[:22]


# --------------------------------------------------------------------------- tokens


def invitation_token(invitation: Invitation) -> str:
    """The signed token in an invitation link (/s/<token>/)."""
    return signing.Signer(salt=INVITATION_SALT).sign(invitation.key)


def public_token(survey: Survey) -> str:
    """The signed token of a survey's public (anonymous) link."""
    return "p." + signing.Signer(salt=PUBLIC_SALT).sign(survey.public_key)


def submission_token() -> str:
    """A fresh signed key for one public-link form; posting it twice finds it taken."""
    return signing.Signer(salt=SUBMISSION_SALT).sign(_new_key())


def submission_key_from(token: str) -> str:
    try:
        return signing.Signer(salt=SUBMISSION_SALT).unsign(token)
    except signing.BadSignature as exc:
        raise ValidationFailed(_("This form is not valid. Open the survey link again.")) from exc


def resolve_token(token: str) -> tuple[Survey, Invitation | None]:
    """Survey (and invitation) of a link token. NotFound for a bad or tampered token."""
    try:
        if token.startswith("p."):
            key = signing.Signer(salt=PUBLIC_SALT).unsign(token[2:])
            survey = Survey.objects.filter(public_key=key, public_link_enabled=True).first()
            if survey is None:
                raise NotFound(_("This survey link is not valid."), code="bad_token")
            return survey, None
        key = signing.Signer(salt=INVITATION_SALT).unsign(token)
    except signing.BadSignature as exc:
        raise NotFound(_("This survey link is not valid."), code="bad_token") from exc
    invitation = Invitation.objects.select_related("survey").filter(key=key).first()
    if invitation is None:
        raise NotFound(_("This survey link is not valid."), code="bad_token")
    return invitation.survey, invitation


def check_open(survey: Survey, invitation: Invitation | None, *, now=None) -> None:
    """Raise Conflict when the link may not take an answer: closed survey, expired, answered."""
    now = now or timezone.now()
    if survey.status != SurveyStatus.PUBLISHED:
        raise Conflict(_("This survey is closed."), code="survey_closed")
    if invitation is None:
        return
    if invitation.responded_at is not None:
        raise Conflict(_("Your answers were already received. Thank you!"), code="already_answered")
    if invitation.state == InvitationState.CANCELLED or invitation.expires_at <= now:
        raise Conflict(_("This survey link has expired."), code="expired")


# --------------------------------------------------------------------------- surveys


def _validate_survey(survey: Survey) -> None:
    if not (survey.title_en.strip() or survey.title_zh.strip()):
        raise ValidationFailed(
            _("A survey needs a title."),
            fields={"title_en": _("Give a title in at least one language.")},
        )
    points = survey.importance_points or {}
    if points:
        if set(points) != set(SERVQUAL_DIMENSIONS) or any(
            not isinstance(v, int | float) or v < 0 for v in points.values()
        ):
            raise ValidationFailed(
                _("Importance points need the five SERVQUAL dimensions."),
                fields={"importance_points": _("Give points for the five dimensions.")},
            )
        if abs(sum(points.values()) - 100) > 1e-6:
            raise ValidationFailed(
                _("Importance points must add up to 100."),
                fields={"importance_points": _("Must add up to 100.")},
            )
    if not 1 <= survey.min_group_size <= 100:
        raise ValidationFailed(
            _("The minimum group size must be from 1 to 100."),
            fields={"min_group_size": _("From 1 to 100.")},
        )


@transaction.atomic
def survey_create(*, actor, instrument: str = Instrument.CUSTOM, **fields: Any) -> Survey:
    """Create an empty draft survey."""
    unknown = set(fields) - set(SURVEY_FIELDS) - {"audience"}
    if unknown:
        raise ValidationFailed(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    if instrument not in Instrument.values:
        raise ValidationFailed(_("Unknown instrument."), fields={"instrument": _("Unknown.")})
    survey = Survey(instrument=instrument, public_key=_new_key(), created_by=actor, **fields)
    if survey.instrument == Instrument.EMPLOYEE:
        survey.anonymous, survey.audience = True, Audience.EMPLOYEES
    _validate_survey(survey)
    survey.full_clean(exclude=["public_key", "created_by"])
    survey.save()
    audit_record(
        actor=actor, action="survey.created", obj=survey, changes={"instrument": instrument}
    )
    return survey


@transaction.atomic
def survey_create_from_instrument(*, actor, instrument: str, **overrides: Any) -> Survey:
    """Instantiate a standard instrument (blueprints.py) as a draft the admin can adapt."""
    try:
        plan = blueprint(instrument)
    except KeyError as exc:
        raise ValidationFailed(
            _("Unknown instrument."), fields={"instrument": _("Unknown.")}
        ) from exc
    sections = plan.pop("sections")
    plan.update(overrides)
    survey = survey_create(actor=actor, instrument=instrument, **plan)
    by_code: dict[str, Question] = {}
    order = 0
    for section_order, spec in enumerate(sections):
        section = None
        if spec["title_en"] or spec["title_zh"]:
            section = Section.objects.create(
                survey=survey,
                order=section_order,
                title_en=spec["title_en"],
                title_zh=spec["title_zh"],
            )
        for question_spec in spec["questions"]:
            question_spec = dict(question_spec)
            show_if = question_spec.pop("show_if", None)
            order += 1
            question = Question(survey=survey, section=section, order=order, **question_spec)
            if show_if:
                code, operator, value = show_if
                question.show_if_question = by_code[code]
                question.show_if_operator, question.show_if_value = operator, value
            question.save()
            by_code[question.code] = question
    return survey


@transaction.atomic
def survey_update(
    *, actor, survey: Survey, expected_version: int, changes: Mapping[str, Any]
) -> Survey:
    """Edit a survey's texts and settings (409 when stale)."""
    unknown = set(changes) - set(SURVEY_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    before = snapshot(survey, changes)
    candidate = Survey(**{**snapshot(survey, SURVEY_FIELDS), **changes})
    candidate.min_group_size = int(candidate.min_group_size)
    _validate_survey(candidate)
    survey = update_versioned(survey, expected_version=expected_version, changes=dict(changes))
    audit_record(
        actor=actor,
        action="survey.updated",
        obj=survey,
        changes=diff(before, snapshot(survey, changes)),
    )
    return survey


def _set_status(*, actor, survey: Survey, expected_version: int, status: str, **extra) -> Survey:
    before = survey.status
    survey = update_versioned(
        survey, expected_version=expected_version, changes={"status": status, **extra}
    )
    audit_record(
        actor=actor, action=f"survey.{status}", obj=survey, changes={"status": [before, status]}
    )
    return survey


@transaction.atomic
def survey_publish(*, actor, survey: Survey, expected_version: int) -> Survey:
    """Open a survey for answers; it needs at least one question."""
    if survey.status == SurveyStatus.PUBLISHED:
        raise Conflict(_("The survey is already published."), code="already_published")
    if not survey.questions.exists():
        raise ValidationFailed(
            _("Add at least one question before publishing."),
            fields={"questions": _("No questions yet.")},
        )
    return _set_status(
        actor=actor,
        survey=survey,
        expected_version=expected_version,
        status=SurveyStatus.PUBLISHED,
        published_at=survey.published_at or timezone.now(),
        closed_at=None,
    )


@transaction.atomic
def survey_close(*, actor, survey: Survey, expected_version: int) -> Survey:
    """Stop taking answers (links then show "closed"); results stay."""
    if survey.status != SurveyStatus.PUBLISHED:
        raise Conflict(_("Only a published survey can be closed."), code="not_published")
    return _set_status(
        actor=actor,
        survey=survey,
        expected_version=expected_version,
        status=SurveyStatus.CLOSED,
        closed_at=timezone.now(),
    )


@transaction.atomic
def survey_copy(*, actor, survey: Survey) -> Survey:
    """A new draft with the same settings, sections and questions (skip conditions remapped),
    so a survey that already has responses can change in a new version."""
    copy = survey_create(
        actor=actor,
        instrument=survey.instrument,
        audience=survey.audience,
        **{
            **{name: getattr(survey, name) for name in SURVEY_FIELDS},
            "title_en": _("%(title)s (copy)") % {"title": survey.title_en}
            if survey.title_en
            else "",
            "title_zh": f"{survey.title_zh}(副本)" if survey.title_zh else "",
            "public_link_enabled": False,
        },
    )
    sections = {}
    for section in survey.sections.all():
        sections[section.pk] = Section.objects.create(
            survey=copy, order=section.order, title_en=section.title_en, title_zh=section.title_zh
        )
    questions = {}
    for question in survey.questions.order_by("order", "id"):
        condition = question.show_if_question_id
        old_pk = question.pk
        question.pk = None
        question.survey = copy
        question.section = sections.get(question.section_id)
        question.show_if_question = questions.get(condition)
        question.save()
        questions[old_pk] = question
    audit_record(actor=actor, action="survey.copied", obj=copy, changes={"from": survey.pk})
    return copy


@transaction.atomic
def survey_delete(*, actor, survey: Survey) -> None:
    """Delete a survey that has no submitted responses (else close it)."""
    if survey.responses.filter(submitted_at__isnull=False).exists():
        raise Conflict(_("A survey with responses cannot be deleted; close it instead."))
    audit_record(actor=actor, action="survey.deleted", obj=survey)
    survey.delete()


# --------------------------------------------------------------------------- questions


def _require_editable(survey: Survey) -> None:
    if survey.responses.filter(submitted_at__isnull=False).exists():
        raise Conflict(
            _("This survey already has responses; copy it to change its questions."),
            code="has_responses",
        )


def _validate_question(question: Question) -> None:
    fields: dict[str, str] = {}
    if not (question.text_en.strip() or question.text_zh.strip()):
        fields["text_en"] = _("Give the question in at least one language.")
    if question.kind not in QuestionKind.values:
        fields["kind"] = _("Unknown question type.")
    if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTI, QuestionKind.POINTS):
        ids = [str(c.get("id", "")) for c in question.choices]
        if len(ids) < 2 or len(set(ids)) != len(ids) or not all(ids):
            fields["choices"] = _("Give at least two options with distinct ids.")
    if question.kind == QuestionKind.MATRIX:
        ids = [str(i.get("id", "")) for i in question.items]
        if not ids or len(set(ids)) != len(ids) or not all(ids):
            fields["items"] = _("Give at least one row with distinct ids.")
        if question.scale_kind not in ("likert5", "likert7", "scale10"):
            fields["scale_kind"] = _("Choose a scale for the matrix.")
    condition = question.show_if_question
    if condition is not None:
        if condition.survey_id != question.survey_id or (
            question.pk and condition.pk == question.pk
        ):
            fields["show_if_question"] = _("Choose an earlier question of this survey.")
        elif condition.scale is None or condition.kind == QuestionKind.MATRIX:
            fields["show_if_question"] = _("The condition must be a scale question.")
        elif question.order and condition.order >= question.order:
            fields["show_if_question"] = _("Choose an earlier question of this survey.")
        if question.show_if_value is None:
            fields["show_if_value"] = _("Give the value of the condition.")
    if not question.weight >= 0:
        fields["weight"] = _("The weight cannot be negative.")
    if question.section is not None and question.section.survey_id != question.survey_id:
        fields["section"] = _("Choose a section of this survey.")
    if fields:
        raise ValidationFailed(_("Please correct the question."), fields=fields)


@transaction.atomic
def question_add(*, actor, survey: Survey, **fields: Any) -> Question:
    """Append a question to `survey` (draft or published without responses)."""
    _require_editable(survey)
    unknown = set(fields) - set(QUESTION_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    last = survey.questions.aggregate(last=Max("order"))["last"] or 0
    question = Question(survey=survey, order=last + 1, **fields)
    _validate_question(question)
    question.save()
    audit_record(
        actor=actor, action="survey.question_added", obj=survey, changes={"question": question.pk}
    )
    return question


@transaction.atomic
def question_update(*, actor, question: Question, changes: Mapping[str, Any]) -> Question:
    """Edit a question; refused once the survey has responses."""
    _require_editable(question.survey)
    unknown = set(changes) - set(QUESTION_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    for name, value in changes.items():
        setattr(question, name, value)
    _validate_question(question)
    question.save()
    audit_record(
        actor=actor,
        action="survey.question_updated",
        obj=question.survey,
        changes={"question": question.pk, "fields": sorted(changes)},
    )
    return question


@transaction.atomic
def question_move(*, actor, question: Question, direction: str) -> Question:
    """Swap a question with its neighbour ("up" or "down"); skip conditions stay valid."""
    survey = question.survey
    _require_editable(survey)
    ordered = list(survey.questions.order_by("order", "id"))
    index = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
    other_index = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other_index < len(ordered):
        return question
    other = ordered[other_index]
    first, second = (other, question) if direction == "up" else (question, other)
    if second.show_if_question_id == first.pk:
        raise ValidationFailed(
            _("A question cannot move above the question its condition depends on."),
            fields={"order": _("Remove the condition first.")},
        )
    ordered[index], ordered[other_index] = ordered[other_index], ordered[index]
    for position, item in enumerate(ordered, 1):
        item.order = position
    Question.objects.bulk_update(ordered, ["order"])
    audit_record(
        actor=actor,
        action="survey.question_moved",
        obj=survey,
        changes={"question": question.pk, "direction": direction},
    )
    return question


@transaction.atomic
def question_delete(*, actor, question: Question) -> None:
    _require_editable(question.survey)
    Question.objects.filter(show_if_question=question).update(
        show_if_question=None, show_if_value=None
    )
    audit_record(
        actor=actor,
        action="survey.question_deleted",
        obj=question.survey,
        changes={"question": question.pk},
    )
    question.delete()


@transaction.atomic
def section_add(*, actor, survey: Survey, title_en: str = "", title_zh: str = "") -> Section:
    if not (title_en.strip() or title_zh.strip()):
        raise ValidationFailed(
            _("A section needs a title."), fields={"title_en": _("This field is required.")}
        )
    last = survey.sections.aggregate(last=Max("order"))["last"] or 0
    section = Section.objects.create(
        survey=survey, order=last + 1, title_en=title_en, title_zh=title_zh
    )
    audit_record(
        actor=actor, action="survey.section_added", obj=survey, changes={"section": section.pk}
    )
    return section


@transaction.atomic
def section_update(*, actor, section: Section, title_en: str, title_zh: str) -> Section:
    if not (title_en.strip() or title_zh.strip()):
        raise ValidationFailed(
            _("A section needs a title."), fields={"title_en": _("This field is required.")}
        )
    section.title_en, section.title_zh = title_en.strip(), title_zh.strip()
    section.save(update_fields=["title_en", "title_zh"])
    audit_record(
        actor=actor,
        action="survey.section_updated",
        obj=section.survey,
        changes={"section": section.pk},
    )
    return section


@transaction.atomic
def section_delete(*, actor, section: Section) -> None:
    """Remove a section heading; its questions stay (without a section)."""
    _require_editable(section.survey)
    audit_record(
        actor=actor,
        action="survey.section_deleted",
        obj=section.survey,
        changes={"section": section.pk},
    )
    section.delete()


# --------------------------------------------------------------------------- invitations


def _customer_email(customer) -> str:
    from kefu.customers.models import ContactKind, ContactPoint

    contact = (
        ContactPoint.objects.filter(customer=customer, kind=ContactKind.EMAIL)
        .order_by("-is_primary", "id")
        .first()
    )
    return contact.normalized if contact else ""


@transaction.atomic
def invitation_create(
    *,
    actor,
    survey: Survey,
    customer=None,
    ticket=None,
    employee=None,
    email: str = "",
    expires_in_days: int = 14,
    send: bool = True,
) -> Invitation:
    """A personal link for one respondent (customer, ticket or employee); emailed when `send`."""
    if survey.status != SurveyStatus.PUBLISHED:
        raise Conflict(_("Publish the survey before inviting anyone."), code="not_published")
    if not 1 <= expires_in_days <= 365:
        raise ValidationFailed(
            _("The link must be valid for 1 to 365 days."),
            fields={"expires_in_days": _("From 1 to 365.")},
        )
    if ticket is not None and customer is None:
        customer = ticket.customer
    if not email:
        if customer is not None:
            email = _customer_email(customer)
        elif employee is not None:
            email = employee.email
    now = timezone.now()
    invitation = Invitation.objects.create(
        survey=survey,
        key=_new_key(),
        customer=customer,
        ticket=ticket,
        employee=employee,
        email=email,
        expires_at=now + dt.timedelta(days=expires_in_days),
        state=InvitationState.SCHEDULED if send and email else InvitationState.SENT,
        send_after=now if send and email else None,
        sent_at=None if send and email else now,
    )
    audit_record(
        actor=actor, action="survey.invited", obj=survey, changes={"invitation": invitation.pk}
    )
    if send and email:
        from kefu.surveys.tasks import send_invitation

        enqueue(send_invitation, invitation.pk)
    return invitation


@transaction.atomic
def invitations_create_for_employees(
    *, actor, survey: Survey, users, expires_in_days: int = 14
) -> int:
    """Invite staff members (employee survey / self-assessment); returns how many were invited."""
    count = 0
    for user in users:
        invitation_create(
            actor=actor, survey=survey, employee=user, expires_in_days=expires_in_days
        )
        count += 1
    return count


def invitation_mark_sent(invitation_id: int) -> bool:
    """Compare-and-set scheduled → sent; False when another worker already sent it."""
    return bool(
        Invitation.objects.filter(pk=invitation_id, state=InvitationState.SCHEDULED).update(
            state=InvitationState.SENT, sent_at=timezone.now()
        )
    )


@transaction.atomic
def auto_rule_save(*, actor, survey: Survey, **fields: Any) -> AutoSurveyRule:
    """Create or change the post-resolution rule of a survey (delay, sampling, throttle)."""
    allowed = {
        "enabled",
        "delay_minutes",
        "sampling_percent",
        "min_days_between",
        "expires_after_days",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationFailed(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    errors = {}
    if not 0 <= int(fields.get("sampling_percent", 100)) <= 100:
        errors["sampling_percent"] = _("From 0 to 100.")
    if not 0 <= int(fields.get("delay_minutes", 0)) <= 60 * 24 * 30:
        errors["delay_minutes"] = _("From 0 to 43200 minutes (30 days).")
    if not 1 <= int(fields.get("expires_after_days", 14)) <= 365:
        errors["expires_after_days"] = _("From 1 to 365.")
    if not 0 <= int(fields.get("min_days_between", 30)) <= 3650:
        errors["min_days_between"] = _("From 0 to 3650.")
    if errors:
        raise ValidationFailed(_("Please correct the rule."), fields=errors)
    rule, created = AutoSurveyRule.objects.get_or_create(survey=survey, defaults=fields)
    if not created:
        AutoSurveyRule.objects.filter(pk=rule.pk).update(**fields)
        rule.refresh_from_db()
    audit_record(actor=actor, action="survey.auto_rule_saved", obj=survey, changes=fields)
    return rule


def sampled(rule_id: int, ticket_id: int, percent: int) -> bool:
    """Deterministic sampling: the same ticket always gets the same answer for a rule, and over
    many tickets about `percent` % are chosen (first 8 bytes of SHA-256 as a uniform draw)."""
    if percent >= 100:
        return True
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"kefu-survey:{rule_id}:{ticket_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 < percent * 100


def surveys_ticket_changed(*, ticket, event: str, actor=None) -> None:
    """Schedule the post-resolution survey when a ticket is solved.

    Called by kefu.tickets.services.effects inside the ticket's transaction.
    """
    if event != "status_changed" or ticket.status != "solved" or ticket.customer_id is None:
        return
    rules = AutoSurveyRule.objects.filter(
        enabled=True, survey__status=SurveyStatus.PUBLISHED
    ).select_related("survey")
    for rule in rules:
        auto_invitation_schedule(rule=rule, ticket=ticket)


def auto_invitation_schedule(*, rule: AutoSurveyRule, ticket, now=None) -> Invitation | None:
    """Invite the ticket's customer `rule.delay_minutes` after the solve, unless not sampled, or
    the customer had an automatic survey in the last `rule.min_days_between` days."""
    now = now or timezone.now()
    if not sampled(rule.pk, ticket.pk, rule.sampling_percent):
        return None
    recent = Invitation.objects.filter(
        customer_id=ticket.customer_id,
        automatic=True,
        created_at__gte=now - dt.timedelta(days=rule.min_days_between),
    )
    if Invitation.objects.filter(survey=rule.survey, ticket=ticket).exists() or (
        rule.min_days_between and recent.exists()
    ):
        return None
    send_after = now + dt.timedelta(minutes=rule.delay_minutes)
    invitation = Invitation.objects.create(
        survey=rule.survey,
        key=_new_key(),
        customer_id=ticket.customer_id,
        ticket=ticket,
        email=_customer_email(ticket.customer),
        state=InvitationState.SCHEDULED,
        send_after=send_after,
        expires_at=send_after + dt.timedelta(days=rule.expires_after_days),
        automatic=True,
    )
    audit_record(
        actor=None,
        action="survey.auto_scheduled",
        obj=rule.survey,
        changes={"invitation": invitation.pk, "ticket": ticket.pk},
    )
    if rule.delay_minutes == 0 and invitation.email:
        from kefu.surveys.tasks import send_invitation

        enqueue(send_invitation, invitation.pk)
    return invitation


# --------------------------------------------------------------------------- responses


def survey_questions(survey: Survey) -> list[Question]:
    return list(survey.questions.order_by("order", "id"))


def _source_fields(survey: Survey, invitation: Invitation | None) -> dict[str, Any]:
    if invitation is None:
        return {}
    ticket, customer = invitation.ticket, invitation.customer
    fields: dict[str, Any] = {}
    if ticket is not None:
        fields.update(agent_id=ticket.assignee_id, team_id=ticket.team_id, channel=ticket.channel)
    if customer is not None:
        fields["tier"] = customer.tier
    if invitation.employee is not None:
        team = invitation.employee.teams.order_by("id").first()
        fields["team_id"] = team.pk if team else None
    if not survey.anonymous:
        fields.update(customer=customer, ticket=ticket)
        if invitation.employee is not None:
            fields["agent"] = invitation.employee
    else:
        fields.pop("agent_id", None)
    return fields


@transaction.atomic
def response_save(
    *,
    survey: Survey,
    data: Mapping[str, Any],
    invitation: Invitation | None = None,
    submission_key: str = "",
    partial: bool = False,
    language: str = "",
) -> Response:
    """Validate and store one respondent's answers. `partial` saves a draft (no required check);
    otherwise the response is submitted and counts, once: a second submit of the same
    invitation or form key raises Conflict("already_answered")."""
    if invitation is not None:
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("ticket", "customer", "employee")
            .get(pk=invitation.pk)
        )
    check_open(survey, invitation)
    if not submission_key:
        if invitation is None or survey.anonymous:
            raise ValidationFailed(_("This form is not valid. Open the survey link again."))
        submission_key = f"inv-{invitation.key}"
    questions = survey_questions(survey)
    result = answering.validate_answers(questions, data, partial=partial, translate=_)
    if not result.ok:
        raise ValidationFailed(_("Some answers need your attention."), fields=result.errors)
    response = Response.objects.select_for_update().filter(submission_key=submission_key).first()
    if response is not None and (
        response.submitted_at is not None or response.survey_id != survey.pk
    ):
        raise Conflict(_("Your answers were already received. Thank you!"), code="already_answered")
    if response is None:
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    survey=survey,
                    invitation=None if survey.anonymous else invitation,
                    submission_key=submission_key,
                    language=language[:10],
                    **_source_fields(survey, invitation),
                )
        except IntegrityError as exc:
            raise Conflict(
                _("Your answers were already received. Thank you!"), code="already_answered"
            ) from exc
    Answer.objects.filter(response=response).delete()
    Answer.objects.bulk_create(
        Answer(
            response=response,
            question_id=a.question_id,
            item=a.item,
            column=a.column,
            value=a.value,
            choice_ids=list(a.choice_ids),
            text=a.text,
        )
        for a in result.answers
    )
    if not partial:
        now = timezone.now()
        response.submitted_at = now
        Response.objects.filter(pk=response.pk).update(submitted_at=now)
        # Results tallies in the same transaction. The survey row lock orders this after a
        # running rebuild (aggregates.rebuild locks it too), so no response is lost.
        Survey.objects.select_for_update().filter(pk=survey.pk).first()
        aggregates.response_added(survey, response.pk, questions)
        if invitation is not None:
            Invitation.objects.filter(pk=invitation.pk).update(
                responded_at=now, state=InvitationState.RESPONDED
            )
        audit_record(
            actor=None,
            action="survey.response_submitted",
            obj=survey,
            changes={"response": response.pk},
        )
        if survey.follow_up_low_scores and needs_follow_up(result.answers, questions):
            from kefu.surveys.tasks import open_follow_up

            enqueue(open_follow_up, response.pk)
    return response


def needs_follow_up(answers, questions) -> bool:
    """A CSAT answer of 1–2 or an NPS answer of 0–6 (detractor) calls for service recovery."""
    metric = {q.pk: q.metric for q in questions}
    for answer in answers:
        kind = metric.get(answer.question_id)
        if answer.value is None:
            continue
        if (kind == "csat" and answer.value <= 2) or (kind == "nps" and answer.value <= 6):
            return True
    return False


@transaction.atomic
def follow_up_open(*, response_id: int):
    """Open the service-recovery ticket of a low-score response (idempotent)."""
    from kefu.tickets import services as ticket_services
    from kefu.tickets.models import Priority, TicketKind

    response = (
        Response.objects.select_for_update(of=("self",))
        .select_related("survey", "customer", "ticket", "team")
        .get(pk=response_id)
    )
    if response.follow_up_ticket_id or response.customer is None:
        return response.follow_up_ticket
    answers = Answer.objects.filter(response=response).select_related("question")
    lines = [
        f"{a.question.text_en or a.question.text_zh}: "
        f"{a.value if a.value is not None else (a.text or ', '.join(a.choice_ids))}"
        for a in answers
        if not a.item
    ]
    origin = f" ({response.ticket.public_id})" if response.ticket else ""
    ticket = ticket_services.ticket_create(
        actor=None,
        customer=response.customer,
        subject=_("Low survey score: follow up%(origin)s") % {"origin": origin},
        description="\n".join([_("Survey: %(title)s") % {"title": response.survey.title}, *lines]),
        channel="other",
        kind=TicketKind.COMPLAINT,
        priority=Priority.HIGH,
        team=response.team,
        tags=["survey-follow-up"],
    )
    Response.objects.filter(pk=response.pk).update(follow_up_ticket=ticket)
    audit_record(
        actor=None,
        action="survey.follow_up_opened",
        obj=response.survey,
        changes={"response": response.pk, "ticket": ticket.pk},
    )
    return ticket


def raise_for_unknown_survey(survey_id: int) -> Survey:
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise NotFound(_("No such survey."))
    return survey
