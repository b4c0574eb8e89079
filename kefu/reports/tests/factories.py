"""A small fixture of tickets and purchases whose aggregates are computed by hand (plain Python
in the tests), and a generated customer history with a planted churn mechanism."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from kefu.accounts.models import Team, User
from kefu.customers.models import Customer, Purchase
from kefu.tickets.models import Category, RootCause, Ticket

_n = itertools.count(1)
TZ = dt.UTC


@dataclass
class Row:
    """What the test knows about one ticket, in the dimensions' terms."""

    pk: int
    created: dt.datetime
    channel: str
    kind: str
    priority: str
    status: str
    category_1: str | None
    category_2: str | None
    root_cause: str | None
    team: str | None
    agent: str | None
    tier: str
    region: str
    first_response_s: float | None
    resolution_s: float | None
    amount_involved: float | None


def make_customers(count: int, *, tiers="ABCD", regions=("华东", "华北", "")) -> list[Customer]:
    start = next(_n) * 10_000
    rows = [
        Customer(
            name=f"客户{start + i}",
            number=f"RP-{start + i:07d}",
            tier=tiers[i % len(tiers)],
            region=regions[i % len(regions)],
        )
        for i in range(count)
    ]
    return Customer.objects.bulk_create(rows)


def make_tickets(count: int = 60, *, seed: int = 7) -> list[Row]:
    """`count` tickets spread over 2025 with every dimension varied (some values missing)."""
    rng = random.Random(seed)
    suffix = next(_n)
    teams = [Team.objects.create(name=f"Team {suffix}-{i}") for i in range(2)]
    agents = [User.objects.create(username=f"agent{suffix}-{i}") for i in range(3)]
    billing = Category.objects.create(name=f"Billing {suffix}")
    delivery = Category.objects.create(name=f"Delivery {suffix}")
    refund = Category.objects.create(name=f"Refund {suffix}", parent=billing)
    late = Category.objects.create(name=f"Late {suffix}", parent=delivery)
    categories = [None, billing, refund, late]
    causes = [None, RootCause.objects.create(name=f"Courier {suffix}")]
    customers = make_customers(8)
    rows = []
    for i in range(count):
        created = dt.datetime(2025, 1, 1, 9, tzinfo=TZ) + dt.timedelta(
            days=rng.randrange(0, 360), hours=rng.randrange(0, 8)
        )
        category = categories[i % 4]
        team = teams[i % 3] if i % 3 < 2 else None
        agent = agents[i % 4] if i % 4 < 3 else None
        customer = customers[i % 8]
        first = created + dt.timedelta(seconds=rng.randrange(60, 7200)) if i % 5 else None
        solved = created + dt.timedelta(seconds=rng.randrange(3600, 400_000)) if i % 3 else None
        amount = Decimal(rng.randrange(0, 100_000)) / 100 if i % 2 else None
        ticket = Ticket.objects.create(
            subject=f"T{i}",
            customer=customer,
            channel=("email", "phone", "web")[i % 3],
            kind=("inquiry", "complaint")[i % 2],
            priority=("low", "normal", "high")[i % 3],
            status=("open", "solved")[1 if solved else 0],
            category=category,
            root_cause=causes[i % 2],
            team=team,
            assignee=agent,
            first_response_at=first,
            solved_at=solved,
            w_how_much=amount,
        )
        Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
        rows.append(
            Row(
                pk=ticket.pk,
                created=created,
                channel=ticket.channel,
                kind=ticket.kind,
                priority=ticket.priority,
                status=ticket.status,
                category_1=(category.parent or category).name if category else None,
                category_2=category.name if category else None,
                root_cause=causes[i % 2].name if causes[i % 2] else None,
                team=team.name if team else None,
                agent=agent.username if agent else None,
                tier=customer.tier,
                region=customer.region,
                first_response_s=(first - created).total_seconds() if first else None,
                resolution_s=(solved - created).total_seconds() if solved else None,
                amount_involved=float(amount) if amount is not None else None,
            )
        )
    return rows


def make_purchases(customers: list[Customer], count: int = 40, *, seed: int = 3) -> list[Purchase]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        rows.append(
            Purchase(
                customer=customers[i % len(customers)],
                source="test",
                external_id=f"RP{next(_n)}",
                ordered_at=dt.datetime(2025, 1, 1, tzinfo=TZ)
                + dt.timedelta(days=rng.randrange(0, 300)),
                amount=Decimal(rng.randrange(100, 100_000)) / 100,
                product=("茶叶", "=SUM(A1)", "Cups")[i % 3],
                channel=("store", "online")[i % 2],
                quantity=1 + i % 4,
            )
        )
    return Purchase.objects.bulk_create(rows)


def now() -> dt.datetime:
    return timezone.now()
