"""Small factories for customer tests (they go through the services, like real callers)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from kefu.customers import services

_n = itertools.count(1)


def make_customer(name: str = "张伟", *, contacts=(), **fields):
    return services.customer_create(actor=None, name=name, contacts=list(contacts), **fields)


def make_purchase(customer, *, amount="100.00", days_ago: int = 1, **fields):
    fields.setdefault("external_id", f"ORD-{next(_n):06d}")
    fields.setdefault("product", "蓝牙耳机 Bluetooth earbuds")
    return services.purchase_create(
        actor=None,
        customer=customer,
        amount=amount,
        ordered_at=timezone.now() - dt.timedelta(days=days_ago),
        **fields,
    )
