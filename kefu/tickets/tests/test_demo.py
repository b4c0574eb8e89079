import random

import pytest
from django.db.models import Count

from kefu.accounts import demo as accounts_demo
from kefu.customers import demo as customers_demo
from kefu.tickets import demo
from kefu.tickets.models import Compensation, Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_demo_tickets_are_varied_and_idempotent(monkeypatch):
    monkeypatch.setattr(demo, "TICKETS_PER_SCALE", 60)
    accounts_demo.load(scale=1, rng=random.Random(1))
    customers_demo.load(scale=1, rng=random.Random(2))
    demo.load(scale=1, rng=random.Random(3))
    tickets = Ticket.objects.count()
    assert tickets >= 60 + 1 + 9  # planned + the approval case + incident with 8 children
    kinds = set(Ticket.objects.values_list("kind", flat=True))
    assert kinds == {"inquiry", "request", "complaint", "praise"}
    statuses = dict(Ticket.objects.values_list("status").annotate(n=Count("id")))
    assert {"new", "open", "solved", "closed"} <= set(statuses)
    stages = set(Ticket.objects.filter(kind="complaint").values_list("stage", flat=True))
    assert len(stages) >= 4  # complaints in several LSPCAS stages
    pending = Compensation.objects.get(state="pending")
    assert pending.approver.username == "supervisor"
    incident = Ticket.objects.get(is_incident=True)
    assert incident.incident_children.count() == 8
    assert Message.objects.filter(kind="reply").exists()
    assert Message.objects.filter(kind="note").exists()
    assert Ticket.objects.filter(assignee__username="agent").exists()
    events = TicketEvent.objects.count()
    demo.load(scale=1, rng=random.Random(3))
    assert Ticket.objects.count() == tickets and TicketEvent.objects.count() == events
