"""Services: queues (versioned, audited), presence (audited, time in state), routing by every
strategy against the database, and simulation runs (inline and queued)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from kefu.core.errors import Conflict, ValidationFailed
from kefu.core.models import AuditEvent
from kefu.customers.tests.factories import make_customer
from kefu.workforce import services, simulation_runner
from kefu.workforce.models import AgentPresence, Queue, RoutingDecision, SimulationRun
from kefu.workforce.tests.factories import available, make_queue, open_tickets, skill, with_skills

pytestmark = pytest.mark.django_db


def test_queue_create_update_conflict_and_audit(make_user):
    admin = make_user("admin")
    queue = services.queue_create(
        actor=admin, name="电话·售前", channel="phone", strategy="skill_based",
        required_skills=[skill("presales")],
    )  # fmt: skip
    event = AuditEvent.objects.get(action="workforce.queue_created")
    assert event.changes["required_skills"] == ["presales"] and event.actor == admin
    services.queue_update(
        actor=admin, queue=queue, expected_version=1, changes={"answer_seconds": 30},
        required_skills=[skill("presales"), skill("english")],
    )  # fmt: skip
    change = AuditEvent.objects.get(action="workforce.queue_updated").changes
    assert change["answer_seconds"] == [20, 30]
    assert change["required_skills"] == [["presales"], ["english", "presales"]]
    with pytest.raises(Conflict):
        services.queue_update(actor=admin, queue=queue, expected_version=1, changes={"priority": 5})
    assert Queue.objects.get(pk=queue.pk).priority == 0
    with pytest.raises(ValidationFailed) as bad:
        services.queue_create(actor=admin, name="x", channel="fax")
    assert "channel" in bad.value.fields
    with pytest.raises(ValidationFailed) as duplicate:
        services.queue_create(actor=admin, name="电话·售前", channel="phone")
    assert "name" in duplicate.value.fields


def test_presence_change_is_audited_with_time_in_previous_state(make_user):
    agent = make_user("agent")
    presence = services.presence_set(actor=agent, agent=agent, state="available")
    assert presence.state == "available" and presence.version == 1
    AgentPresence.objects.filter(pk=presence.pk).update(
        since=timezone.now() - dt.timedelta(minutes=10)
    )
    presence = services.presence_set(
        actor=agent, agent=agent, state="away", reason="lunch", capacity={"chat": 2}
    )
    assert presence.reason == "lunch" and presence.capacity == {"chat": 2}
    assert presence.capacity_for("chat") == 2 and presence.capacity_for("phone") == 1
    events = list(AuditEvent.objects.filter(action="workforce.presence_changed").order_by("id"))
    assert len(events) == 2
    last = events[-1].changes
    assert last["state"] == ["available", "away"] and last["reason"] == ["", "lunch"]
    assert 595 <= last["seconds_in_previous_state"] <= 660
    # Same state again: "since" stays, nothing to audit.
    since = presence.since
    again = services.presence_set(
        actor=agent, agent=agent, state="away", reason="lunch", capacity={"chat": 2}
    )
    assert again.since == since
    assert AuditEvent.objects.filter(action="workforce.presence_changed").count() == 2


def test_presence_validation_permissions_and_stale_version(make_user):
    agent, other, supervisor = make_user("agent"), make_user("agent"), make_user("supervisor")
    with pytest.raises(PermissionDenied):
        services.presence_set(actor=other, agent=agent, state="available")
    services.presence_set(actor=supervisor, agent=agent, state="available")
    with pytest.raises(ValidationFailed) as bad:
        services.presence_set(actor=agent, agent=agent, state="asleep")
    assert "state" in bad.value.fields
    with pytest.raises(ValidationFailed) as bad:
        services.presence_set(actor=agent, agent=agent, state="away", capacity={"chat": "many"})
    assert "capacity.chat" in bad.value.fields
    with pytest.raises(Conflict):
        services.presence_set(actor=agent, agent=agent, state="busy", expected_version=7)
    assert AgentPresence.objects.get(agent=agent).state == "available"


def _route(queue, actor=None, **kwargs):
    return services.route_next(actor=actor, queue=queue, **kwargs)


def test_route_least_loaded_counts_open_tickets_on_the_channel(make_user):
    a, b = make_user("agent"), make_user("agent")
    available(a, capacity={"chat": 3})
    available(b, capacity={"chat": 3})
    open_tickets(a, 2, channel="chat")
    open_tickets(b, 1, channel="chat")
    open_tickets(b, 2, channel="email")  # another channel: not counted
    queue = make_queue(channel="chat", strategy="least_loaded")
    decision = _route(queue, contact_ref="chat-1")
    assert decision.agent == b
    assert decision.reason == "least loaded: 1/3 in use" and decision.candidates == 2
    assert (decision.reason_code, decision.reason_params) == (
        "least_loaded",
        {"load": 1, "capacity": 3},
    )
    with translation.override("zh-hans"):
        assert decision.reason_text == "负载最低：已用 1/3"
    assert AgentPresence.objects.get(agent=b).last_routed_at == decision.at


def test_route_skips_away_offline_and_full_agents(make_user):
    away, offline, full, free = (make_user("agent") for _ in range(4))
    available(away, state="away")
    available(offline, state="offline")
    available(full, capacity={"phone": 1, "chat": 0})
    available(free, state="busy", capacity={"phone": 0, "chat": 3})
    open_tickets(full, 1, channel="phone")
    phone = make_queue(channel="phone", strategy="longest_idle")
    assert _route(phone).agent is None  # `full` has its one call; `free` takes no calls
    open_tickets(free, 1, channel="chat")
    chat = make_queue(channel="chat", strategy="longest_idle")
    assert _route(chat).agent == free  # busy, but one chat of three in use leaves room


def test_route_round_robin_cycles_through_the_team(make_user):
    from kefu.accounts.models import Team

    agents = [make_user("agent") for _ in range(3)]
    outsider = make_user("agent")
    team = Team.objects.create(name="售前")
    team.members.add(*agents)
    for agent in [*agents, outsider]:
        available(agent, capacity={"email": 10})
    queue = make_queue(channel="email", strategy="round_robin", team=team)
    chosen = [_route(queue).agent for _ in range(6)]
    assert chosen[:3] == sorted(agents, key=lambda u: u.pk)
    assert chosen[3:] == chosen[:3] and outsider not in chosen


def test_route_longest_idle(make_user):
    recent, idle = make_user("agent"), make_user("agent")
    available(recent, minutes_ago=1)
    available(idle, minutes_ago=30)
    assert _route(make_queue(strategy="longest_idle")).agent == idle


def test_route_skill_based_best_match(make_user):
    novice, expert, unskilled = make_user("agent"), make_user("agent"), make_user("agent")
    for agent in (novice, expert, unskilled):
        available(agent)
    with_skills(novice, presales=2)
    with_skills(expert, presales=5)
    queue = make_queue(strategy="skill_based", required_skills=[skill("presales")])
    decision = _route(queue)
    assert decision.agent == expert and "best level total 5" in decision.reason


def test_route_tier_aware_sends_tier_a_to_seniors_and_assigns(make_user):
    junior, senior = make_user("agent"), make_user("agent")
    available(junior, minutes_ago=30)
    available(senior)
    with_skills(senior, senior=5)
    queue = make_queue(strategy="tier_aware", channel="phone")
    vip = make_customer("大客户", tier="A")
    regular = make_customer("普通客户", tier="C")
    from kefu.tickets import services as ticket_services

    ticket = ticket_services.ticket_create(actor=None, customer=vip, subject="急", channel="phone")
    decision = _route(queue, actor=make_user("supervisor"), ticket=ticket, assign=True)
    assert decision.agent == senior and decision.customer == vip
    assert decision.customer_tier == "A" and "senior" in decision.reason
    ticket.refresh_from_db()
    assert ticket.assignee == senior
    # the senior now has one phone contact (capacity 1): a C customer goes to the junior
    decision = _route(queue, customer=regular)
    assert decision.agent == junior and decision.strategy == "tier_aware"
    assert RoutingDecision.objects.count() == 2


def test_route_refuses_an_inactive_queue_and_logs_when_nobody_is_free(make_user):
    queue = make_queue(strategy="least_loaded", is_active=False)
    with pytest.raises(ValidationFailed):
        _route(queue)
    active = make_queue(strategy="least_loaded")
    decision = _route(active, contact_ref="call-9")
    assert decision.agent is None and decision.candidates == 0
    assert decision.reason == "no available agent with free capacity"


def test_route_queries_do_not_grow_with_agents(make_user, django_assert_max_num_queries):
    queue = make_queue(channel="chat", strategy="skill_based", required_skills=[skill("x")])
    for _ in range(2):
        with_skills(available(make_user("agent")), x=3)
    with django_assert_max_num_queries(12) as few:
        _route(queue)
    for _ in range(8):
        with_skills(available(make_user("agent")), x=3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        _route(queue)


def _inputs(rate=120.0, hours=2.0, plan=True):
    return simulation_runner.simple_inputs(
        rate_per_hour=rate, aht_s=180, agents=8, duration_h=hours, patience_s=120,
        plan_extra_agents=3 if plan else 0,
    )  # fmt: skip


def test_small_simulation_runs_in_the_request(make_user):
    user = make_user("supervisor")
    run = services.simulation_run_create(actor=user, inputs=_inputs(), seed=3, replications=4)
    assert run.status == "done" and run.finished_at is not None
    assert run.expected_contacts == 120 * 2 * 4 * 2
    totals = run.results["baseline"]["totals"]
    assert 0 < totals["service_level"]["mean"] <= 1
    assert totals["service_level"]["low"] <= totals["service_level"]["mean"]
    assert run.results["plan"]["totals"]["service_level"]["mean"] >= totals["service_level"]["mean"]
    assert AuditEvent.objects.filter(action="workforce.simulation_requested").exists()


def test_large_simulation_is_queued_and_executed_by_the_task(
    make_user, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "INLINE_CONTACT_LIMIT", 100)
    user = make_user("supervisor")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.simulation_run_create(
            actor=user, inputs=_inputs(plan=False), seed=1, replications=2
        )
    assert run.status == "queued" and len(callbacks) == 1
    callbacks[0]()  # the task queue runs it after commit (eager in tests)
    run.refresh_from_db()
    assert run.status == "done" and run.results["plan"] is None
    assert run.results["baseline"]["totals"]["offered"]["mean"] > 0
    # idempotent: running the task again leaves the finished run alone
    finished = run.finished_at
    services.simulation_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.finished_at == finished


def test_bad_simulation_inputs_name_the_field_and_save_nothing(make_user):
    user = make_user("supervisor")
    inputs = _inputs()
    inputs["scenario"]["queues"][0]["rate_per_hour"] = -5
    with pytest.raises(ValidationFailed) as bad:
        services.simulation_run_create(actor=user, inputs=inputs, seed=1, replications=3)
    assert "scenario" in bad.value.fields
    with pytest.raises(ValidationFailed) as bad:
        services.simulation_run_create(actor=user, inputs=_inputs(), seed=1, replications=1)
    assert "replications" in bad.value.fields
    assert SimulationRun.objects.count() == 0


def test_oversized_simulation_is_refused_before_saving(make_user):
    user = make_user("supervisor")
    huge = _inputs(rate=4_000_000, hours=1.0, plan=False)  # 4 million contacts per replication
    with pytest.raises(ValidationFailed) as bad:
        services.simulation_run_create(actor=user, inputs=huge, seed=1, replications=10)
    assert "replications" in bad.value.fields and "40,000,000" in bad.value.message
    assert SimulationRun.objects.count() == 0
