"""Pages: permissions, rendering, bounded queries, and the Excel export read back."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.test import Client
from openpyxl import load_workbook

from kefu.analytics import charts, selectors, services
from kefu.analytics.tests.factories import AS_OF, make_data

pytestmark = pytest.mark.django_db
PAGES = ("/analytics/", "/analytics/segments/", "/analytics/profitability/", "/analytics/service/")


def _client(make_user, role: str) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(make_user(role))
    return client


def test_pages_need_the_manager_or_admin_role(make_user):
    agent = _client(make_user, "agent")
    for page in PAGES:
        assert agent.get(page).status_code == 403
    assert agent.get("/analytics/export/pareto.xlsx").status_code == 403


def test_empty_state_before_the_first_refresh(make_user):
    response = _client(make_user, "manager").get("/analytics/")
    assert response.status_code == 200
    assert "No customer value snapshot has been computed yet" in response.content.decode()


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_with_a_bounded_number_of_queries(
    make_user, page, django_assert_max_num_queries
):
    make_data(40, actor=make_user("admin"))
    services.analytics_refresh(actor=None, as_of=AS_OF)
    services.analytics_refresh(actor=None, as_of=AS_OF)  # two snapshots: tier migration
    client = _client(make_user, "manager")
    with django_assert_max_num_queries(25):
        response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert "vendor/plotly.min.js" in html and "Export Excel" in html
    assert "Refresh now" not in html  # managers see, admins run


def test_profitability_lists_link_to_the_customer_page(make_user):
    admin = make_user("admin")
    data = make_data(40, actor=admin)
    services.analytics_refresh(actor=None, as_of=AS_OF)
    html = _client(make_user, "admin").get("/analytics/profitability/").content.decode()
    # customer 0 has 500 CNY compensation: a loss-maker, listed with its driver
    assert f'href="/customers/{data.customers[0].pk}/"' in html
    assert "Loss-making customers" in html and "compensation" in html
    assert "Refresh now" in html


@pytest.mark.parametrize("key", charts.CHART_KEYS)
def test_excel_export_reads_back(make_user, key):
    make_data(30, actor=make_user("admin"))
    services.analytics_refresh(actor=None, as_of=AS_OF)
    run = services.analytics_refresh(actor=None, as_of=AS_OF)
    response = _client(make_user, "manager").get(f"/analytics/export/{key}.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    chart = charts.build(key, selectors.latest_runs(2))
    assert rows[0][0] == chart.title
    assert rows[2][:2] == ["Run", run.pk]
    width = len(chart.columns)
    header = next(i for i, r in enumerate(rows) if width and r[:width] == chart.columns)
    body = [r[: len(chart.columns)] for r in rows[header + 1 :]]
    assert body == [list(r) for r in chart.rows]


def test_rfm_export_cells_sum_to_the_purchasers(make_user):
    make_data(30)
    run = services.analytics_refresh(actor=None, as_of=AS_OF)
    response = _client(make_user, "manager").get("/analytics/export/rfm.xlsx")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "Recency score") + 1
    assert sum(r[2] for r in rows[start:]) == run.aggregates["purchasers"]


def test_unknown_export_is_404(make_user):
    assert _client(make_user, "manager").get("/analytics/export/nope.xlsx").status_code == 404
