"""The indexed search against a brute-force reference on a random mixed zh/en data set."""

from __future__ import annotations

import io
import random

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.customers import search_index, selectors, services
from kefu.customers.contacts import search_digits
from kefu.customers.importing import run_import
from kefu.customers.models import Customer, CustomerKind
from kefu.customers.search_index import term_tokens, text_tokens

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗欧阳司马"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉兰"
LATIN_FIRST = ["Emma", "Liam", "Olivia", "Noah", "Wei", "Ming", "Anna", "Lee", "Zhang"]
LATIN_LAST = ["Clarke", "Smith", "Li", "Wang", "Brown", "Chen", "O'Neil", "Müller"]
ORGS = ["深圳华信电子有限公司", "上海蓝天贸易", "Acme Trading Ltd", "北京星光科技", "Blue Sky 蓝天"]
DOMAINS = ["example.cn", "qq.com", "163.com", "clarke.co.uk"]


# --- tokens -------------------------------------------------------------------------------------


def test_tokens_of_a_search_text():
    tokens = text_tokens("c-000123 张伟明 wei.zhang@example.com +8613812341234")
    assert {"张", "伟", "明", "张伟", "伟明"} <= tokens
    assert {"0001", "0012", "0123", "1381", "1234", "8613"} <= tokens
    assert {"wei", "zha", "han", "ang", "exa", "com"} <= tokens
    assert "张伟明" not in tokens and "we" not in tokens and "123" not in tokens


def test_term_tokens():
    assert term_tokens("李") == ["李"]
    assert term_tokens("张伟") == ["张伟"]
    assert term_tokens("欧阳娜娜") == ["欧阳", "阳娜", "娜娜"]
    assert term_tokens("138") == [] and term_tokens("li") == []
    assert term_tokens("13812341234") == ["1381", "8123", "3412", "1234"]
    # digits first (rarest), then Chinese bigrams, then letter trigrams, at most four
    assert term_tokens("emma123456@qq.com") == ["1234", "2345", "3456", "emm"]
    assert term_tokens("张伟明abc") == ["张伟", "伟明", "abc"]
    assert len(term_tokens("wei.zhang@example.com")) == search_index.MAX_TERM_TOKENS


ALPHABET = st.sampled_from(list("张伟明李王芳欧阳 abcxyz0123456789@.-_+ÄäßЖ"))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(ALPHABET, min_size=1, max_size=30), st.data())
def test_a_substring_has_a_subset_of_the_tokens(text, data):
    """The property the index relies on: no match is lost."""
    text = text.lower()
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    for term in text[start:end].split():
        assert set(term_tokens(term, limit=100)) <= text_tokens(text)


# --- search against the reference ---------------------------------------------------------------


def _name(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    return f"{rng.choice(LATIN_FIRST)} {rng.choice(LATIN_LAST)}"


def _contacts(rng: random.Random, i: int) -> list[tuple[str, str]]:
    contacts = []
    if rng.random() < 0.8:
        contacts.append(
            ("mobile", f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(0, 10**8 - 1):08d}")
        )
    if rng.random() < 0.6:
        contacts.append(("email", f"{rng.choice(LATIN_FIRST)}.{i}@{rng.choice(DOMAINS)}"))
    if rng.random() < 0.3:
        contacts.append(("wechat", f"wx_{rng.choice(['clarke', 'smith', 'li', 'chen'])}{i}"))
    if rng.random() < 0.2:
        contacts.append(("phone", f"010 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"))
    return contacts


def _build(rng: random.Random, count: int) -> list[Customer]:
    orgs = [
        services.customer_create(actor=None, name=n, kind=CustomerKind.ORGANIZATION) for n in ORGS
    ]
    people = []
    for i in range(count):
        people.append(
            services.customer_create(
                actor=None,
                name=_name(rng),
                organization=rng.choice(orgs) if rng.random() < 0.3 else None,
                contacts=_contacts(rng, i),
            )
        )
    # Later writes must keep the index current: renames, contacts, merges, an import.
    for person in rng.sample(people, 10):
        services.customer_update(
            actor=None,
            customer=person,
            expected_version=person.version,
            changes={"name": _name(rng)},
        )
    for person in rng.sample(people, 10):
        services.contact_add(actor=None, customer=person, kind="wechat", value=f"added_{person.pk}")
    for person in rng.sample(people, 5):
        contact = person.contacts.first()
        if contact is not None:
            services.contact_remove(actor=None, contact=contact)
    org = orgs[0]
    services.customer_update(
        actor=None, customer=org, expected_version=org.version, changes={"name": "深圳新华信集团"}
    )
    kept, merged = rng.sample(people, 2)
    services.customer_merge(actor=None, kept=kept, merged=merged)
    rows = ["姓名,手机,邮箱,公司"]
    for i in range(30):
        rows.append(
            f"{_name(rng)},139{i:08d},imported{i}@qq.com,{rng.choice([*ORGS, '新公司 New Co'])}"
        )
    result, _n, _mapping = run_import(
        kind="customers", stream=io.BytesIO("\n".join(rows).encode()), name="c.csv"
    )
    assert result.written and not result.errors
    return people


def _haystacks() -> dict[int, str]:
    """The reference: what each active customer's search text must contain, from its fields."""
    stacks = {}
    for c in Customer.objects.active().select_related("organization").prefetch_related("contacts"):
        parts = [c.number, c.name, c.organization.name if c.organization else ""]
        for contact in c.contacts.all():
            parts.append(contact.normalized)
            if contact.normalized.startswith("+"):
                parts.append(search_digits(contact.normalized))
        stacks[c.pk] = " ".join(p.strip().lower() for p in parts if p.strip())
    return stacks


def _queries(rng: random.Random, stacks: dict[int, str], count: int) -> list[str]:
    texts = list(stacks.values())
    queries = [
        "李",
        "张伟",
        "王芳",
        "欧阳",
        "蓝天",
        "华信",
        "1234",
        "139000",
        "qq.com",
        "emma",
        "li",
        "C-0000",
        "wx_",
        "不存在",
        "99999999",
        "acme trading",
        "蓝天 1380",
        "wei 张",
    ]
    while len(queries) < count:
        words = rng.choice(texts).split()
        word = rng.choice(words)
        length = rng.randint(1, min(len(word), 12))
        start = rng.randint(0, len(word) - length)
        term = word[start : start + length]
        if rng.random() < 0.15:
            term = term.upper()
        if rng.random() < 0.2:
            other = rng.choice(rng.choice(texts).split())
            term = f"{term} {other[: rng.randint(1, len(other))]}"
        if rng.random() < 0.05:
            term += "#"  # matches nothing
        queries.append(term)
    return queries


@pytest.mark.django_db
def test_indexed_search_equals_brute_force_reference():
    rng = random.Random(20261202)
    _build(rng, 160)
    stacks = _haystacks()
    for pk, text in Customer.objects.active().values_list("pk", "search_text"):
        assert sorted(text.split()) == sorted(stacks[pk].split())  # order does not matter
    for text, tokens in Customer.objects.values_list("search_text", "search_tokens"):
        assert tokens == search_index.search_tokens(text)
    checked = 0
    for q in _queries(rng, stacks, 400):
        terms = selectors.search_terms(q)
        expected = {pk for pk, text in stacks.items() if all(t in text for t in terms)}
        got = set(selectors.customer_search(q).values_list("pk", flat=True))
        assert got == expected, q
        checked += bool(expected)
    assert checked > 300  # most queries find someone: the comparison is not vacuous


@pytest.mark.django_db
def test_list_filters_combine_with_the_indexed_search():
    rng = random.Random(7)
    _build(rng, 40)
    org = Customer.objects.get(name="上海蓝天贸易")
    expected = set(org.people.values_list("pk", flat=True))
    got = set(
        selectors.customer_list(q="蓝天", organization_id=org.pk).values_list("pk", flat=True)
    )
    assert got == expected and got


@pytest.mark.django_db
def test_rebuild_command_restores_the_index():
    zhang = services.customer_create(actor=None, name="张伟", contacts=[("mobile", "13812345678")])
    Customer.objects.filter(pk=zhang.pk).update(search_tokens="")
    assert not selectors.customer_search("张伟").exists()  # the index is what finds him
    out = io.StringIO()
    call_command("customers_search", "rebuild", stdout=out)
    assert "1 customers had stale tokens" in out.getvalue()
    assert list(selectors.customer_search("张伟")) == [zhang]
    assert list(selectors.customer_search("5678")) == [zhang]


@pytest.mark.django_db
def test_deleted_customers_leave_the_index():
    zhang = services.customer_create(actor=None, name="张伟")
    services.customer_delete(actor=None, customer=zhang)
    services.customer_create(actor=None, name="李娜")
    assert not selectors.customer_search("张伟").exists()
    assert selectors.customer_search("李娜").count() == 1


def test_exact_terms():
    assert all(search_index.term_is_exact(t) for t in ["李", "张伟", "1234", "wei", "WEI"])
    assert not any(
        search_index.term_is_exact(t)
        for t in ["张伟明", "123", "12345", "we", "wei.", "c-1", "张w"]
    )


@pytest.mark.django_db
def test_broad_terms_use_the_index_condition_and_stay_exact(monkeypatch):
    """On PostgreSQL more than CANDIDATE_LIMIT candidates switch to the GIN condition."""
    monkeypatch.setattr(search_index, "CANDIDATE_LIMIT", 2)
    rng = random.Random(99)
    _build(rng, 40)
    stacks = _haystacks()
    for q in _queries(rng, stacks, 120):
        terms = selectors.search_terms(q)
        expected = {pk for pk, text in stacks.items() if all(t in text for t in terms)}
        assert set(selectors.customer_search(q).values_list("pk", flat=True)) == expected, q
