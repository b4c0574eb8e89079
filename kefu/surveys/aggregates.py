"""Writes of the results tallies (kefu.surveys.tallies): add a submitted response's rows in the
same transaction, rebuild a survey's rows from its raw answers, and read them for results.

Adding is an upsert (INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n), the same SQL on
PostgreSQL and SQLite, with the rows sorted by key so concurrent submissions lock them in the
same order. Both the incremental and the rebuild path run `tallies.response_tallies` over
frames loaded by the same SQL (selectors.results_frames), so they agree by construction.
"""

from __future__ import annotations

import polars as pl
from django.db import connection, transaction

from kefu.surveys import selectors, tallies
from kefu.surveys.models import Question, ResultTally, Survey

COLUMNS = ("survey_id", *tallies.KEYS, "n", "total")
INSERT_BLOCK = 2_000
REBUILD_RESPONSES = 50_000  # responses per chunk when rebuilding from raw answers


def _table() -> str:
    return connection.ops.quote_name(ResultTally._meta.db_table)


def _write(survey_id: int, frame: pl.DataFrame, *, add: bool) -> None:
    """Insert `frame` (tally rows); with `add`, existing rows are incremented."""
    if frame.is_empty():
        return
    q = connection.ops.quote_name
    table = _table()
    names = ", ".join(q(c) for c in COLUMNS)
    keys = ", ".join(q(c) for c in ("survey_id", *tallies.KEYS))
    rows = [
        (survey_id, *row)
        for row in frame.sort(tallies.KEYS).select(*tallies.KEYS, "n", "total").iter_rows()
    ]
    conflict = (
        f" ON CONFLICT ({keys}) DO UPDATE SET {q('n')} = {table}.{q('n')} + excluded.{q('n')}, "
        f"{q('total')} = {table}.{q('total')} + excluded.{q('total')}"
        if add
        else ""
    )
    with connection.cursor() as cursor:
        for first in range(0, len(rows), INSERT_BLOCK):
            block = rows[first : first + INSERT_BLOCK]
            marks = ", ".join(["(" + ", ".join(["%s"] * len(COLUMNS)) + ")"] * len(block))
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {marks}{conflict}",
                [value for row in block for value in row],
            )


def compute(
    survey: Survey,
    questions: list[Question] | None = None,
    id_range: tuple[int, int] | None = None,
) -> pl.DataFrame:
    """Tallies of the submitted responses of `survey` (ids in `id_range`), from raw answers."""
    questions = selectors.survey_questions(survey) if questions is None else questions
    answers, _people = selectors.results_frames(survey, questions, id_range=id_range)
    people = selectors.tally_people(survey, id_range=id_range)
    return tallies.response_tallies(
        selectors.question_infos(questions), answers, people, instrument=survey.instrument
    )


def response_added(survey: Survey, response_id: int, questions: list[Question]) -> None:
    """Count one just-submitted response (call inside the submitting transaction)."""
    _write(survey.pk, compute(survey, questions, (response_id, response_id)), add=True)


def rebuilt(survey: Survey) -> pl.DataFrame:
    """The tallies of `survey` computed from scratch, chunk by chunk of response ids."""
    questions = selectors.survey_questions(survey)
    ids = survey.responses.filter(submitted_at__isnull=False).order_by("pk")
    first = ids.values_list("pk", flat=True).first()
    last = ids.reverse().values_list("pk", flat=True).first()
    if first is None:
        return tallies.empty_tallies()
    parts = []
    for low in range(first, last + 1, REBUILD_RESPONSES):
        parts.append(compute(survey, questions, (low, min(last, low + REBUILD_RESPONSES - 1))))
    return tallies.combine(parts)


@transaction.atomic
def rebuild(survey: Survey) -> int:
    """Replace the tallies of `survey` by a recomputation from its raw answers. The survey row
    is locked first, as response_save locks it before adding, so no submission is lost."""
    Survey.objects.select_for_update().filter(pk=survey.pk).first()
    frame = rebuilt(survey)
    ResultTally.objects.filter(survey=survey).delete()
    _write(survey.pk, frame, add=False)
    return frame.height


def write_rebuilt(survey: Survey, frame: pl.DataFrame) -> None:
    """Store tallies computed elsewhere (bulk loads such as the benchmark) for `survey`."""
    with transaction.atomic():
        ResultTally.objects.filter(survey=survey).delete()
        _write(survey.pk, frame, add=False)


def stored(survey: Survey) -> pl.DataFrame:
    """The stored tallies of `survey` as a frame (one query)."""
    rows = list(ResultTally.objects.filter(survey=survey).values_list(*tallies.KEYS, "n", "total"))
    if not rows:
        return tallies.empty_tallies()
    return pl.DataFrame(rows, schema=tallies.SCHEMA, orient="row")
