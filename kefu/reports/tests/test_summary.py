"""The daily summary table: pivots answered from it give the same tables as the raw GROUP BY
over the tickets, for many random requests on a random data set; refresh and rebuild keep it
right; requests it cannot answer fall back to the tickets."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest
from django.core.management import call_command
from django.utils import timezone

from kefu.reports import summary
from kefu.reports.models import SummaryState, TicketDaySummary
from kefu.reports.pivot.engine import NONE, ROW_LIMIT, _clean, _too_many, parse_spec, run_pivot
from kefu.reports.pivot.fields import ticket_dataset
from kefu.reports.tasks import rebuild_summary, refresh_summary
from kefu.reports.tests.factories import make_tickets
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.django_db

TIME = ("day", "week", "month", "quarter")
DIMS = sorted(summary.DIMENSIONS)
FIELDS = ("first_response_s", "resolution_s", "amount_involved", "failed_contacts")


def _values(dim: str) -> list[str]:
    """Filter values that occur (and some that do not) for a dimension."""
    result = run_pivot(parse_spec({"dataset": "tickets", "dimensions": [dim]}), use_summary=False)
    present = [NONE if row[0] is None else str(row[0]) for row in result.rows]
    return [*present, "no such value"]


def _random_spec(rng: random.Random, values: dict[str, list[str]]) -> dict:
    n_dims = rng.randrange(0, 4)
    dims = rng.sample(DIMS, n_dims)
    if dims and rng.random() < 0.6:
        dims[rng.randrange(len(dims))] = rng.choice(TIME)
    measures = ["count:tickets"] if rng.random() < 0.5 else []
    for _i in range(rng.randrange(1, 5)):
        measures.append(f"{rng.choice(('count', 'sum', 'mean'))}:{rng.choice(FIELDS)}")
    measures = list(dict.fromkeys(measures))[:6]
    filters = {}
    for dim in rng.sample(DIMS, rng.randrange(0, 3)):
        filters[dim] = rng.sample(values[dim], min(len(values[dim]), rng.randrange(1, 4)))
    data = {"dataset": "tickets", "dimensions": dims, "measures": measures, "filters": filters}
    if rng.random() < 0.5:
        start = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(0, 300))
        data["start"] = start.isoformat()
        if rng.random() < 0.7:
            data["end"] = (start + dt.timedelta(days=rng.randrange(0, 120))).isoformat()
    return data


def _assert_same_table(raw, fast) -> None:
    assert raw.engine == "database" and fast.engine == "summary"
    assert [c.key for c in raw.columns] == [c.key for c in fast.columns]
    assert len(raw.rows) == len(fast.rows), (raw.rows, fast.rows)
    n_dims = len(raw.spec.dimensions)
    for a, b in zip(raw.rows, fast.rows, strict=True):
        assert a[:n_dims] == b[:n_dims]
        for x, y in zip(a[n_dims:], b[n_dims:], strict=True):
            if x is None or y is None:
                assert x is None and y is None, (a, b)
            elif isinstance(x, int):
                assert isinstance(y, int) and x == y, (a, b)
            else:  # sums and means: equal up to the order of the float additions
                assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9), (a, b)


def _covering(spec) -> list[int]:
    needed = {summary.COLUMN_OF[d] for d in (*spec.dimensions, *spec.filters) if d not in TIME}
    return [i for i, fields in enumerate(summary.ROLLUPS) if needed <= set(fields)]


def _both(data: dict):
    spec = parse_spec(data)
    assert summary.answerable(spec), data
    return run_pivot(spec, use_summary=False), run_pivot(spec)


def test_random_pivots_are_identical_from_the_summary_and_the_tickets():
    make_tickets(160, seed=11)
    make_tickets(80, seed=12)
    summary.summary_rebuild()
    assert TicketDaySummary.objects.exists()
    assert sum(TicketDaySummary.objects.filter(rollup=0).values_list("tickets", flat=True)) == 240
    values = {d: _values(d) for d in DIMS}
    dataset = ticket_dataset()
    rng = random.Random(2024)
    non_empty = 0
    rollups = set()
    for _i in range(150):
        raw, fast = _both(_random_spec(rng, values))
        _assert_same_table(raw, fast)
        for index in _covering(raw.spec):  # every roll-up that can answer gives the same table
            rollups.add(index)
            rows = summary.summary_rows(dataset, raw.spec, index, ROW_LIMIT, _too_many)
            fast.rows = [_clean(row, len(raw.spec.dimensions)) for row in rows]
            _assert_same_table(raw, fast)
        non_empty += bool(raw.rows and any(v for v in raw.rows[0][len(raw.spec.dimensions) :]))
    assert non_empty > 60  # the requests were not all empty
    assert rollups == set(range(len(summary.ROLLUPS)))  # every roll-up was read


def test_the_issue_pivot_month_category_team_from_the_summary():
    make_tickets(120, seed=5)
    summary.summary_rebuild()
    raw, fast = _both(
        {
            "dataset": "tickets",
            "dimensions": ["month", "category_1", "team"],
            "measures": ["count:tickets", "mean:resolution_s", "sum:amount_involved"],
        }
    )
    _assert_same_table(raw, fast)
    assert sum(row[3] for row in fast.rows) == 120
    assert summary.choose_rollup(raw.spec) == summary.ROLLUPS.index(("category_id", "team_id"))
    state = SummaryState.objects.get()
    assert state.rows_by_rollup["1"] <= state.rows_by_rollup["0"]
    assert state.rows == TicketDaySummary.objects.count()
    # every roll-up holds every ticket once
    for index in range(len(summary.ROLLUPS)):
        assert (
            sum(TicketDaySummary.objects.filter(rollup=index).values_list("tickets", flat=True))
            == 120
        )
    spec = parse_spec({"dataset": "tickets", "dimensions": ["agent", "category_2", "channel"]})
    assert summary.choose_rollup(spec) == 0


def test_requests_the_summary_cannot_answer_use_the_tickets():
    rows = make_tickets(60, seed=3)
    summary.summary_rebuild()
    for data in (
        {"dimensions": ["month"], "measures": ["median:resolution_s"]},
        {"dimensions": ["tier"], "measures": ["count:tickets"]},
        {"dimensions": ["month"], "filters": {"region": ["华东"]}},
    ):
        spec = parse_spec({"dataset": "tickets", **data})
        assert not summary.answerable(spec)
        assert run_pivot(spec).engine != "summary"
    spec = parse_spec({"dataset": "tickets", "dimensions": ["tier"]})
    counts = {row[0]: row[1] for row in run_pivot(spec).rows}
    assert sum(counts.values()) == len(rows)


def test_a_summary_built_in_another_time_zone_is_not_used():
    make_tickets(30, seed=4)
    with timezone.override("UTC"):
        summary.summary_rebuild()
    spec = parse_spec({"dataset": "tickets", "dimensions": ["day"]})
    with timezone.override("Asia/Shanghai"):
        assert not summary.summary_ready()
        assert run_pivot(spec).engine == "database"
        summary.summary_refresh()  # rebuilds in the current zone
        assert summary.summary_ready()
        raw, fast = run_pivot(spec, use_summary=False), run_pivot(spec)
        _assert_same_table(raw, fast)


def test_refresh_picks_up_saved_changes_and_new_tickets_renames_need_nothing():
    make_tickets(80, seed=8)
    summary.summary_rebuild()
    spec = {
        "dataset": "tickets",
        "dimensions": ["month", "status", "team"],
        "measures": ["count:tickets", "sum:resolution_s", "mean:amount_involved"],
    }
    old = Ticket.objects.filter(status="open", team__isnull=False).order_by("created_at")[0]
    old.status = "solved"
    old.solved_at = old.created_at + dt.timedelta(hours=5)
    old.save()  # stamps updated_at: its (old) creation day is refreshed
    old.team.name = f"{old.team.name} renamed"
    old.team.save()
    new = Ticket.objects.create(
        subject="new", customer=old.customer, channel="web", kind="complaint", team=old.team
    )
    raw, fast = _both(spec)
    assert fast.rows != raw.rows  # stale until refreshed
    state = summary.summary_refresh()
    assert state.days_refreshed >= summary.RECENT_DAYS
    _assert_same_table(*_both(spec))
    Ticket.objects.filter(pk=new.pk).update(merged_into=old)  # recent day: a refresh sees it
    state = summary.summary_refresh()
    _assert_same_table(*_both(spec))
    # the row counts kept up to date by refreshes match a full count
    assert state.rows == TicketDaySummary.objects.count()
    for index in range(len(summary.ROLLUPS)):
        count = TicketDaySummary.objects.filter(rollup=index).count()
        assert state.rows_by_rollup[str(index)] == count


def test_rebuild_catches_what_a_save_does_not_stamp():
    make_tickets(50, seed=9)
    summary.summary_rebuild()
    victim = Ticket.objects.order_by("created_at").first()
    Ticket.objects.filter(pk=victim.pk).update(status="closed")  # no updated_at stamp
    Ticket.objects.order_by("created_at")[1].delete()
    spec = {"dataset": "tickets", "dimensions": ["status", "day"]}
    summary.summary_refresh()
    call_command("reports_summary", "rebuild", verbosity=0)
    _assert_same_table(*_both(spec))


def test_tasks_and_command_refresh_and_rebuild(capsys):
    make_tickets(20, seed=10)
    assert rebuild_summary() == SummaryState.objects.get(name="tickets").rows > 0
    rebuilt_at = SummaryState.objects.get().rebuilt_at
    assert rebuild_summary() > 0  # rebuilt recently: skipped
    assert SummaryState.objects.get().rebuilt_at == rebuilt_at
    assert refresh_summary() > 0
    call_command("reports_summary", "refresh")
    assert "rows" in capsys.readouterr().out
    total = run_pivot(parse_spec({"dataset": "tickets", "measures": ["count:tickets"]}))
    assert total.engine == "summary" and total.rows == [[20]]
