import pytest

from kefu.customers import selectors, services
from kefu.customers.models import CustomerKind
from kefu.customers.tests.factories import make_customer, make_purchase

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    org = make_customer("深圳华信电子有限公司", kind=CustomerKind.ORGANIZATION)
    return {
        "zhang": make_customer(
            "张伟",
            organization=org,
            contacts=[("mobile", "138-1234-5678"), ("email", "Wei.Zhang@Example.com")],
        ),
        "wang": make_customer(
            "王芳", contacts=[("wechat", "wangfang_88"), ("phone", "010 6552 9988")]
        ),
        "emma": make_customer("Emma Clarke", contacts=[("email", "emma@clarke.co.uk")]),
        "zhang2": make_customer("张伟明"),
        "org": org,
    }


def found(q):
    return set(selectors.customer_search(q).values_list("name", flat=True))


def test_search_chinese_substring(people):
    assert found("张伟") == {"张伟", "张伟明"}
    assert found("伟明") == {"张伟明"}
    assert found("华信") == {"深圳华信电子有限公司", "张伟"}  # organisation name finds its people


def test_search_phone_fragments(people):
    assert found("1234") == {"张伟"}
    assert found("138 1234") == {"张伟"}
    assert found("5678") == {"张伟"}
    assert found("+86 138-1234-5678") == {"张伟"}
    assert found("65529988") == {"王芳"}
    assert found("9999999") == set()


def test_search_email_wechat_number_and_several_terms(people):
    assert found("wei.zhang@example") == {"张伟"}
    assert found("EMMA@CLARKE") == {"Emma Clarke"}
    assert found("wangfang_88") == {"王芳"}
    assert found(people["wang"].number) == {"王芳"}
    assert found(people["wang"].number.lower()) == {"王芳"}
    assert found("emma clarke") == {"Emma Clarke"}
    assert found("张伟 5678") == {"张伟"}
    assert found("") == {p.name for p in people.values()}


def test_search_hides_merged_records(people):
    services.customer_merge(actor=None, kept=people["zhang"], merged=people["zhang2"])
    assert found("张伟") == {"张伟"}


def test_list_filters(people):
    services.tier_set(actor=None, customer=people["wang"], tier="A")
    services.tag_add(actor=None, customer=people["emma"], names=["overseas"])
    names = lambda qs: {c.name for c in qs}  # noqa: E731
    assert names(selectors.customer_list(tier="A")) == {"王芳"}
    assert names(selectors.customer_list(tag="overseas")) == {"Emma Clarke"}
    assert names(selectors.customer_list(kind="organization")) == {"深圳华信电子有限公司"}
    assert len(selectors.customer_list(tier="none")) == 4


def test_timeline_is_newest_first_with_kind_filter(people):
    zhang = people["zhang"]
    make_purchase(zhang, days_ago=10, product="手机")
    make_purchase(zhang, days_ago=2, product="耳机")
    services.note_add(actor=None, customer=zhang, body="VIP prospect")
    rows = selectors.customer_timeline(zhang)
    assert [r.at for r in rows] == sorted((r.at for r in rows), reverse=True)
    assert {r.kind for r in rows} >= {"purchase", "note", "contact"}
    purchases = selectors.customer_timeline(zhang, kinds=["purchase"])
    assert [r.title for r in purchases] == ["Bought 耳机 × 1", "Bought 手机 × 1"]


def test_timeline_query_count_is_constant(people, django_assert_num_queries):
    from kefu.customers.timeline import SOURCES

    zhang = people["zhang"]
    for i in range(3):
        make_purchase(zhang, days_ago=i + 1)
    with django_assert_num_queries(len(SOURCES)):
        selectors.customer_timeline(zhang)
    for i in range(30):
        make_purchase(zhang, days_ago=i + 5)
        services.note_add(actor=None, customer=zhang, body=f"note {i}")
    with django_assert_num_queries(len(SOURCES)):
        rows = selectors.customer_timeline(zhang, limit=20)
    assert len(rows) == 20


def test_purchase_summary(people):
    zhang = people["zhang"]
    make_purchase(zhang, amount="100.50", days_ago=5)
    last = make_purchase(zhang, amount="20", days_ago=1)
    summary = selectors.purchase_summary(zhang)
    assert summary.count == 2
    assert [(c, str(t)) for c, t in summary.totals] == [("CNY", "120.50")]
    assert summary.last_at == last.ordered_at


def test_duplicate_suggestions(people):
    same_phone = make_customer("Zhang Wei", contacts=[("mobile", "+8613812345678")])
    similar = make_customer("张伟 ", contacts=[("email", "other@example.com")])
    suggestions = selectors.duplicate_suggestions(people["zhang"])
    by_id = {s.customer.pk: s.reasons for s in suggestions}
    assert by_id[same_phone.pk] == [("mobile", "+8613812345678")]
    assert ("name", "张伟") in by_id[similar.pk]
    assert people["wang"].pk not in by_id
