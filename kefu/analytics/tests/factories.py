"""A small generated data set for the product tests: customers with BG/NBD-simulated purchases,
tickets on two channels and granted compensation."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.utils import timezone

from kefu.analytics.simulation import simulate_bgnbd_transactions
from kefu.customers.models import Customer, Purchase
from kefu.tickets.models import Compensation, CompensationState, Ticket

_n = itertools.count(1)
AS_OF = dt.date(2025, 12, 31)


@dataclass
class DataSet:
    customers: list[Customer]
    silent: Customer  # no purchases, no tickets


def make_customers(count: int) -> list[Customer]:
    start = next(_n) * 10_000
    rows = [Customer(name=f"客户{start + i}", number=f"AN-{start + i:07d}") for i in range(count)]
    return Customer.objects.bulk_create(rows)


def make_data(count: int = 40, *, seed: int = 3, actor=None) -> DataSet:
    """`count` customers with simulated purchases (two years to AS_OF), every 3rd customer a
    phone ticket, every 4th an email complaint, customer 0 a granted 500 CNY compensation."""
    customers = make_customers(count)
    silent = make_customers(1)[0]
    sim = simulate_bgnbd_transactions(
        count, r=0.8, alpha=6.0, a=0.8, b=2.5, p=6.0, q=4.0, v=60.0,
        acquisition_weeks=52, observation_weeks=104, start="2024-01-01", seed=seed,
    )  # fmt: skip
    tx = sim.transactions
    owner = tx["customer_id"].to_numpy()
    when = tx["date"].to_numpy().astype("datetime64[s]").astype(dt.datetime)
    amounts = np.round(tx["amount"].to_numpy(), 2)
    purchases = [
        Purchase(
            customer=customers[int(o)],
            source="test",
            external_id=f"P{next(_n)}",
            ordered_at=timezone.make_aware(w, dt.UTC),
            amount=Decimal(f"{a:.2f}"),
            # every other purchase has no recorded margin (the default rate applies)
            gross_margin=Decimal(f"{a * 0.3:.2f}") if i % 2 == 0 else None,
        )
        for i, (o, w, a) in enumerate(zip(owner, when, amounts, strict=True))
        if w.date() <= AS_OF
    ]
    Purchase.objects.bulk_create(purchases)
    created = timezone.make_aware(dt.datetime(2025, 6, 1), dt.UTC)
    tickets = []
    for i, customer in enumerate(customers):
        if i % 3 == 0:
            tickets.append(Ticket(customer=customer, subject="电话咨询", channel="phone",
                                  kind="inquiry"))  # fmt: skip
        if i % 4 == 0:
            tickets.append(Ticket(customer=customer, subject="投诉", channel="email",
                                  kind="complaint", is_repeat=i % 8 == 0))  # fmt: skip
    Ticket.objects.bulk_create(tickets)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(created_at=created)
    if actor is not None:
        first = Ticket.objects.filter(customer=customers[0]).first()
        Compensation.objects.create(
            ticket=first,
            remedy="voucher",
            amount=Decimal("500.00"),
            reason="test",
            state=CompensationState.GRANTED,
            requested_by=actor,
        )
        Compensation.objects.filter(ticket=first).update(created_at=created)
    return DataSet(customers, silent)
