"""Benchmark of survey results read from the database (kefu.surveys.selectors.survey_results):
a SERVQUAL survey with N responses × 44 answers (22 statements × expectation and perception).

Run: .venv/bin/python bench/bench_surveys_db.py [--quick] [--responses N] [--compare]
     KEFU_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kefu_bench_surveys ... (PostgreSQL)

Builds a fresh database (SQLite file under var/ unless KEFU_DATABASE_URL names another). The
raw rows go in by COPY on PostgreSQL (executemany on SQLite), in blocks of 100,000 responses,
each spread over 5 teams, 20 agents, 4 channels, 4 tiers and 330 days. The results tallies
(aggregates kept at write time by response_save) are built from the same blocks in memory by
`tallies.response_tallies` — the code response_save and the rebuild run — and stored once.

Then it times `selectors.survey_results` (what the results page and `GET surveys/{id}/results`
call), which reads the tallies, never the raw answers. `--compare` also times the former path
(every raw answer loaded into polars, `selectors.survey_results_from_answers`), the rebuild from
the raw answers (`aggregates.rebuild`) and checks that both give the same results and tallies;
use it at small sizes only (it reads N × 44 rows).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 5.0  # 1,000,000 × 44
BLOCK = 100_000  # responses per generated block


def _setup(database_url: str | None, reuse: bool = False) -> None:
    if database_url:
        os.environ["KEFU_DATABASE_URL"] = database_url
    else:
        path = ROOT / "var" / "bench-surveys.sqlite3"
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["KEFU_DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    if connection.vendor == "postgresql" and not reuse:
        call_command("flush", interactive=False, verbosity=0)


def _copy(table: str, columns: list[str], frame) -> None:
    """COPY a polars frame into `table` (PostgreSQL): CSV with every field quoted, so empty
    strings stay empty strings."""
    from django.db import connection

    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, quote_style="always")
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())


def _insert(table: str, columns: list[str], frame) -> None:
    from django.db import connection

    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", frame.rows())


def _fill(responses: int, rng: np.random.Generator) -> tuple[object, dict[str, float]]:
    """A published SERVQUAL survey with `responses` submitted responses × 44 matrix cells, and
    its tallies. Returns (survey, seconds per phase)."""
    import datetime as dt

    import polars as pl
    from django.db import connection, transaction

    from kefu.accounts.models import Team, User
    from kefu.surveys import aggregates, selectors, services, tallies
    from kefu.surveys.models import Answer, Response

    user = User.objects.create(username="bench-surveys")
    agents = [User.objects.create(username=f"bench-agent-{i}").pk for i in range(20)]
    teams = [Team.objects.create(name=f"Bench team {i}").pk for i in range(5)]
    survey = services.survey_create_from_instrument(actor=user, instrument="servqual")
    survey = services.survey_publish(actor=user, survey=survey, expected_version=survey.version)
    questions = selectors.survey_questions(survey)
    infos = selectors.question_infos(questions)
    cells = [
        (q.pk, str(item["id"]), column)
        for q in questions
        if q.kind == "matrix"
        for item in q.items
        for column in ("expectation", "perception")
    ]
    width = len(cells)
    cell_questions = np.array([c[0] for c in cells], dtype=np.int64)
    cell_items = [c[1] for c in cells]
    cell_columns = [c[2] for c in cells]
    start = dt.datetime(2026, 1, 1)
    postgres = connection.vendor == "postgresql"
    write = _copy if postgres else _insert
    response_table = connection.ops.quote_name(Response._meta.db_table)
    answer_table = connection.ops.quote_name(Answer._meta.db_table)
    seconds = {"raw rows": 0.0, "tallies": 0.0}
    if postgres:
        # A bulk load: the rows are consistent by construction, so skip the per-row foreign-key
        # triggers (superuser setting, this session only) as pg_restore does.
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    parts = []
    last_id = 0
    for first in range(0, responses, BLOCK):
        count = min(BLOCK, responses - first)
        submitted = [
            start + dt.timedelta(seconds=int(s)) for s in rng.integers(0, 330 * 86400, count)
        ]
        people = pl.DataFrame(
            {
                "survey_id": np.full(count, survey.pk),
                "submission_key": [f"bench-{first + i}" for i in range(count)],
                "agent_id": rng.choice(agents, count),
                "team_id": rng.choice(teams, count),
                "channel": rng.choice(["phone", "chat", "email", "wechat"], count),
                "tier": rng.choice(["A", "B", "C", "D"], count),
                "language": np.full(count, "en"),
                "started_at": submitted,
                "submitted_at": submitted,
            }
        ).with_columns(
            pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S+00:00") for c in ("started_at", "submitted_at")
        )
        values = rng.integers(1, 8, size=(count, width)).astype(np.float64)
        began = time.perf_counter()
        with transaction.atomic():
            write(response_table, people.columns, people)
            ids = np.array(
                Response.objects.filter(survey=survey, pk__gt=last_id)
                .order_by("pk")
                .values_list("pk", flat=True),
                dtype=np.int64,
            )
            answers = pl.DataFrame(
                {
                    "response_id": np.repeat(ids, width),
                    "question_id": np.tile(cell_questions, count),
                    "item": pl.Series(cell_items * count, dtype=pl.Categorical),
                    "column": pl.Series(cell_columns * count, dtype=pl.Categorical),
                    "value": values.ravel(),
                }
            )
            write(
                answer_table,
                ["response_id", "question_id", "item", "column", "value", "choice_ids", "text"],
                answers.with_columns(
                    pl.col("item").cast(pl.Utf8),
                    pl.col("column").cast(pl.Utf8),
                    choice_ids=pl.lit("[]"),
                    text=pl.lit(""),
                ),
            )
        seconds["raw rows"] += time.perf_counter() - began
        # Rows get ids in the order they were written: the same order as `people`.
        assert len(ids) == count
        last_id = int(ids[-1])
        began = time.perf_counter()
        frame = pl.DataFrame(
            {
                "response_id": ids,
                "submitted_at": submitted,
                "team": people["team_id"].cast(pl.Utf8),
                "agent": people["agent_id"].cast(pl.Utf8),
                "channel": people["channel"],
                "tier": people["tier"],
            }
        ).with_columns(pl.col("submitted_at").cast(pl.Datetime("us")))
        parts.append(tallies.response_tallies(infos, answers, frame, instrument="servqual"))
        seconds["tallies"] += time.perf_counter() - began
    began = time.perf_counter()
    combined = tallies.combine(parts)
    aggregates.write_rebuilt(survey, combined)
    seconds["tallies"] += time.perf_counter() - began
    seconds["tally rows"] = combined.height
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute(f"ANALYZE {answer_table}")
            cursor.execute(f"ANALYZE {response_table}")
    return survey, seconds


def _api_call(survey) -> tuple[float, int] | None:
    """Best of 3 of the results endpoint through Django's test client (signed-in admin)."""
    from django.test import Client
    from django.test.utils import override_settings

    from kefu.accounts.models import User

    admin, _created = User.objects.get_or_create(
        username="bench-surveys-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(admin)
    url = f"/api/v1/surveys/{survey.pk}/results"
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        response = client.get(url)
        if response.status_code != 200:
            print(f"GET {url}: HTTP {response.status_code}, not timed")
            return None
        return timed(lambda: client.get(url)), len(response.content)


def timed(function, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20,000 responses")
    parser.add_argument("--responses", type=int, default=0, help="responses to insert")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="PostgreSQL: measure the survey a previous run built (same --responses), no build",
    )
    parser.add_argument(
        "--compare", action="store_true", help="also time and check the raw-answer path"
    )
    arguments = parser.parse_args()
    responses = arguments.responses or (20_000 if arguments.quick else 1_000_000)
    _setup(os.environ.get("KEFU_DATABASE_URL"), arguments.reuse)
    from django.db import connection

    from kefu.surveys import aggregates, selectors
    from kefu.surveys.models import Survey

    print(f"database: {connection.vendor}; load average {os.getloadavg()[0]:.1f}", flush=True)
    if arguments.reuse:
        survey = Survey.objects.filter(created_by__username="bench-surveys").latest("pk")
        print(f"reusing survey {survey.pk} ({survey.responses.count():,} responses)")
    else:
        rng = np.random.default_rng(2026)
        started = time.perf_counter()
        survey, phases = _fill(responses, rng)
        print(
            f"built {responses:,} × 44 answers in {time.perf_counter() - started:.1f} s "
            f"(raw rows {phases['raw rows']:.1f} s, tallies {phases['tallies']:.1f} s, "
            f"{phases['tally rows']:,} tally rows)",
            flush=True,
        )
    results = selectors.survey_results(survey)
    assert results.responses == responses and results.servqual["n"] == responses
    total = timed(lambda: selectors.survey_results(survey))
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'figure':<56}  {'seconds':>8}  {'target':>8}  ok")
    ok = "yes" if total < TARGET_SECONDS else "NO"
    print(
        f"{f'survey_results from tallies, {responses:,} × 44':<56}  {total:8.3f}  "
        f"{TARGET_SECONDS:8.3f}  {ok}"
    )
    api = _api_call(survey)
    if api is not None:
        seconds, size = api
        print(
            f"{'GET /api/v1/surveys/{id}/results (JSON, ' + f'{size:,} bytes)':<56}  "
            f"{seconds:8.3f}  {TARGET_SECONDS:8.3f}  {'yes' if seconds < TARGET_SECONDS else 'NO'}"
        )
    if arguments.compare:
        from kefu.surveys import tallies

        began = time.perf_counter()
        reference = selectors.survey_results_from_answers(survey)
        raw = time.perf_counter() - began
        for key in ("unweighted", "weighted", "n"):
            assert np.isclose(reference.servqual[key], results.servqual[key]), key
        for got, want in zip(results.questions, reference.questions, strict=True):
            assert got.n == want.n and got.distribution == want.distribution
        assert reference.rater["team"] == results.rater["team"] or all(
            np.isclose(a["overall"], b["overall"])
            for a, b in zip(reference.rater["team"], results.rater["team"], strict=True)
        )
        print(f"{'survey_results_from_answers (raw answers, former path)':<56}  {raw:8.3f}")
        stored = aggregates.stored(survey).sort(tallies.KEYS)
        began = time.perf_counter()
        aggregates.rebuild(survey)
        print(
            f"{'aggregates.rebuild (from the raw answers)':<56}  {time.perf_counter() - began:8.3f}"
        )
        rebuilt = aggregates.stored(survey).sort(tallies.KEYS)
        assert stored.select(tallies.KEYS, "n").equals(rebuilt.select(tallies.KEYS, "n"))
        assert np.allclose(stored["total"], rebuilt["total"], rtol=1e-9)
        print("bulk-built tallies equal the rebuild; results equal the raw-answer results")
    print(
        "the results call reads the tallies only: its time depends on the number of tally rows "
        "(questions × values + groups × days × values), not on the number of responses"
    )
    return 0 if ok == "yes" else 1


if __name__ == "__main__":
    sys.exit(main())
