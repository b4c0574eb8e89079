"""Every write to the quality models. Each service validates, runs in one transaction and
records an audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record
from kefu.core.errors import Conflict, ValidationFailed
from kefu.core.permissions import require_perm
from kefu.core.versioning import update_versioned
from kefu.quality import pdca, scoring, selectors, targets
from kefu.quality.kpis import KPI_DEFINITIONS
from kefu.quality.models import (
    CalibrationSession,
    CareSettings,
    CoachingRecord,
    Competency,
    Criterion,
    CriterionScore,
    Dispute,
    Evaluation,
    EvaluationState,
    ImprovementAction,
    KpiTarget,
    MysteryContact,
    Rubric,
    RubricSection,
    Sampling,
    SplitMethod,
    TargetLevel,
    TrainingAssignment,
    TrainingItem,
)

EVALUATE = "quality.evaluate"
RESOLVE = "quality.resolve_dispute"
MANAGE_TARGETS = "quality.manage_targets"
BUILD_RUBRIC = "quality.add_rubric"
COACHING_DAYS = 3  # hot-stove rule: coaching follows within days, not at the annual review


def _check(actor, *perms: str) -> None:
    if actor is not None:
        require_perm(actor, *perms)


# --- rubrics ----------------------------------------------------------------------------------


MAX_WEIGHT = 100.0


def _clean_rubric(
    *, name: str, sections: Sequence[Mapping[str, Any]], exclude_pk: int | None = None
) -> tuple[str, list[dict]]:
    """Validate a scorecard's name and sections; every problem at once, keyed by field path
    (`name`, `sections`, `sections.0.name`, `sections.0.criteria.1.weight`, …)."""
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Required.")
    elif len(name) > 150:
        errors["name"] = _("At most 150 characters.")
    else:
        clash = Rubric.objects.filter(name=name, is_current=True)
        if exclude_pk is not None:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            errors["name"] = _("Already used by another scorecard.")
    competencies = {c.pk: c for c in Competency.objects.all()}
    cleaned: list[dict] = []
    total_weight = 0.0
    for i, section in enumerate(sections or []):
        prefix = f"sections.{i}"
        s_name = str(section.get("name") or "").strip()
        if not s_name:
            errors[f"{prefix}.name"] = _("Required.")
        elif len(s_name) > 150:
            errors[f"{prefix}.name"] = _("At most 150 characters.")
        rows = []
        for j, c in enumerate(section.get("criteria") or []):
            cp = f"{prefix}.criteria.{j}"
            text = str(c.get("text") or "").strip()
            if not text:
                errors[f"{cp}.text"] = _("Required.")
            elif len(text) > 300:
                errors[f"{cp}.text"] = _("At most 300 characters.")
            raw = c.get("weight", 1)
            try:
                weight = float(raw if raw not in (None, "") else "x")
            except (TypeError, ValueError):
                weight = float("nan")
            if not np.isfinite(weight):
                errors[f"{cp}.weight"] = _("Enter a number.")
            elif weight < 0 or weight > MAX_WEIGHT:
                errors[f"{cp}.weight"] = _("Between 0 and 100.")
            else:
                total_weight += weight
            competency = c.get("competency")
            if isinstance(competency, Competency):
                competency = competency.pk
            if competency in ("", None):
                competency = None
            else:
                try:
                    competency = competencies[int(competency)]
                except (KeyError, TypeError, ValueError):
                    errors[f"{cp}.competency"] = _("Choose a competency from the list.")
                    competency = None
            rows.append(
                {
                    "text": text,
                    "weight": weight,
                    "auto_fail": bool(c.get("auto_fail", False)),
                    "competency": competency,
                    "guidance": str(c.get("guidance") or "").strip(),
                }
            )
        if not rows:
            errors[f"{prefix}.criteria"] = _("Add a criterion to this section or remove it.")
        cleaned.append({"name": s_name, "criteria": rows})
    if not cleaned:
        errors["sections"] = _("Add a section with at least one criterion.")
    elif not errors and total_weight <= 0:
        errors["sections"] = _("At least one criterion needs a weight above 0.")
    if errors:
        raise ValidationFailed(_("Please correct the scorecard."), fields=errors)
    return name, cleaned


def _build_sections(rubric: Rubric, sections: list[dict]) -> None:
    criteria = []
    for s_pos, section_data in enumerate(sections):
        section = RubricSection.objects.create(
            rubric=rubric, name=section_data["name"], position=s_pos
        )
        for c_pos, c in enumerate(section_data["criteria"]):
            criteria.append(Criterion(section=section, position=c_pos, **c))
    Criterion.objects.bulk_create(criteria)


def rubric_structure(rubric: Rubric) -> list[dict]:
    """A scorecard's sections and criteria as plain data (what rubric_create takes)."""
    return [
        {
            "name": section.name,
            "criteria": [
                {
                    "text": c.text,
                    "weight": c.weight,
                    "auto_fail": c.auto_fail,
                    "competency": c.competency_id,
                    "guidance": c.guidance,
                }
                for c in section.criteria.all()
            ],
        }
        for section in rubric.sections.prefetch_related("criteria")
    ]


@transaction.atomic
def rubric_create(
    *, actor, name: str, description: str = "", sections: Sequence[Mapping[str, Any]]
) -> Rubric:
    """A rubric with sections of criteria: [{"name", "criteria": [{"text", "weight",
    "auto_fail", "competency", "guidance"}]}]."""
    _check(actor, BUILD_RUBRIC)
    name, cleaned = _clean_rubric(name=name, sections=sections)
    rubric = Rubric.objects.create(
        name=name,
        description=(description or "").strip(),
        created_by=actor if _is_user(actor) else None,
    )
    _build_sections(rubric, cleaned)
    audit_record(
        actor=actor,
        action="quality.rubric_created",
        obj=rubric,
        changes={"criteria": sum(len(s["criteria"]) for s in cleaned)},
    )
    return rubric


def rubric_in_use(rubric: Rubric) -> bool:
    """Scored (evaluations, calibration sessions) or named by a mystery-customer contact."""
    return (
        Evaluation.objects.filter(rubric=rubric).exists()
        or CalibrationSession.objects.filter(rubric=rubric).exists()
        or MysteryContact.objects.filter(rubric=rubric).exists()
    )


@transaction.atomic
def rubric_update(
    *,
    actor,
    rubric: Rubric,
    expected_version: int,
    name: str,
    description: str = "",
    is_active: bool = True,
    sections: Sequence[Mapping[str, Any]],
) -> Rubric:
    """Save an edited scorecard. Unused: changed in place. Already used to score: the edit
    becomes the next revision and the old one is kept, unchanged and inactive, for the
    evaluations made with it. Returns the scorecard now current."""
    require_perm(actor, "quality.change_rubric")
    if not rubric.is_current:
        raise Conflict(
            _("This is an old revision of the scorecard. Edit the current one."),
            code="old_revision",
        )
    name, cleaned = _clean_rubric(name=name, sections=sections, exclude_pk=rubric.pk)
    description = (description or "").strip()
    before = {
        "name": rubric.name,
        "revision": rubric.revision,
        "criteria": sum(len(s["criteria"]) for s in rubric_structure(rubric)),
    }
    if not rubric_in_use(rubric):
        rubric = update_versioned(
            rubric,
            expected_version=expected_version,
            changes={"name": name, "description": description, "is_active": is_active},
        )
        RubricSection.objects.filter(rubric=rubric).delete()
        _build_sections(rubric, cleaned)
        audit_record(
            actor=actor,
            action="quality.rubric_updated",
            obj=rubric,
            changes={"before": before, "criteria": sum(len(s["criteria"]) for s in cleaned)},
        )
        return rubric
    # Retire the scored revision (compare-and-set on its version), then add the next one.
    old = update_versioned(
        rubric,
        expected_version=expected_version,
        changes={"is_current": False, "is_active": False},
    )
    new = Rubric.objects.create(
        name=name,
        description=description,
        is_active=is_active,
        revision=old.revision + 1,
        previous=old,
        created_by=actor if _is_user(actor) else None,
    )
    _build_sections(new, cleaned)
    audit_record(
        actor=actor,
        action="quality.rubric_revised",
        obj=new,
        changes={
            "before": before,
            "previous_id": old.pk,
            "revision": new.revision,
            "criteria": sum(len(s["criteria"]) for s in cleaned),
        },
    )
    return new


def eight_f_structure(*, actor) -> list[dict]:
    """The 8F checklist as an editable starting point (creates its competencies if needed)."""
    comp = {
        key: competency_get_or_create(actor=actor, name=label, position=i)
        for i, (key, label) in enumerate(EIGHT_F_COMPETENCIES)
    }

    def rows(items):
        return [
            {"text": t, "weight": w, "auto_fail": af, "competency": comp[c].pk, "guidance": ""}
            for t, w, af, c in items
        ]

    return [
        {"name": "8F原则 8F principles", "criteria": rows(EIGHT_F_CHECKLIST)},
        {"name": "服务礼仪 Etiquette", "criteria": rows(EIGHT_F_ETIQUETTE)},
    ]


def _is_user(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def competency_get_or_create(*, actor, name: str, position: int = 0) -> Competency:
    competency, created = Competency.objects.get_or_create(
        name=name, defaults={"position": position}
    )
    if created:
        audit_record(actor=actor, action="quality.competency_created", obj=competency)
    return competency


# The starter scorecard is stored data, read by people of both languages: bilingual text.
EIGHT_F_NAME = "8F沟通检查表 8F communication checklist"
EIGHT_F_DESCRIPTION = (
    "事实、第一、迅速、坦诚、感受、场合、灵活、反馈 Factual, First, Fast, Frank, "
    "Feeling, Forum, Flexibility, Feedback."
)
EIGHT_F_COMPETENCIES = [
    ("knowledge", "产品与政策知识 Product and policy knowledge"),
    ("responsiveness", "响应性 Responsiveness"),
    ("empathy", "同理心 Empathy"),
    ("communication", "沟通表达 Communication"),
    ("problem_solving", "问题解决 Problem solving"),
]
EIGHT_F_CHECKLIST = [
    (
        "事实：只陈述核实过的事实，不猜测 Factual: only verified facts, no guessing",
        2,
        True,
        "knowledge",
    ),
    (
        "第一：首先回应客户的问题 First: acknowledges the customer's problem first",
        1,
        False,
        "empathy",
    ),
    (
        "迅速：在承诺时间内响应并行动 Fast: acts within the promised time",
        1.5,
        False,
        "responsiveness",
    ),
    (
        "坦诚：说明能做与不能做的 Frank: honest about what can and cannot be done",
        1,
        False,
        "communication",
    ),
    (
        "感受：体谅客户的感受 Feeling: shows understanding of the customer's feelings",
        1.5,
        False,
        "empathy",
    ),
    ("场合：选用合适的渠道与场合 Forum: the right channel and place", 0.5, False, "communication"),
    (
        "灵活：在授权内灵活补救 Flexibility: adapts the remedy within authority",
        1,
        False,
        "problem_solving",
    ),
    (
        "反馈：确认结果并跟进 Feedback: confirms the outcome and follows up",
        1,
        False,
        "problem_solving",
    ),
]
EIGHT_F_ETIQUETTE = [
    (
        "不指责客户或其他部门 Never blames the customer or another department",
        1,
        True,
        "communication",
    ),
    (
        "按话术库问候、自报姓名与结束 Greeting, name and closing per the script library",
        0.5,
        False,
        "communication",
    ),
]


@transaction.atomic
def rubric_create_8f(*, actor) -> Rubric:
    """The 8F communication checklist (M15) as a starter scorecard, with competencies."""
    existing = Rubric.objects.filter(name=EIGHT_F_NAME, is_current=True).first()
    if existing:
        return existing
    return rubric_create(
        actor=None,
        name=EIGHT_F_NAME,
        description=EIGHT_F_DESCRIPTION,
        sections=eight_f_structure(actor=actor),
    )


# --- evaluations ------------------------------------------------------------------------------


def _agent_team(agent, ticket):
    if ticket.team_id and ticket.team.members.filter(pk=agent.pk).exists():
        return ticket.team
    return agent.teams.order_by("pk").first()


@transaction.atomic
def evaluation_create(
    *,
    actor,
    ticket,
    rubric: Rubric,
    values: Mapping[int, float | None],
    agent=None,
    comment: str = "",
    sampling: str = Sampling.MANUAL,
    calibration: CalibrationSession | None = None,
    notes: Mapping[int, str] | None = None,
) -> Evaluation:
    """Score `ticket` with `rubric` (values: criterion id → 1, 0.5, 0 or None = n/a). A missed
    auto-fail criterion scores 0 and opens a coaching record at once (hot-stove rule)."""
    _check(actor, EVALUATE)
    agent = agent or ticket.assignee
    if agent is None:
        raise ValidationFailed(
            _("The ticket has no assignee: choose the agent to evaluate."),
            fields={"agent": _("Required.")},
        )
    criteria = selectors.rubric_criteria(rubric)
    known = {c.pk for c in criteria}
    unknown = set(values) - known
    if unknown:
        raise ValidationFailed(
            _("Criteria not in this scorecard."), fields={"values": _("Unknown criterion.")}
        )
    missing = [c.pk for c in criteria if c.pk not in values]
    if missing:
        raise ValidationFailed(
            _("Score every criterion (or mark it not applicable)."),
            fields={f"criterion_{pk}": _("Required.") for pk in missing},
        )
    vals = np.array([np.nan if values[c.pk] is None else float(values[c.pk]) for c in criteria])
    try:
        result = scoring.score_evaluation(
            vals, [c.weight for c in criteria], [c.auto_fail for c in criteria]
        )
    except ValueError as exc:
        raise ValidationFailed(str(exc), fields={"values": str(exc)}) from exc
    if calibration is not None:
        if calibration.is_closed:
            raise Conflict(_("This calibration session is closed."))
        if calibration.evaluations.filter(evaluator=actor).exists():
            raise Conflict(_("You have already scored this calibration session."))
        sampling = Sampling.CALIBRATION
    evaluation = Evaluation.objects.create(
        ticket=ticket,
        rubric=rubric,
        agent=agent,
        team=_agent_team(agent, ticket),
        evaluator=actor,
        calibration=calibration,
        sampling=sampling,
        score=result.score,
        auto_failed=result.auto_failed,
        comment=comment,
    )
    CriterionScore.objects.bulk_create(
        [
            CriterionScore(
                evaluation=evaluation,
                criterion=c,
                value=values[c.pk],
                note=(notes or {}).get(c.pk, "")[:300],
            )
            for c in criteria
        ]
    )
    if result.auto_failed and calibration is None:
        now = timezone.now()
        CoachingRecord.objects.bulk_create(
            [
                CoachingRecord(
                    agent=agent,
                    evaluation=evaluation,
                    criterion=criteria[i],
                    topic=criteria[i].text,
                    coach=None,
                    due_at=now + dt.timedelta(days=COACHING_DAYS),
                )
                for i in result.failed_auto_fail
            ]
        )
    audit_record(
        actor=actor,
        action="quality.evaluation_created",
        obj=evaluation,
        changes={"score": [None, result.score], "auto_failed": [None, result.auto_failed]},
    )
    return evaluation


@transaction.atomic
def dispute_raise(*, actor, evaluation: Evaluation, reason: str) -> Dispute:
    """The evaluated agent objects to an evaluation, with a reason."""
    if evaluation.agent_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the evaluated agent can dispute an evaluation."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Give the reason for the dispute."), fields={"reason": _("Required.")}
        )
    if Dispute.objects.filter(evaluation=evaluation).exists():
        raise Conflict(_("This evaluation is already disputed."))
    dispute = Dispute.objects.create(
        evaluation=evaluation, raised_by=actor, reason=reason, original_score=evaluation.score
    )
    Evaluation.objects.filter(pk=evaluation.pk).update(state=EvaluationState.DISPUTED)
    evaluation.state = EvaluationState.DISPUTED
    audit_record(actor=actor, action="quality.dispute_raised", obj=evaluation)
    return dispute


@transaction.atomic
def dispute_resolve(
    *, actor, dispute: Dispute, upheld: bool, resolution: str, new_score: float | None = None
) -> Dispute:
    """A supervisor upholds (with the corrected score) or rejects a dispute; final either way."""
    _check(actor, RESOLVE)
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if dispute.state != Dispute.State.OPEN:
        raise Conflict(_("This dispute is already resolved."))
    if dispute.evaluation.evaluator_id == getattr(actor, "pk", None):
        raise PermissionDenied(_("The evaluator cannot resolve a dispute of their own scoring."))
    if not (resolution or "").strip():
        raise ValidationFailed(_("Explain the decision."), fields={"resolution": _("Required.")})
    changes: dict[str, Any] = {"state": EvaluationState.FINAL}
    if upheld:
        if new_score is None or not (0 <= float(new_score) <= 100):
            raise ValidationFailed(
                _("Give the corrected score (0–100)."), fields={"new_score": _("0–100.")}
            )
        changes["score"] = float(new_score)
    Evaluation.objects.filter(pk=dispute.evaluation_id).update(**changes)
    dispute.state = Dispute.State.UPHELD if upheld else Dispute.State.REJECTED
    dispute.resolved_by = actor
    dispute.resolved_at = timezone.now()
    dispute.resolution = resolution.strip()
    dispute.save()
    audit_record(
        actor=actor,
        action="quality.dispute_resolved",
        obj=dispute.evaluation,
        changes={
            "dispute": [Dispute.State.OPEN, dispute.state],
            "score": [dispute.original_score, changes.get("score", dispute.original_score)],
        },
    )
    return dispute


@transaction.atomic
def coaching_complete(*, actor, record: CoachingRecord, note: str) -> CoachingRecord:
    _check(actor, RESOLVE)
    if record.done_at:
        raise Conflict(_("This coaching is already done."))
    if not (note or "").strip():
        raise ValidationFailed(_("Note what was coached."), fields={"note": _("Required.")})
    record.done_at = timezone.now()
    record.note = note.strip()
    record.coach = actor
    record.save(update_fields=["done_at", "note", "coach", "updated_at"])
    audit_record(actor=actor, action="quality.coaching_done", obj=record)
    return record


@transaction.atomic
def mystery_contact_create(
    *, actor, ticket, shopper: str, scenario: str, rubric: Rubric | None = None
) -> MysteryContact:
    """Mark `ticket` as a mystery-customer contact: evaluated, but outside customer KPIs."""
    _check(actor, EVALUATE)
    if not (shopper or "").strip():
        raise ValidationFailed(_("Name the mystery shopper."), fields={"shopper": _("Required.")})
    if not (scenario or "").strip():
        raise ValidationFailed(_("Describe the scenario."), fields={"scenario": _("Required.")})
    if MysteryContact.objects.filter(ticket=ticket).exists():
        raise Conflict(_("This ticket is already a mystery-customer contact."))
    contact = MysteryContact.objects.create(
        ticket=ticket,
        shopper=shopper.strip(),
        scenario=scenario.strip(),
        rubric=rubric,
        recorded_by=actor if _is_user(actor) else None,
    )
    audit_record(actor=actor, action="quality.mystery_contact_created", obj=contact)
    return contact


@transaction.atomic
def calibration_create(*, actor, ticket, rubric: Rubric, name: str = "") -> CalibrationSession:
    _check(actor, EVALUATE)
    session = CalibrationSession.objects.create(
        name=(name or "").strip() or f"{ticket.public_id or ticket.pk} · {rubric.name}",
        ticket=ticket,
        rubric=rubric,
        created_by=actor if _is_user(actor) else None,
    )
    audit_record(actor=actor, action="quality.calibration_created", obj=session)
    return session


@transaction.atomic
def calibration_close(*, actor, session: CalibrationSession) -> CalibrationSession:
    _check(actor, EVALUATE)
    session.is_closed = True
    session.save(update_fields=["is_closed", "updated_at"])
    audit_record(actor=actor, action="quality.calibration_closed", obj=session)
    return session


# --- targets and PDCA -------------------------------------------------------------------------


def _kpi_or_error(kpi: str):
    if kpi not in KPI_DEFINITIONS:
        raise ValidationFailed(_("Unknown KPI."), fields={"kpi": _("Unknown KPI.")})
    return KPI_DEFINITIONS[kpi]


@transaction.atomic
def target_create(
    *,
    actor,
    kpi: str,
    start: dt.date,
    end: dt.date,
    value: float,
    level: str = TargetLevel.COMPANY,
    team=None,
    agent=None,
) -> KpiTarget:
    _check(actor, MANAGE_TARGETS)
    _kpi_or_error(kpi)
    if end < start:
        raise ValidationFailed(_("The end is before the start."), fields={"end": _("Too early.")})
    if level not in TargetLevel.values:
        raise ValidationFailed(_("Unknown level."), fields={"level": _("Unknown level.")})
    if (level == TargetLevel.TEAM) != (team is not None) or (level == TargetLevel.AGENT) != (
        agent is not None
    ):
        raise ValidationFailed(
            _("A team target names a team; an agent target names an agent."),
            fields={"level": _("Does not match.")},
        )
    if value is None or not np.isfinite(float(value)):
        raise ValidationFailed(_("Give a target value."), fields={"value": _("Required.")})
    target = KpiTarget.objects.create(
        kpi=kpi,
        level=level,
        team=team,
        agent=agent,
        start=start,
        end=end,
        value=float(value),
        created_by=actor if _is_user(actor) else None,
    )
    audit_record(actor=actor, action="quality.target_created", obj=target)
    return target


@transaction.atomic
def target_decompose(
    *, actor, target: KpiTarget, method: str, weights: Mapping[int, float] | None = None
) -> list[KpiTarget]:
    """Split a company target to every team, or a team target to its members (replacing any
    earlier split). `weights` (child id → weight) for the "share" method; by default the
    children's tickets solved in the same span of the previous period."""
    _check(actor, MANAGE_TARGETS)
    if method not in SplitMethod.values:
        raise ValidationFailed(_("Unknown split."), fields={"method": _("Unknown split.")})
    definition = _kpi_or_error(target.kpi)
    from kefu.accounts.models import Team

    if target.level == TargetLevel.COMPANY:
        children = list(Team.objects.order_by("pk"))
        child_level, attr = TargetLevel.TEAM, "team"
    elif target.level == TargetLevel.TEAM:
        children = list(target.team.members.filter(is_active=True).order_by("pk"))
        child_level, attr = TargetLevel.AGENT, "agent"
    else:
        raise ValidationFailed(
            _("An agent target cannot be split further."), fields={"level": _("Agent level.")}
        )
    if not children:
        raise ValidationFailed(_("Nothing to split to."), fields={"level": _("No members.")})
    additive = definition.unit in ("count", "amount")
    w = None
    if method == SplitMethod.SHARE:
        if weights is None:
            weights = _previous_volume(target, child_level)
        w = [float(weights.get(c.pk, 0.0)) for c in children]
    values = targets.decompose(
        target.value, method=method, n=len(children), weights=w, additive=additive
    )
    target.children.all().delete()
    created = KpiTarget.objects.bulk_create(
        [
            KpiTarget(
                kpi=target.kpi,
                level=child_level,
                start=target.start,
                end=target.end,
                value=float(v),
                parent=target,
                split=method,
                created_by=actor if _is_user(actor) else None,
                **{attr: child},
            )
            for child, v in zip(children, values, strict=True)
        ]
    )
    KpiTarget.objects.filter(pk=target.pk).update(split=method)
    audit_record(
        actor=actor,
        action="quality.target_decomposed",
        obj=target,
        changes={"split": [None, method], "children": [None, len(created)]},
    )
    return created


def _previous_volume(target: KpiTarget, child_level: str) -> dict[int, float]:
    span = target.end - target.start
    prev_end = target.start - dt.timedelta(days=1)
    report = selectors.kpi_report(
        level=child_level,
        period="month",
        start=prev_end - span,
        end=prev_end,
        team_id=target.team_id if child_level == TargetLevel.AGENT else None,
    )
    sums = report.group_by("level_key").agg(pl.col("tickets_solved").sum().alias("v"))
    return {int(k): float(v) for k, v in sums.iter_rows() if k.isdigit()}


def _kpi_value(kpi: str, start: dt.date, end: dt.date, team_id=None) -> float | None:
    from kefu.quality.kpis import totals

    level = "team" if team_id else "company"
    report = selectors.kpi_report(
        level=level, period="month", start=start, end=end, team_id=team_id
    )
    if team_id:
        report = report.filter(pl.col("level_key") == str(team_id))
    if report.is_empty():
        return None
    return totals(report.drop("level_name"))[kpi]


ACTION_FIELDS = ("title", "description", "kpi", "team", "problem", "owner", "due_date", "plan")


@transaction.atomic
def action_create(*, actor, title: str, kpi: str, **fields) -> ImprovementAction:
    _check(actor, MANAGE_TARGETS)
    _kpi_or_error(kpi)
    if not (title or "").strip():
        raise ValidationFailed(_("An action needs a title."), fields={"title": _("Required.")})
    unknown = set(fields) - set(ACTION_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields."), fields={n: _("Unknown field.") for n in unknown}
        )
    action = ImprovementAction.objects.create(title=title.strip(), kpi=kpi, **fields)
    audit_record(actor=actor, action="quality.action_created", obj=action)
    return action


@transaction.atomic
def action_update(
    *, actor, action: ImprovementAction, expected_version: int, changes: Mapping[str, Any]
) -> ImprovementAction:
    _check(actor, MANAGE_TARGETS)
    unknown = set(changes) - set(ACTION_FIELDS) - {"conclusion"}
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed here."),
            fields={n: _("Unknown field.") for n in unknown},
        )
    if "kpi" in changes:
        _kpi_or_error(changes["kpi"])
    update_versioned(action, expected_version=expected_version, changes=dict(changes))
    audit_record(actor=actor, action="quality.action_updated", obj=action, changes=dict(changes))
    return action


def _facts(action: ImprovementAction) -> pdca.ActionFacts:
    return pdca.ActionFacts(
        state=pdca.State(action.state),
        has_owner=action.owner_id is not None,
        has_due_date=action.due_date is not None,
        has_kpi=bool(action.kpi),
        has_plan=bool(action.plan.strip()),
        has_baseline=action.baseline_value is not None,
        has_result=action.result_value is not None,
        has_conclusion=bool(action.conclusion.strip()),
    )


@transaction.atomic
def action_move(
    *,
    actor,
    action: ImprovementAction,
    to_state: str,
    expected_version: int,
    conclusion: str = "",
    today: dt.date | None = None,
) -> ImprovementAction:
    """Move an action through Plan → Do → Check → Act (→ Closed, or Plan for another cycle).

    Leaving Plan measures the KPI over the 30 days before (the baseline); reaching Check
    measures it again from the start of Do, giving the before/after comparison."""
    _check(actor, MANAGE_TARGETS)
    today = today or timezone.localdate()
    action = ImprovementAction.objects.select_for_update().get(pk=action.pk)
    if action.version != expected_version:
        raise Conflict(
            _("This record was changed by someone else. Reload it and apply your change again."),
            code="stale_version",
        )
    changes: dict[str, Any] = {}
    if conclusion.strip():
        changes["conclusion"] = conclusion.strip()
        action.conclusion = changes["conclusion"]
    try:
        target_state = pdca.State(to_state)
    except ValueError as exc:
        raise ValidationFailed(_("Unknown state."), fields={"state": _("Unknown state.")}) from exc
    if action.state == pdca.State.PLAN and target_state == pdca.State.DO:
        action.baseline_value = _kpi_value(
            action.kpi, today - dt.timedelta(days=30), today - dt.timedelta(days=1), action.team_id
        )
        changes["baseline_value"] = action.baseline_value
        changes["started_on"] = today
    if target_state == pdca.State.CHECK:
        start = action.started_on or today
        action.result_value = _kpi_value(action.kpi, start, today, action.team_id)
        changes["result_value"] = action.result_value
        changes["checked_on"] = today
    violations = pdca.check_move(_facts(action), target_state)
    if action.state == pdca.State.PLAN and target_state == pdca.State.DO:
        # A KPI with no data yet (new team) still lets the action start.
        violations = [v for v in violations if v.field != "baseline_value"]
    if violations:
        raise ValidationFailed(
            " ".join(_(v.message) for v in violations),
            fields={v.field: _(v.message) for v in violations},
        )
    before = action.state
    changes["state"] = target_state.value
    if before == pdca.State.ACT and target_state == pdca.State.PLAN:
        changes.update(cycle=action.cycle + 1, result_value=None, checked_on=None)
    update_versioned(action, expected_version=expected_version, changes=changes)
    audit_record(
        actor=actor,
        action="quality.action_moved",
        obj=action,
        changes={"state": [before, target_state.value]},
    )
    return action


# --- training and care ------------------------------------------------------------------------


@transaction.atomic
def training_item_create(*, actor, competency: Competency, title: str, **fields) -> TrainingItem:
    _check(actor, MANAGE_TARGETS)
    if not (title or "").strip():
        raise ValidationFailed(
            _("A training item needs a title."), fields={"title": _("Required.")}
        )
    item = TrainingItem.objects.create(competency=competency, title=title.strip(), **fields)
    audit_record(actor=actor, action="quality.training_item_created", obj=item)
    return item


@transaction.atomic
def training_assign(*, actor, agent, item: TrainingItem) -> TrainingAssignment:
    _check(actor, RESOLVE)
    assignment, created = TrainingAssignment.objects.get_or_create(
        agent=agent, item=item, defaults={"assigned_by": actor if _is_user(actor) else None}
    )
    if created:
        audit_record(actor=actor, action="quality.training_assigned", obj=assignment)
    return assignment


@transaction.atomic
def training_complete(*, actor, assignment: TrainingAssignment) -> TrainingAssignment:
    """The agent (or a supervisor) records a training item as done."""
    if assignment.agent_id != getattr(actor, "pk", None):
        _check(actor, RESOLVE)
    if assignment.completed_at is None:
        assignment.completed_at = timezone.now()
        assignment.save(update_fields=["completed_at", "updated_at"])
        audit_record(actor=actor, action="quality.training_completed", obj=assignment)
    return assignment


def care_settings() -> CareSettings:
    return CareSettings.objects.order_by("pk").first() or CareSettings(pk=None)


@transaction.atomic
def care_settings_update(*, actor, **values) -> CareSettings:
    _check(actor, MANAGE_TARGETS)
    current = CareSettings.objects.select_for_update().order_by("pk").first() or CareSettings()
    for name, value in values.items():
        if name not in (
            "max_tickets_per_day",
            "max_difficult_share",
            "max_consecutive_difficult",
            "window_days",
        ):
            raise ValidationFailed(_("Unknown setting."), fields={name: _("Unknown setting.")})
        if value is None or float(value) < 0:
            raise ValidationFailed(_("Zero or more."), fields={name: _("Zero or more.")})
        setattr(current, name, value)
    current.save()
    audit_record(actor=actor, action="quality.care_settings_updated", obj=current, changes=values)
    return current
