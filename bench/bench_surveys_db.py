"""Benchmark of survey results read from the database (kefu.surveys.selectors.survey_results):
a SERVQUAL survey with N responses × 44 answers, loaded and aggregated end to end.

Run: .venv/bin/python bench/bench_surveys_db.py [--quick] [--responses N]
     KEFU_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kefu_bench_surveys ... (PostgreSQL)

Builds a fresh database (SQLite file under var/ unless KEFU_DATABASE_URL names another), inserts
the responses with executemany, then times the load (selectors.results_frames) and the whole
results computation. The issue's target is 1,000,000 × 44 in < 5 s; smaller runs are checked
against the same rate (5 s × N / 1,000,000) and the 1 M time is extrapolated linearly — the
extrapolation is printed as such, not as a measurement.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS_PER_MILLION = 5.0


def _setup(database_url: str | None) -> None:
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

    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)


def _fill(responses: int, rng: np.random.Generator):
    """A published SERVQUAL survey with `responses` submitted responses × 44 matrix cells."""
    import datetime as dt

    from django.db import connection, transaction

    from kefu.accounts.models import User
    from kefu.surveys import services
    from kefu.surveys.models import Answer, Response

    user = User.objects.create(username="bench-surveys")
    survey = services.survey_create_from_instrument(actor=user, instrument="servqual")
    survey = services.survey_publish(actor=user, survey=survey, expected_version=survey.version)
    cells = [
        (q.pk, str(item["id"]), column)
        for q in survey.questions.filter(kind="matrix").order_by("order")
        for item in q.items
        for column in ("expectation", "perception")
    ]
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    seconds = rng.integers(0, 330 * 86400, responses)
    channels = rng.choice(["phone", "chat", "email", "wechat"], responses)
    tiers = rng.choice(["A", "B", "C", "D"], responses)
    with transaction.atomic():
        Response.objects.bulk_create(
            [
                Response(
                    survey=survey,
                    submission_key=f"bench-{i}",
                    submitted_at=start + dt.timedelta(seconds=int(seconds[i])),
                    channel=str(channels[i]),
                    tier=str(tiers[i]),
                )
                for i in range(responses)
            ],
            batch_size=5000,
        )
    ids = np.array(survey.responses.order_by("pk").values_list("pk", flat=True), dtype=np.int64)
    table = connection.ops.quote_name(Answer._meta.db_table)
    names = ", ".join(
        connection.ops.quote_name(n)
        for n in ("response_id", "question_id", "item", "column", "value", "choice_ids", "text")
    )
    sql = f"INSERT INTO {table} ({names}) VALUES (%s, %s, %s, %s, %s, %s, %s)"
    block = 5000
    for first in range(0, len(ids), block):
        chunk = ids[first : first + block]
        values = rng.integers(1, 8, size=(len(chunk), len(cells)))
        rows = [
            (int(rid), qid, item, column, float(values[r, c]), "[]", "")
            for r, rid in enumerate(chunk)
            for c, (qid, item, column) in enumerate(cells)
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    return survey


def timed(function, repeats: int = 2) -> float:
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
    arguments = parser.parse_args()
    responses = arguments.responses or (20_000 if arguments.quick else 1_000_000)
    _setup(os.environ.get("KEFU_DATABASE_URL"))
    from django.db import connection

    from kefu.surveys import selectors

    rng = np.random.default_rng(2026)
    started = time.perf_counter()
    survey = _fill(responses, rng)
    print(f"inserted {responses:,} × 44 answers in {time.perf_counter() - started:.1f} s")
    load = timed(lambda: selectors.results_frames(survey))
    total = timed(lambda: selectors.survey_results(survey))
    scale = responses / 1_000_000
    target = TARGET_SECONDS_PER_MILLION * scale
    print(f"database: {connection.vendor}")
    print(f"{'figure':<52}  {'seconds':>8}  {'target':>8}  ok")
    rows = [
        (f"load answers ({responses * 44:,} rows) into polars", load, None),
        (f"survey_results, {responses:,} × 44, end to end", total, target),
    ]
    missed = 0
    for name, seconds, goal in rows:
        ok = "" if goal is None else ("yes" if seconds < goal else "NO")
        missed += ok == "NO"
        goal_text = "" if goal is None else f"{goal:8.3f}"
        print(f"{name:<52}  {seconds:8.3f}  {goal_text:>8}  {ok}")
    print(
        f"extrapolated (linear, not measured) to 1,000,000 × 44: {total / scale:.1f} s "
        f"(load {load / scale:.1f} s); target {TARGET_SECONDS_PER_MILLION:.0f} s"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
