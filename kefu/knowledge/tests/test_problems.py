import datetime as dt

import pytest
from django.utils import timezone

from kefu.core.errors import Conflict
from kefu.knowledge import selectors, services
from kefu.knowledge.models import Article
from kefu.tickets.models import Problem, Ticket
from kefu.tickets.services.relations import problem_create, problem_update
from kefu.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def problem(editor):
    tickets = [make_ticket(editor, subject=f"耳机左耳没声音 {i}") for i in range(4)]
    now = timezone.now()
    # opened 0, 0, 7 and 21 days ago → weekly counts by the week each ticket was opened
    for ticket, days in zip(tickets, (0, 0, 7, 21), strict=True):
        Ticket.objects.filter(pk=ticket.pk).update(created_at=now - dt.timedelta(days=days))
    return problem_create(
        actor=editor,
        title="耳机固件 2.1 左耳无声",
        tickets=tickets,
        root_cause_detail="固件 2.1 的声道配置错误",
        workaround="在 App 中把耳机恢复出厂设置，再重新配对。",
        standard_fix="升级到固件 2.2。",
    )


def test_trend_counts_linked_tickets_per_week(problem):
    today = timezone.localdate()
    trend = selectors.problem_trend(problem, today=today)
    assert trend.total == 4
    by_week = dict(trend.rows)
    this_week = today - dt.timedelta(days=today.weekday())
    assert by_week[this_week] == 2
    assert by_week[this_week - dt.timedelta(weeks=1)] == 1
    assert by_week[this_week - dt.timedelta(weeks=3)] == 1
    assert len(trend.weeks) == 8  # padded to the minimum of 8 weeks


def test_trend_figure_has_title_axes_and_data(problem):
    trend = selectors.problem_trend(problem)
    figure = selectors.problem_trend_figure(
        trend, title="Linked tickets per week", y_label="Tickets", x_label="Week starting"
    )
    assert figure["layout"]["title"]["text"] == "Linked tickets per week"
    assert figure["layout"]["yaxis"]["title"]["text"] == "Tickets"
    assert list(figure["data"][0]["y"]) == trend.counts
    assert figure["data"][0]["name"] == "Tickets"


def test_problem_list_counts(problem, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(selectors.problem_list())
    assert rows[0].ticket_count == 4 and rows[0].article_count == 0


def test_publish_workaround_creates_then_revises_one_article(problem, editor):
    article = services.problem_workaround_publish(actor=editor, problem=problem)
    assert article.state == "published" and article.visibility == "public"
    assert article.problem == problem and article.title.startswith("临时解决办法")
    assert "恢复出厂设置" in article.body_text and "固件 2.2" in article.body_text
    problem = problem_update(
        actor=editor,
        problem=problem,
        expected_version=problem.version,
        changes={"workaround": "长按按键十秒复位。", "state": Problem.State.KNOWN_ERROR},
    )
    again = services.problem_workaround_publish(actor=editor, problem=problem)
    assert again.pk == article.pk and again.revision == 2
    assert "长按按键十秒复位" in Article.objects.get(pk=article.pk).body_text
    english = services.problem_workaround_publish(actor=editor, problem=problem, language="en")
    assert english.pk != article.pk and english.title.startswith("Workaround:")


def test_agent_publishing_workaround_goes_to_review(problem, make_user):
    article = services.problem_workaround_publish(actor=make_user("agent"), problem=problem)
    assert article.state == "review"


def test_problem_update_is_versioned(problem, editor):
    problem_update(actor=editor, problem=problem, expected_version=1, changes={"title": "新"})
    stale = Problem.objects.get(pk=problem.pk)
    with pytest.raises(Conflict):
        problem_update(actor=editor, problem=stale, expected_version=1, changes={"title": "旧"})
