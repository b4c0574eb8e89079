"""SLA pages: permissions, forms through the services, the report chart, the clocks include."""

import pytest
from django.template.loader import render_to_string
from django.test import Client

from kefu.sla.models import BusinessCalendar, EscalationRule, SlaPolicy
from kefu.sla.tests.factories import make_policy, office_calendar
from kefu.tickets.tests.factories import make_ticket

PAGES = ("/sla/", "/sla/policies/", "/sla/calendars/", "/sla/rules/", "/sla/report/")


@pytest.fixture
def login(make_user):
    def factory(role):
        user = make_user(role)
        client = Client(headers={"Accept-Language": "en"})
        client.force_login(user)
        return client, user

    return factory


def test_pages_for_admins_and_readers_but_not_agents(login, db):
    make_policy(office_calendar("Office"), "Standard")
    admin, _user = login("admin")
    supervisor, _user = login("supervisor")
    agent, _user = login("agent")
    for url in PAGES:
        assert admin.get(url).status_code == 200, url
        assert supervisor.get(url).status_code == 200, url
        assert agent.get(url).status_code == 403, url
    assert supervisor.get("/sla/policies/new/").status_code == 403
    assert admin.get("/sla/policies/new/").status_code == 200
    assert "New policy" in admin.get("/sla/policies/").content.decode()
    assert "New policy" not in supervisor.get("/sla/policies/").content.decode()


def test_list_pages_query_count(login, db, django_assert_max_num_queries):
    calendar = office_calendar("Office")
    for n in range(10):
        make_policy(calendar, f"P{n}")
        EscalationRule.objects.create(name=f"R{n}", target="resolution", action="raise_priority")
    admin, _user = login("admin")
    for url in PAGES[:4]:
        with django_assert_max_num_queries(12):
            assert admin.get(url).status_code == 200


def test_calendar_form_creates_and_reports_bad_spans(login, db):
    admin, _user = login("admin")
    data = {
        "name": "Night",
        "timezone": "Europe/London",
        "day_mon": "22:00-06:00",
        "day_tue": "9-12",
        "holidays": "2026-12-25",
        "makeup_days": "",
    }
    response = admin.post("/sla/calendars/new/", data)
    assert response.status_code == 200 and "Write spans like" in response.content.decode()
    assert not BusinessCalendar.objects.exists()
    data["day_tue"] = "09:00-12:00, 13:00-17:00"
    response = admin.post("/sla/calendars/new/", data)
    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get(name="Night")
    assert calendar.weekly == {
        "mon": [["22:00", "06:00"]],
        "tue": [["09:00", "12:00"], ["13:00", "17:00"]],
    }
    assert calendar.holidays == ["2026-12-25"]


def test_holiday_import_page(login, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin, _user = login("admin")
    calendar = office_calendar("Office")
    upload = SimpleUploadedFile("h.csv", "date,kind\n2027-01-01,节假日\n".encode(), "text/csv")
    response = admin.post(
        f"/sla/calendars/{calendar.pk}/import/", {"version": calendar.version, "file": upload}
    )
    assert response.status_code == 302
    calendar.refresh_from_db()
    assert "2027-01-01" in calendar.holidays
    bad = SimpleUploadedFile("h.csv", b"date,kind\nnot-a-date,holiday\n", "text/csv")
    response = admin.post(
        f"/sla/calendars/{calendar.pk}/import/", {"version": calendar.version, "file": bad}
    )
    assert response.status_code == 422 and "line 2" in response.content.decode()


def test_policy_form_and_ordering(login, db):
    admin, _user = login("admin")
    calendar = office_calendar("Office")
    data = {
        "name": "VIP",
        "is_active": "on",
        "calendar": calendar.pk,
        "tiers": ["A"],
        "first_response_minutes": "30",
        "first_response_business": "on",
    }
    assert admin.post("/sla/policies/new/", data).status_code == 302
    data = {**data, "name": "Default", "tiers": []}
    assert admin.post("/sla/policies/new/", data).status_code == 302
    vip, default = SlaPolicy.objects.order_by("position")
    assert vip.tiers == ["A"] and vip.first_response_minutes == 30
    admin.post(f"/sla/policies/{default.pk}/move/", {"direction": "up"})
    assert list(SlaPolicy.objects.order_by("position").values_list("name", flat=True)) == [
        "Default",
        "VIP",
    ]
    empty = admin.post("/sla/policies/new/", {"name": "None", "calendar": calendar.pk})
    assert empty.status_code == 200 and "Set at least one target" in empty.content.decode()


def test_report_page_has_chart_and_table(login, db):
    admin, user = login("admin")
    make_policy(office_calendar("Office"), "Standard")
    make_ticket(user)
    page = admin.get("/sla/report/?group_by=priority").content.decode()
    assert "Compliance and time distribution" in page
    assert "normal" in page  # the group value in the table


def test_ticket_clocks_include(login, db, rf):
    _client, agent = login("agent")
    make_policy(office_calendar("Office"), first_response_minutes=120)
    ticket = make_ticket(agent, assignee=agent)
    html = render_to_string("sla/_ticket_clocks.html", {"ticket": ticket})
    assert "First response" in html and "left" in html
    other = make_ticket(agent, kind="complaint")
    SlaPolicy.objects.all().delete()
    assert "No SLA applies" in render_to_string(
        "sla/_ticket_clocks.html", {"ticket": make_ticket(agent)}
    )
    assert other.pk
