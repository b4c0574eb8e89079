"""Writes a simulated churn history (kefu.analytics.mining.simulate_churn) into the database:
customers, purchases, tickets with SLA due times, so the product pipeline can be tested."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import numpy as np

from kefu.analytics.mining import simulate_churn
from kefu.customers.models import Customer, Purchase
from kefu.tickets.models import Ticket

_n = itertools.count(1)


def _aware(seconds: np.ndarray) -> list[dt.datetime]:
    return [dt.datetime.fromtimestamp(int(s), dt.UTC) for s in seconds]


def load_simulated(n: int = 300, *, seed: int = 4):
    """Returns (simulation, customers in simulation order, as_of date)."""
    sim = simulate_churn(n, seed=seed)
    start = next(_n) * 100_000
    customers = Customer.objects.bulk_create(
        Customer(name=f"模拟{start + i}", number=f"SM-{start + i:07d}", tier=str(t))
        for i, t in enumerate(sim.tiers)
    )
    index = {int(cid): customers[i] for i, cid in enumerate(sim.customer_ids)}
    ev = sim.events
    Purchase.objects.bulk_create(
        Purchase(customer=index[int(c)], source="sim", external_id=f"S{next(_n)}",
                 ordered_at=w, amount=Decimal(f"{a:.2f}"))
        for c, w, a in zip(ev.purchase_customer, _aware(ev.purchase_seconds), ev.purchase_amount,
                           strict=True)
    )  # fmt: skip
    tickets = []
    for c, w, complaint, repeat, breached in zip(
        ev.ticket_customer, _aware(ev.ticket_seconds), ev.ticket_is_complaint,
        ev.ticket_is_repeat, ev.ticket_sla_breached, strict=True,
    ):  # fmt: skip
        due = w + dt.timedelta(hours=4)
        tickets.append(
            Ticket(customer=index[int(c)], subject="sim", channel="email" if complaint else "phone",
                   kind="complaint" if complaint else "inquiry", is_repeat=bool(repeat),
                   first_response_due_at=due,
                   first_response_at=due + dt.timedelta(hours=1 if breached else -1))
        )  # fmt: skip
    created = Ticket.objects.bulk_create(tickets)
    # created_at is auto_now_add: set the simulated times in one statement per distinct day
    by_time: dict[dt.datetime, list[int]] = {}
    for ticket, when in zip(created, _aware(ev.ticket_seconds), strict=True):
        by_time.setdefault(when, []).append(ticket.pk)
    for when, pks in by_time.items():
        Ticket.objects.filter(pk__in=pks).update(created_at=when)
    as_of = dt.datetime.fromtimestamp(sim.end, dt.UTC).date() - dt.timedelta(days=1)
    return sim, customers, as_of
