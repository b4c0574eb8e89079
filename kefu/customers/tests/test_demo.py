import random

import pytest
from django.db.models import Count

from kefu.customers import demo, selectors
from kefu.customers.models import Customer, Purchase

pytestmark = pytest.mark.django_db


def test_demo_is_realistic_and_idempotent():
    demo.load(scale=1, rng=random.Random(7))
    customers = Customer.objects.count()
    purchases = Purchase.objects.count()
    assert 300 <= customers <= 320
    per_customer = purchases / customers
    assert 3.5 <= per_customer <= 7.5
    counts = list(Customer.objects.annotate(n=Count("purchases")).values_list("n", flat=True))
    assert sum(1 for n in counts if n >= 5) > 50  # repeat buyers
    assert sum(1 for n in counts if n == 1) > 10  # one-off buyers
    assert set(Customer.objects.values_list("tier", flat=True)) == {"A", "B", "C", "D"}
    assert Customer.objects.filter(kind="organization", people__isnull=False).exists()
    # the planted duplicate (same mobile, different email) is suggested for merging
    zhang = Customer.objects.filter(name="张伟").order_by("id").first()
    assert zhang is not None
    suggested = [s.customer.pk for s in selectors.duplicate_suggestions(zhang)]
    assert Customer.objects.filter(name="张伟", pk__in=suggested).exists()
    demo.load(scale=1, rng=random.Random(7))
    assert (Customer.objects.count(), Purchase.objects.count()) == (customers, purchases)
