from kefu.customers.models import Customer, CustomerKind, Tier


def test_display_tier(db):
    customer = Customer.objects.create(name="张伟", number="C-000001", tier=Tier.A)
    assert customer.display_tier == "Tier A"
    assert customer.kind == CustomerKind.PERSON
    assert Customer.objects.active().count() == 1
