"""Which related records follow a customer when it is merged into another one.

Apps whose models point at a customer register them, e.g. in their AppConfig.ready():

    from kefu.customers.merge_registry import register_merge_target
    register_merge_target("tickets.Ticket", "customer")

customer_merge moves every registered row from the merged record to the kept one and remembers
their ids in the MergeRecord, so customer_merge_undo can move exactly those rows back.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

_TARGETS: list[tuple[str, str]] = []


def register_merge_target(model: type[models.Model] | str, fk_field: str) -> None:
    """Register `model.fk_field` (a ForeignKey to Customer) as moved by customer_merge."""
    label = model if isinstance(model, str) else model._meta.label
    if (label, fk_field) not in _TARGETS:
        _TARGETS.append((label, fk_field))


def merge_targets() -> list[tuple[type[models.Model], str]]:
    """The registered (model, fk_field) pairs with models resolved."""
    return [(apps.get_model(label), field) for label, field in _TARGETS]


def target_key(model: type[models.Model], fk_field: str) -> str:
    return f"{model._meta.label}.{fk_field}"


register_merge_target("customers.ContactPoint", "customer")
register_merge_target("customers.Purchase", "customer")
register_merge_target("customers.CustomerNote", "customer")
register_merge_target("customers.CreditRating", "customer")
register_merge_target("customers.Customer", "organization")
