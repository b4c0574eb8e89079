"""The agent workspace pages: roles, IDOR, forms through services, stale edits, bulk, queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kefu.tickets import services
from kefu.tickets.models import (
    Compensation,
    CompensationState,
    Macro,
    Message,
    Ticket,
    TicketEvent,
)
from kefu.tickets.tests.factories import make_customer, make_ticket, root_cause

pytestmark = pytest.mark.django_db


def login(user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def fresh(ticket):
    return Ticket.objects.get(pk=ticket.pk)


# --- inbox -------------------------------------------------------------------------------------


def test_inbox_shows_views_counts_and_rows(people):
    agent = people["agent"]
    mine = make_ticket(agent, subject="手机屏幕碎了", team=people["team_a"], assignee=agent)
    make_ticket(agent, subject="Other team's secret", team=people["team_b"])
    html = login(agent).get(reverse("tickets:inbox")).content.decode()
    assert "手机屏幕碎了" in html and mine.public_id in html
    assert "Other team&#x27;s secret" not in html and "Other team's secret" not in html
    assert "My open tickets" in html and "Awaiting approval" in html
    assert "1 ticket" in html


def test_inbox_filters_search_and_empty_state(people):
    agent = people["agent"]
    make_ticket(agent, subject="Refund please", priority="urgent", team=people["team_a"])
    make_ticket(agent, subject="Where is my parcel", priority="low", team=people["team_a"])
    client = login(agent)
    html = client.get(reverse("tickets:inbox"), {"view": "all", "priority": "urgent"}).content
    assert b"Refund please" in html and b"Where is my parcel" not in html
    html = client.get(reverse("tickets:inbox"), {"view": "all", "q": "parcel"}).content
    assert b"Where is my parcel" in html and b"Refund please" not in html
    html = client.get(reverse("tickets:inbox"), {"view": "all", "q": "nothing-like-it"}).content
    assert b"No ticket matches these filters." in html
    html = client.get(reverse("tickets:inbox"), {"view": "mine"}).content
    assert b"Nothing assigned to you is open" in html


def test_inbox_breached_view_and_sla_badge(people):
    agent = people["agent"]
    ticket = make_ticket(agent, subject="Late one", team=people["team_a"])
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_due_at=timezone.now() - dt.timedelta(hours=2)
    )
    html = login(agent).get(reverse("tickets:inbox"), {"view": "breached"}).content.decode()
    assert "Late one" in html and "Overdue 2 h" in html


def test_inbox_query_count_is_constant(people, django_assert_max_num_queries):
    agent = people["agent"]
    client = login(agent)
    url = reverse("tickets:inbox") + "?view=all"
    make_ticket(agent, team=people["team_a"], assignee=agent, tags=["a"])
    with django_assert_max_num_queries(30) as few:
        assert client.get(url).status_code == 200
    for i in range(30):
        make_ticket(
            agent,
            subject=f"t{i}",
            team=people["team_a"],
            assignee=people["supervisor"] if i % 2 else agent,
            customer=make_customer(tier="A"),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()
    assert "t29" in html


def test_customer_and_anonymous_cannot_use_the_workspace(people, make_user):
    portal = make_user("customer", username="zhang")
    ticket = make_ticket(people["agent"])
    client = login(portal)
    assert client.get(reverse("tickets:inbox")).status_code == 403
    assert client.get(reverse("tickets:detail", args=[ticket.pk])).status_code == 403
    assert client.get(reverse("tickets:new")).status_code == 403
    anonymous = Client().get(reverse("tickets:inbox"))
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]


# --- bulk --------------------------------------------------------------------------------------


def test_bulk_assign_status_and_tag_through_services(people):
    agent = people["agent"]
    a = make_ticket(agent, team=people["team_a"])
    b = make_ticket(agent, team=people["team_a"])
    hidden = make_ticket(agent, team=people["team_b"])
    client = login(agent)
    url = reverse("tickets:bulk")
    response = client.post(
        url, {"ids": [a.pk, b.pk, hidden.pk], "action": "assign", "assignee": "me"}
    )
    assert response.status_code == 302
    assert fresh(a).assignee == agent and fresh(b).assignee == agent
    assert fresh(hidden).assignee is None  # another team's ticket: skipped, not touched
    client.post(url, {"ids": [a.pk, b.pk], "action": "status", "status": "pending"})
    assert {fresh(a).status, fresh(b).status} == {"pending"}
    client.post(url, {"ids": [a.pk], "action": "tag", "tag": "退货"})
    assert list(fresh(a).tags.values_list("name", flat=True)) == ["退货"]
    assert TicketEvent.objects.filter(ticket=a, kind="assigned", actor=agent).exists()


def test_bulk_reports_workflow_refusals(people):
    agent = people["agent"]
    complaint = make_ticket(agent, kind="complaint", team=people["team_a"], assignee=agent)
    response = login(agent).post(
        reverse("tickets:bulk"),
        {"ids": [complaint.pk], "action": "status", "status": "solved"},
        follow=True,
    )
    assert b"root cause" in response.content
    assert fresh(complaint).status == "new"


# --- new ticket --------------------------------------------------------------------------------


def test_new_ticket_form_searches_customers_and_creates_a_complaint(people):
    agent = people["agent"]
    from kefu.customers.tests.factories import make_customer as make_real_customer

    customer = make_real_customer("赵丽")
    client = login(agent)
    html = client.get(reverse("tickets:new"), {"customer_q": "赵丽"}).content.decode()
    assert f"?customer={customer.pk}" in html
    response = client.post(
        reverse("tickets:new") + f"?customer={customer.pk}",
        {
            "customer": customer.pk,
            "kind": "complaint",
            "subject": "快递把包裹放错地方",
            "description": "包裹被放在隔壁小区",
            "channel": "phone",
            "priority": "high",
            "w_what": "放错地方",
            "w_how_much": "299.00",
            "problem_statement": "包裹放错小区",
            "team": people["team_a"].pk,
            "tags": "快递, 投诉",
        },
    )
    ticket = Ticket.objects.get(subject="快递把包裹放错地方")
    assert response.status_code == 302 and response["Location"].endswith(f"/{ticket.pk}/")
    assert ticket.stage == "listen" and ticket.w_how_much == Decimal("299.00")
    assert ticket.problem_statement == "包裹放错小区"
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["快递", "投诉"]
    assert TicketEvent.objects.filter(ticket=ticket, kind="created", actor=agent).exists()


def test_new_ticket_requires_customer_and_subject(people):
    response = login(people["agent"]).post(
        reverse("tickets:new"), {"kind": "inquiry", "channel": "web", "priority": "normal"}
    )
    assert response.status_code == 422
    assert b"Choose the customer first." in response.content
    assert Ticket.objects.count() == 0


# --- ticket page -------------------------------------------------------------------------------


def test_ticket_page_renders_conversation_notes_and_panels(people):
    agent = people["agent"]
    ticket = make_ticket(agent, kind="complaint", team=people["team_a"], assignee=agent)
    services.message_add(actor=None, ticket=ticket, kind="customer", body="屏幕有裂痕")
    services.message_add(actor=agent, ticket=ticket, kind="note", body="内部：先查物流")
    html = login(agent).get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "屏幕有裂痕" in html and "内部：先查物流" in html
    assert "t-msg-note" in html and "t-msg-customer" in html
    # LSPCAS stepper with the poka-yoke message of the Listen stage
    assert "Listen" in html and "Satisfy" in html and "t-step-current" in html
    assert "Write down what the customer says happened" in html
    assert "Compensation" in html and "IANAR review" in html
    assert reverse("customers:detail", args=[ticket.customer_id]) in html


def test_agent_of_another_team_gets_404(people):
    ticket = make_ticket(people["agent"], team=people["team_a"])
    client = login(people["other"])
    assert client.get(reverse("tickets:detail", args=[ticket.pk])).status_code == 404
    assert client.post(reverse("tickets:reply", args=[ticket.pk]), {"body": "x"}).status_code == 404
    assert client.get(reverse("tickets:three-w", args=[ticket.pk])).status_code == 404
    assert client.get(reverse("tickets:presence", args=[ticket.pk])).status_code == 404
    assert Message.objects.filter(ticket=ticket).count() == 0


def test_qa_sees_the_page_but_cannot_change(people, make_user):
    qa = make_user("qa")
    ticket = make_ticket(people["agent"], team=people["team_a"])
    client = login(qa)
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert ticket.subject in html and 'id="reply-form"' not in html
    response = client.post(reverse("tickets:reply", args=[ticket.pk]), {"body": "hi"})
    assert response.status_code == 403


def test_ticket_page_query_count_is_constant(people, django_assert_max_num_queries):
    agent = people["agent"]
    ticket = make_ticket(agent, kind="complaint", team=people["team_a"], assignee=agent)
    services.message_add(actor=None, ticket=ticket, kind="customer", body="first")
    client = login(agent)
    url = reverse("tickets:detail", args=[ticket.pk])
    with django_assert_max_num_queries(60) as few:
        assert client.get(url).status_code == 200
    for i in range(10):
        services.message_add(actor=None, ticket=ticket, kind="customer", body=f"m{i}")
        services.message_add(actor=agent, ticket=ticket, kind="note", body=f"n{i}")
        fresh_ticket = fresh(ticket)
        services.ticket_update(
            actor=agent,
            ticket=fresh_ticket,
            expected_version=fresh_ticket.version,
            changes={"priority": "high" if i % 2 else "low"},
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_reply_with_checker_warning_asks_then_sends_anyway(people):
    agent = people["agent"]
    ticket = make_ticket(agent, team=people["team_a"], assignee=agent)
    client = login(agent)
    url = reverse("tickets:reply", args=[ticket.pk])
    text = "这不可能，是你自己操作不当"
    response = client.post(url, {"kind": "reply", "body": text})
    html = response.content.decode()
    assert response.status_code == 200 and "Send anyway" in html
    assert text in html  # the draft is kept
    assert not Message.objects.filter(ticket=ticket).exists()
    response = client.post(url, {"kind": "reply", "body": text, "confirm": "1"})
    assert response.status_code == 302
    message = Message.objects.get(ticket=ticket)
    assert message.kind == "reply" and message.checker_warnings


def test_note_and_attachment(people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    agent = people["agent"]
    ticket = make_ticket(agent, team=people["team_a"])
    client = login(agent)
    upload = SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = client.post(
        reverse("tickets:reply", args=[ticket.pk]),
        {"kind": "note", "body": "发票见附件", "attachments": [upload]},
    )
    assert response.status_code == 302
    attachment = Message.objects.get(ticket=ticket).attachments.get()
    assert attachment.filename == "receipt.pdf"
    download = client.get(reverse("tickets:attachment", args=[attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert (
        login(people["other"]).get(reverse("tickets:attachment", args=[attachment.pk])).status_code
        == 404
    )
    bad = SimpleUploadedFile("evil.exe", b"MZ....", content_type="application/x-msdownload")
    response = client.post(
        reverse("tickets:reply", args=[ticket.pk]),
        {"kind": "note", "body": "x", "attachments": [bad]},
    )
    assert response.status_code == 422 and b"not accepted" in response.content
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_macro_prefills_reply_and_runs_its_actions(people):
    agent = people["agent"]
    ticket = make_ticket(agent, team=people["team_a"], assignee=agent)
    Ticket.objects.filter(pk=ticket.pk).update(status="open")
    macro = Macro.objects.create(
        name="Waiting",
        body="{customer_name}您好，请提供订单号。",
        set_status="pending",
        add_tags=["待补充"],
    )
    client = login(agent)
    html = client.get(reverse("tickets:detail", args=[ticket.pk]), {"macro": macro.pk}).content
    assert f"{ticket.customer.name}您好，请提供订单号。".encode() in html
    client.post(
        reverse("tickets:reply", args=[ticket.pk]),
        {"kind": "reply", "body": "您好，请提供订单号，谢谢。", "macro": macro.pk},
    )
    ticket = fresh(ticket)
    assert ticket.status == "pending"
    assert list(ticket.tags.values_list("name", flat=True)) == ["待补充"]


def test_properties_update_and_stale_edit_loses_nothing(people):
    agent, supervisor = people["agent"], people["supervisor"]
    ticket = make_ticket(agent, team=people["team_a"], subject="Old subject")
    url = reverse("tickets:update", args=[ticket.pk])
    form = {
        "version": ticket.version,
        "subject": "New subject",
        "kind": "inquiry",
        "priority": "high",
        "team": people["team_a"].pk,
        "assignee": "",
        "tags": "",
        "category": "",
        "resolution": "",
    }
    # The supervisor saves first …
    services.ticket_update(
        actor=supervisor,
        ticket=fresh(ticket),
        expected_version=ticket.version,
        changes={"priority": "urgent"},
    )
    # … so the agent's form, read at the old version, is stale.
    response = login(agent).post(url, form)
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else changed this ticket" in html
    assert "New subject" in html  # what the agent typed is shown
    assert fresh(ticket).subject == "Old subject" and fresh(ticket).priority == "urgent"
    form["version"] = fresh(ticket).version
    assert login(agent).post(url, form).status_code == 302
    assert fresh(ticket).subject == "New subject" and fresh(ticket).priority == "high"


def test_transitions_and_poka_yoke_messages(people):
    agent = people["agent"]
    ticket = make_ticket(agent, kind="complaint", team=people["team_a"], assignee=agent)
    client = login(agent)
    url = reverse("tickets:transition", args=[ticket.pk])
    response = client.post(url, {"to_status": "solved", "version": ticket.version}, follow=True)
    assert b"Choose the root cause of the complaint before solving it." in response.content
    assert fresh(ticket).status == "new"
    client.post(url, {"to_status": "open", "version": ticket.version})
    assert fresh(ticket).status == "open"
    # stale version: refused with a clear message
    response = client.post(url, {"to_status": "pending", "version": ticket.version}, follow=True)
    assert b"changed by someone else" in response.content
    assert fresh(ticket).status == "open"


def test_stage_stepper_moves_forward_when_requirements_are_met(people):
    agent = people["agent"]
    ticket = make_ticket(agent, kind="complaint", team=people["team_a"], assignee=agent)
    client = login(agent)
    url = reverse("tickets:stage", args=[ticket.pk])
    response = client.post(url, {"to_stage": "share", "version": ticket.version}, follow=True)
    assert b"Write down what the customer says happened" in response.content
    assert fresh(ticket).stage == "listen"
    ticket = fresh(ticket)
    services.ticket_update(
        actor=agent,
        ticket=ticket,
        expected_version=ticket.version,
        changes={"problem_statement": "屏幕碎了"},
    )
    client.post(url, {"to_stage": "share", "version": fresh(ticket).version})
    assert fresh(ticket).stage == "share"
    client.post(url, {"to_stage": "listen", "version": fresh(ticket).version})
    assert fresh(ticket).stage == "share"  # going back needs a reason
    client.post(url, {"to_stage": "listen", "version": fresh(ticket).version, "reason": "重听"})
    assert fresh(ticket).stage == "listen"


def test_compensation_above_limit_waits_for_approval_and_is_decided(people):
    agent, supervisor = people["agent"], people["supervisor"]
    ticket = make_ticket(agent, kind="complaint", team=people["team_a"], assignee=agent)
    client = login(agent)
    response = client.post(
        reverse("tickets:compensation", args=[ticket.pk]),
        {"remedy": "refund", "amount": "800.00", "reason": "屏幕运输损坏"},
        follow=True,
    )
    assert b"Promise nothing to the customer" in response.content
    compensation = Compensation.objects.get(ticket=ticket)
    assert compensation.state == CompensationState.PENDING
    assert compensation.approver == supervisor
    # the agent cannot open the approvals page
    assert client.get(reverse("tickets:approvals")).status_code == 403
    boss = login(supervisor)
    html = boss.get(reverse("tickets:approvals")).content.decode()
    assert ticket.public_id in html and "800.00" in html
    decide = reverse("tickets:compensation-decide", args=[compensation.pk])
    response = boss.post(decide, {"decision": "reject", "version": compensation.version})
    assert Compensation.objects.get(pk=compensation.pk).state == CompensationState.PENDING
    boss.post(decide, {"decision": "approve", "note": "同意", "version": compensation.version})
    assert Compensation.objects.get(pk=compensation.pk).state == CompensationState.APPROVED


def test_three_w_report_page_and_csv(people):
    agent = people["agent"]
    ticket = make_ticket(agent, kind="complaint", team=people["team_a"], assignee=agent)
    services.contact_failed(actor=agent, ticket=ticket, note="电话无人接听")
    client = login(agent)
    html = client.get(reverse("tickets:three-w", args=[ticket.pk])).content.decode()
    assert "What we knew" in html and "Unsuccessful contact" in html and "电话无人接听" in html
    csv = client.get(reverse("tickets:three-w", args=[ticket.pk]), {"format": "csv"})
    text = csv.content.decode("utf-8-sig")
    assert csv["Content-Type"].startswith("text/csv")
    assert "Ticket created" in text and "电话无人接听" in text


def test_side_panel_actions(people):
    agent = people["agent"]
    ticket = make_ticket(agent, kind="complaint", team=people["team_a"], assignee=agent)
    other = make_ticket(agent, team=people["team_a"], customer=ticket.customer)
    client = login(agent)
    client.post(reverse("tickets:ianar", args=[ticket.pk]), {"identify": "屏幕", "review": "ok"})
    assert ticket.ianar.identify == "屏幕"
    due = (timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    client.post(reverse("tickets:follow-up", args=[ticket.pk]), {"due_at": due, "note": "回访"})
    follow_up = ticket.follow_ups.get()
    client.post(
        reverse("tickets:follow-up-done", args=[ticket.pk, follow_up.pk]), {"outcome": "satisfied"}
    )
    assert ticket.follow_ups.get().outcome == "satisfied"
    client.post(
        reverse("tickets:opportunity", args=[ticket.pk]),
        {"description": "想买延保", "estimated_value": "399"},
    )
    assert ticket.opportunities.get().estimated_value == Decimal("399")
    client.post(
        reverse("tickets:link", args=[ticket.pk]), {"target": other.public_id, "kind": "related"}
    )
    assert ticket.links_out.get().target == other
    for _ in range(3):
        client.post(reverse("tickets:contact-failed", args=[ticket.pk]))
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "Three-change principle" in html
    client.post(
        reverse("tickets:three-change", args=[ticket.pk]),
        {"change": "person", "assignee": people["supervisor"].pk},
    )
    assert fresh(ticket).assignee == people["supervisor"]
    assert fresh(ticket).three_changes_tried == ["person"]


def test_presence_endpoint_shows_other_viewers(people):
    agent, supervisor = people["agent"], people["supervisor"]
    ticket = make_ticket(agent, team=people["team_a"])
    login(supervisor).post(reverse("tickets:presence", args=[ticket.pk]), {"typing": "1"})
    data = login(agent).get(reverse("tickets:presence", args=[ticket.pk])).json()
    assert data["others"][0]["name"] == "陈静" and data["others"][0]["typing"] is True
    html = login(agent).get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "陈静 is typing a reply on this ticket." in html


def test_macros_list_and_crud_permissions(people):
    supervisor, agent = people["supervisor"], people["agent"]
    boss = login(supervisor)
    response = boss.post(
        reverse("tickets:macro-new"),
        {
            "name": "致歉",
            "body": "{customer_name}，非常抱歉。",
            "set_status": "",
            "add_tags": "致歉",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    macro = Macro.objects.get(name="致歉")
    assert macro.add_tags == ["致歉"]
    assert "致歉" in login(agent).get(reverse("tickets:macros")).content.decode()
    assert login(agent).get(reverse("tickets:macro-edit", args=[macro.pk])).status_code == 403


def test_solving_a_complaint_end_to_end_through_the_page(people):
    agent = people["agent"]
    cause = root_cause()
    ticket = make_ticket(agent, kind="complaint", team=people["team_a"], assignee=agent)
    client = login(agent)

    def version():
        return fresh(ticket).version

    def props(**changes):
        data = {
            "version": version(),
            "subject": ticket.subject,
            "kind": "complaint",
            "priority": "normal",
            "team": people["team_a"].pk,
            "assignee": agent.pk,
            "severity": "",
            "category": "",
            "tags": "",
            "resolution": "",
            "problem_statement": "",
            "root_cause": "",
        }
        data.update(changes)
        return client.post(reverse("tickets:update", args=[ticket.pk]), data)

    props(problem_statement="屏幕碎了")
    client.post(
        reverse("tickets:stage", args=[ticket.pk]), {"to_stage": "share", "version": version()}
    )
    client.post(
        reverse("tickets:reply", args=[ticket.pk]),
        {"kind": "reply", "body": "非常抱歉给您带来不便"},
    )
    client.post(
        reverse("tickets:stage", args=[ticket.pk]), {"to_stage": "problem", "version": version()}
    )
    props(problem_statement="屏幕碎了", problem_confirmed_by_company="on")
    client.post(
        reverse("tickets:stage", args=[ticket.pk]), {"to_stage": "check", "version": version()}
    )
    props(
        problem_statement="屏幕碎了",
        problem_confirmed_by_company="on",
        problem_confirmed_by_customer="on",
    )
    client.post(
        reverse("tickets:stage", args=[ticket.pk]), {"to_stage": "action", "version": version()}
    )
    props(
        problem_statement="屏幕碎了",
        problem_confirmed_by_company="on",
        problem_confirmed_by_customer="on",
        response_kinds=["regret", "restitution"],
        root_cause=cause.pk,
        resolution="换新机",
    )
    response = client.post(
        reverse("tickets:transition", args=[ticket.pk]),
        {"to_status": "solved", "version": version()},
    )
    assert response.status_code == 302
    ticket = fresh(ticket)
    assert ticket.status == "solved" and ticket.stage == "action"
    assert ticket.response_kinds == ["regret", "restitution"] and ticket.root_cause == cause


def test_pages_are_translated_to_chinese(people):
    agent = people["agent"]
    ticket = make_ticket(agent, kind="complaint", team=people["team_a"], assignee=agent)
    client = Client(headers={"Accept-Language": "zh-hans"})
    client.force_login(agent)
    inbox = client.get(reverse("tickets:inbox")).content.decode()
    assert "我的待办工单" in inbox and "新建工单" in inbox
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    for text in ("倾听", "分担", "行动", "满意", "用客户自己的话记录下客户所说的情况。", "补偿"):
        assert text in page


def test_ticket_page_suggests_knowledge_articles_and_prefills_an_insert(make_user):
    from django.test import Client
    from django.urls import reverse

    from kefu.knowledge.models import ArticleUse
    from kefu.knowledge.tests.factories import make_article
    from kefu.tickets.tests.factories import make_ticket

    article = make_article(title="手机充电慢怎么办", body="<p>请使用原装充电器。</p>")
    agent = make_user("agent")
    ticket = make_ticket(agent, subject="手机充电慢", assignee=agent)
    client = Client()
    client.force_login(agent)
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "手机充电慢怎么办" in page.replace("<mark>", "").replace("</mark>", "")
    assert ArticleUse.objects.filter(ticket=ticket, article=article, kind="suggested").exists()
    prefilled = client.get(
        reverse("tickets:detail", args=[ticket.pk]),
        {"kb_article": article.pk, "kb_insert": "text"},
    )
    assert "请使用原装充电器" in prefilled.context["reply_form"].initial["body"]
