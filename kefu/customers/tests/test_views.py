import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kefu.customers import services
from kefu.customers.models import Customer, ImportJob, MergeRecord
from kefu.customers.tests.factories import make_customer, make_purchase

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(make_user):
    def login(role="agent"):
        client = Client(headers={"Accept-Language": "en"})
        user = make_user(role)
        client.force_login(user)
        return client

    return login


def test_list_search_badges_and_masking(browser):
    make_customer("张伟", tier="A", contacts=[("mobile", "13812341234")])
    make_customer("王芳")
    page = browser("agent").get(reverse("customers:list"), {"q": "1234"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "张伟" in html and "王芳" not in html
    assert "138****1234" in html and "13812341234" not in html
    assert "Tier A" in html
    supervisor_html = browser("supervisor").get(reverse("customers:list")).content.decode()
    assert "13812341234" in supervisor_html


def test_empty_state(browser):
    html = browser().get(reverse("customers:list"), {"q": "nobody"}).content.decode()
    assert "No customer matches" in html


def test_customer_role_is_refused(browser):
    customer = make_customer()
    client = browser("customer")
    assert client.get(reverse("customers:list")).status_code == 403
    assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 403


def test_360_page_shows_everything_with_constant_queries(browser, django_assert_max_num_queries):
    org = make_customer("华信电子", kind="organization")
    customer = make_customer(
        "张伟", organization=org, contacts=[("email", "zw@example.com")], tags=["回头客"]
    )
    make_purchase(customer, amount="1999.00", product="手机")
    client = browser("agent")
    url = reverse("customers:detail", args=[customer.pk])
    html = client.get(url).content.decode()
    for text in (
        "张伟",
        customer.number,
        "华信电子",
        "回头客",
        "z***@example.com",
        "手机",
        "1,999.00",
    ):
        assert text in html
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for i in range(25):
        make_purchase(customer, days_ago=i + 2)
        services.note_add(actor=None, customer=customer, body=f"n{i}")
        services.contact_add(actor=None, customer=customer, kind="email", value=f"a{i}@x.com")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_list_page_query_count(browser, django_assert_max_num_queries):
    client = browser("agent")
    make_customer("a", contacts=[("email", "a@x.com")], tags=["t"])
    client.get(reverse("customers:list"))
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("customers:list"))
    for i in range(30):
        make_customer(f"c{i}", contacts=[("email", f"c{i}@x.com")], tags=["t", "u"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("customers:list"))


def test_create_and_edit_with_stale_version(browser):
    client = browser("agent")
    response = client.post(
        reverse("customers:create"),
        {"kind": "person", "name": "赵磊", "mobile": "13700000000", "tags": "新客户, 线上"},
    )
    customer = Customer.objects.get(name="赵磊")
    assert response.status_code == 302
    assert customer.contacts.get().normalized == "+8613700000000"
    bad = client.post(reverse("customers:create"), {"kind": "person", "name": "x", "mobile": "1"})
    assert "field-error" in bad.content.decode()
    edit = reverse("customers:edit", args=[customer.pk])
    ok = client.post(edit, {"version": 1, "kind": "person", "name": "赵磊磊", "tags": "线上"})
    assert ok.status_code == 302
    stale = client.post(edit, {"version": 1, "kind": "person", "name": "赵三", "tags": ""})
    assert "changed by someone else" in stale.content.decode()
    assert Customer.objects.get(pk=customer.pk).name == "赵磊磊"


def test_contact_and_note_forms(browser):
    customer = make_customer()
    client = browser("agent")
    client.post(
        reverse("customers:contact-add", args=[customer.pk]), {"kind": "wechat", "value": "zw_1"}
    )
    client.post(reverse("customers:note-add", args=[customer.pk]), {"body": "Prefers WeChat"})
    assert customer.contacts.get().normalized == "zw_1"
    assert customer.customer_notes.get().body == "Prefers WeChat"
    contact = customer.contacts.get()
    client.post(reverse("customers:contact-remove", args=[customer.pk, contact.pk]))
    assert customer.contacts.count() == 0


def test_credit_form_shows_the_grade(browser):
    customer = make_customer()
    client = browser("supervisor")
    url = reverse("customers:credit", args=[customer.pk])
    assert "Character" in client.get(url).content.decode()
    scores = dict(character=5, capacity=5, capital=5, collateral=4, condition=4, continuity=4)
    response = client.post(url, scores, follow=True)
    assert "Credit grade A" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).credit_grade == "A"
    assert browser("agent").get(url).status_code == 403


def test_merge_flow_and_undo(browser):
    kept = make_customer("张伟", contacts=[("mobile", "13812341234")])
    dup = make_customer("张伟", contacts=[("mobile", "+8613812341234")])
    make_purchase(dup)
    client = browser("supervisor")
    url = reverse("customers:merge", args=[kept.pk])
    assert dup.number in client.get(url).content.decode()  # suggested duplicate
    preview = client.get(url, {"other": dup.pk}).content.decode()
    assert "purchases" in preview.lower()
    response = client.post(url, {"other": dup.pk})
    record = MergeRecord.objects.get()
    assert response.status_code == 302
    assert kept.purchases.count() == 1
    client.post(reverse("customers:merge-undo", args=[record.pk]))
    assert dup.purchases.count() == 1
    assert browser("agent").get(url).status_code == 403


def test_import_screens(browser, django_capture_on_commit_callbacks):
    client = browser("supervisor")
    data = "姓名,手机\n张伟,13812341234\n王芳,12\n".encode("gb18030")
    upload = SimpleUploadedFile("c.csv", data, content_type="text/csv")
    response = client.post(
        reverse("customers:import"), {"kind": "customers", "mode": "valid_only", "file": upload}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == "checked"
    assert Customer.objects.count() == 0
    detail = client.get(reverse("customers:import-detail", args=[job.pk])).content.decode()
    assert "Import now" in detail and "mobile" in detail
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(
            reverse("customers:import-run", args=[job.pk]),
            {"action": "import", "mode": "valid_only", "map:姓名": "name", "map:手机": "mobile"},
        )
    job.refresh_from_db()
    assert job.status == "pending" and len(queued) == 1  # queued as a background task
    waiting = client.get(reverse("customers:import-detail", args=[job.pk])).content.decode()
    assert 'http-equiv="refresh"' in waiting and "<progress" in waiting
    for callback in queued:
        callback()
    job.refresh_from_db()
    assert (job.status, job.created_count, job.error_count) == ("done", 1, 1)
    assert Customer.objects.get().name == "张伟"
    report = client.get(reverse("customers:import-errors", args=[job.pk])).content.decode()
    assert "3,mobile" in report


def test_export_view(browser):
    make_customer("@SUM(1)", contacts=[("mobile", "13812341234")])
    response = browser("supervisor").get(reverse("customers:export"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'@SUM(1)" in text
    masked = browser("manager").get(reverse("customers:export"), {"format": "xlsx"})
    assert masked.status_code == 200
    assert browser("agent").get(reverse("customers:export")).status_code == 403


def test_a_broad_search_shows_a_capped_count(browser, monkeypatch):
    from kefu.customers import selectors

    for name in ("张伟", "张伟明", "张伟华"):
        make_customer(name)
    make_customer("王芳")
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 2)
    html = browser().get(reverse("customers:list"), {"q": "张伟"}).content.decode()
    assert "More than 2 customers" in html and "张伟华" in html and "王芳" not in html
    html = browser().get(reverse("customers:list"), {"q": "伟明"}).content.decode()
    assert "1 customer" in html and "More than" not in html
