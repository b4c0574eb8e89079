"""Quality API: KPIs, QA scorecards, evaluations, calibration, targets and PDCA actions."""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kefu.api.pagination import PageNumberless
from kefu.core.permissions import require_perm, require_staff
from kefu.quality import kpis, scoring, selectors, services
from kefu.quality.models import (
    CalibrationSession,
    Evaluation,
    ImprovementAction,
    KpiTarget,
    Rubric,
)
from kefu.tickets.models import Ticket

VIEW = selectors.VIEW_ALL
router = Router(tags=["quality"])


def _num(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


# --- KPIs -------------------------------------------------------------------------------------


class KpiRowOut(Schema):
    period_start: dt.date
    level_key: str
    level_name: str
    values: dict[str, float | None]


class KpiDefinitionOut(Schema):
    code: str
    label: str
    unit: str
    higher_is_better: bool
    definition: str


class KpiReportOut(Schema):
    level: str
    period: str
    start: dt.date
    end: dt.date
    definitions: list[KpiDefinitionOut]
    rows: list[KpiRowOut]


@router.get("/kpis", response=KpiReportOut)
def kpi_report(
    request,
    level: Literal["company", "team", "agent"] = "company",
    period: Literal["day", "week", "month"] = "week",
    start: dt.date | None = None,
    end: dt.date | None = None,
    team_id: int | None = None,
    agent_id: int | None = None,
):
    """KPIs per period at company, team or agent level, computed from stored events
    (definitions in docs/kpis.md). Agents without the quality permission get their own row."""
    require_staff(request.user)
    if not request.user.has_perm(VIEW):
        level, agent_id = "agent", request.user.pk
    end = end or timezone.localdate()
    start = start or end - dt.timedelta(days=90)
    if (end - start).days > 800:
        start = end - dt.timedelta(days=800)
    report = selectors.kpi_report(
        level=level, period=period, start=start, end=end, team_id=team_id, agent_id=agent_id
    )
    rows = [
        {
            "period_start": r["period_start"],
            "level_key": r["level_key"],
            "level_name": r["level_name"],
            "values": {c: _num(r[c]) for c in kpis.KPI_CODES},
        }
        for r in report.iter_rows(named=True)
    ]
    return {
        "level": level,
        "period": period,
        "start": start,
        "end": end,
        "definitions": [
            {
                "code": d.code,
                "label": str(d.label),
                "unit": d.unit,
                "higher_is_better": d.higher_is_better,
                "definition": str(d.definition),
            }
            for d in kpis.KPI_DEFINITIONS.values()
        ],
        "rows": rows,
    }


# --- rubrics ----------------------------------------------------------------------------------


class CriterionOut(Schema):
    id: int
    text: str
    guidance: str
    weight: float
    auto_fail: bool
    competency: str | None = None

    @staticmethod
    def resolve_competency(obj) -> str | None:
        return obj.competency.name if obj.competency_id else None


class RubricSectionOut(Schema):
    id: int
    name: str
    criteria: list[CriterionOut]

    @staticmethod
    def resolve_criteria(obj) -> list:
        return list(obj.criteria.all())


class RubricOut(Schema):
    id: int
    name: str
    description: str
    is_active: bool


class RubricDetailOut(RubricOut):
    sections: list[RubricSectionOut]

    @staticmethod
    def resolve_sections(obj) -> list:
        return list(obj.sections.all())


class CriterionIn(Schema):
    text: str = Field(..., max_length=300)
    weight: float = Field(1.0, ge=0, le=100)
    auto_fail: bool = False
    guidance: str = ""


class RubricSectionIn(Schema):
    name: str = Field("", max_length=150)
    criteria: list[CriterionIn]


class RubricIn(Schema):
    name: str = Field(..., max_length=150)
    description: str = ""
    sections: list[RubricSectionIn]


@router.get("/qa/rubrics", response=list[RubricOut])
@paginate(PageNumberless)
def rubric_list(request):
    require_perm(request.user, "quality.view_rubric")
    return selectors.rubric_list()


@router.get("/qa/rubrics/{rubric_id}", response=RubricDetailOut)
def rubric_get(request, rubric_id: int):
    require_perm(request.user, "quality.view_rubric")
    get_object_or_404(Rubric, pk=rubric_id)
    return selectors.rubric_detail(rubric_id)


@router.post("/qa/rubrics", response={201: RubricDetailOut})
def rubric_create(request, payload: RubricIn):
    rubric = services.rubric_create(
        actor=request.user,
        name=payload.name,
        description=payload.description,
        sections=[
            {"name": s.name, "criteria": [c.dict() for c in s.criteria]} for s in payload.sections
        ],
    )
    return Status(201, selectors.rubric_detail(rubric.pk))


# --- evaluations ------------------------------------------------------------------------------


class EvaluationOut(Schema):
    id: int
    ticket_id: int
    rubric_id: int
    agent_id: int
    team_id: int | None
    evaluator_id: int
    calibration_id: int | None
    sampling: str
    state: str
    score: float
    auto_failed: bool
    comment: str
    created_at: dt.datetime
    dispute_state: str | None = None

    @staticmethod
    def resolve_dispute_state(obj) -> str | None:
        dispute = getattr(obj, "dispute", None) if hasattr(obj, "dispute") else None
        return dispute.state if dispute else None


class EvaluationIn(Schema):
    ticket_id: int
    rubric_id: int
    agent_id: int | None = None
    values: dict[int, float | None] = Field(
        description="criterion id → 1 (met), 0.5 (partly), 0 (not met) or null (n/a)."
    )
    comment: str = ""
    calibration_id: int | None = None


class DisputeIn(Schema):
    reason: str = Field(..., min_length=1)


class DisputeResolveIn(Schema):
    upheld: bool
    resolution: str = Field(..., min_length=1)
    new_score: float | None = Field(None, ge=0, le=100)


@router.get("/qa/evaluations", response=list[EvaluationOut])
@paginate(PageNumberless)
def evaluation_list(request, agent_id: int | None = None, state: str = ""):
    """Evaluations: all for QA and supervisors, an agent's own otherwise."""
    require_staff(request.user)
    return selectors.evaluation_list(request.user, agent_id=agent_id, state=state)


@router.get("/qa/evaluations/{evaluation_id}", response=EvaluationOut)
def evaluation_get(request, evaluation_id: int):
    require_staff(request.user)
    get_object_or_404(Evaluation, pk=evaluation_id)
    return selectors.evaluation_detail(request.user, evaluation_id)


@router.post("/qa/evaluations", response={201: EvaluationOut})
def evaluation_create(request, payload: EvaluationIn):
    from django.contrib.auth import get_user_model

    require_perm(request.user, services.EVALUATE)
    ticket = get_object_or_404(Ticket, pk=payload.ticket_id)
    agent = get_object_or_404(get_user_model(), pk=payload.agent_id) if payload.agent_id else None
    calibration = (
        get_object_or_404(CalibrationSession, pk=payload.calibration_id)
        if payload.calibration_id
        else None
    )
    evaluation = services.evaluation_create(
        actor=request.user,
        ticket=ticket,
        rubric=get_object_or_404(Rubric, pk=payload.rubric_id),
        agent=agent,
        values=payload.values,
        comment=payload.comment,
        calibration=calibration,
    )
    return Status(201, evaluation)


@router.post("/qa/evaluations/{evaluation_id}/dispute", response={201: EvaluationOut})
def evaluation_dispute(request, evaluation_id: int, payload: DisputeIn):
    require_staff(request.user)
    evaluation = get_object_or_404(Evaluation, pk=evaluation_id)
    services.dispute_raise(actor=request.user, evaluation=evaluation, reason=payload.reason)
    return Status(201, selectors.evaluation_detail(request.user, evaluation_id))


@router.post("/qa/evaluations/{evaluation_id}/resolve", response=EvaluationOut)
def evaluation_resolve(request, evaluation_id: int, payload: DisputeResolveIn):
    require_perm(request.user, services.RESOLVE)
    evaluation = get_object_or_404(Evaluation.objects.select_related("dispute"), pk=evaluation_id)
    if not hasattr(evaluation, "dispute"):
        raise PermissionDenied("no dispute")
    services.dispute_resolve(
        actor=request.user,
        dispute=evaluation.dispute,
        upheld=payload.upheld,
        resolution=payload.resolution,
        new_score=payload.new_score,
    )
    return selectors.evaluation_detail(request.user, evaluation_id)


# --- calibration ------------------------------------------------------------------------------


class CalibrationOut(Schema):
    id: int
    name: str
    ticket_id: int
    rubric_id: int
    is_closed: bool
    evaluator_count: int = 0


class CalibrationIn(Schema):
    ticket_id: int
    rubric_id: int
    name: str = ""


class CalibrationDetailOut(CalibrationOut):
    score_spread: dict
    criteria: list[dict]


@router.get("/qa/calibrations", response=list[CalibrationOut])
@paginate(PageNumberless)
def calibration_list(request):
    require_perm(request.user, services.EVALUATE)
    return selectors.calibration_list()


@router.post("/qa/calibrations", response={201: CalibrationOut})
def calibration_create(request, payload: CalibrationIn):
    session = services.calibration_create(
        actor=request.user,
        ticket=get_object_or_404(Ticket, pk=payload.ticket_id),
        rubric=get_object_or_404(Rubric, pk=payload.rubric_id),
        name=payload.name,
    )
    return Status(201, session)


@router.get("/qa/calibrations/{session_id}", response=CalibrationDetailOut)
def calibration_get(request, session_id: int):
    """The session with the spread of the evaluators' scores, overall and per criterion."""
    require_perm(request.user, services.EVALUATE)
    session = get_object_or_404(selectors.calibration_list(), pk=session_id)
    scores = list(session.evaluations.values_list("score", flat=True))
    overall = scoring.spread(scores)
    per_criterion = scoring.criterion_spread(selectors.calibration_scores(session))
    return {
        "id": session.pk,
        "name": session.name,
        "ticket_id": session.ticket_id,
        "rubric_id": session.rubric_id,
        "is_closed": session.is_closed,
        "evaluator_count": session.evaluator_count,
        "score_spread": {k: _num(v) for k, v in overall.__dict__.items()},
        "criteria": per_criterion.to_dicts(),
    }


# --- targets ----------------------------------------------------------------------------------


class TargetOut(Schema):
    id: int
    kpi: str
    level: str
    team_id: int | None
    agent_id: int | None
    start: dt.date
    end: dt.date
    value: float
    parent_id: int | None
    split: str


class TargetIn(Schema):
    kpi: str
    start: dt.date
    end: dt.date
    value: float
    level: Literal["company", "team", "agent"] = "company"
    team_id: int | None = None
    agent_id: int | None = None


class DecomposeIn(Schema):
    method: Literal["equal", "share", "same"]
    weights: dict[int, float] | None = None


@router.get("/targets", response=list[TargetOut])
@paginate(PageNumberless)
def target_list(request, kpi: str = ""):
    require_perm(request.user, VIEW)
    return selectors.target_list(kpi=kpi)


@router.post("/targets", response={201: TargetOut})
def target_create(request, payload: TargetIn):
    from django.contrib.auth import get_user_model

    from kefu.accounts.models import Team

    target = services.target_create(
        actor=request.user,
        kpi=payload.kpi,
        start=payload.start,
        end=payload.end,
        value=payload.value,
        level=payload.level,
        team=get_object_or_404(Team, pk=payload.team_id) if payload.team_id else None,
        agent=get_object_or_404(get_user_model(), pk=payload.agent_id)
        if payload.agent_id
        else None,
    )
    return Status(201, target)


@router.post("/targets/{target_id}/decompose", response={201: list[TargetOut]})
def target_decompose(request, target_id: int, payload: DecomposeIn):
    """Split a company target to teams or a team target to its agents."""
    target = get_object_or_404(KpiTarget, pk=target_id)
    children = services.target_decompose(
        actor=request.user, target=target, method=payload.method, weights=payload.weights
    )
    return Status(201, children)


# --- improvement actions ----------------------------------------------------------------------


class ActionOut(Schema):
    id: int
    version: int
    title: str
    description: str
    kpi: str
    team_id: int | None
    problem_id: int | None
    owner_id: int | None
    due_date: dt.date | None
    state: str
    plan: str
    started_on: dt.date | None
    checked_on: dt.date | None
    baseline_value: float | None
    result_value: float | None
    conclusion: str
    cycle: int


class ActionIn(Schema):
    title: str = Field(..., max_length=200)
    kpi: str
    description: str = ""
    plan: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    due_date: dt.date | None = None


class MoveIn(Schema):
    version: int
    state: Literal["plan", "do", "check", "act", "closed"]
    conclusion: str = ""


@router.get("/improvement-actions", response=list[ActionOut])
@paginate(PageNumberless)
def action_list(request, state: str = ""):
    require_perm(request.user, VIEW)
    return selectors.action_list(state=state)


@router.post("/improvement-actions", response={201: ActionOut})
def action_create(request, payload: ActionIn):
    data = payload.dict()
    fields = {
        "description": data["description"],
        "plan": data["plan"],
        "owner_id": data["owner_id"],
        "team_id": data["team_id"],
        "due_date": data["due_date"],
    }
    action = services.action_create(
        actor=request.user, title=payload.title, kpi=payload.kpi, **_ids_to_objects(fields)
    )
    return Status(201, action)


def _ids_to_objects(fields: dict) -> dict:
    from django.contrib.auth import get_user_model

    from kefu.accounts.models import Team

    out = {k: v for k, v in fields.items() if not k.endswith("_id")}
    if fields.get("owner_id"):
        out["owner"] = get_object_or_404(get_user_model(), pk=fields["owner_id"])
    if fields.get("team_id"):
        out["team"] = get_object_or_404(Team, pk=fields["team_id"])
    return out


@router.post("/improvement-actions/{action_id}/move", response=ActionOut)
def action_move(request, action_id: int, payload: MoveIn):
    """Plan → Do (baseline measured) → Check (KPI measured again) → Act → Closed or Plan."""
    return services.action_move(
        actor=request.user,
        action=get_object_or_404(ImprovementAction, pk=action_id),
        to_state=payload.state,
        expected_version=payload.version,
        conclusion=payload.conclusion,
    )


ROUTERS = [("/quality", router)]
