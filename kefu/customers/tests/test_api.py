import pytest

from kefu.customers.models import Customer, MergeRecord, Purchase
from kefu.customers.tests.factories import make_customer, make_purchase

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers"


def create(client, **body):
    body.setdefault("name", "张伟")
    return client.post(URL, body, content_type="application/json")


def test_crud_and_optimistic_locking(api_client):
    client, _user = api_client("agent")
    response = create(
        client, contacts=[{"kind": "mobile", "value": "13812341234"}], tags=["回头客"]
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("C-") and body["version"] == 1
    assert body["tags"] == ["回头客"]
    url = f"{URL}/{body['id']}"
    assert client.get(url).json()["name"] == "张伟"
    patched = client.patch(url, {"version": 1, "region": "上海"}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = client.patch(url, {"version": 1, "region": "北京"}, content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_version"
    assert Customer.objects.get(pk=body["id"]).region == "上海"
    assert client.delete(url).status_code == 403  # agents may not delete


def test_validation_errors_name_the_field(api_client):
    client, _user = api_client("agent")
    response = create(client, contacts=[{"kind": "email", "value": "not-an-email"}])
    assert response.status_code == 422
    assert "contacts.0" in response.json()["error"]["fields"]


def test_customer_role_gets_403(api_client):
    make_customer()
    client, _user = api_client("customer")
    assert client.get(URL).status_code == 403
    assert create(client).status_code == 403
    assert client.get("/api/v1/purchases").status_code == 403


def test_list_search_filters_and_paging(api_client):
    client, _user = api_client("agent")
    for i in range(5):
        make_customer(f"王芳{i}", contacts=[("mobile", f"1390000{i:04d}")])
    make_customer("Emma Clarke", tier="A")
    body = client.get(URL, {"q": "王芳", "limit": 2}).json()
    assert body["count"] == 5 and len(body["items"]) == 2
    assert client.get(URL, {"q": "00003"}).json()["items"][0]["name"] == "王芳3"
    assert [c["name"] for c in client.get(URL, {"tier": "A"}).json()["items"]] == ["Emma Clarke"]


def test_pii_is_masked_without_view_pii(api_client):
    customer = make_customer(contacts=[("mobile", "13812341234"), ("email", "zhang@example.com")])
    agent, _ = api_client("agent")
    contacts = {c["kind"]: c for c in agent.get(f"{URL}/{customer.pk}").json()["contacts"]}
    assert contacts["mobile"]["value"] == "138****1234"
    assert contacts["mobile"]["normalized"] == "138****1234"
    assert contacts["email"]["value"] == "z***@example.com"
    supervisor, _ = api_client("supervisor")
    contacts = {c["kind"]: c for c in supervisor.get(f"{URL}/{customer.pk}").json()["contacts"]}
    assert contacts["mobile"]["value"] == "13812341234"


def test_list_query_count_is_constant(api_client, django_assert_max_num_queries):
    client, _user = api_client("agent")
    for i in range(3):
        make_customer(f"c{i}", contacts=[("email", f"c{i}@example.com")], tags=["t"])
    client.get(URL)  # warm caches (content types, permissions)
    with django_assert_max_num_queries(10) as few:
        client.get(URL)
    for i in range(20):
        make_customer(f"d{i}", contacts=[("email", f"d{i}@example.com")], tags=["t", "u"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert response.json()["count"] == 23


def test_contacts_timeline_credit_and_notes(api_client):
    client, _user = api_client("supervisor")
    customer = make_customer()
    make_purchase(customer, product="手机")
    base = f"{URL}/{customer.pk}"
    added = client.post(
        f"{base}/contacts", {"kind": "wechat", "value": "zw_2024"}, content_type="application/json"
    )
    assert added.status_code == 201
    assert client.delete(f"{base}/contacts/{added.json()['id']}").status_code == 204
    scores = dict(character=5, capacity=5, capital=4, collateral=4, condition=4, continuity=4)
    rated = client.post(f"{base}/credit-ratings", scores, content_type="application/json")
    assert rated.status_code == 201 and rated.json()["grade"] == "A"
    assert len(client.get(f"{base}/credit-ratings").json()) == 1
    note = client.post(f"{base}/notes", {"body": "hi"}, content_type="application/json")
    assert note.status_code == 201
    timeline = client.get(f"{base}/timeline").json()
    assert {row["kind"] for row in timeline} >= {"purchase", "credit", "note"}
    only = client.get(f"{base}/timeline", {"kinds": "purchase"}).json()
    assert [row["kind"] for row in only] == ["purchase"]


def test_merge_and_undo(api_client):
    client, _user = api_client("supervisor")
    kept = make_customer(contacts=[("mobile", "13812341234")])
    dup = make_customer("张伟 ", contacts=[("mobile", "+86 138 1234 1234")])
    make_purchase(dup)
    assert client.get(f"{URL}/{kept.pk}/duplicates").json()[0]["customer_id"] == dup.pk
    preview = client.get(f"{URL}/{kept.pk}/merge-preview", {"other_id": dup.pk}).json()
    assert preview["purchases"] == 1
    merged = client.post(
        f"{URL}/{kept.pk}/merge", {"other_id": dup.pk}, content_type="application/json"
    )
    assert merged.status_code == 201, merged.content
    assert Purchase.objects.get().customer_id == kept.pk
    assert client.get(f"{URL}/{dup.pk}").status_code == 404
    undo = client.post(f"{URL}/merges/{merged.json()['id']}/undo")
    assert undo.status_code == 200 and undo.json()["undone_at"]
    assert Purchase.objects.get().customer_id == dup.pk
    agent, _ = api_client("agent")
    forbidden = agent.post(
        f"{URL}/{kept.pk}/merge", {"other_id": dup.pk}, content_type="application/json"
    )
    assert forbidden.status_code == 403
    assert MergeRecord.objects.count() == 1


def test_purchases_crud_and_bulk(api_client):
    client, _user = api_client("supervisor")
    customer = make_customer()
    body = {
        "customer_id": customer.pk,
        "external_id": "A1",
        "ordered_at": "2025-05-01T10:00:00+08:00",
        "amount": "199.00",
    }
    created = client.post("/api/v1/purchases", body, content_type="application/json")
    assert created.status_code == 201
    pid = created.json()["id"]
    again = client.post("/api/v1/purchases", body, content_type="application/json")
    assert again.json()["id"] == pid
    patched = client.patch(
        f"/api/v1/purchases/{pid}", {"amount": "150"}, content_type="application/json"
    )
    assert patched.json()["amount"] == "150.00"
    rows = [
        {
            "customer_number": customer.number,
            "external_id": "B1",
            "ordered_at": "2025-01-02",
            "amount": "10",
        },
        {
            "customer_number": customer.number,
            "external_id": "B2",
            "ordered_at": "bad",
            "amount": "10",
        },
    ]
    bad = client.post("/api/v1/purchases/bulk", {"rows": rows}, content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["errors"][0]["column"] == "ordered_at"
    assert Purchase.objects.count() == 1
    ok = client.post(
        "/api/v1/purchases/bulk",
        {"rows": rows, "mode": "valid_only"},
        content_type="application/json",
    ).json()
    assert (ok["created"], len(ok["errors"])) == (1, 1)
    listed = client.get("/api/v1/purchases", {"customer_id": customer.pk}).json()
    assert listed["count"] == 2
    assert client.delete(f"/api/v1/purchases/{pid}").status_code == 204
    agent, _ = api_client("agent")
    assert (
        agent.post(
            "/api/v1/purchases/bulk", {"rows": rows}, content_type="application/json"
        ).status_code
        == 403
    )


def test_organizations(api_client):
    client, _user = api_client("agent")
    org = make_customer("华信电子", kind="organization")
    make_customer("李娜", organization=org)
    items = client.get("/api/v1/organizations").json()["items"]
    assert [(o["name"], o["people_count"]) for o in items] == [("华信电子", 1)]


def test_import_upload_and_error_report(api_client):
    client, _user = api_client("supervisor")
    data = "name,mobile\n张伟,13812341234\n王芳,12\n".encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("c.csv", data, content_type="text/csv")
    response = client.post("/api/v1/imports", {"file": upload, "kind": "customers"})
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["status"] == "failed" and job["error_count"] == 1
    assert Customer.objects.count() == 0
    report = client.get(f"/api/v1/imports/{job['id']}/errors.csv")
    text = b"".join(report.streaming_content if report.streaming else [report.content]).decode()
    assert "3,mobile," in text
    agent, _ = api_client("agent")
    upload = SimpleUploadedFile("c.csv", data, content_type="text/csv")
    assert agent.post("/api/v1/imports", {"file": upload, "kind": "customers"}).status_code == 403


def test_export_neutralises_formulas(api_client):
    client, _user = api_client("supervisor")
    make_customer('=HYPERLINK("http://evil")', contacts=[("mobile", "13812341234")])
    response = client.get(f"{URL}/export")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "13812341234" in text  # supervisors see PII
    xlsx = client.get(f"{URL}/export", {"format": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    agent, _ = api_client("agent")
    assert agent.get(f"{URL}/export").status_code == 403
