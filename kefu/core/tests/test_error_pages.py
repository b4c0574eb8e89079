"""Error pages are Kefu's own, in the visitor's language, and say what to do next."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_forbidden_page_is_translated_and_names_the_reason(make_user):
    client = Client(headers={"Accept-Language": "zh-hans"})
    client.force_login(make_user("agent"))
    response = client.get("/settings/audit/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "您无权打开此页面" in page and "返回首页" in page
    assert "Forbidden" not in page


def test_not_found_page_in_english(make_user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(make_user("agent"))
    response = client.get("/tickets/999999/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_server_error_page_renders_without_a_request_context():
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("zh-hans"):
        html = render_to_string("500.html")
    assert "出错了" in html and "错误已记录" in html


def test_server_error_view_tells_an_outage_from_a_bug(rf):
    """An unreachable database is a 503 to retry; any other error, SQLite's "no such table"
    included, is a 500."""
    from django.db import OperationalError, connection

    from kefu.core.views import server_error

    request = rf.get("/", headers={"Accept-Language": "en"})
    outage = "database is locked" if connection.vendor == "sqlite" else "connection refused"
    cases = [
        (RuntimeError("a bug"), 500),
        (
            OperationalError("no such table: tickets_ticket"),
            500 if connection.vendor == "sqlite" else 503,
        ),
        (OperationalError(outage), 503),
    ]
    for error, status in cases:
        try:
            raise error
        except Exception:
            response = server_error(request)
        assert response.status_code == status, error
        assert ("Retry-After" in response) == (status == 503)
