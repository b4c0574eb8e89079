"""Selectors: the live wall's numbers, the agent board, and the forecast history loader."""

import datetime as dt
import types

import numpy as np
import pytest
from django.utils import timezone

from kefu.customers.tests.factories import make_customer
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Ticket
from kefu.workforce import selectors
from kefu.workforce.tests.factories import available, make_queue, open_tickets, ticket_history

pytestmark = pytest.mark.django_db


NOON = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)


def _ticket(channel, minutes_ago, *, answered_after_s=None, assignee=None, team=None):
    ticket = ticket_services.ticket_create(
        actor=None, customer=make_customer(), subject="?", channel=channel, assignee=assignee,
        team=team,
    )  # fmt: skip
    created = NOON - dt.timedelta(minutes=minutes_ago)
    first = (
        created + dt.timedelta(seconds=answered_after_s) if answered_after_s is not None else None
    )
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created, first_response_at=first)
    return ticket


def test_live_wall_queue_lengths_longest_wait_and_service_level(make_user):
    from kefu.accounts.models import Team

    team = Team.objects.create(name="售后")
    phone_team = make_queue(name="phone after-sales", channel="phone", team=team, answer_seconds=20)
    chat = make_queue(name="chat", channel="chat", answer_seconds=60)
    now = NOON  # a fixed time of day, so "today" never straddles midnight
    # chat: three waiting unassigned (oldest few minutes ago), one assigned (not waiting)
    _ticket("chat", 2, answered_after_s=30)
    _ticket("chat", 1)
    oldest = _ticket("chat", 3, answered_after_s=120)
    agent = available(make_user("agent"))
    _ticket("chat", 1, assignee=agent, answered_after_s=10)
    # phone of the team: one waiting; a phone ticket of no team does not count for this queue
    _ticket("phone", 1, team=team, answered_after_s=15)
    _ticket("phone", 1)
    wall = selectors.live_wall(now=now)
    rows = {row["queue"].name: row for row in wall["queues"]}
    assert rows["chat"]["waiting"] == 3
    expected_wait = (now - Ticket.objects.get(pk=oldest.pk).created_at).total_seconds()
    assert rows["chat"]["longest_wait_s"] == int(expected_wait)
    # today: 4 chat tickets, answered within 60 s: the 30 s and the 10 s ones → 50 %
    assert rows["chat"]["offered_today"] == 4 and rows["chat"]["answered_in_target_today"] == 2
    assert rows["chat"]["service_level_today"] == pytest.approx(0.5)
    assert rows["chat"]["meets_target"] is False
    assert rows["phone after-sales"]["waiting"] == 1
    assert rows["phone after-sales"]["service_level_today"] == pytest.approx(1.0)
    assert wall["agents_by_state"]["available"] == 1
    assert chat.pk and phone_team.pk


def test_agent_board_and_presence_counts(make_user):
    busy = available(make_user("agent"), state="busy")
    make_user("agent")  # never set a presence: counts as offline
    open_tickets(busy, 2, channel="email")
    board = {row["agent"].pk: row for row in selectors.agent_board()}
    assert board[busy.pk]["open_total"] == 2 and board[busy.pk]["load"] == {"email": 2}
    assert board[busy.pk]["seconds_in_state"] >= 0
    counts = selectors.presence_counts()
    assert counts["busy"] == 1 and counts["offline"] == 1


def test_contact_history_from_tickets_in_local_time():
    ticket_history(channel="chat", days=2, per_hour={9: 2})
    end = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    times, source = selectors.contact_history(
        channel="chat", since=end - dt.timedelta(days=7), until=end
    )
    assert source == "tickets" and times.size == 4
    hours = (times.astype("datetime64[h]").astype(np.int64)) % 24
    assert set(hours.tolist()) == {9}  # local 09:xx, not UTC 01:xx


def test_contact_history_prefers_call_records_when_the_model_exists(monkeypatch):
    """With kefu.channels' CallRecord present (another app; faked here), calls are the history."""
    now = timezone.now()
    calls = [now - dt.timedelta(hours=h) for h in (1, 2, 3)]

    class FakeQuerySet(list):
        def filter(self, **kwargs):
            self.filters = {**getattr(self, "filters", {}), **kwargs}
            return self

        def values_list(self, field, flat):
            assert field == "offered_at" and flat
            return list(self)

    queryset = FakeQuerySet(calls)
    field = types.SimpleNamespace
    fake = types.SimpleNamespace(
        objects=types.SimpleNamespace(filter=queryset.filter),
        _meta=types.SimpleNamespace(
            get_fields=lambda: [field(name=n) for n in ("offered_at", "queue_name", "abandoned")]
        ),
    )
    monkeypatch.setattr(selectors, "call_record_model", lambda: fake)
    times, source = selectors.contact_history(
        queue_name="电话·售前", since=now - dt.timedelta(days=1), until=now
    )
    assert source == "calls" and times.size == 3
    assert queryset.filters["queue_name"] == "电话·售前"
    # no call in the window → tickets are used instead
    queryset.clear()
    _times, source = selectors.contact_history(since=now - dt.timedelta(days=1), until=now)
    assert source == "tickets"


def test_call_record_model_is_none_until_channels_provides_it():
    model = selectors.call_record_model()
    assert model is None or model.__name__ == "CallRecord"


def _calls(queue_name, rows):
    """Call records as kefu.channels stores them (test data written directly)."""
    model = selectors.call_record_model()
    customer = make_customer("来电客户")
    return model.objects.bulk_create(
        model(
            external_id=f"{queue_name}-{i}",
            caller_number="13800000000",
            queue_name=queue_name,
            customer=customer,
            **row,
        )
        for i, row in enumerate(rows)
    )


def test_live_wall_and_history_use_real_call_records_when_channels_has_them():
    if selectors.call_record_model() is None:
        pytest.skip("kefu.channels provides no CallRecord in this tree")
    queue = make_queue(name="电话·售前", channel="phone", answer_seconds=20)
    at = NOON - dt.timedelta(minutes=30)
    answered = dict(answered_at=at, ended_at=at, abandoned=False)
    _calls(
        "电话·售前",
        [
            {"offered_at": at, "wait_seconds": 5, **answered},  # in target
            {"offered_at": at, "wait_seconds": 40, **answered},  # late
            {"offered_at": at, "wait_seconds": 90, "abandoned": True, "ended_at": at},
            {"offered_at": NOON - dt.timedelta(seconds=45)},  # ringing now, 45 s
            {"offered_at": at, "wait_seconds": 1, **answered, "direction": "outbound"},
        ],
    )
    _calls("其他队列", [{"offered_at": at, "wait_seconds": 1, **answered}])
    row = selectors.live_wall(now=NOON)["queues"][0]
    assert row["queue"] == queue and row["source"] == "calls"
    assert (row["offered_today"], row["answered_in_target_today"]) == (4, 1)
    assert row["waiting"] == 1 and row["longest_wait_s"] == 45
    times, source = selectors.contact_history(
        channel="phone",
        queue_name="电话·售前",
        since=NOON - dt.timedelta(days=1),
        until=NOON,
    )
    assert source == "calls" and times.size == 4  # inbound calls of this queue only
    # a chat forecast never reads phone calls
    _times, source = selectors.contact_history(
        channel="chat", since=NOON - dt.timedelta(days=1), until=NOON
    )
    assert source == "tickets"
