"""Factories for the workforce tests; they write through the services like real callers."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from kefu.customers.tests.factories import make_customer
from kefu.workforce import services
from kefu.workforce.models import Skill

_n = itertools.count(1)


def make_queue(**fields):
    fields.setdefault("name", f"Queue {next(_n)}")
    fields.setdefault("channel", "phone")
    skills = fields.pop("required_skills", None)
    return services.queue_create(actor=None, required_skills=skills, **fields)


def skill(name: str) -> Skill:
    return Skill.objects.get_or_create(name=name)[0]


def with_skills(agent, **levels):
    for name, level in levels.items():
        services.agent_skill_set(actor=None, agent=agent, skill=skill(name), level=level)
    return agent


def available(agent, *, state="available", capacity=None, minutes_ago: int = 0):
    presence = services.presence_set(actor=agent, agent=agent, state=state, capacity=capacity)
    if minutes_ago:
        # Backdate the state change: idle time drives longest-idle routing.
        type(presence).objects.filter(pk=presence.pk).update(
            since=timezone.now() - dt.timedelta(minutes=minutes_ago)
        )
    return agent


def open_tickets(agent, count: int, *, channel: str = "phone"):
    """`count` open tickets assigned to `agent` on `channel` (their load)."""
    from kefu.tickets import services as ticket_services

    customer = make_customer(f"Load {next(_n)}")
    return [
        ticket_services.ticket_create(
            actor=None, customer=customer, subject="load", channel=channel, assignee=agent
        )
        for _ in range(count)
    ]


def ticket_history(*, channel: str, days: int, per_hour: dict[int, int], end=None, team=None):
    """Backdated tickets: for each of `days` days before `end`, per_hour[h] tickets in hour h
    (local time). Bulk-created: this is test data, not a workflow under test."""
    from kefu.tickets.models import Ticket

    customer = make_customer(f"History {next(_n)}")
    end = end or timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    rows = []
    for day in range(1, days + 1):
        date = end - dt.timedelta(days=day)
        for hour, count in per_hour.items():
            for i in range(count):
                at = date + dt.timedelta(hours=hour, minutes=(i * 53) % 60)
                rows.append(
                    Ticket(
                        customer=customer, subject="h", channel=channel, kind="inquiry", team=team
                    )
                )
                rows[-1]._at = at
    created = Ticket.objects.bulk_create(rows)
    for ticket in created:
        Ticket.objects.filter(pk=ticket.pk).update(created_at=ticket._at)
    return len(created)
