"""Journey 6: the inbox and the ticket page by keyboard, visible focus, and axe-core's checks.

axe-core (Deque) comes inside the axe-playwright-python wheel from PyPI: no CDN, no npm.
"""

from __future__ import annotations

import pytest

from kefu.journeys.conftest import sign_in
from kefu.portal.tests.factories import make_portal_customer
from kefu.tickets import services as ticket_services
from kefu.tickets.tests.factories import make_customer, make_team

pytestmark = pytest.mark.django_db(transaction=True)

# WCAG 2.1 A and AA rules; a page may have none of the serious or critical kind.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def axe_problems(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {node['target']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
        for node in v["nodes"][:3]
    ]


@pytest.fixture
def inbox(make_user):
    agent = make_user("agent", username="lina")
    make_team(name="一线客服", members=[agent])
    customer = make_customer("刘洋")
    tickets = [
        ticket_services.ticket_create(
            actor=agent,
            customer=customer,
            subject=subject,
            kind="inquiry",
            channel="email",
            assignee=agent,
        )
        for subject in ("发票抬头错误", "快递未送达", "如何修改收货地址")
    ]
    return agent, tickets


def _focus_ring(page) -> dict:
    return page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
        return {tag: document.activeElement.tagName, outline: s.outlineStyle,
                width: parseFloat(s.outlineWidth), shadow: s.boxShadow}; }"""
    )


def test_inbox_and_ticket_work_from_the_keyboard(open_page, inbox):
    page = open_page()
    sign_in(page, "lina")
    page.goto("/tickets/?view=mine&sort=created")
    rows = page.locator(".t-row")
    assert rows.count() == 3
    page.keyboard.press("j")
    page.keyboard.press("j")
    focused = page.locator(".t-row.t-focus")
    assert focused.count() == 1
    subject = focused.locator("a.t-open").inner_text()
    page.keyboard.press("k")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url("**/tickets/*/")
    assert subject in page.locator("h1").inner_text()
    page.keyboard.press("r")
    assert page.evaluate("() => document.activeElement.id") == "id_body"
    page.keyboard.type("您好，我们已收到。")
    assert page.input_value("#id_body") == "您好，我们已收到。"

    page.goto("/tickets/")
    page.keyboard.press("/")
    assert page.evaluate("() => document.activeElement.id") == "f-q"
    # Tab moves focus through links and controls, and the focus is visible.
    page.locator("body").click(position={"x": 5, "y": 5})
    for _ in range(3):
        page.keyboard.press("Tab")
        ring = _focus_ring(page)
        assert ring["tag"] != "BODY"
        assert (ring["outline"] != "none" and ring["width"] > 0) or ring["shadow"] != "none", ring


def test_agent_pages_pass_axe(open_page, inbox):
    _agent, tickets = inbox
    page = open_page()
    sign_in(page, "lina")
    for path in ("/tickets/", f"/tickets/{tickets[0].pk}/", "/tickets/new/", "/customers/"):
        page.goto(path)
        assert axe_problems(page) == [], path


def test_portal_pages_pass_axe(open_page, make_user):
    make_portal_customer(make_user, name="王芳", email="wangfang@example.cn")
    page = open_page(width=390, height=844)
    page.goto("/portal/login/")
    assert axe_problems(page) == [], "login"
    form = page.locator("form", has=page.locator("input[value=password]"))
    form.locator("input[name=login]").fill("wangfang@example.cn")
    form.locator("input[type=password]").fill("pw-Correct-Horse-1")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/portal/")
    for path in ("/portal/", "/portal/new/"):
        page.goto(path)
        assert axe_problems(page) == [], path
