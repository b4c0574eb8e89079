"""Factories for ticket tests: customers, teams, tickets, authority limits."""

from __future__ import annotations

import itertools
from decimal import Decimal

from kefu.accounts.models import Team
from kefu.customers.models import Customer, CustomerKind
from kefu.tickets import services
from kefu.tickets.models import AuthorityLimit, RootCause

_n = itertools.count(1)


def make_customer(name: str = "", **fields) -> Customer:
    n = next(_n)
    return Customer.objects.create(
        name=name or f"客户{n}",
        number=f"T-{n:06d}",
        kind=fields.pop("kind", CustomerKind.PERSON),
        **fields,
    )


def make_team(name: str = "", members=(), lead=None) -> Team:
    team = Team.objects.create(name=name or f"Team {next(_n)}", lead=lead)
    team.members.set([*members, *([lead] if lead else [])])
    return team


def make_ticket(actor, **fields):
    fields.setdefault("customer", make_customer())
    fields.setdefault("subject", "手机屏幕有划痕")
    return services.ticket_create(actor=actor, **fields)


def root_cause(name: str = "Courier damage") -> RootCause:
    return RootCause.objects.get_or_create(name=name)[0]


def set_limit(role_or_user, remedy: str, per_case, per_month=None) -> AuthorityLimit:
    kwargs = {"role": role_or_user} if isinstance(role_or_user, str) else {"user": role_or_user}
    return AuthorityLimit.objects.create(
        remedy=remedy,
        per_case=Decimal(str(per_case)),
        per_month=Decimal(str(per_month)) if per_month is not None else None,
        **kwargs,
    )
