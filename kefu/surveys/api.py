"""API for surveys (CRUD, publish, close), responses (submit via token, list), results, and the
instrument calculators (SERVQUAL gaps and NPS from posted arrays)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kefu.api.pagination import PageNumberless
from kefu.core.errors import NotAllowed, NotFound, ValidationFailed
from kefu.core.permissions import require_perm
from kefu.surveys import answering, insight_selectors, scoring, selectors, services
from kefu.surveys.instruments import SERVQUAL_ITEM_DIMENSIONS
from kefu.surveys.models import Instrument, QuestionKind, Survey
from kefu.surveys.waterfall import STAGES

VIEW = "surveys.view_survey"

router = Router(tags=["surveys"])
instruments_router = Router(tags=["surveys"])


def _clean(value: Any) -> Any:
    """NaN → None (JSON has no NaN)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


# --- schemas ------------------------------------------------------------------------------------


class QuestionOut(Schema):
    id: int
    order: int
    section_id: int | None
    code: str
    kind: str
    text_en: str
    text_zh: str
    required: bool
    metric: str
    dimension: str
    weight: float
    labels: dict[str, Any]
    choices: list[dict[str, Any]]
    items: list[dict[str, Any]]
    columns: list[dict[str, Any]]
    scale_kind: str
    show_if_question_id: int | None
    show_if_operator: str
    show_if_value: float | None


class SurveyOut(Schema):
    id: int
    version: int
    title_en: str
    title_zh: str
    description_en: str
    description_zh: str
    instrument: str
    audience: str
    status: str
    anonymous: bool
    min_group_size: int
    importance_points: dict[str, float]
    follow_up_low_scores: bool
    public_link_enabled: bool
    published_at: dt.datetime | None
    closed_at: dt.datetime | None
    created_at: dt.datetime


class SectionOut(Schema):
    id: int
    order: int
    title_en: str
    title_zh: str


class SectionIn(Schema):
    title_en: str = Field("", max_length=200)
    title_zh: str = Field("", max_length=200)


class SurveyDetailOut(SurveyOut):
    sections: list[SectionOut]
    questions: list[QuestionOut]

    @staticmethod
    def resolve_sections(obj) -> list:
        return list(obj.sections.all())

    @staticmethod
    def resolve_questions(obj) -> list:
        return selectors.survey_questions(obj)


class SurveyIn(Schema):
    instrument: Literal[tuple(Instrument.values)] = "custom"  # type: ignore[valid-type]
    title_en: str = Field("", max_length=200)
    title_zh: str = Field("", max_length=200)
    description_en: str = ""
    description_zh: str = ""
    anonymous: bool | None = None
    min_group_size: int | None = Field(None, ge=1, le=100)
    follow_up_low_scores: bool = False


class SurveyPatch(Schema):
    version: int = Field(description="The version you read; a stale one gets 409.")
    title_en: str | None = Field(None, max_length=200)
    title_zh: str | None = Field(None, max_length=200)
    description_en: str | None = None
    description_zh: str | None = None
    anonymous: bool | None = None
    min_group_size: int | None = Field(None, ge=1, le=100)
    importance_points: dict[str, float] | None = None
    follow_up_low_scores: bool | None = None
    public_link_enabled: bool | None = None


class VersionIn(Schema):
    version: int


class QuestionIn(Schema):
    kind: Literal[tuple(QuestionKind.values)]  # type: ignore[valid-type]
    section_id: int | None = None
    text_en: str = Field("", max_length=500)
    text_zh: str = Field("", max_length=500)
    required: bool = False
    code: str = Field("", max_length=30)
    metric: Literal["", "csat", "nps", "ces", "repurchase", "attribute"] = ""
    dimension: str = Field("", max_length=40)
    weight: float = Field(1.0, ge=0)
    labels: dict[str, Any] = {}
    choices: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    columns: list[dict[str, Any]] = []
    scale_kind: Literal["likert5", "likert7", "scale10"] = "likert7"
    show_if_question_id: int | None = None
    show_if_operator: Literal["le", "ge"] = "le"
    show_if_value: float | None = None


class QuestionPatch(Schema):
    section_id: int | None = None
    text_en: str | None = Field(None, max_length=500)
    text_zh: str | None = Field(None, max_length=500)
    required: bool | None = None
    code: str | None = Field(None, max_length=30)
    metric: Literal["", "csat", "nps", "ces", "repurchase", "attribute"] | None = None
    dimension: str | None = Field(None, max_length=40)
    weight: float | None = Field(None, ge=0)
    labels: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    items: list[dict[str, Any]] | None = None
    columns: list[dict[str, Any]] | None = None
    show_if_question_id: int | None = None
    show_if_operator: Literal["le", "ge"] | None = None
    show_if_value: float | None = None


class ResponseIn(Schema):
    token: str = Field(description="The token of the respondent's link (/s/<token>/).")
    answers: dict[str, Any] = Field(
        description='{"<question id>": 4 | "choice" | ["a", "b"] | "text" | '
        '{"<row>": {"<column>": 5}} | {"<choice>": points}}'
    )
    partial: bool = Field(False, description="Save a draft: required answers not checked.")
    submission: str = Field(
        "", description="For public links: the signed form key from GET …/responses/form."
    )


class ResponseCreatedOut(Schema):
    id: int
    submitted: bool


class AnswerOut(Schema):
    question_id: int
    item: str
    column: str
    value: float | None
    choice_ids: list[str]
    text: str


class ResponseOut(Schema):
    id: int
    submitted_at: dt.datetime | None
    customer_id: int | None
    ticket_id: int | None
    agent_id: int | None
    team_id: int | None
    channel: str
    tier: str
    follow_up_ticket_id: int | None
    answers: list[AnswerOut]

    @staticmethod
    def resolve_answers(obj) -> list:
        return list(obj.answers.all())


class NpsIn(Schema):
    scores: list[float | None] = Field(description="Answers 0–10; null = no answer.")
    confidence: float = Field(0.95, gt=0, lt=1)


class ServqualIn(Schema):
    expectations: list[list[float | None]] = Field(description="Respondents × items, 1–7.")
    perceptions: list[list[float | None]]
    item_dimensions: list[str] | None = Field(
        None, description="Dimension of each item; default: the 22 standard SERVQUAL items."
    )
    importance_points: dict[str, float] | None = Field(
        None, description="Points per dimension summing to 100."
    )


# --- helpers ------------------------------------------------------------------------------------


def _get(survey_id: int) -> Survey:
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise NotFound("No such survey.")
    return survey


def _nan_list(rows):
    return [[float("nan") if v is None else v for v in row] for row in rows]


# --- surveys ------------------------------------------------------------------------------------


@router.get("", response=list[SurveyOut])
@paginate(PageNumberless)
def survey_list(request, status: str = "", instrument: str = "", q: str = ""):
    require_perm(request.user, VIEW)
    return selectors.survey_list(actor=request.user, status=status, instrument=instrument, q=q)


@router.post("", response={201: SurveyDetailOut})
def survey_create(request, payload: SurveyIn):
    """Create a draft: empty (custom) or from a standard instrument's questions."""
    require_perm(request.user, "surveys.add_survey")
    data = {k: v for k, v in payload.dict().items() if v is not None}
    instrument = data.pop("instrument")
    if instrument == Instrument.CUSTOM:
        survey = services.survey_create(actor=request.user, **data)
    else:
        data = {k: v for k, v in data.items() if v not in ("", False) or k == "anonymous"}
        survey = services.survey_create_from_instrument(
            actor=request.user, instrument=instrument, **data
        )
    return Status(201, survey)


@router.get("/{survey_id}", response=SurveyDetailOut)
def survey_get(request, survey_id: int):
    require_perm(request.user, VIEW)
    return _get(survey_id)


@router.patch("/{survey_id}", response=SurveyDetailOut)
def survey_update(request, survey_id: int, payload: SurveyPatch):
    require_perm(request.user, "surveys.change_survey")
    changes = payload.dict(exclude_unset=True, exclude={"version"})
    return services.survey_update(
        actor=request.user,
        survey=_get(survey_id),
        expected_version=payload.version,
        changes=changes,
    )


@router.delete("/{survey_id}", response={204: None})
def survey_delete(request, survey_id: int):
    require_perm(request.user, "surveys.delete_survey")
    services.survey_delete(actor=request.user, survey=_get(survey_id))
    return Status(204, None)


@router.post("/{survey_id}/publish", response=SurveyOut)
def survey_publish(request, survey_id: int, payload: VersionIn):
    require_perm(request.user, "surveys.publish_survey")
    return services.survey_publish(
        actor=request.user, survey=_get(survey_id), expected_version=payload.version
    )


@router.post("/{survey_id}/close", response=SurveyOut)
def survey_close(request, survey_id: int, payload: VersionIn):
    require_perm(request.user, "surveys.publish_survey")
    return services.survey_close(
        actor=request.user, survey=_get(survey_id), expected_version=payload.version
    )


def _question_fields(survey: Survey, data: dict[str, Any]) -> dict[str, Any]:
    """API ids → the survey's own rows (show_if_question_id, section_id)."""
    if "show_if_question_id" in data:
        condition = data.pop("show_if_question_id")
        data["show_if_question"] = (
            survey.questions.filter(pk=condition).first() if condition else None
        )
        if condition and data["show_if_question"] is None:
            raise ValidationFailed(
                "Unknown question.",
                fields={"show_if_question_id": "Not a question of this survey."},
            )
    if "section_id" in data:
        section = data.pop("section_id")
        data["section"] = survey.sections.filter(pk=section).first() if section else None
        if section and data["section"] is None:
            raise ValidationFailed(
                "Unknown section.", fields={"section_id": "Not a section of this survey."}
            )
    return data


def _question(survey: Survey, question_id: int):
    question = survey.questions.filter(pk=question_id).first()
    if question is None:
        raise NotFound("No such question in this survey.")
    return question


@router.post("/{survey_id}/questions", response={201: QuestionOut})
def question_add(request, survey_id: int, payload: QuestionIn):
    require_perm(request.user, "surveys.change_survey")
    survey = _get(survey_id)
    data = _question_fields(survey, payload.dict())
    return Status(201, services.question_add(actor=request.user, survey=survey, **data))


@router.patch("/{survey_id}/questions/{question_id}", response=QuestionOut)
def question_update(request, survey_id: int, question_id: int, payload: QuestionPatch):
    """Change some fields of a question (refused once the survey has responses: 409)."""
    require_perm(request.user, "surveys.change_survey")
    survey = _get(survey_id)
    changes = _question_fields(survey, payload.dict(exclude_unset=True))
    return services.question_update(
        actor=request.user, question=_question(survey, question_id), changes=changes
    )


@router.delete("/{survey_id}/questions/{question_id}", response={204: None})
def question_delete(request, survey_id: int, question_id: int):
    require_perm(request.user, "surveys.change_survey")
    survey = _get(survey_id)
    services.question_delete(actor=request.user, question=_question(survey, question_id))
    return Status(204, None)


@router.post("/{survey_id}/sections", response={201: SectionOut})
def section_add(request, survey_id: int, payload: SectionIn):
    """Add a section heading; put questions in it with `section_id` on the question."""
    require_perm(request.user, "surveys.change_survey")
    return Status(
        201, services.section_add(actor=request.user, survey=_get(survey_id), **payload.dict())
    )


@router.patch("/{survey_id}/sections/{section_id}", response=SectionOut)
def section_update(request, survey_id: int, section_id: int, payload: SectionIn):
    require_perm(request.user, "surveys.change_survey")
    section = _get(survey_id).sections.filter(pk=section_id).first()
    if section is None:
        raise NotFound("No such section in this survey.")
    return services.section_update(actor=request.user, section=section, **payload.dict())


@router.delete("/{survey_id}/sections/{section_id}", response={204: None})
def section_delete(request, survey_id: int, section_id: int):
    """Remove a section (its questions stay, without a section)."""
    require_perm(request.user, "surveys.change_survey")
    section = _get(survey_id).sections.filter(pk=section_id).first()
    if section is None:
        raise NotFound("No such section in this survey.")
    services.section_delete(actor=request.user, section=section)
    return Status(204, None)


# --- responses ----------------------------------------------------------------------------------


@router.get("/{survey_id}/responses/form", auth=None, response=dict[str, str])
def response_form(request, survey_id: int):
    """A fresh signed form key for one public-link response (send it back as `submission`)."""
    _get(survey_id)
    return {"submission": services.submission_token()}


@router.post("/{survey_id}/responses", auth=None, response={201: ResponseCreatedOut})
def response_submit(request, survey_id: int, payload: ResponseIn):
    """Submit (or save as a draft) the answers of a link's respondent. No sign-in: the token is
    the key. Replays get 409 `already_answered`; expired links 409 `expired`."""
    survey, invitation = services.resolve_token(payload.token)
    if survey.pk != survey_id:
        raise NotFound("This survey link is not valid.", code="bad_token")
    services.check_open(survey, invitation)
    personal = invitation is not None and not survey.anonymous
    if personal:
        key = ""
    elif payload.submission:
        key = services.submission_key_from(payload.submission)
    else:
        raise ValidationFailed(
            "Get a form key first.", fields={"submission": "Required for this link."}
        )
    response = services.response_save(
        survey=survey,
        data=answering.flatten_api_answers(payload.answers),
        invitation=invitation,
        submission_key=key,
        partial=payload.partial,
    )
    return Status(201, {"id": response.pk, "submitted": response.submitted_at is not None})


@router.get("/{survey_id}/responses", response=list[ResponseOut])
@paginate(PageNumberless)
def response_list(request, survey_id: int, include_partial: bool = False):
    require_perm(request.user, "surveys.view_response")
    survey = _get(survey_id)
    selectors.require_results_access(request.user, survey)
    if survey.anonymous:
        raise ValidationFailed(
            "Responses of an anonymous survey are only shown as aggregates (see /results)."
        )
    return selectors.response_list(survey, include_partial=include_partial).prefetch_related(
        "answers"
    )


@router.get("/{survey_id}/results", response=dict[str, Any])
def survey_results(request, survey_id: int):
    """Aggregates: response rate, per-question distributions and means with 95% CIs, CSAT/NPS/
    CES, breakdowns, and SERVQUAL/RATER/CSI/category blocks for those instruments."""
    require_perm(request.user, VIEW)
    survey = _get(survey_id)
    selectors.require_results_access(request.user, survey)
    results = selectors.survey_results(survey)
    body: dict[str, Any] = {
        "responses": results.responses,
        "invited": results.invited,
        "response_rate": results.response_rate,
        "questions": [
            {
                "id": s.question.id,
                "code": s.question.code,
                "kind": s.question.kind,
                "n": s.n,
                "mean": s.mean,
                "ci_low": s.ci_low,
                "ci_high": s.ci_high,
                "distribution": [
                    {"answer": label, "count": n, "share": share}
                    for label, n, share in s.distribution
                ],
            }
            for s in results.questions
        ],
        "csat": results.csat.__dict__ if results.csat else None,
        "nps": results.nps.__dict__ if results.nps else None,
        "ces": (
            {
                "mean": results.ces.mean,
                "low_effort_share": results.ces.low_effort_share,
                "n": results.ces.n,
                "ci_low": results.ces.mean_ci.low,
                "ci_high": results.ces.mean_ci.high,
            }
            if results.ces
            else None
        ),
        "breakdowns": results.breakdowns,
        "rater": results.rater,
        "csi": results.csi,
        "categories": results.dimensions,
    }
    if results.servqual:
        body["servqual"] = {
            k: v
            for k, v in results.servqual.items()
            if k not in ("perception", "response_ids", "item_dimensions")
        }
    return _clean(body)


# --- instrument calculators ---------------------------------------------------------------------


@instruments_router.post("/nps", response=dict[str, Any])
def instrument_nps(request, payload: NpsIn):
    """NPS with its confidence interval from posted 0–10 answers."""
    require_perm(request.user, VIEW)
    scores = [float("nan") if v is None else v for v in payload.scores]
    try:
        result = scoring.nps(scores, confidence=payload.confidence)
    except ValueError as exc:
        raise ValidationFailed(str(exc), fields={"scores": str(exc)}) from exc
    return _clean(result.__dict__)


@instruments_router.post("/servqual", response=dict[str, Any])
def instrument_servqual(request, payload: ServqualIn):
    """SERVQUAL gaps per item and dimension, unweighted and weighted, from posted matrices."""
    require_perm(request.user, VIEW)
    dimensions = payload.item_dimensions or list(SERVQUAL_ITEM_DIMENSIONS)
    try:
        result = scoring.servqual(
            _nan_list(payload.expectations),
            _nan_list(payload.perceptions),
            dimensions,
            payload.importance_points,
        )
    except ValueError as exc:
        raise ValidationFailed(str(exc), fields={"expectations": str(exc)}) from exc
    return _clean(
        {
            "item_gaps": result.item_gaps.tolist(),
            "dimension_gaps": result.dimension_gaps,
            "unweighted_score": result.unweighted_score,
            "weighted_score": result.weighted_score,
        }
    )


# --- cross-survey analyses ----------------------------------------------------------------------

insights_router = Router(tags=["surveys"])


@insights_router.get("/loyalty", response=dict[str, Any])
def satisfaction_loyalty(
    request,
    days: int = Query(365, ge=30, le=3650),
    satisfied_min: float = Query(4, ge=1, le=5),
    loyal_min: float = Query(50, ge=0, le=100),
    limit: int = Query(1000, ge=1, le=10000),
):
    """Loyalty vs satisfaction (M7): the 2×2 counts, mean loyalty per CSAT score and the
    customers who are satisfied but not loyal (least loyal first)."""
    require_perm(request.user, "surveys.view_results")
    report = insight_selectors.loyalty_report(
        days=days, satisfied_min=satisfied_min, loyal_min=loyal_min, limit=limit
    )
    show_names = request.user.has_perm("customers.view_customer")
    summary = report.summary
    return _clean(
        {
            "since": report.since,
            "until": report.until,
            "customers": summary.customers,
            "satisfied": summary.satisfied,
            "loyal": summary.loyal,
            "satisfied_not_loyal": summary.satisfied_not_loyal,
            "quadrants": summary.quadrants,
            "by_satisfaction": summary.by_satisfaction,
            "list": [
                {k: v for k, v in row.items() if show_names or k not in ("number", "name")}
                for row in report.rows
            ],
        }
    )


@insights_router.get("/waterfall", response=dict[str, Any])
def satisfaction_waterfall(
    request,
    granularity: Literal["month", "quarter"] = "quarter",
    before: str = "",
    after: str = "",
):
    """Service waterfall (M30): customers per stage and period, the transition matrix between
    two periods (default the last two) and the complainers lifted back."""
    require_perm(request.user, "surveys.view_results")
    report = insight_selectors.waterfall_report(granularity=granularity, before=before, after=after)
    body: dict[str, Any] = {
        "granularity": report.granularity,
        "stages": list(STAGES),
        "periods": report.counts,
        "transition": None,
    }
    transition = report.transition
    if transition is not None:
        body["transition"] = {
            "before": transition.before,
            "after": transition.after,
            "counts": transition.matrix.counts.tolist(),
            "shares": transition.matrix.shares.tolist(),
            "customers": transition.customers,
            "complainers": transition.complainers,
            "recovered": transition.recovered,
            "loyal_at_start": transition.flows.loyal_at_start,
            "loyal_lost": transition.flows.loyal_lost,
            "loyal_gained": transition.flows.loyal_gained,
        }
    return _clean(body)


@insights_router.get("/gaps", response=dict[str, Any])
def satisfaction_gaps(request, survey: int | None = None, days: int = Query(90, ge=7, le=730)):
    """5-gap model (M44): gap 5 of a SERVQUAL survey (default the latest) and the internal
    measures of gaps 1–4 (SLA standards, coverage, compliance, promises kept)."""
    require_perm(request.user, "surveys.view_results")
    from kefu.surveys.insight_views import gap_report

    try:
        report = gap_report(request.user, survey_id=str(survey or ""), days=days)
    except PermissionDenied as exc:
        raise NotAllowed("You may not see the results of this survey.") from exc
    measures = report["measures"]
    return _clean(
        {
            "survey": report["survey"].pk if report["survey"] else None,
            "indicators": report["indicators"],
            "dimensions": [
                {k: v for k, v in row.items() if k != "label"} for row in report["dimensions"]
            ],
            "sla": {
                "policies": measures.policies,
                "first_response_minutes": measures.first_response_minutes,
                "resolution_minutes": measures.resolution_minutes,
                "tickets": measures.tickets,
                "covered": measures.covered,
                "compliance": measures.compliance,
                "promised": measures.promised,
                "kept": measures.kept,
                "broken": measures.broken,
                "promised_minutes": measures.promised_minutes,
                "actual_minutes": measures.actual_minutes,
            },
        }
    )


ROUTERS = [
    ("surveys", router),
    ("instruments", instruments_router),
    ("satisfaction", insights_router),
]
