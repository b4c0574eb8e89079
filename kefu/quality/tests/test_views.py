"""Pages: login required, role checks, every page renders, list pages in constant queries."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.quality import selectors, services
from kefu.quality.tests.factories import worked_ticket

pytestmark = pytest.mark.django_db
PAGES = [
    "quality:home",
    "quality:evaluations",
    "quality:evaluate",
    "quality:rubrics",
    "quality:calibrations",
    "quality:mystery",
    "quality:targets",
    "quality:actions",
    "quality:people",
]


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _evaluate(qa, agent, rubric, value=1.0):
    return services.evaluation_create(
        actor=qa,
        ticket=worked_ticket(agent),
        rubric=rubric,
        values={c.pk: value for c in selectors.rubric_criteria(rubric)},
    )


def test_pages_need_login():
    response = Client().get(reverse("quality:home"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_every_page_renders_for_a_supervisor_in_both_languages(supervisor, qa, agent, rubric):
    _evaluate(qa, agent, rubric, 0.0)
    client = _login(supervisor)
    for language in ("en", "zh-hans"):
        client.cookies["django_language"] = language
        for name in PAGES:
            response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, name


def test_agent_sees_own_evaluation_and_disputes_it(qa, agent, make_user, rubric):
    mine = _evaluate(qa, agent, rubric)
    other = _evaluate(qa, make_user("agent"), rubric)
    client = _login(agent)
    page = client.get(reverse("quality:evaluations")).content.decode()
    assert mine.ticket.public_id in page and other.ticket.public_id not in page
    assert client.get(reverse("quality:evaluation", args=[other.pk])).status_code == 403
    assert client.get(reverse("quality:evaluate")).status_code == 403
    assert client.get(reverse("quality:targets")).status_code == 403
    client.post(
        reverse("quality:evaluation", args=[mine.pk]), {"action": "dispute", "reason": "理由"}
    )
    mine.refresh_from_db()
    assert mine.state == "disputed"
    # The KPI page shows the agent only their own figures.
    assert client.get(reverse("quality:home")).status_code == 200


def test_evaluate_form_posts_an_evaluation(qa, agent, rubric):
    ticket = worked_ticket(agent)
    data = {f"criterion_{c.pk}": "1" for c in selectors.rubric_criteria(rubric)}
    data.update(ticket=ticket.public_id, rubric=rubric.pk)
    response = _login(qa).post(reverse("quality:evaluate"), data)
    assert response.status_code == 302
    assert selectors.evaluation_list(qa).get().score == 100


def test_drill_down_lists_the_tickets_behind_a_card(supervisor, agent):
    from django.utils import timezone

    ticket = worked_ticket(agent)
    today = timezone.localdate()
    url = reverse("quality:drill") + (
        f"?kpi=tickets_solved&level=company&period=day&period_start={today:%Y-%m-%d}&key=company"
    )
    assert ticket.public_id in _login(supervisor).get(url).content.decode()


def test_list_pages_constant_queries(supervisor, qa, agent, rubric, django_assert_max_num_queries):
    client = _login(supervisor)
    _evaluate(qa, agent, rubric)
    counts = {}
    for name in PAGES:
        with django_assert_max_num_queries(60) as ctx:
            client.get(reverse(name))
        counts[name] = len(ctx.captured_queries)
    for _ in range(3):
        _evaluate(qa, agent, rubric)
    for name in PAGES:
        with django_assert_max_num_queries(counts[name]):
            assert client.get(reverse(name)).status_code == 200
