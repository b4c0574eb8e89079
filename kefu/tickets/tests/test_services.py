"""Ticket services against the real database: workflow, poka-yoke, recovery, relations."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kefu.core.errors import Conflict, NotAllowed, ValidationFailed
from kefu.core.models import AuditEvent
from kefu.tickets import services
from kefu.tickets.models import (
    CompensationState,
    Message,
    MessageKind,
    Ticket,
    TicketEvent,
)
from kefu.tickets.tests.factories import (
    make_customer,
    make_team,
    make_ticket,
    root_cause,
    set_limit,
)


@pytest.fixture
def agent(make_user):
    return make_user("agent", username="lina")


def fresh(ticket):
    return Ticket.objects.get(pk=ticket.pk)


def advance(agent, ticket, stage):
    return services.ticket_advance_stage(
        actor=agent, ticket=ticket, to_stage=stage, expected_version=fresh(ticket).version
    )


def test_create_assigns_public_id_and_records_the_event(agent):
    ticket = make_ticket(agent, kind="complaint", channel="phone")
    assert ticket.public_id == f"KF-{ticket.created_at.year}-{ticket.pk:06d}"
    assert ticket.stage == "listen" and ticket.status == "new"
    event = TicketEvent.objects.get(ticket=ticket)
    assert event.kind == "created" and event.actor == agent
    assert AuditEvent.objects.filter(action="ticket.created", object_id=str(ticket.pk)).exists()


def test_subject_html_is_reduced_to_text(agent):
    ticket = make_ticket(agent, subject="<script>alert(1)</script><b>Broken</b> screen")
    assert "<" not in ticket.subject and "Broken screen" in ticket.subject


def test_repeat_complaint_is_flagged(agent):
    from kefu.tickets.models import Category

    category = Category.objects.create(name="Delivery")
    customer = make_customer()
    first = make_ticket(agent, customer=customer, kind="complaint", category=category)
    second = make_ticket(agent, customer=customer, kind="complaint", category=category)
    other = make_ticket(agent, kind="complaint", category=category)
    assert (first.is_repeat, second.is_repeat, other.is_repeat) == (False, True, False)
    assert TicketEvent.objects.filter(ticket=second, kind="repeat_detected").exists()


def test_illegal_transition_is_409_and_missing_data_is_422(agent):
    ticket = make_ticket(agent)
    with pytest.raises(ValidationFailed) as missing:  # new → open needs an assignee
        services.ticket_transition(actor=agent, ticket=ticket, to_status="open", expected_version=1)
    assert missing.value.code == "required" and "assignee" in missing.value.fields
    with pytest.raises(Conflict) as illegal:  # new → closed is not a move at all
        services.ticket_transition(
            actor=agent, ticket=ticket, to_status="closed", expected_version=1
        )
    assert illegal.value.code == "illegal_transition"
    assert fresh(ticket).status == "new"


def test_complaint_walks_through_lspcas_to_closed(agent):
    ticket = make_ticket(agent, kind="complaint", assignee=agent)
    with pytest.raises(ValidationFailed):  # Listen needs the problem statement
        advance(agent, ticket, "share")
    ticket = services.ticket_update(
        actor=agent,
        ticket=ticket,
        expected_version=1,
        changes={"problem_statement": "屏幕到货即有划痕"},
    )
    advance(agent, ticket, "share")
    with pytest.raises(ValidationFailed):  # Share needs a public reply
        advance(agent, ticket, "problem")
    services.message_add(
        actor=agent, ticket=ticket, kind="reply", body="非常抱歉给您带来不便，我们马上处理。"
    )
    advance(agent, ticket, "problem")
    ticket = fresh(ticket)
    ticket = services.ticket_update(
        actor=agent,
        ticket=ticket,
        expected_version=ticket.version,
        changes={"problem_confirmed_by_company": True},
    )
    advance(agent, ticket, "check")
    ticket = fresh(ticket)
    ticket = services.ticket_update(
        actor=agent,
        ticket=ticket,
        expected_version=ticket.version,
        changes={"problem_confirmed_by_customer": True},
    )
    advance(agent, ticket, "action")
    ticket = fresh(ticket)
    with pytest.raises(ValidationFailed) as solve_too_early:
        services.ticket_transition(
            actor=agent, ticket=ticket, to_status="solved", expected_version=ticket.version
        )
    assert {"root_cause_category", "resolution"} <= set(solve_too_early.value.fields)
    ticket = services.ticket_update(
        actor=agent,
        ticket=ticket,
        expected_version=ticket.version,
        changes={
            "root_cause": root_cause(),
            "resolution": "换新机",
            "response_kinds": ["regret", "restitution"],
        },
    )
    advance(agent, ticket, "satisfy")
    ticket = fresh(ticket)
    services.ticket_transition(
        actor=agent, ticket=ticket, to_status="open", expected_version=ticket.version
    )
    ticket = fresh(ticket)
    ticket = services.ticket_transition(
        actor=agent, ticket=ticket, to_status="solved", expected_version=ticket.version
    )
    assert ticket.solved_at is not None and ticket.satisfaction_due_at is not None
    with pytest.raises(
        ValidationFailed
    ):  # closing needs the customer's confirmation (or a timeout)
        services.ticket_transition(
            actor=agent, ticket=ticket, to_status="closed", expected_version=ticket.version
        )
    ticket = services.ticket_update(
        actor=agent,
        ticket=ticket,
        expected_version=ticket.version,
        changes={"customer_confirmed": True},
    )
    ticket = services.ticket_transition(
        actor=agent, ticket=ticket, to_status="closed", expected_version=ticket.version
    )
    assert ticket.status == "closed" and ticket.closed_at is not None
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert (
        kinds.count("stage_changed") == 5
        and "reply_sent" in kinds
        and kinds[-1] == "status_changed"
    )


def test_stale_version_loses_nothing(agent, make_user):
    other = make_user("agent")
    ticket = make_ticket(agent)
    services.ticket_update(
        actor=agent, ticket=fresh(ticket), expected_version=1, changes={"priority": "high"}
    )
    with pytest.raises(Conflict) as stale:
        services.ticket_update(
            actor=other, ticket=fresh(ticket), expected_version=1, changes={"priority": "low"}
        )
    assert stale.value.details == {"expected_version": 1, "current_version": 2}
    assert fresh(ticket).priority == "high"


def test_customer_reply_reopens_a_pending_ticket(agent):
    ticket = make_ticket(agent, assignee=agent)
    ticket = services.ticket_transition(
        actor=agent, ticket=ticket, to_status="pending", expected_version=1
    )
    services.message_add(
        actor=None, ticket=ticket, kind="customer", body="Here is the photo you asked for."
    )
    assert fresh(ticket).status == "open"


def test_reply_checker_stops_a_reply_until_confirmed(agent):
    ticket = make_ticket(agent)
    with pytest.raises(ValidationFailed) as warned:
        services.message_add(actor=agent, ticket=ticket, kind="reply", body="这不可能，你确定吗？")
    assert warned.value.code == "reply_warnings" and warned.value.details["warnings"]
    assert not Message.objects.filter(ticket=ticket).exists()
    message = services.message_add(
        actor=agent, ticket=ticket, kind="reply", body="这不可能，你确定吗？", confirm_warnings=True
    )
    assert message.checker_warnings and fresh(ticket).first_response_at is not None


def test_reply_html_is_sanitised_and_notes_stay_internal(agent, make_user):
    ticket = make_ticket(agent)
    message = services.message_add(
        actor=agent,
        ticket=ticket,
        kind="reply",
        html=True,
        body=(
            '<p onclick="x()">Hello <script>steal()</script>'
            '<a href="javascript:evil()">link</a></p>'
        ),
    )
    assert "script" not in message.body_html and "onclick" not in message.body_html
    assert "javascript" not in message.body_html and "Hello" in message.body_text
    make_user("agent", username="wang")
    note = services.message_add(
        actor=agent, ticket=ticket, kind="note", body="@wang please check stock"
    )
    assert [u.username for u in note.mentions.all()] == ["wang"]


def test_attachments_are_checked(agent):
    from kefu.tickets.services import UploadedFile

    ticket = make_ticket(agent)
    with pytest.raises(ValidationFailed, match="not accepted"):
        services.message_add(
            actor=agent,
            ticket=ticket,
            kind="note",
            body="x",
            attachments=[UploadedFile("run.exe", "application/x-msdownload", b"MZ")],
        )
    with pytest.raises(ValidationFailed, match="does not look like"):
        services.message_add(
            actor=agent,
            ticket=ticket,
            kind="note",
            body="x",
            attachments=[UploadedFile("photo.png", "image/png", b"MZ not a png")],
        )
    assert not Message.objects.filter(ticket=ticket).exists()  # nothing half-written
    message = services.message_add(
        actor=agent,
        ticket=ticket,
        kind="note",
        body="x",
        attachments=[UploadedFile("../../etc/passwd.pdf", "application/pdf", b"%PDF-1.4 test")],
    )
    attachment = message.attachments.get()
    assert attachment.filename == "passwd.pdf" and ".." not in attachment.file.name


def test_compensation_within_limit_is_granted_at_once(agent):
    set_limit("agent", "voucher", 200)
    ticket = make_ticket(agent, kind="complaint")
    compensation = services.compensation_request(
        actor=agent, ticket=ticket, remedy="voucher", amount="150", reason="Late delivery"
    )
    assert compensation.state == CompensationState.GRANTED and compensation.approver is None


def test_compensation_above_limit_waits_for_the_team_lead(agent, make_user):
    lead = make_user("supervisor", username="chen")
    set_limit("agent", "refund", 100)
    set_limit("supervisor", "refund", 2000)
    ticket = make_ticket(agent, kind="complaint", team=make_team(members=[agent], lead=lead))
    compensation = services.compensation_request(
        actor=agent, ticket=ticket, remedy="refund", amount="800", reason="Broken on arrival"
    )
    assert compensation.state == CompensationState.PENDING and compensation.approver == lead
    # Nothing is paid before approval: the complaint cannot be solved while it waits.
    facts = services.facts.ticket_facts(fresh(ticket)) if hasattr(services, "facts") else None
    from kefu.tickets.services.facts import ticket_facts

    assert ticket_facts(fresh(ticket)).pending_compensation_approvals == 1
    with pytest.raises(NotAllowed):
        services.compensation_decide(actor=agent, compensation=compensation, approve=True)
    approved = services.compensation_decide(
        actor=lead, compensation=compensation, approve=True, note="OK"
    )
    assert approved.state == CompensationState.APPROVED and approved.decided_by == lead
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds[-2:] == ["compensation_requested", "compensation_approved"]
    assert facts is None or facts


def test_approver_below_amount_passes_it_up(agent, make_user):
    lead = make_user("supervisor", username="chen")
    manager = make_user("manager", username="wang")
    set_limit("agent", "refund", 100)
    set_limit(lead, "refund", 500)
    set_limit(manager, "refund", 10000)
    ticket = make_ticket(agent, kind="complaint", team=make_team(members=[agent], lead=lead))
    compensation = services.compensation_request(
        actor=agent, ticket=ticket, remedy="refund", amount="3000", reason="Fire damage"
    )
    assert compensation.approver == manager  # the lead's limit is too low, so it starts higher


def test_monthly_budget_counts_earlier_grants(agent):
    set_limit("agent", "gift", 100, per_month=150)
    ticket = make_ticket(agent, kind="complaint")
    first = services.compensation_request(
        actor=agent, ticket=ticket, remedy="gift", amount="100", reason="a"
    )
    assert first.state == CompensationState.GRANTED
    with pytest.raises(ValidationFailed):  # over budget and nobody to approve
        services.compensation_request(
            actor=agent, ticket=ticket, remedy="gift", amount="100", reason="b"
        )


def test_rejection_needs_a_reason(agent, make_user):
    lead = make_user("supervisor")
    set_limit("supervisor", "refund", 1000)
    ticket = make_ticket(agent, kind="complaint", team=make_team(members=[agent], lead=lead))
    compensation = services.compensation_request(
        actor=agent, ticket=ticket, remedy="refund", amount="50", reason="x"
    )
    with pytest.raises(ValidationFailed):
        services.compensation_decide(actor=lead, compensation=compensation, approve=False)
    rejected = services.compensation_decide(
        actor=lead, compensation=compensation, approve=False, note="Not covered"
    )
    assert rejected.state == CompensationState.REJECTED
    with pytest.raises(Conflict):
        services.compensation_decide(actor=lead, compensation=compensation, approve=True)


def test_incident_broadcast_and_solve(agent):
    incident = make_ticket(agent, subject="物流中心停运", assignee=agent)
    children = [make_ticket(agent, assignee=agent) for _ in range(3)]
    services.incident_attach(actor=agent, incident=incident, tickets=children)
    messages = services.incident_broadcast(
        actor=agent, incident=fresh(incident), body="物流已恢复，包裹将于明天送达。"
    )
    assert {m.ticket_id for m in messages} == {c.pk for c in children}
    services.incident_solve(actor=agent, incident=fresh(incident), resolution="物流恢复")
    assert set(
        Ticket.objects.filter(pk__in=[c.pk for c in children]).values_list("status", flat=True)
    ) == {"solved"}
    assert TicketEvent.objects.filter(ticket__in=children, kind="status_changed").count() == 3


def test_merge_moves_messages_and_closes_the_source(agent):
    customer = make_customer()
    a, b = make_ticket(agent, customer=customer), make_ticket(agent, customer=customer)
    services.message_add(actor=None, ticket=a, kind="customer", body="first")
    services.ticket_merge(actor=agent, source=a, target=b)
    assert fresh(a).status == "closed" and fresh(a).merged_into_id == b.pk
    assert list(Message.objects.filter(ticket=b).values_list("body_text", flat=True)) == ["first"]
    with pytest.raises(ValidationFailed):
        services.ticket_merge(actor=agent, source=b, target=make_ticket(agent))


def test_split_moves_a_customer_message_to_a_new_ticket(agent):
    ticket = make_ticket(agent)
    message = services.message_add(
        actor=None, ticket=ticket, kind=MessageKind.CUSTOMER, body="Also, my invoice is wrong"
    )
    new = services.ticket_split(actor=agent, message=message, subject="Invoice")
    assert Message.objects.get(pk=message.pk).ticket_id == new.pk
    assert new.links_out.get().target_id == ticket.pk


def test_three_change_reassigns_and_resets_the_count(agent, make_user):
    colleague = make_user("agent")
    ticket = make_ticket(agent, kind="complaint", assignee=agent)
    for _ in range(3):
        ticket = services.contact_failed(actor=agent, ticket=ticket)
    assert ticket.failed_contact_count == 3
    ticket = services.three_change_apply(
        actor=agent, ticket=fresh(ticket), change="person", new_assignee=colleague
    )
    ticket = fresh(ticket)
    assert (
        ticket.assignee == colleague
        and ticket.failed_contact_count == 0
        and ticket.three_changes_tried == ["person"]
    )


def test_agents_of_another_team_cannot_touch_restricted_tickets(agent, make_user):
    outsider = make_user("agent")
    team = make_team(members=[agent])
    ticket = make_ticket(agent, team=team)
    with pytest.raises(PermissionDenied):
        services.ticket_update(
            actor=outsider, ticket=ticket, expected_version=1, changes={"priority": "low"}
        )
    supervisor = make_user("supervisor")
    services.ticket_update(
        actor=supervisor, ticket=ticket, expected_version=1, changes={"priority": "low"}
    )


def test_least_loaded_and_round_robin_assignment(agent, make_user):
    busy, idle = make_user("agent"), make_user("agent")
    team = make_team(members=[busy, idle])
    make_ticket(agent, assignee=busy, team=team)
    assert services.next_agent_for_team(team, strategy="least_loaded") == idle
    ticket = make_ticket(agent, team=team)
    assigned = services.ticket_auto_assign(actor=busy, ticket=ticket)
    assert assigned.assignee == idle
    assert services.next_agent_for_team(team, strategy="round_robin") == busy


def test_macro_fills_placeholders_and_applies_actions(agent):
    from kefu.tickets.models import Macro

    macro = Macro.objects.create(
        name="Thanks",
        body="您好 {customer_name}，工单 {ticket_id} 已处理。",
        set_status="pending",
        add_tags=["macro"],
    )
    ticket = make_ticket(agent, customer=make_customer("张伟"), assignee=agent)
    ticket = services.ticket_transition(
        actor=agent, ticket=ticket, to_status="open", expected_version=1
    )
    message = services.macro_apply(actor=agent, ticket=ticket, macro=macro)
    assert message.body_text == f"您好 张伟，工单 {ticket.public_id} 已处理。"
    ticket = fresh(ticket)
    assert ticket.status == "pending" and list(ticket.tags.values_list("name", flat=True)) == [
        "macro"
    ]


def test_amounts_are_validated(agent):
    ticket = make_ticket(agent)
    for bad in ("-1", "abc", "1.234"):
        with pytest.raises(ValidationFailed):
            services.compensation_request(
                actor=agent, ticket=ticket, remedy="refund", amount=bad, reason="x"
            )
    assert Decimal("0") == sum((c.amount for c in ticket.compensations.all()), Decimal("0"))
