"""The pivot engine against aggregates computed by hand in plain Python, for every dimension
and measure; whitelist enforcement; bounds; drill-down."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict

import numpy as np
import pytest
from django.utils import timezone

from kefu.reports.pivot.engine import NONE, PivotError, parse_spec, run_pivot
from kefu.reports.pivot.present import drill_down
from kefu.reports.tests.factories import make_customers, make_purchases, make_tickets

pytestmark = pytest.mark.django_db

TICKET_DIMS = (
    "channel",
    "kind",
    "priority",
    "status",
    "category_1",
    "category_2",
    "root_cause",
    "team",
    "agent",
    "tier",
    "region",
)


def _bucket(when: dt.datetime, grain: str) -> dt.date:
    day = timezone.localtime(when).date()
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _aggregate(values: list, how: str):
    present = [v for v in values if v is not None]
    if how == "count":
        return len(values)
    if not present:
        return None
    if how == "sum":
        return sum(present)
    if how == "mean":
        return sum(present) / len(present)
    if how == "median":
        return statistics.median(present)
    return float(np.percentile(present, 90))  # linear interpolation = percentile_cont


def _expected(rows, key, field, how):
    groups = defaultdict(list)
    for row in rows:
        groups[key(row)].append(getattr(row, field) if field else 1)
    return {k: _aggregate(v, how) for k, v in groups.items()}


def _close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-3)


def _norm(value):
    return None if value in ("", None) else value


@pytest.fixture
def tickets():
    return make_tickets(60)


@pytest.mark.parametrize("dim", TICKET_DIMS)
def test_every_dimension_counts_and_sums_like_python(tickets, dim):
    spec = parse_spec(
        {
            "dataset": "tickets",
            "dimensions": [dim],
            "measures": ["count:tickets", "sum:amount_involved", "mean:resolution_s"],
        }
    )
    result = run_pivot(spec)
    got = {_norm(r[0]): r[1:] for r in result.rows}
    count = _expected(tickets, lambda r: _norm(getattr(r, dim)), None, "count")
    total = _expected(tickets, lambda r: _norm(getattr(r, dim)), "amount_involved", "sum")
    mean = _expected(tickets, lambda r: _norm(getattr(r, dim)), "resolution_s", "mean")
    assert set(got) == set(count)
    for key, (n, s, m) in got.items():
        assert n == count[key]
        assert _close(s, total[key])
        assert _close(m, mean[key])


@pytest.mark.parametrize("grain", ["day", "week", "month", "quarter"])
def test_time_dimensions_bucket_like_python(tickets, grain):
    spec = parse_spec({"dataset": "tickets", "dimensions": [grain], "measures": ["count:tickets"]})
    result = run_pivot(spec)
    expected = _expected(tickets, lambda r: _bucket(r.created, grain), None, "count")
    assert {r[0]: r[1] for r in result.rows} == expected
    assert [r[0] for r in result.rows] == sorted(expected)


@pytest.mark.parametrize("field", ["first_response_s", "resolution_s", "amount_involved"])
def test_every_measure_by_month_and_team(tickets, field):
    aggregates = ("count", "sum", "mean", "median", "p90")
    spec = parse_spec(
        {
            "dataset": "tickets",
            "dimensions": ["month", "team"],
            "measures": [f"{how}:{field}" for how in aggregates],
        }
    )
    result = run_pivot(spec)
    got = {(r[0], r[1]): r[2:] for r in result.rows}
    key = lambda r: (_bucket(r.created, "month"), r.team)  # noqa: E731
    assert set(got) == {key(t) for t in tickets}
    for index, how in enumerate(aggregates):
        # COUNT(field) counts the rows where the field is set, as SQL does.
        expected = _expected(
            [t for t in tickets if getattr(t, field) is not None] if how == "count" else tickets,
            key,
            field,
            how,
        )
        for group, values in got.items():
            assert _close(values[index], expected.get(group, 0 if how == "count" else None)), (
                how,
                group,
                values[index],
                expected.get(group),
            )


def test_no_dimension_gives_one_total_row(tickets):
    result = run_pivot(
        parse_spec({"dataset": "tickets", "measures": ["count:tickets", "p90:resolution_s"]})
    )
    assert len(result.rows) == 1
    assert result.rows[0][0] == len(tickets)
    assert _close(result.rows[0][1], _aggregate([t.resolution_s for t in tickets], "p90"))


def test_filters_dates_and_the_empty_value(tickets):
    spec = parse_spec(
        {
            "dataset": "tickets",
            "dimensions": ["kind"],
            "measures": ["count:tickets"],
            "filters": {"team": [NONE], "channel": ["email", "web"]},
            "start": "2025-03-01",
            "end": "2025-08-31",
        }
    )
    result = run_pivot(spec)
    keep = [
        t
        for t in tickets
        if t.team is None
        and t.channel in ("email", "web")
        and dt.date(2025, 3, 1) <= _bucket(t.created, "day") <= dt.date(2025, 8, 31)
    ]
    assert {r[0]: r[1] for r in result.rows} == _expected(keep, lambda r: r.kind, None, "count")


def test_purchases_by_product_and_tier():
    customers = make_customers(6)
    purchases = make_purchases(customers, 40)
    spec = parse_spec(
        {
            "dataset": "purchases",
            "dimensions": ["product", "tier"],
            "measures": ["sum:amount", "count:purchases", "median:quantity"],
        }
    )
    result = run_pivot(spec)
    groups = defaultdict(list)
    for p in purchases:
        groups[(p.product, p.customer.tier)].append(p)
    got = {(r[0], r[1]): r[2:] for r in result.rows}
    assert set(got) == set(groups)
    for key, items in groups.items():
        total, n, median = got[key]
        assert _close(total, float(sum(p.amount for p in items)))
        assert n == len(items)
        assert _close(median, statistics.median(p.quantity for p in items))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"dataset": "users"}, "dataset"),
        ({"dimensions": ["password"]}, "dimensions"),
        ({"dimensions": ["channel; DROP TABLE tickets_ticket"]}, "dimensions"),
        ({"dimensions": ["customer__user__password"]}, "dimensions"),
        ({"measures": ["sum:customer__user__password"]}, "measures"),
        ({"measures": ["exec:tickets"]}, "measures"),
        ({"measures": ["sum:pk) FROM auth_user --"]}, "measures"),
        ({"filters": {"subject": ["x"]}}, "filters.subject"),
        ({"filters": {"month": ["2025-01-01"]}}, "filters.month"),
        ({"dimensions": ["day", "month"]}, "dimensions"),
        ({"dimensions": ["channel", "kind", "team", "agent"]}, "dimensions"),
        ({"start": "2025-13-01"}, "start"),
        ({"start": "2025-05-01", "end": "2025-04-01"}, "end"),
    ],
)
def test_whitelist_rejects_and_names_the_field(data, field):
    with pytest.raises(PivotError) as caught:
        parse_spec(data)
    assert caught.value.status == 400
    assert field in caught.value.fields


def test_filter_values_are_parameters_not_sql(tickets):
    spec = parse_spec(
        {
            "dataset": "tickets",
            "dimensions": ["channel"],
            "measures": ["count:tickets"],
            "filters": {"channel": ["email' OR '1'='1"]},
        }
    )
    assert run_pivot(spec).rows == []


def test_row_limit_gives_a_clear_message(tickets):
    spec = parse_spec({"dataset": "tickets", "dimensions": ["day"], "measures": ["count:tickets"]})
    with pytest.raises(PivotError) as caught:
        run_pivot(spec, row_limit=5)
    assert caught.value.code == "too_large" and "5" in caught.value.message


def test_drill_down_returns_the_records_of_a_cell(tickets):
    spec = parse_spec(
        {"dataset": "tickets", "dimensions": ["month", "team"], "measures": ["count:tickets"]}
    )
    row = run_pivot(spec).rows[0]
    records = drill_down(spec, {"month": row[0].isoformat(), "team": row[1] or NONE})
    expected = {t.pk for t in tickets if _bucket(t.created, "month") == row[0] and t.team == row[1]}
    assert {pk for pk, _cells in records.rows} == expected
    assert len(records.rows) == row[2]


def test_drill_down_rejects_a_dimension_outside_the_report(tickets):
    spec = parse_spec(
        {"dataset": "tickets", "dimensions": ["channel"], "measures": ["count:tickets"]}
    )
    with pytest.raises(PivotError):
        drill_down(spec, {"subject": "x"})


def test_statement_timeout_gives_a_clear_message():
    from django.db import connection

    from kefu.reports.pivot.engine import bounded_time

    slow = (
        "SELECT pg_sleep(2)"
        if connection.vendor == "postgresql"
        else "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000000) "
        "SELECT count(*) FROM n"
    )
    with pytest.raises(PivotError) as caught, bounded_time(0.2), connection.cursor() as cursor:
        cursor.execute(slow)
    assert caught.value.code == "timeout" and caught.value.status == 400


def test_records_can_only_be_counted():
    with pytest.raises(PivotError) as caught:
        parse_spec({"dataset": "tickets", "measures": ["sum:tickets"]})
    assert "measures" in caught.value.fields
