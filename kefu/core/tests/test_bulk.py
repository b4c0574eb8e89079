"""insert_rows stores exactly what bulk_create stores, on SQLite and PostgreSQL."""

import datetime as dt
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from kefu.core.bulk import insert_rows
from kefu.customers.models import ContactPoint, Customer, Purchase, Tag

pytestmark = pytest.mark.django_db


def _customers(first_id: int):
    return [
        Customer(
            id=first_id + i,
            number=f"X-{first_id + i}",
            name=f"客户 {i} O'Brien",
            kind="person" if i % 2 else "organization",
            is_vip=bool(i % 3),
            attributes={"生日": "1990-01-02", "n": i, "nested": [1, {"a": None}]},
            notes="" if i % 2 else "备注\n第二行",
            search_text=f"客户 {i}",
        )
        for i in range(5)
    ]


def _row(obj, exclude=("id", "uuid", "number", "created_at", "updated_at", "customer")):
    return {k: v for k, v in model_to_dict(obj).items() if k not in exclude}


def test_the_same_rows_as_bulk_create():
    Customer.objects.bulk_create(_customers(1000))
    assert insert_rows(Customer, _customers(2000)) == 5
    for i in range(5):
        a, b = Customer.objects.get(pk=1000 + i), Customer.objects.get(pk=2000 + i)
        assert _row(a) == _row(b)
        assert b.uuid is not None and b.uuid != a.uuid
        assert b.created_at is not None and b.updated_at >= b.created_at  # auto_now(_add)
    when = dt.datetime(2026, 5, 4, 3, 2, 1, tzinfo=dt.UTC)
    purchases = lambda customer, key: [  # noqa: E731
        Purchase(customer_id=customer, source="pos", external_id=f"{key}-{k}", ordered_at=when,
                 amount=Decimal("1299.95") + k, gross_margin=Decimal("0.25"), product="充电器")
        for k in range(3)
    ]  # fmt: skip
    Purchase.objects.bulk_create(purchases(1000, "a"))
    insert_rows(Purchase, purchases(2000, "b"))
    got = [
        (p.ordered_at, p.amount, p.gross_margin)
        for p in Purchase.objects.filter(customer=2000).order_by("external_id")
    ]
    assert got == [(when, Decimal("1299.95") + k, Decimal("0.25")) for k in range(3)]
    # Rows without a primary key get one from the database.
    insert_rows(ContactPoint, [ContactPoint(customer_id=2000, kind="email", value="a@b.cn",
                                            normalized="a@b.cn", is_primary=True)])  # fmt: skip
    assert ContactPoint.objects.get(customer_id=2000).pk is not None


def test_ignore_conflicts_skips_existing_rows_only():
    insert_rows(Customer, _customers(3000))
    tag = Tag.objects.create(name="回头客")
    through = Customer.tags.through
    insert_rows(through, [through(customer_id=3000, tag_id=tag.pk)])
    links = [through(customer_id=3000 + i, tag_id=tag.pk) for i in range(3)]
    insert_rows(through, links, ignore_conflicts=True)
    assert sorted(through.objects.values_list("customer_id", flat=True)) == [3000, 3001, 3002]
    assert insert_rows(Customer, []) == 0


def test_file_fields_are_refused():
    from kefu.tickets.models import Attachment

    with pytest.raises(ValueError, match="bulk_create"):
        insert_rows(Attachment, [Attachment(message_id=1, filename="x")])
