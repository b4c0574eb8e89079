"""Loyalty vs satisfaction (M7), the service waterfall per period (M30) and the 5-gap model
(M44): the pure functions against hand-computed cases, then the pages and API on real rows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kefu.surveys import insights, services
from kefu.surveys.models import Response
from kefu.surveys.tests.factories import published, submit
from kefu.tickets.models import Ticket
from kefu.tickets.tests.factories import make_customer, make_ticket

D = dt.datetime


def _answers(rows):
    return pl.DataFrame(rows, schema=insights.empty_answers().schema, orient="row")


# --------------------------------------------------------------------------- pure functions


def test_loyalty_frame_by_hand():
    answers = _answers(
        [
            (1, "csat", 5.0, D(2026, 1, 5)),
            (1, "nps", 3.0, D(2026, 1, 6)),
            (2, "csat", 2.0, D(2026, 4, 5)),
            (3, "csat", 2.0, D(2026, 1, 1)),
            (3, "csat", 4.0, D(2026, 2, 1)),  # the latest answer counts
            (3, "repurchase", 5.0, D(2026, 2, 1)),
        ]
    )
    purchases = pl.DataFrame(
        {"customer_id": [3, 3, 3], "at": [D(2021, 1, 1), D(2025, 1, 1), D(2026, 1, 1)]},
        schema=insights.empty_events().schema,
    )
    frame = insights.loyalty_frame(answers, purchases, as_of=D(2026, 6, 1, tzinfo=dt.UTC))
    rows = {r["customer_id"]: r for r in frame.iter_rows(named=True)}
    # 1: recommend 3/10 = 0.3, no purchases (repeat 0, tenure 0), intention unknown → 0.3/3.
    assert rows[1]["loyalty"] == pytest.approx(10.0)
    assert rows[1]["satisfied_not_loyal"] is True
    # 3: intention (5−1)/4 = 1, repeat (3−1)/3, tenure 5.4 y capped at 5 → 1: mean 0.8889.
    assert rows[3]["satisfaction"] == 4.0
    assert rows[3]["repeat_rate"] == pytest.approx(2 / 3)
    assert rows[3]["loyalty"] == pytest.approx(100 * (1 + 2 / 3 + 1) / 3)
    assert rows[3]["satisfied_not_loyal"] is False
    assert rows[2]["loyalty"] == pytest.approx(0.0) and rows[2]["satisfied_not_loyal"] is False
    summary = insights.loyalty_summary(frame)
    assert (summary.customers, summary.satisfied, summary.loyal) == (3, 2, 1)
    assert summary.satisfied_not_loyal == 1
    assert {(q["satisfied"], q["loyal"]): q["n"] for q in summary.quadrants} == {
        (True, True): 1,
        (True, False): 1,
        (False, True): 0,
        (False, False): 1,
    }


def test_waterfall_stages_and_transition_by_hand():
    answers = _answers(
        [
            (1, "csat", 5.0, D(2026, 1, 5)),
            (1, "csat", 5.0, D(2026, 4, 5)),
            (2, "csat", 2.0, D(2026, 4, 9)),
            (3, "csat", 4.0, D(2026, 2, 1)),
            (3, "csat", 5.0, D(2026, 5, 1)),
            (4, "csat", 3.0, D(2026, 3, 1)),
            (4, "csat", 5.0, D(2026, 3, 2)),  # mean 4 in Q1 → satisfied
        ]
    )
    complaints = pl.DataFrame(
        {
            "customer_id": [2, 3, 4],
            "at": [D(2026, 1, 7), D(2026, 2, 2), D(2026, 5, 1)],
            "repeat": [False, True, False],
        },
        schema=insights.empty_events(repeat=True).schema,
    )
    purchases = pl.DataFrame(
        {"customer_id": [1], "at": [D(2026, 4, 20)]}, schema=insights.empty_events().schema
    )
    stages = insights.waterfall_stages(answers, complaints, purchases, granularity="quarter")
    got = {(r["customer_id"], r["period"]): r["stage"] for r in stages.iter_rows(named=True)}
    assert got == {
        (1, "2026-Q1"): "very_satisfied",
        (2, "2026-Q1"): "angry",  # complained, no score
        (3, "2026-Q1"): "complaining",  # a repeat complaint
        (4, "2026-Q1"): "satisfied",
        (1, "2026-Q2"): "loyal",  # very satisfied and bought again
        (2, "2026-Q2"): "dissatisfied",
        (3, "2026-Q2"): "very_satisfied",
        (4, "2026-Q2"): "angry",  # complained, no score
    }
    counts = insights.stage_counts(stages)
    assert [row["period"] for row in counts] == ["2026-Q1", "2026-Q2"]
    assert counts[0]["angry"] == 1 and counts[0]["total"] == 4
    move = insights.transition(stages, "2026-Q1", "2026-Q2")
    assert move.customers == 4
    # Complainers in Q1: 2 (angry) and 3 (complaining); only 3 is satisfied or better in Q2.
    assert (move.complainers, move.recovered) == (2, 1)
    assert (move.flows.loyal_at_start, move.flows.loyal_gained) == (0, 1)
    index = {s: i for i, s in enumerate(move.matrix.stages)}
    assert move.matrix.counts[index["complaining"], index["very_satisfied"]] == 1
    assert move.matrix.counts[index["satisfied"], index["angry"]] == 1
    assert np.nansum(move.matrix.shares, axis=1)[index["angry"]] == pytest.approx(1.0)


def test_month_and_quarter_periods():
    frame = pl.DataFrame({"at": [D(2026, 3, 31), D(2026, 4, 1), D(2026, 12, 1)]})
    months = frame.select(insights.period_expression("at", "month"))["at"].to_list()
    quarters = frame.select(insights.period_expression("at", "quarter"))["at"].to_list()
    assert months == ["2026-03", "2026-04", "2026-12"]
    assert quarters == ["2026-Q1", "2026-Q2", "2026-Q4"]
    with pytest.raises(ValueError):
        insights.period_expression("at", "week")


def test_gap_indicators_by_hand():
    servqual = {
        "points": {
            "tangibles": 10,
            "reliability": 30,
            "responsiveness": 20,
            "assurance": 20,
            "empathy": 20,
        },
        "weighted": -0.75,
        "unweighted": -0.5,
        "items": [
            {"dimension": "reliability", "expectation": 6.0},
            {"dimension": "reliability", "expectation": 5.0},
            {"dimension": "tangibles", "expectation": 4.0},
        ],
    }
    only_first_response = insights.gap_indicators(
        servqual,
        standards={"first_response": True, "resolution": False},
        coverage=0.8,
        compliance=0.9,
        promises_kept=0.7,
    )
    assert only_first_response == {
        "gap1": pytest.approx(0.2),  # responsiveness: 20 of 100 points
        "gap2": 0.8,
        "gap3": 0.9,
        "gap4": 0.7,
        "gap5": -0.75,
    }
    both = insights.gap_indicators(
        {**servqual, "weighted": None},
        standards={"first_response": True, "resolution": True},
        coverage=None,
        compliance=None,
        promises_kept=None,
    )
    assert both["gap1"] == pytest.approx(0.5) and both["gap5"] == -0.5
    assert insights.expectation_by_dimension(servqual) == {
        "reliability": pytest.approx(5.5),
        "tangibles": 4.0,
    }


# --------------------------------------------------------------------------- pages and API


@pytest.fixture
def staff_client(manager):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(manager)
    return client


def _answer_as(survey, customer, answers, at, manager):
    invitation = services.invitation_create(actor=manager, survey=survey, customer=customer)
    response = submit(survey, answers, invitation=invitation)
    Response.objects.filter(pk=response.pk).update(submitted_at=at)
    return response


@pytest.fixture
def customers(manager, make_user):
    """Five customers with CSAT answers this quarter and the last; two complained."""
    from kefu.customers.models import Purchase

    csat = published(manager, "csat")
    loyalty = published(manager, "loyalty")
    now = timezone.now()
    last_quarter = now - dt.timedelta(days=100)
    people = [make_customer(name=f"顾客{i}") for i in range(5)]
    for i, customer in enumerate(people):
        _answer_as(csat, customer, {"csat": 5 if i < 3 else 2}, now - dt.timedelta(days=1), manager)
        _answer_as(csat, customer, {"csat": 4}, last_quarter, manager)
    # Customer 0: satisfied, recommends 2/10, would not buy again, no purchases → not loyal.
    _answer_as(loyalty, people[0], {"nps": 2, "repurchase": 1}, now, manager)
    # Customer 1: loyal (recommend 10, intention 5, bought 4 times over 6 years).
    _answer_as(loyalty, people[1], {"nps": 10, "repurchase": 5}, now, manager)
    for n, years in enumerate((6, 3, 1, 0.1)):
        Purchase.objects.create(
            customer=people[1],
            external_id=f"o{n}",
            ordered_at=now - dt.timedelta(days=365 * years),
            amount="10.00",
        )
    agent = make_user("agent")
    for customer in people[3:]:
        ticket = make_ticket(agent, customer=customer, kind="complaint")
        Ticket.objects.filter(pk=ticket.pk).update(created_at=last_quarter)
    return people


def test_loyalty_page_lists_satisfied_but_not_loyal(
    staff_client, customers, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        page = staff_client.get(reverse("surveys:loyalty"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "顾客0" in body and "顾客1" not in body.split("Satisfied but not loyal")[-1]
    assert 'data-chart="chart-loyalty"' in body and "<table" in body
    report = page.context["report"]
    assert report.summary.customers == 5 and report.summary.satisfied_not_loyal >= 1


def test_waterfall_page_shows_stages_and_transition(
    staff_client, customers, django_assert_max_num_queries
):
    now = timezone.now().astimezone(dt.UTC)
    before = (now - dt.timedelta(days=100)).strftime("%Y-%m")
    after = (now - dt.timedelta(days=1)).strftime("%Y-%m")
    with django_assert_max_num_queries(12):
        page = staff_client.get(
            reverse("surveys:waterfall"),
            {"granularity": "month", "before": before, "after": after},
        )
    assert page.status_code == 200
    transition = page.context["transition"]
    assert (transition.before, transition.after) == (before, after)
    body = page.content.decode()
    assert 'data-chart="chart-transition"' in body and 'data-chart="chart-waterfall"' in body
    # Before: all five answered 4 → satisfied (customers 3 and 4 complained, but with a 4).
    # After: 0–2 answered 5 → very satisfied; 3 and 4 answered 2 → dissatisfied.
    index = {s: i for i, s in enumerate(transition.matrix.stages)}
    counts = transition.matrix.counts
    assert counts[index["satisfied"], index["very_satisfied"]] == 3
    assert counts[index["satisfied"], index["dissatisfied"]] == 2
    assert transition.customers == 5 and transition.complainers == 0


def test_gaps_page_combines_servqual_and_sla(staff_client, manager, django_assert_max_num_queries):
    survey = published(manager, "servqual")
    with django_assert_max_num_queries(20):
        page = staff_client.get(reverse("surveys:gaps"), {"survey": survey.pk})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Gap 4" in body and 'data-chart="chart-gaps"' in body
    assert page.context["survey"] == survey


def test_insight_pages_need_login_and_results_permission(client, make_user):
    for name in ("loyalty", "waterfall", "gaps"):
        url = reverse(f"surveys:{name}")
        assert client.get(url).status_code == 302  # to the sign-in page
    nobody = Client()
    nobody.force_login(make_user(None))
    for name in ("loyalty", "waterfall", "gaps"):
        assert nobody.get(reverse(f"surveys:{name}")).status_code == 403


def test_pages_render_in_chinese(manager, customers):
    client = Client(headers={"Accept-Language": "zh-hans"})
    client.force_login(manager)
    body = client.get(reverse("surveys:loyalty")).content.decode()
    assert "满意但不忠诚" in body and "Satisfied but not loyal" not in body
    waterfall = client.get(reverse("surveys:waterfall")).content.decode()
    assert "公开投诉" in waterfall and "Complaining publicly" not in waterfall
    assert "五差距模型" in client.get(reverse("surveys:gaps")).content.decode()


def test_insight_api(api_client, customers, django_assert_max_num_queries):
    client, _user = api_client("manager")
    with django_assert_max_num_queries(12):
        loyalty = client.get("/api/v1/satisfaction/loyalty")
    assert loyalty.status_code == 200, loyalty.content
    data = loyalty.json()
    assert data["customers"] == 5 and data["satisfied_not_loyal"] == len(data["list"])
    assert data["list"][0]["loyalty"] <= data["list"][-1]["loyalty"]
    waterfall = client.get("/api/v1/satisfaction/waterfall?granularity=month").json()
    assert waterfall["stages"][0] == "loyal" and waterfall["transition"]["customers"] >= 1
    gaps = client.get("/api/v1/satisfaction/gaps?days=365").json()
    assert set(gaps["indicators"]) == {"gap1", "gap2", "gap3", "gap4", "gap5"}
    assert gaps["sla"]["tickets"] >= 2
    bad = client.get("/api/v1/satisfaction/waterfall?granularity=week")
    assert bad.status_code == 422 or bad.status_code == 400
