"""Pages: roles, the GET pivot form, 400 on non-whitelisted fields, exports from the page,
drill-down, saving, and bounded query counts (constant whatever the data size)."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from kefu.reports import services
from kefu.reports.tests.factories import make_tickets

pytestmark = pytest.mark.django_db
PAGES = ("/reports/", "/reports/pivot/", "/reports/saved/", "/reports/swot/")
PIVOT = (
    "/reports/pivot/?dataset=tickets&dimensions=channel&dimensions=kind"
    "&measures=count:tickets&measures=p90:resolution_s&run=1"
)


def _client(make_user, role: str) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(make_user(role))
    return client


def test_pages_need_a_reporting_role(make_user):
    agent = _client(make_user, "agent")
    for page in (*PAGES, "/reports/churn/", PIVOT, "/reports/pivot/export.csv?dimensions=kind"):
        assert agent.get(page).status_code == 403
    assert Client().get("/reports/").status_code == 302  # login first
    supervisor = _client(make_user, "supervisor")
    assert supervisor.get("/reports/churn/").status_code == 403  # churn: managers and admins
    assert supervisor.post("/reports/churn/train/").status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_pages_render(make_user, page):
    make_tickets(10)
    response = _client(make_user, "manager").get(page)
    assert response.status_code == 200


def test_pivot_page_shows_table_chart_and_drill_links(make_user):
    rows = make_tickets(30)
    response = _client(make_user, "supervisor").get(PIVOT)
    html = response.content.decode()
    assert response.status_code == 200
    assert "chart-data-pivot" in html and "vendor/plotly.min.js" in html
    assert "/reports/pivot/drill/?" in html and "Save this report" in html
    complaints_by_email = sum(1 for r in rows if r.channel == "email" and r.kind == "complaint")
    assert f'<td class="num">{complaints_by_email}</td>' in html


@pytest.mark.parametrize(
    "query",
    [
        "dimensions=password",
        "dimensions=channel&measures=sum:customer__user__password",
        "dimensions=kind&f_subject=x",
        "dataset=auth_user&dimensions=kind",
    ],
)
def test_pivot_page_rejects_fields_outside_the_whitelist(make_user, query):
    response = _client(make_user, "supervisor").get(f"/reports/pivot/?{query}&run=1")
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    export = _client(make_user, "supervisor").get(f"/reports/pivot/export.xlsx?{query}")
    assert export.status_code == 400


def test_excel_export_from_the_page_has_the_numbers(make_user):
    rows = make_tickets(24)
    client = _client(make_user, "supervisor")
    response = client.get(
        "/reports/pivot/export.xlsx?dimensions=channel&measures=count:tickets&measures=sum:amount_involved"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="report-')
    sheet = load_workbook(io.BytesIO(response.content))["Report"]
    cells = list(sheet.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(cells) if r[0] == "channel")
    assert cells[header][1] == "Count: tickets"
    values = {r[0]: (r[1], r[2]) for r in cells[header + 1 :]}
    for channel, label in (("email", "Email"), ("phone", "Phone"), ("web", "Web portal")):
        mine = [r for r in rows if r.channel == channel]
        assert values[label][0] == len(mine)
        assert values[label][1] == pytest.approx(sum(r.amount_involved or 0 for r in mine))
    csv = client.get("/reports/pivot/export.csv?dimensions=channel&measures=count:tickets")
    assert csv.content.startswith("\ufeff".encode())


def test_drill_down_page_lists_the_records(make_user):
    rows = make_tickets(12)
    email = [r for r in rows if r.channel == "email"]
    response = _client(make_user, "supervisor").get(
        "/reports/pivot/drill/?dimensions=channel&measures=count:tickets&v_channel=email"
    )
    html = response.content.decode()
    assert response.status_code == 200
    for row in rows:
        assert (f'href="/tickets/{row.pk}/"' in html) == (row.channel == "email")
    assert email


def test_save_a_report_from_the_page(make_user):
    client = _client(make_user, "supervisor")
    response = client.post(
        "/reports/pivot/save/",
        {
            "name": "By channel",
            "dataset": "tickets",
            "dimensions": ["channel"],
            "measures": ["count:tickets"],
            "schedule": "weekly",
            "recipients": "me@example.com",
            "export_format": "pdf",
        },
    )
    assert response.status_code == 302
    listing = client.get("/reports/saved/").content.decode()
    assert "By channel" in listing and "Weekly" in listing


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", [*PAGES, PIVOT, "/reports/churn/"])
def test_query_count_does_not_grow_with_the_data(make_user, page, django_assert_max_num_queries):
    client = _client(make_user, "admin")
    user = make_user("admin")
    make_tickets(6)
    services.saved_report_create(actor=user, name="a", spec={"dimensions": ["kind"]}, shared=True)
    services.swot_entry_add(actor=user, quadrant="strength", text="fast replies")
    small = _queries(client, page)
    make_tickets(30)
    for i in range(5):
        services.saved_report_create(
            actor=user, name=f"r{i}", spec={"dimensions": ["kind"]}, shared=True
        )
        services.swot_entry_add(actor=user, quadrant="weakness", text=f"w{i}")
    assert _queries(client, page) == small
    with django_assert_max_num_queries(40):
        client.get(page)
