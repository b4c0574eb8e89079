"""Reads of the surveys app: lists, and answers loaded in bulk into polars frames for results."""

from __future__ import annotations

from typing import Any

import polars as pl
from django.db.models import Count, Q, QuerySet
from django.utils import translation

from kefu.core.errors import NotAllowed
from kefu.surveys import analysis
from kefu.surveys.analysis import QuestionInfo
from kefu.surveys.blueprints import DIMENSION_NAMES
from kefu.surveys.instruments import (
    CUSTOMER_ORIENTATION_CATEGORIES,
    EMPLOYEE_SATISFACTION_DIMENSIONS,
)
from kefu.surveys.models import (
    Answer,
    Audience,
    Invitation,
    Question,
    Response,
    Survey,
    _in_language,
)

EMPLOYEE_RESULTS = "surveys.view_employee_results"


def survey_list(
    *, actor=None, status: str = "", instrument: str = "", q: str = ""
) -> QuerySet[Survey]:
    """Surveys with their question, response and invitation counts (one query)."""
    surveys = Survey.objects.annotate(
        question_count=Count("questions", distinct=True),
        response_count=Count(
            "responses", filter=Q(responses__submitted_at__isnull=False), distinct=True
        ),
    ).order_by("-created_at", "-id")
    if status:
        surveys = surveys.filter(status=status)
    if instrument:
        surveys = surveys.filter(instrument=instrument)
    if q:
        surveys = surveys.filter(Q(title_en__icontains=q) | Q(title_zh__icontains=q))
    return surveys


def survey_questions(survey: Survey) -> list[Question]:
    return list(
        survey.questions.select_related("section", "show_if_question").order_by("order", "id")
    )


def invitation_list(survey: Survey) -> QuerySet[Invitation]:
    return survey.invitations.select_related("customer", "ticket", "employee").order_by(
        "-created_at", "-id"
    )


def response_list(survey: Survey, *, include_partial: bool = False) -> QuerySet[Response]:
    responses = survey.responses.select_related("customer", "ticket", "agent", "team")
    if not include_partial:
        responses = responses.filter(submitted_at__isnull=False)
    return responses.order_by("-submitted_at", "-id")


def can_view_results(user, survey: Survey) -> bool:
    if survey.audience == Audience.EMPLOYEES:
        return user.has_perm(EMPLOYEE_RESULTS)
    return user.has_perm("surveys.view_results")


def require_results_access(user, survey: Survey) -> None:
    if not can_view_results(user, survey):
        raise NotAllowed("You may not see the results of this survey.")


def question_infos(questions: list[Question]) -> list[QuestionInfo]:
    """Plain descriptions of the questions in the active language, for analysis.py."""
    infos = []
    for q in questions:
        infos.append(
            QuestionInfo(
                id=q.pk,
                code=q.code,
                kind=q.kind,
                text=q.text,
                metric=q.metric,
                dimension=q.dimension,
                weight=q.weight,
                scale_kind=q.scale_kind or "",
                choices=tuple(
                    (str(c["id"]), _in_language(c.get("en", ""), c.get("zh", "")))
                    for c in q.choices
                ),
                items=tuple(
                    (
                        str(i["id"]),
                        _in_language(i.get("en", ""), i.get("zh", "")),
                        i.get("dimension", q.dimension),
                    )
                    for i in q.items
                ),
            )
        )
    return infos


def results_frames(survey: Survey) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(answers, responses) of the submitted responses, two queries, columns as analysis.py
    expects; choice answers become one row per chosen id (item = choice id)."""
    submitted = Q(response__survey=survey, response__submitted_at__isnull=False)
    rows = Answer.objects.filter(submitted).values_list(
        "response_id", "question_id", "item", "column", "value", "choice_ids"
    )
    response_ids, question_ids, items, columns, values = [], [], [], [], []
    for response_id, question_id, item, column, value, choice_ids in rows.iterator(
        chunk_size=20000
    ):
        if choice_ids:
            for choice in choice_ids:
                response_ids.append(response_id)
                question_ids.append(question_id)
                items.append(str(choice))
                columns.append("")
                values.append(None)
            continue
        response_ids.append(response_id)
        question_ids.append(question_id)
        items.append(item)
        columns.append(column)
        values.append(value)
    answers = (
        pl.DataFrame(
            {
                "response_id": response_ids,
                "question_id": question_ids,
                "item": items,
                "column": columns,
                "value": values,
            },
            schema=analysis.empty_answers().schema,
        )
        if response_ids
        else analysis.empty_answers()
    )
    people = survey.responses.filter(submitted_at__isnull=False).values_list(
        "pk", "submitted_at", "team__name", "agent__username", "channel", "tier"
    )
    responses_rows = list(people)
    if not responses_rows:
        return answers, analysis.empty_responses()
    columns_ = list(zip(*responses_rows, strict=True))
    responses = pl.DataFrame(
        {
            "response_id": list(columns_[0]),
            "submitted_at": [at.replace(tzinfo=None) for at in columns_[1]],
            "team": [v or "" for v in columns_[2]],
            "agent": [v or "" for v in columns_[3]],
            "channel": [v or "" for v in columns_[4]],
            "tier": [v or "" for v in columns_[5]],
        },
        schema=analysis.empty_responses().schema,
    )
    return answers, responses


def category_names(survey: Survey) -> dict[str, str]:
    chinese = (translation.get_language() or "").startswith("zh")
    names = {}
    for category in (*EMPLOYEE_SATISFACTION_DIMENSIONS, *CUSTOMER_ORIENTATION_CATEGORIES):
        names[category.code] = category.name_zh if chinese else category.name_en
    for code, (en, zh) in DIMENSION_NAMES.items():
        names[code] = zh if chinese else en
    return names


def survey_results(survey: Survey) -> analysis.SurveyResults:
    """All aggregates of a survey: a constant number of queries whatever its size."""
    questions = question_infos(survey_questions(survey))
    answers, responses = results_frames(survey)
    invited = survey.invitations.count()
    return analysis.survey_results(
        questions,
        answers,
        responses,
        invited=invited,
        instrument=survey.instrument,
        min_group_size=survey.min_group_size,
        anonymous=survey.anonymous,
        importance_points=survey.importance_points or None,
        category_names=category_names(survey),
    )


def raw_responses(survey: Survey) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the raw responses (one row per response, one column per answer cell)."""
    questions = survey_questions(survey)
    header_keys: list[tuple[int, str, str]] = []
    header = ["response", "submitted_at", "team", "agent", "channel", "tier"]
    for number, q in enumerate(questions, 1):
        if q.kind == "matrix":
            columns = [c["id"] for c in q.columns] or [""]
            for item in q.items:
                for column in columns:
                    header_keys.append((q.pk, str(item["id"]), column))
                    header.append(f"Q{number} {item['id']} {column}".strip())
        elif q.kind == "points":
            for choice in q.choices:
                header_keys.append((q.pk, str(choice["id"]), ""))
                header.append(f"Q{number} {choice['id']}")
        else:
            header_keys.append((q.pk, "", ""))
            header.append(f"Q{number} {q.code}".strip())
    position = {key: i for i, key in enumerate(header_keys)}
    responses = list(
        survey.responses.filter(submitted_at__isnull=False)
        .order_by("pk")
        .values_list("pk", "submitted_at", "team__name", "agent__username", "channel", "tier")
    )
    index = {row[0]: i for i, row in enumerate(responses)}
    table = [
        [pk, at.replace(tzinfo=None) if at else None, team or "", agent or "", channel, tier]
        + [None] * len(header_keys)
        for pk, at, team, agent, channel, tier in responses
    ]
    answers = Answer.objects.filter(
        response__survey=survey, response__submitted_at__isnull=False
    ).values_list("response_id", "question_id", "item", "column", "value", "choice_ids", "text")
    for response_id, question_id, item, column, value, choice_ids, text in answers.iterator(
        chunk_size=20000
    ):
        slot = position.get((question_id, item, column))
        row = index.get(response_id)
        if slot is None or row is None:
            continue
        table[row][6 + slot] = value if value is not None else (", ".join(choice_ids) or text)
    return header, table


def recent_texts(survey: Survey, limit: int = 20) -> list[tuple[str, str]]:
    """The latest free-text answers (question text, answer), newest first, one query."""
    rows = (
        Answer.objects.filter(response__survey=survey, response__submitted_at__isnull=False)
        .exclude(text="")
        .select_related("question")
        .order_by("-response__submitted_at", "-id")[:limit]
    )
    return [(row.question.text, row.text) for row in rows]
