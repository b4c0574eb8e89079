"""Journeys through the shell and the customer database, as an agent and a supervisor."""

from __future__ import annotations

import pytest

from kefu.customers.tests.factories import make_customer, make_purchase
from kefu.journeys.conftest import sign_in, untranslated_words

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def zhang_wei():
    customer = make_customer("张伟", contacts=[("mobile", "13812341234")], tier="A")
    make_purchase(customer, amount="2999.00", product="华信 Nova 12 手机")
    make_customer("李娜", contacts=[("mobile", "13998765432")])
    return customer


def test_wrong_password_gets_a_generic_message(open_page, make_user):
    make_user("agent", username="lina")
    page = open_page()
    sign_in(page, "lina", "wrong-password")
    alert = page.locator("[role=alert]").inner_text()
    assert "username" in alert.lower() and "password" in alert.lower()
    assert page.url.endswith("/accounts/login/")


def test_agent_finds_a_customer_by_phone_fragment_and_reads_the_timeline(
    open_page, make_user, zhang_wei
):
    make_user("agent", username="lina")
    page = open_page()
    sign_in(page, "lina")
    assert page.locator("h1").inner_text().startswith("Welcome")
    page.fill("#q", "1234")
    page.press("#q", "Enter")
    results = page.locator("main").inner_text()
    assert "张伟" in results and "李娜" not in results
    page.click("text=张伟")
    page.wait_for_url(f"**/customers/{zhang_wei.pk}/")
    body = page.locator("main").inner_text()
    assert "138****1234" in body and "13812341234" not in body  # agents see masked phones
    assert "Tier A" in body
    assert "华信 Nova 12 手机" in page.locator("section", has_text="Timeline").inner_text()


def test_supervisor_sees_the_full_phone_and_filters_by_tier(open_page, make_user, zhang_wei):
    make_user("supervisor", username="chenjing")
    page = open_page()
    sign_in(page, "chenjing")
    page.goto("/customers/")
    page.select_option("select[name=tier]", "A")
    page.click("form.filters button[type=submit]")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1 and "张伟" in rows.first.inner_text()
    page.goto(f"/customers/{zhang_wei.pk}/")
    assert "13812341234" in page.locator("main").inner_text()


def test_the_chinese_interface_has_no_untranslated_words(open_page, make_user, zhang_wei):
    make_user("supervisor", username="chenjing")
    page = open_page(language="zh-hans")
    sign_in(page, "chenjing")
    visited = {}
    for path in ("/", "/customers/", f"/customers/{zhang_wei.pk}/", "/search/?q=张伟"):
        page.goto(path)
        visited[path] = untranslated_words(
            page, extra_allowed={"Nova", "chenjing", "manual"}
        )  # data, not UI
    assert visited == {path: [] for path in visited}
    assert "客户" in page.locator("nav").inner_text()


def test_phone_width_keeps_navigation_and_does_not_scroll_sideways(open_page, make_user, zhang_wei):
    make_user("agent", username="lina")
    page = open_page(width=390, height=844)
    sign_in(page, "lina")
    for path in ("/", "/customers/", f"/customers/{zhang_wei.pk}/"):
        page.goto(path)
        assert page.locator("nav.sidebar a.nav-link").first.is_visible()
        overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px"
