import datetime as dt

import pytest
from django.utils import timezone

from kefu.core.errors import Conflict, NotAllowed, ValidationFailed
from kefu.core.models import AuditEvent
from kefu.customers import services
from kefu.customers.models import (
    ContactPoint,
    CreditPolicy,
    CreditRating,
    CustomAttribute,
    Customer,
    CustomerKind,
    CustomerNote,
    MergeRecord,
    Purchase,
)
from kefu.customers.tests.factories import make_customer, make_purchase

pytestmark = pytest.mark.django_db


def audit_actions(obj) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="customers.customer", object_id=str(obj.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_create_assigns_number_normalises_contacts_and_audits(make_user):
    agent = make_user("agent")
    customer = services.customer_create(
        actor=agent,
        name=" 张伟 ",
        contacts=[("mobile", "138 1234 1234"), ("email", "Zhang.Wei@Example.COM")],
        tags=["回头客"],
    )
    assert customer.number == f"C-{customer.pk:06d}"
    assert customer.name == "张伟"
    normalized = dict(customer.contacts.values_list("kind", "normalized"))
    assert normalized == {"mobile": "+8613812341234", "email": "zhang.wei@example.com"}
    assert all(customer.contacts.values_list("is_primary", flat=True))
    assert "13812341234" in customer.search_text and "张伟" in customer.search_text
    assert audit_actions(customer) == ["customer.created"]
    assert list(customer.tags.values_list("name", flat=True)) == ["回头客"]


def test_bad_contact_names_the_field():
    with pytest.raises(ValidationFailed) as exc:
        make_customer(contacts=[("email", "ok@example.com"), ("mobile", "12")])
    assert "contacts.1" in exc.value.fields
    assert Customer.objects.count() == 0


def test_customer_role_may_not_create(make_user):
    with pytest.raises(NotAllowed):
        services.customer_create(actor=make_user("customer"), name="x")


def test_tier_needs_the_tier_permission(make_user):
    with pytest.raises(NotAllowed):
        services.customer_create(actor=make_user("agent"), name="x", tier="A")
    assert services.customer_create(actor=make_user("supervisor"), name="x", tier="A").tier == "A"


def test_update_with_stale_version_is_a_conflict(make_user):
    agent = make_user("agent")
    customer = make_customer("王芳")
    services.customer_update(
        actor=agent, customer=customer, expected_version=1, changes={"name": "王芳芳"}
    )
    assert customer.version == 2
    assert "王芳芳" in Customer.objects.get(pk=customer.pk).search_text
    stale = Customer.objects.get(pk=customer.pk)
    stale.version = 1
    with pytest.raises(Conflict):
        services.customer_update(
            actor=agent, customer=stale, expected_version=1, changes={"region": "上海"}
        )
    assert Customer.objects.get(pk=customer.pk).region == ""
    event = AuditEvent.objects.filter(action="customer.updated").get()
    assert event.changes["name"] == ["王芳", "王芳芳"]


def test_organization_rules_and_search_text_follow_the_organisation_name():
    org = make_customer("华为技术有限公司", kind=CustomerKind.ORGANIZATION)
    person = make_customer("李娜", organization=org)
    assert "华为" in person.search_text
    with pytest.raises(ValidationFailed) as exc:
        make_customer("子公司", kind=CustomerKind.ORGANIZATION, organization=org)
    assert "organization" in exc.value.fields
    with pytest.raises(ValidationFailed):
        make_customer("王五", organization=person)
    services.customer_update(
        actor=None, customer=org, expected_version=org.version, changes={"name": "荣耀终端"}
    )
    assert "荣耀终端" in Customer.objects.get(pk=person.pk).search_text


def test_custom_attributes_are_validated():
    CustomAttribute.objects.create(key="birthday", label="Birthday", type="date")
    CustomAttribute.objects.create(
        key="segment", label="Segment", type="choice", choices=["retail", "b2b"], required=True
    )
    with pytest.raises(ValidationFailed) as exc:
        make_customer(attributes={"birthday": "31/02/1990", "shoe": "42"})
    assert set(exc.value.fields) == {
        "attributes.birthday",
        "attributes.shoe",
        "attributes.segment",
    }
    customer = make_customer(attributes={"birthday": "1990-02-03", "segment": "b2b"})
    assert customer.attributes == {"birthday": "1990-02-03", "segment": "b2b"}


def test_contact_add_remove_keeps_one_primary_and_search_text():
    customer = make_customer(contacts=[("mobile", "13812341234")])
    second = services.contact_add(
        actor=None, customer=customer, kind="mobile", value="+86 139-0000-1111", is_primary=True
    )
    assert second.normalized == "+8613900001111"
    primaries = list(customer.contacts.filter(is_primary=True).values_list("pk", flat=True))
    assert primaries == [second.pk]
    with pytest.raises(ValidationFailed) as exc:
        services.contact_add(actor=None, customer=customer, kind="mobile", value="13900001111")
    assert "value" in exc.value.fields
    services.contact_remove(actor=None, contact=second)
    customer.refresh_from_db()
    assert "13900001111" not in customer.search_text
    assert customer.contacts.get().is_primary
    assert audit_actions(customer)[-2:] == ["customer.contact_added", "customer.contact_removed"]


def test_tags():
    customer = make_customer()
    services.tag_add(actor=None, customer=customer, names=["VIP候选", "回头客"])
    services.tag_remove(actor=None, customer=customer, names=["回头客"])
    assert list(customer.tags.values_list("name", flat=True)) == ["VIP候选"]
    services.tags_set(actor=None, customer=customer, names=["a", "b"])
    assert sorted(customer.tags.values_list("name", flat=True)) == ["a", "b"]


def test_credit_rate_uses_the_policy_and_keeps_history(make_user):
    supervisor = make_user("supervisor")
    customer = make_customer()
    scores = dict(character=5, capacity=4, capital=4, collateral=3, condition=3, continuity=2)
    rating = services.credit_rate(actor=supervisor, customer=customer, scores=scores)
    assert (rating.grade, str(rating.score)) == ("B", "3.50")
    assert Customer.objects.get(pk=customer.pk).credit_grade == "B"
    policy = CreditPolicy.current()
    services.credit_policy_update(
        actor=None,
        expected_version=policy.version,
        weights={
            "character": 5,
            "capacity": 1,
            "capital": 1,
            "collateral": 1,
            "condition": 1,
            "continuity": 1,
        },
        cutoffs={"A": 4.0, "B": 3.0, "C": 2.0},
    )
    # (5*5 + 4+4+3+3+2) / 10 = 4.1 → A
    rating = services.credit_rate(actor=supervisor, customer=customer, scores=scores)
    assert (rating.grade, str(rating.score)) == ("A", "4.10")
    assert CreditRating.objects.filter(customer=customer).count() == 2
    with pytest.raises(ValidationFailed) as exc:
        services.credit_rate(actor=supervisor, customer=customer, scores={**scores, "capital": 9})
    assert "capital" in exc.value.fields
    with pytest.raises(NotAllowed):
        services.credit_rate(actor=make_user("agent"), customer=customer, scores=scores)


def test_tier_set_and_bulk_are_audited(make_user):
    manager = make_user("manager")
    a, b, c = make_customer("a"), make_customer("b"), make_customer("c", tier="C")
    services.tier_set(actor=manager, customer=a, tier="A", reason="top spender")
    assert Customer.objects.get(pk=a.pk).tier == "A"
    changed = services.tier_set_bulk(actor=manager, tiers={a.pk: "A", b.pk: "B", c.pk: "D"})
    assert changed == 2  # a was already A
    assert dict(Customer.objects.values_list("pk", "tier")) == {a.pk: "A", b.pk: "B", c.pk: "D"}
    assert audit_actions(c)[-1] == "customer.tier_set"
    assert AuditEvent.objects.filter(action="customer.tier_set").count() == 3
    with pytest.raises(ValidationFailed):
        services.tier_set_bulk(actor=manager, tiers={a.pk: "E"})


def purchase_row(customer, external_id, amount="99.00", **extra):
    return {
        "customer_number": customer.number,
        "source": "pos",
        "external_id": external_id,
        "ordered_at": "2025-06-01 10:00",
        "amount": amount,
        **extra,
    }


def test_purchase_bulk_atomic_writes_nothing_when_a_row_fails():
    customer = make_customer()
    rows = [purchase_row(customer, "1"), purchase_row(customer, "2", amount="abc")]
    with pytest.raises(ValidationFailed) as exc:
        services.purchase_bulk_create(actor=None, rows=rows)
    assert exc.value.details["errors"] == [
        {"row": 2, "column": "amount", "message": "Enter a number."}
    ]
    assert Purchase.objects.count() == 0


def test_purchase_bulk_valid_only_and_idempotent():
    customer = make_customer()
    rows = [
        purchase_row(customer, "1"),
        purchase_row(customer, "2", quantity="2"),
        {**purchase_row(customer, "3"), "customer_number": "C-999999"},
    ]
    result = services.purchase_bulk_create(actor=None, rows=rows, mode="valid_only")
    assert (result.created, result.updated, len(result.errors)) == (2, 0, 1)
    assert result.errors[0].row == 3 and result.errors[0].column == "customer_number"
    again = services.purchase_bulk_create(actor=None, rows=rows[:2])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = services.purchase_bulk_create(actor=None, rows=[purchase_row(customer, "1", "120")])
    assert (changed.created, changed.updated) == (0, 1)
    assert Purchase.objects.get(external_id="1").amount == 120
    assert Purchase.objects.count() == 2


def test_purchase_bulk_limit():
    with pytest.raises(ValidationFailed) as exc:
        services.purchase_bulk_create(actor=None, rows=[{}] * 10_001)
    assert "rows" in exc.value.fields


def test_purchase_create_idempotent_and_conflicting():
    customer = make_customer()
    at = timezone.now() - dt.timedelta(days=3)
    first = services.purchase_create(
        actor=None, customer=customer, external_id="X1", ordered_at=at, amount="10"
    )
    same = services.purchase_create(
        actor=None, customer=customer, external_id="X1", ordered_at=at, amount="10.00"
    )
    assert same.pk == first.pk
    with pytest.raises(Conflict):
        services.purchase_create(
            actor=None, customer=customer, external_id="X1", ordered_at=at, amount="11"
        )


def test_merge_moves_everything_is_audited_and_can_be_undone(make_user):
    supervisor = make_user("supervisor")
    org = make_customer("某某科技", kind=CustomerKind.ORGANIZATION)
    duplicate_org = make_customer("某某科技有限公司", kind=CustomerKind.ORGANIZATION)
    person = make_customer("员工", organization=duplicate_org)
    kept = make_customer("张伟", contacts=[("email", "zw@example.com")])
    merged = make_customer(
        "张 伟", contacts=[("mobile", "13812341234")], tier="B", region="北京", tags=["老客户"]
    )
    make_purchase(merged)
    services.note_add(actor=None, customer=merged, body="called twice")
    services.credit_rate(
        actor=None,
        customer=merged,
        scores=dict.fromkeys(
            ["character", "capacity", "capital", "collateral", "condition", "continuity"], 4
        ),
    )
    record = services.customer_merge(actor=supervisor, kept=kept, merged=merged)
    kept.refresh_from_db()
    merged.refresh_from_db()
    assert merged.merged_into_id == kept.pk
    assert kept.contacts.count() == 2 and kept.purchases.count() == 1
    assert CustomerNote.objects.get().customer_id == kept.pk
    assert CreditRating.objects.get().customer_id == kept.pk
    assert (kept.tier, kept.region, kept.credit_grade) == ("B", "北京", "A")
    assert list(kept.tags.values_list("name", flat=True)) == ["老客户"]
    assert "13812341234" in kept.search_text
    assert not Customer.objects.active().filter(pk=merged.pk).exists()
    assert "customer.merged" in audit_actions(kept)
    assert "customer.merged_into" in audit_actions(merged)

    org_record = services.customer_merge(actor=supervisor, kept=org, merged=duplicate_org)
    assert Customer.objects.get(pk=person.pk).organization_id == org.pk
    services.customer_merge_undo(actor=supervisor, record=org_record)
    assert Customer.objects.get(pk=person.pk).organization_id == duplicate_org.pk

    with pytest.raises(Conflict):
        services.customer_merge(actor=supervisor, kept=kept, merged=merged)

    services.customer_merge_undo(actor=supervisor, record=record)
    kept.refresh_from_db()
    merged.refresh_from_db()
    assert merged.merged_into_id is None
    assert set(
        ContactPoint.objects.filter(customer=merged).values_list("normalized", flat=True)
    ) == {"+8613812341234"}
    assert merged.purchases.count() == 1 and kept.purchases.count() == 0
    assert CustomerNote.objects.get().customer_id == merged.pk
    assert (kept.tier, kept.region) == ("", "")
    assert kept.tags.count() == 0
    assert "13812341234" not in kept.search_text
    assert MergeRecord.objects.get(pk=record.pk).undone_at is not None
    assert "customer.merge_undone" in audit_actions(kept)
    with pytest.raises(Conflict):
        services.customer_merge_undo(actor=supervisor, record=record)


def test_merge_needs_permission_and_distinct_records(make_user):
    a, b = make_customer("a"), make_customer("b")
    with pytest.raises(NotAllowed):
        services.customer_merge(actor=make_user("agent"), kept=a, merged=b)
    with pytest.raises(ValidationFailed):
        services.customer_merge(actor=None, kept=a, merged=a)


def test_merge_moves_the_portal_login(make_user):
    login = make_user("customer")
    kept, merged = make_customer("a"), make_customer("a2", user=login)
    record = services.customer_merge(actor=None, kept=kept, merged=merged)
    assert Customer.objects.get(pk=kept.pk).user_id == login.pk
    services.customer_merge_undo(actor=None, record=record)
    assert Customer.objects.get(pk=merged.pk).user_id == login.pk
    assert Customer.objects.get(pk=kept.pk).user_id is None
