"""Reads of the surveys app: lists, and answers loaded in bulk into polars frames for results."""

from __future__ import annotations

from typing import Any

import polars as pl
from django.db import connection
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
    QuestionKind,
    Response,
    Survey,
    _in_language,
)

EMPLOYEE_RESULTS = "surveys.view_employee_results"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


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


CHUNK_ROWS = 250_000
CODES = ("item", "column")


def rows_frame(rows: list[tuple], empty: pl.DataFrame, names: tuple[str, ...]) -> pl.DataFrame:
    """Rows from values_list → a frame with the schema of `empty`; polars converts whole
    columns (aware datetimes become naive UTC), no Python code per row."""
    if not rows:
        return empty
    frame = pl.DataFrame(rows, schema=list(names), orient="row", infer_schema_length=None)
    casts = []
    for name, kind in empty.schema.items():
        column = pl.col(name)
        if isinstance(kind, pl.Datetime) and isinstance(frame.schema[name], pl.Datetime):
            if frame.schema[name].time_zone:
                column = column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            column = column.dt.cast_time_unit("us")
        casts.append(column.cast(kind).alias(name))
    return frame.select(casts)


def _answer_chunks(sql: str, params: list, schema: dict) -> pl.DataFrame:
    """Run `sql` and build a frame chunk by chunk (polars converts each fetched block; no
    Python code per row). (COPY … TO STDOUT was tried on PostgreSQL: psycopg hands it over
    one row per block, no faster than fetchmany.)"""
    frames = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            frame = pl.DataFrame(rows, schema=schema, orient="row")
            # Item and column codes repeat on every row: categoricals keep 44 M rows small.
            frames.append(
                frame.with_columns(pl.col(n).cast(pl.Categorical) for n in CODES if n in schema)
            )
    if not frames:
        return pl.DataFrame(schema=schema).with_columns(
            pl.col(n).cast(pl.Categorical) for n in CODES if n in schema
        )
    return pl.concat(frames)


def results_frames(
    survey: Survey,
    questions: list[Question] | None = None,
    *,
    id_range: tuple[int, int] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(answers, responses) of the submitted responses, columns as analysis.py expects. Three
    queries: scale/matrix/points/text cells straight into polars, choice answers (exploded to
    one row per chosen id, item = choice id), and the responses with their groups. `id_range`
    (first, last response id) limits the load to those responses (tallies, chunked rebuilds)."""
    questions = survey_questions(survey) if questions is None else questions
    bounds: list[int] = list(id_range) if id_range else []
    choice_ids = [q.pk for q in questions if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTI)]
    other_ids = [q.pk for q in questions if q.pk not in set(choice_ids)]
    answer, response = _q(Answer._meta.db_table), _q(Response._meta.db_table)
    base = (
        f"FROM {answer} a JOIN {response} r ON r.{_q('id')} = a.{_q('response_id')} "
        f"WHERE r.{_q('survey_id')} = %s AND r.{_q('submitted_at')} IS NOT NULL"
        + (f" AND a.{_q('response_id')} BETWEEN %s AND %s" if bounds else "")
    )
    schema = analysis.empty_answers().schema
    frames = []
    if other_ids:
        marks = ", ".join(["%s"] * len(other_ids))
        frames.append(
            _answer_chunks(
                f"SELECT a.{_q('response_id')}, a.{_q('question_id')}, a.{_q('item')}, "
                f"a.{_q('column')}, a.{_q('value')} {base} "
                f"AND a.{_q('question_id')} IN ({marks})",
                [survey.pk, *bounds, *other_ids],
                dict(schema),
            )
        )
    if choice_ids:
        marks = ", ".join(["%s"] * len(choice_ids))
        as_text = "CAST(a.{0} AS TEXT)" if connection.vendor == "postgresql" else "a.{0}"
        chosen = _answer_chunks(
            f"SELECT a.{_q('response_id')}, a.{_q('question_id')}, "
            f"{as_text.format(_q('choice_ids'))} {base} "
            f"AND a.{_q('question_id')} IN ({marks})",
            [survey.pk, *bounds, *choice_ids],
            {"response_id": pl.Int64, "question_id": pl.Int64, "choices": pl.Utf8},
        )
        frames.append(
            chosen.with_columns(
                item=pl.col("choices").str.json_decode(pl.List(pl.Utf8)),
                column=pl.lit(""),
                value=pl.lit(None, dtype=pl.Float64),
            )
            .drop("choices")
            .explode("item")
            .drop_nulls("item")
            .select(list(schema))
            .with_columns(pl.col(n).cast(pl.Categorical) for n in CODES)
        )
    answers = (
        pl.concat(frames)
        if frames
        else analysis.empty_answers().with_columns(pl.col(n).cast(pl.Categorical) for n in CODES)
    )
    submitted = survey.responses.filter(submitted_at__isnull=False)
    if id_range:
        submitted = submitted.filter(pk__range=id_range)
    people = list(
        submitted.values_list(
            "pk", "submitted_at", "team__name", "agent__username", "channel", "tier"
        )
    )
    if not people:
        return answers, analysis.empty_responses()
    names = ("response_id", "submitted_at", "team", "agent", "channel", "tier")
    responses = rows_frame(people, analysis.empty_responses(), names).with_columns(
        pl.col(name).fill_null("") for name in names[2:]
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


def tally_people(survey: Survey, *, id_range: tuple[int, int] | None = None) -> pl.DataFrame:
    """The submitted responses with their groups for tallies.response_tallies: team and agent
    as ids (text, "" = none), so that renaming a team does not split its tallies."""
    submitted = survey.responses.filter(submitted_at__isnull=False)
    if id_range:
        submitted = submitted.filter(pk__range=id_range)
    rows = list(
        submitted.values_list("pk", "submitted_at", "team_id", "agent_id", "channel", "tier")
    )
    names = ("response_id", "submitted_at", "team", "agent", "channel", "tier")
    return rows_frame(rows, analysis.empty_responses(), names).with_columns(
        pl.col(name).fill_null("") for name in names[2:]
    )


def group_names(frame: pl.DataFrame) -> dict[str, str]:
    """ "team:<id>" → team name and "agent:<id>" → username for the groups in `frame` (two
    queries); ids of deleted teams and users are left out (their answers count as no group)."""
    from kefu.accounts.models import Team, User

    wanted: dict[str, set[int]] = {"team": set(), "agent": set()}
    for grp in frame.filter(pl.col("grp").str.contains(r"^(team|agent):\d+$"))["grp"].unique():
        kind, _sep, number = grp.partition(":")
        wanted[kind].add(int(number))
    names: dict[str, str] = {}
    if wanted["team"]:
        for pk, name in Team.objects.filter(pk__in=wanted["team"]).values_list("pk", "name"):
            names[f"team:{pk}"] = name
    if wanted["agent"]:
        for pk, name in User.objects.filter(pk__in=wanted["agent"]).values_list("pk", "username"):
            names[f"agent:{pk}"] = name
    return names


def survey_results(survey: Survey) -> analysis.SurveyResults:
    """All aggregates of a survey from its results tallies (kept at write time, see
    kefu.surveys.tallies): a constant number of small queries whatever its size."""
    from kefu.surveys import aggregates, tallies

    rows = survey_questions(survey)
    stored = aggregates.stored(survey)
    return tallies.results_from_tallies(
        question_infos(rows),
        tallies.labelled(stored, group_names(stored)),
        invited=survey.invitations.count(),
        instrument=survey.instrument,
        min_group_size=survey.min_group_size,
        anonymous=survey.anonymous,
        importance_points=survey.importance_points or None,
        category_names=category_names(survey),
    )


def survey_results_from_answers(survey: Survey) -> analysis.SurveyResults:
    """The same aggregates recomputed from every raw answer (polars; slow for big surveys):
    the reference the tallies are checked against."""
    rows = survey_questions(survey)
    questions = question_infos(rows)
    answers, responses = results_frames(survey, rows)
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
    """The latest free-text answers (question text, answer), newest first, one query over the
    answers of the survey's text questions only (none without text questions), so a survey
    of a million responses does not scan its matrix answers."""
    text_ids = list(survey.questions.filter(kind=QuestionKind.TEXT).values_list("pk", flat=True))
    if not text_ids:
        return []
    rows = (
        Answer.objects.filter(
            question_id__in=text_ids,
            response__survey=survey,
            response__submitted_at__isnull=False,
        )
        .exclude(text="")
        .select_related("question")
        .order_by("-response__submitted_at", "-id")[:limit]
    )
    return [(row.question.text, row.text) for row in rows]
