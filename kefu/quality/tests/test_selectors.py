"""kpi_report over the real tables: bulk loading, mystery exclusion, constant query count."""

from __future__ import annotations

import polars as pl
from django.utils import timezone

from kefu.quality import selectors, services
from kefu.quality.kpis import KPI_CODES
from kefu.quality.tests.factories import make_team, worked_ticket


def _today():
    return timezone.localdate()


def test_kpi_report_counts_real_tickets_and_excludes_mystery(db, make_user):
    agent = make_user("agent", display_name="王芳")
    qa = make_user("qa")
    team = make_team("一组", members=[agent])
    worked_ticket(agent, team=team)
    worked_ticket(agent, team=team, solve=False)
    mystery = worked_ticket(agent, team=team)
    services.mystery_contact_create(
        actor=qa, ticket=mystery, shopper="张三", scenario="询问退货政策"
    )
    report = selectors.kpi_report(level="agent", period="day", start=_today(), end=_today())
    assert report.columns == ["period_start", "level_key", "level_name", *KPI_CODES]
    row = report.filter(pl.col("level_key") == str(agent.pk)).to_dicts()[0]
    assert row["level_name"] == "王芳"
    assert row["tickets_created"] == 2  # the mystery-customer ticket is left out
    assert row["tickets_solved"] == 1
    assert row["backlog"] == 1
    assert row["first_response_s"] is not None and row["first_response_s"] >= 0
    company = selectors.kpi_report(level="company", period="month", start=_today(), end=_today())
    assert company["level_key"].to_list() == ["company"]
    team_report = selectors.kpi_report(
        level="team", period="week", start=_today(), end=_today(), team_id=team.pk
    )
    assert team_report["level_name"].to_list() == ["一组"]


def test_kpi_report_query_count_is_constant(db, make_user, django_assert_max_num_queries):
    agent = make_user("agent")
    for _ in range(2):
        worked_ticket(agent)
    with django_assert_max_num_queries(16) as small:
        selectors.kpi_report(level="agent", period="day", start=_today(), end=_today())
    for _ in range(6):
        worked_ticket(agent)
    with django_assert_max_num_queries(len(small.captured_queries)):
        selectors.kpi_report(level="agent", period="day", start=_today(), end=_today())
