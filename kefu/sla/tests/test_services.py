"""SLA services against the real database: matching, clocks, pauses, breaches, escalations.

Times are hand-computed on the office calendar (Asia/Shanghai, 09:00–12:00 and 13:30–18:00,
Monday to Friday; 1–7 October 2026 off). The fake clock starts Monday 14 September 2026, 09:00
Shanghai (01:00 UTC).
"""

import datetime as dt

import pytest

from kefu.accounts.models import User
from kefu.core.errors import ValidationFailed
from kefu.core.models import AuditEvent
from kefu.sla import selectors, services
from kefu.sla.models import EscalationFiring, PolicyReapplication, TicketSla, TicketSlaTarget
from kefu.sla.tests.factories import always_calendar, make_policy, office_calendar
from kefu.tickets import services as tickets
from kefu.tickets.models import Message, Ticket, TicketEvent
from kefu.tickets.tests.factories import make_customer, make_team, make_ticket

UTC = dt.UTC


def shanghai(day: int, hour: int, minute: int = 0, month: int = 9) -> dt.datetime:
    """Local Shanghai wall time (UTC+8, no DST) as an aware UTC datetime."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC) - dt.timedelta(hours=8)


@pytest.fixture
def agent(make_user):
    return make_user("agent", username="lina")


@pytest.fixture
def office(db):
    return office_calendar("Office")


def target(ticket, kind) -> TicketSlaTarget:
    return TicketSlaTarget.objects.get(ticket=ticket, kind=kind)


def fresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def move(agent, ticket, status):
    return tickets.ticket_transition(
        actor=agent, ticket=ticket, to_status=status, expected_version=fresh(ticket).version
    )


def test_first_matching_policy_wins_in_order(agent, office, clock):
    urgent = make_policy(office, "Urgent", priorities=["urgent"], first_response_minutes=30)
    tier_a = make_policy(office, "Tier A", tiers=["A"], first_response_minutes=60)
    anything = make_policy(office, "Default")
    assert make_ticket(agent, priority="urgent").sla.policy == urgent
    a_customer = make_customer(tier="A")
    assert make_ticket(agent, customer=a_customer, priority="urgent").sla.policy == urgent
    assert make_ticket(agent, customer=a_customer).sla.policy == tier_a
    assert make_ticket(agent, priority="low").sla.policy == anything
    services.policy_reorder(actor=None, policy_ids=[tier_a.pk, urgent.pk, anything.pk])
    assert make_ticket(agent, customer=a_customer, priority="urgent").sla.policy == tier_a


def test_no_matching_policy_means_no_clocks(agent, office, clock):
    make_policy(office, "Complaints", kinds=["complaint"])
    ticket = make_ticket(agent, kind="inquiry")
    assert not TicketSla.objects.filter(ticket=ticket).exists()
    assert fresh(ticket).first_response_due_at is None
    assert selectors.ticket_clocks(ticket) == []


def test_creation_sets_due_times_in_business_time(agent, office, clock):
    make_policy(office, first_response_minutes=120, resolution_minutes=16 * 60)
    ticket = fresh(make_ticket(agent))
    # 2 h from Monday 09:00 → 11:00; 16 h: Monday 7.5 + Tuesday 7.5, then 1 h on Wednesday.
    assert ticket.first_response_due_at == shanghai(14, 11)
    assert ticket.resolution_due_at == shanghai(16, 10)


def test_ticket_created_outside_hours_starts_at_the_next_working_instant(agent, office, clock):
    make_policy(office, first_response_minutes=60)
    clock.now = shanghai(18, 20)  # Friday 20:00
    ticket = fresh(make_ticket(agent))
    # Sunday 20 September is a make-up working day (调休): due Sunday 10:00, not Monday.
    assert ticket.first_response_due_at == shanghai(20, 10)


def test_reply_meets_first_response_and_notes_do_not(agent, office, clock):
    make_policy(office, first_response_minutes=120)
    ticket = make_ticket(agent, assignee=agent)
    clock.advance(minutes=30)
    tickets.message_add(actor=agent, ticket=ticket, kind="note", body="Checking the order.")
    assert target(ticket, "first_response").met_at is None
    clock.advance(minutes=30)
    tickets.message_add(actor=agent, ticket=ticket, kind="reply", body="We are on it.")
    first = target(ticket, "first_response")
    assert first.state == "met" and first.met_at == shanghai(14, 10)
    assert first.breached_at is None and first.elapsed_seconds == 3600


def test_pending_pauses_resolution_and_the_customer_resumes_it(agent, office, clock):
    make_policy(office, first_response_minutes=120, resolution_minutes=16 * 60)
    ticket = make_ticket(agent, assignee=agent)
    clock.now = shanghai(14, 10)
    move(agent, ticket, "pending")
    assert fresh(ticket).resolution_due_at is None  # paused: no deadline in the inbox
    resolution = target(ticket, "resolution")
    assert resolution.state == "paused"
    clock.now = shanghai(15, 9)  # Tuesday 09:00
    tickets.message_add(actor=None, ticket=fresh(ticket), kind="customer", body="Photo attached.")
    assert fresh(ticket).status == "open"
    resolution = target(ticket, "resolution")
    # 1 h used on Monday, 15 h left from Tuesday 09:00: Tuesday 7.5 h + Wednesday 7.5 h.
    assert resolution.state == "running"
    assert fresh(ticket).resolution_due_at == shanghai(16, 18)
    assert resolution.paused_intervals == [
        [shanghai(14, 10).isoformat(), shanghai(15, 9).isoformat()]
    ]
    assert resolution.paused_seconds == 23 * 3600


def test_on_hold_pauses_only_when_configured(agent, office, clock):
    make_policy(office, "Counts hold", priorities=["low"], resolution_minutes=600)
    make_policy(
        office, "Pauses hold", priorities=["high"], resolution_minutes=600, on_hold_pauses=True
    )
    counting = make_ticket(agent, assignee=agent, priority="low")
    pausing = make_ticket(agent, assignee=agent, priority="high")
    clock.advance(hours=1)
    move(agent, counting, "on_hold")
    move(agent, pausing, "on_hold")
    assert target(counting, "resolution").state == "running"
    assert target(pausing, "resolution").state == "paused"


def test_solved_meets_resolution_and_reopen_resumes(agent, office, clock):
    make_policy(office, first_response_minutes=120, resolution_minutes=600)
    ticket = make_ticket(agent, assignee=agent)
    clock.now = shanghai(14, 10)
    tickets.message_add(actor=agent, ticket=ticket, kind="reply", body="Fixed, please check.")
    clock.now = shanghai(14, 11)
    move(agent, ticket, "solved")
    resolution = target(ticket, "resolution")
    assert resolution.state == "met" and resolution.met_at == shanghai(14, 11)
    clock.now = shanghai(15, 9)
    move(agent, ticket, "open")  # reopen
    resolution = target(ticket, "resolution")
    assert resolution.state == "running" and resolution.met_at is None
    # 2 h used Monday; 8 h left from Tuesday 09:00: Tuesday 7.5 h, then Wednesday 09:30.
    assert resolution.due_at == shanghai(16, 9, 30)


def test_breach_is_detected_and_shown_in_the_breached_view(agent, office, clock):
    from kefu.tickets.selectors import _breached_q

    make_policy(office, first_response_minutes=120)
    ticket = make_ticket(agent)
    clock.now = shanghai(14, 13)  # lunch: due at 11:00, no working time since
    services.sla_sweep()
    first = target(ticket, "first_response")
    assert first.breached_at == shanghai(14, 11)
    assert Ticket.objects.filter(_breached_q(clock.now), pk=ticket.pk).exists()
    clocks = selectors.ticket_clocks(fresh(ticket))
    assert clocks[0].breached and clocks[0].remaining_seconds == 0


def test_recompute_after_restart_gives_the_same_answer(agent, office, clock):
    make_policy(office, first_response_minutes=120, resolution_minutes=900)
    ticket = make_ticket(agent, assignee=agent)
    clock.now = shanghai(14, 10)
    move(agent, ticket, "pending")
    clock.now = shanghai(15, 14)
    move(agent, ticket, "open")
    later = shanghai(16, 17)
    sla = TicketSla.objects.select_related("ticket", "calendar").get(ticket=ticket)
    services.recompute(sla, now=later)
    first = list(TicketSlaTarget.objects.filter(ticket=ticket).order_by("kind").values())
    # A crashed worker left nonsense behind and the new process has no cached calendar tables.
    TicketSlaTarget.objects.filter(ticket=ticket).update(
        due_at=None, breached_at=None, elapsed_seconds=-1, paused_intervals=[], state="met"
    )
    services.calendar_core.__globals__["_CORE_CACHE"].clear()
    sla = TicketSla.objects.select_related("ticket", "calendar").get(ticket=ticket)
    services.recompute(sla, now=later)
    second = list(TicketSlaTarget.objects.filter(ticket=ticket).order_by("kind").values())
    assert first == second
    first_response, resolution = first
    # First response: 1 h worked on Monday before pending; resumed Tuesday 14:00, due 15:00.
    assert first_response["breached_at"] == shanghai(15, 15)
    # Resolution 15 h: 1 h Monday, Tuesday 14:00–18:00 (4 h), Wednesday 7.5 h, Thursday 2.5 h.
    assert resolution["due_at"] == shanghai(17, 11, 30)
    assert resolution["paused_seconds"] == 28 * 3600


def test_policy_change_applies_to_new_tickets_and_to_open_ones_on_request(agent, office, clock):
    policy = make_policy(office, first_response_minutes=120)
    old = make_ticket(agent)
    services.policy_update(
        actor=None,
        policy=policy,
        expected_version=policy.version,
        changes={"first_response_minutes": 60},
    )
    new = make_ticket(agent)
    assert fresh(new).first_response_due_at == shanghai(14, 10)
    assert fresh(old).first_response_due_at == shanghai(14, 11)
    policy.refresh_from_db()
    assert services.policy_reapply(actor=None, policy=policy) == 2
    assert fresh(old).first_response_due_at == shanghai(14, 10)
    assert PolicyReapplication.objects.filter(policy=policy, ticket_count=2).exists()
    assert AuditEvent.objects.filter(action="sla.policy_reapplied").exists()


def test_calendar_validation_names_the_field(db):
    with pytest.raises(ValidationFailed) as error:
        services.calendar_create(actor=None, name="Bad", timezone="Mars/Olympus", weekly={})
    assert "timezone" in error.value.fields
    with pytest.raises(ValidationFailed) as error:
        office_calendar("Overlap", weekly={"mon": [["09:00", "12:00"], ["11:00", "13:00"]]})
    assert "weekly" in error.value.fields


def test_holiday_import_merges_dates(office):
    csv = "date,kind,name\n2027-02-16,holiday,春节\n2027-02-20,workday,补班\n".encode()
    calendar = services.calendar_import_holidays(
        actor=None, calendar=office, expected_version=office.version, data=csv, file_format="csv"
    )
    assert "2027-02-16" in calendar.holidays
    assert any("2027-02-20" in str(day) for day in calendar.makeup_days)
    with pytest.raises(ValidationFailed) as error:
        services.calendar_import_holidays(
            actor=None,
            calendar=calendar,
            expected_version=calendar.version,
            data=b"date,kind\n2027-13-01,holiday\n",
            file_format="csv",
        )
    assert "line 2" in error.value.message


def test_escalations_fire_once_each(agent, make_user, office, clock):
    lead = make_user("supervisor", username="wang")
    team = make_team("Front line", members=[agent], lead=lead)
    policy = make_policy(office, first_response_minutes=120)
    half = services.rule_create(
        actor=None, name="Half", target="first_response", at_percent=50, action="notify_assignee"
    )
    breach = services.rule_create(
        actor=None, name="Breach", target="first_response", action="raise_priority"
    )
    lead_rule = services.rule_create(
        actor=None, name="Lead", target="first_response", action="notify_lead", policy=policy
    )
    tag = services.rule_create(
        actor=None, name="Tag", target="first_response", action="add_tag", tag="sla-breached"
    )
    ticket = make_ticket(agent, assignee=agent, team=team)
    clock.now = shanghai(14, 9, 59)
    assert services.sla_sweep().fired == 0
    clock.now = shanghai(14, 10)
    assert services.sla_sweep().fired == 1
    assert services.sla_sweep().fired == 0  # twice: nothing new
    note = Message.objects.get(ticket=ticket, kind="note")
    assert "@lina" in note.body_text and agent in note.mentions.all()
    clock.now = shanghai(14, 11, 1)
    assert services.sla_sweep().fired == 3
    assert services.sla_sweep().fired == 0
    ticket = fresh(ticket)
    assert ticket.priority == "high"  # raised once, from normal
    assert list(ticket.tags.values_list("name", flat=True)) == ["sla-breached"]
    assert (
        Message.objects.filter(ticket=ticket, kind="note", body_text__contains="@wang").count() == 1
    )
    fired = set(EscalationFiring.objects.values_list("rule_id", flat=True))
    assert fired == {half.pk, breach.pk, lead_rule.pk, tag.pk}
    assert AuditEvent.objects.filter(action="sla.escalated").count() == 4
    raised = TicketEvent.objects.get(ticket=ticket, kind="updated", changes__has_key="priority")
    assert raised.actor is None and raised.actor_label == "system"  # Kefu itself, no account
    assert not User.objects.filter(username="kefu-sla").exists()


def test_met_target_does_not_escalate(agent, office, clock):
    make_policy(office, first_response_minutes=120)
    services.rule_create(
        actor=None, name="Breach", target="first_response", action="raise_priority"
    )
    ticket = make_ticket(agent, assignee=agent)
    clock.now = shanghai(14, 10)
    tickets.message_add(actor=agent, ticket=ticket, kind="reply", body="Hello, we are on it.")
    clock.now = shanghai(15, 10)
    assert services.sla_sweep().fired == 0
    assert fresh(ticket).priority == "normal"


def test_next_response_starts_with_the_customer_and_stops_with_a_reply(agent, office, clock):
    make_policy(office, first_response_minutes=60, next_response_minutes=30)
    ticket = make_ticket(agent, assignee=agent)
    tickets.message_add(actor=agent, ticket=ticket, kind="reply", body="Hello, we are on it.")
    assert not TicketSlaTarget.objects.filter(ticket=ticket, kind="next_response").exists()
    clock.now = shanghai(14, 11)
    tickets.message_add(actor=None, ticket=ticket, kind="customer", body="Any news?")
    following = target(ticket, "next_response")
    assert following.due_at == shanghai(14, 11, 30) and following.state == "running"
    clock.now = shanghai(14, 11, 20)
    tickets.message_add(actor=agent, ticket=ticket, kind="reply", body="Yes: it ships today.")
    assert target(ticket, "next_response").state == "met"
    clock.now = shanghai(14, 14)
    tickets.message_add(actor=None, ticket=ticket, kind="customer", body="Thanks, and the bill?")
    following = target(ticket, "next_response")
    assert following.cycles == 2 and following.due_at == shanghai(14, 14, 30)


def test_status_message_after_waiting_is_sent_once_and_is_not_a_response(agent, office, clock):
    make_policy(
        office,
        first_response_minutes=240,
        status_message_after_minutes=30,
        status_message_template="{customer_name}，您的请求 {ticket_id} 正在处理中。",
    )
    ticket = make_ticket(agent, customer=make_customer("李雷"))
    clock.advance(minutes=31)
    assert services.sla_sweep().status_messages == 1
    assert services.sla_sweep().status_messages == 0
    reply = Message.objects.get(ticket=ticket, kind="reply")
    assert reply.body_text.startswith("李雷，您的请求 KF-")
    assert target(ticket, "first_response").met_at is None


def test_expected_response_for_the_portal(office, clock):
    make_policy(office, "A tier", tiers=["A"], first_response_minutes=30)
    make_policy(office, "Default", first_response_minutes=240)
    friday_evening = shanghai(25, 19)
    promise = selectors.expected_response(tier="A", now=friday_evening)
    assert promise.policy_name == "A tier" and promise.minutes == 30
    assert promise.due_at == shanghai(28, 9, 30)  # Monday morning
    assert selectors.expected_response(tier="C", now=friday_evening).minutes == 240


def test_calendar_time_target_ignores_working_hours(agent, clock):
    calendar = always_calendar()
    make_policy(
        calendar, onsite_minutes=24 * 60, onsite_business=False, first_response_minutes=None
    )
    ticket = make_ticket(agent, assignee=agent)
    onsite = target(ticket, "onsite")
    assert onsite.due_at == clock.now + dt.timedelta(hours=24)
    clock.advance(hours=5)
    services.sla_onsite_visited(actor=agent, ticket=ticket)
    assert target(ticket, "onsite").state == "met"


def test_sweep_query_count_does_not_grow_with_open_tickets(
    agent, office, clock, django_assert_max_num_queries
):
    make_policy(office, first_response_minutes=120)
    services.rule_create(
        actor=None, name="Late", target="first_response", action="add_tag", tag="late"
    )
    quiet = [make_ticket(agent, assignee=agent) for _ in range(5)]
    clock.now = shanghai(14, 10)  # nothing due: one indexed query for clocks, one for messages
    with django_assert_max_num_queries(3):
        assert services.sla_sweep().examined == 0
    late = make_ticket(agent, assignee=agent)
    TicketSlaTarget.objects.filter(ticket=late).update(alert_at=shanghai(14, 9))
    TicketSla.objects.filter(ticket=late).update(history=[[shanghai(11, 9).isoformat(), "new"]])
    TicketSlaTarget.objects.filter(ticket=late).update(started_at=shanghai(11, 9))
    with django_assert_max_num_queries(45) as captured:  # 42 on SQLite: one escalated ticket
        result = services.sla_sweep()
    assert result.examined == 1 and result.fired == 1 and len(quiet) == 5
    assert len(captured.captured_queries) >= 10  # the escalation really went through tickets
