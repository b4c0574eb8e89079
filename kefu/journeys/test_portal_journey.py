"""Journey 2: a customer submits a complaint on the portal (phone width) and rates the outcome."""

from __future__ import annotations

import pytest

from kefu.journeys.conftest import ARTIFACTS, PASSWORD
from kefu.portal.tests.factories import make_portal_customer, png_bytes
from kefu.sla.tests.factories import always_calendar, make_policy
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Ticket
from kefu.tickets.tests.factories import root_cause

pytestmark = pytest.mark.django_db(transaction=True)


def _portal_sign_in(page, login: str) -> None:
    page.goto("/portal/login/")
    form = page.locator("form", has=page.locator("input[value=password]"))
    form.locator("input[name=login]").fill(login)
    form.locator("input[type=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/portal/")


def _handle_complaint_until_solved(agent, ticket: Ticket) -> None:
    """What the agent does in the workspace, through the same services (LSPCAS to Solved)."""

    def fresh():
        return Ticket.objects.get(pk=ticket.pk)

    def update(**changes):
        current = fresh()
        ticket_services.ticket_update(
            actor=agent, ticket=current, expected_version=current.version, changes=changes
        )

    def advance(stage):
        current = fresh()
        ticket_services.ticket_advance_stage(
            actor=agent, ticket=current, to_stage=stage, expected_version=current.version
        )

    update(assignee=agent, problem_statement="充电器到货即损坏")
    advance("share")
    ticket_services.message_add(
        actor=agent, ticket=fresh(), kind="reply", body="非常抱歉，我们马上为您换一个新的充电器。"
    )
    advance("problem")
    update(problem_confirmed_by_company=True)
    advance("check")
    update(problem_confirmed_by_customer=True)
    advance("action")
    update(
        root_cause=root_cause(), resolution="寄出新充电器", response_kinds=["regret", "recovery"]
    )
    advance("satisfy")
    for status in ("open", "solved"):
        current = fresh()
        ticket_services.ticket_transition(
            actor=agent, ticket=current, to_status=status, expected_version=current.version
        )


def test_customer_submits_a_complaint_with_a_photo_and_rates_the_resolution(
    open_page, make_user, tmp_path
):
    make_policy(always_calendar("全天"), first_response_minutes=120)
    _user, customer = make_portal_customer(make_user, name="王芳", email="wangfang@example.cn")
    agent = make_user("agent", username="lina")
    photo = tmp_path / "charger.png"
    photo.write_bytes(png_bytes())

    page = open_page(width=390, height=844)
    _portal_sign_in(page, "wangfang@example.cn")
    page.click("text=New request")
    page.wait_for_url("**/portal/new/")
    page.select_option("#id_kind", "complaint")
    assert page.locator(".promises li[data-kind=complaint]").is_visible()  # the promise, before
    page.fill("#id_subject", "充电器到货即损坏")
    page.fill("#id_description", "打开包装后发现充电器外壳破裂，无法使用。")
    page.fill("#id_w_what", "充电器外壳破裂")
    page.fill("#id_w_when", "昨天下午收货时")
    page.fill("#id_w_where", "上海家中")
    page.fill("#id_w_how_much", "129")
    page.set_input_files("#id_attachments", str(photo))
    page.screenshot(path=ARTIFACTS / "portal-new-request-filled-390.png", full_page=True)
    page.click("#request-form button[type=submit]")
    page.wait_for_url("**/portal/r/*/")

    ticket = Ticket.objects.get(customer=customer)
    assert (ticket.kind, ticket.channel, ticket.w_what) == ("complaint", "web", "充电器外壳破裂")
    assert ticket.w_how_much == 129
    attachment = ticket.messages.get().attachments.get()
    assert attachment.filename == "charger.png"
    status = page.locator(".status-card").inner_text()
    assert ticket.public_id in status and "Expected first reply by" in status
    assert page.locator("a", has_text="charger.png").count() == 1
    overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 1

    _handle_complaint_until_solved(agent, ticket)
    page.reload()
    assert "非常抱歉，我们马上为您换一个新的充电器。" in page.locator("main").inner_text()
    rate = page.locator("#rate")
    assert "Is your problem solved?" in rate.inner_text()
    rate.locator("input[name=score][value='5']").check()
    rate.locator("input[name=confirmed]").check()
    rate.locator("textarea[name=comment]").fill("处理很快，谢谢！")
    rate.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "5/5" in page.locator("main").inner_text()
    assert page.locator("#rate").count() == 0  # rated once: the form is gone
    ticket.refresh_from_db()
    assert ticket.customer_confirmed  # the agent may now close the complaint
