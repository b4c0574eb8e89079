"""The escalation sweep on two (four) workers at once fires each escalation once (PostgreSQL).

Run with KEFU_DATABASE_URL=postgresql://…; SQLite serialises writers, so there the test runs the
sweeps one after another instead (still: each escalation once).
"""

import datetime as dt
import threading

import pytest
from django.db import connection

from kefu.core.models import AuditEvent
from kefu.sla import services
from kefu.sla.models import EscalationFiring
from kefu.sla.tests.factories import make_policy, office_calendar
from kefu.tickets.models import Ticket
from kefu.tickets.tests.factories import make_customer, make_ticket

pytestmark = pytest.mark.django_db(transaction=True)
TICKETS = 12
WORKERS = 4


def _run_workers(now):
    barrier = threading.Barrier(WORKERS)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            results.append(services.sla_sweep(now=now).fired)
        except Exception as exc:  # reported below: a failure in a thread must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_concurrent_sweeps_fire_each_escalation_once(make_user, clock):
    agent = make_user("agent", username="lina")
    policy = make_policy(office_calendar("Office"), first_response_minutes=60)
    services.rule_create(actor=None, name="Raise", target="first_response", action="raise_priority")
    services.rule_create(
        actor=None, name="Tag", target="first_response", action="add_tag", tag="late", policy=policy
    )
    customer = make_customer()
    tickets = [make_ticket(agent, customer=customer, assignee=agent) for _ in range(TICKETS)]
    later = clock.now + dt.timedelta(hours=3)
    if connection.vendor == "postgresql":
        results, errors = _run_workers(later)
        assert not errors, errors
    else:
        results = [services.sla_sweep(now=later).fired for _ in range(WORKERS)]
    assert sum(results) == 2 * TICKETS
    assert EscalationFiring.objects.count() == 2 * TICKETS
    assert AuditEvent.objects.filter(action="sla.escalated").count() == 2 * TICKETS
    priorities = set(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("priority", flat=True)
    )
    assert priorities == {"high"}  # raised once: twice would be urgent
    assert services.sla_sweep(now=later).fired == 0
