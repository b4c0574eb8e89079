import pytest

from kefu.knowledge.models import Article
from kefu.knowledge.tests.factories import load_corpus, make_article
from kefu.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/articles"
JSON = "application/json"


def test_crud_versions_restore_publish(api_client):
    client, _user = api_client("supervisor")
    created = client.post(
        URL, {"title": "保修政策", "body_html": "<p>一年</p>", "visibility": "public"}, JSON
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "draft" and body["revision"] == 1
    url = f"{URL}/{body['id']}"
    patched = client.patch(url, {"version": 1, "body_html": "<p>两年</p>"}, JSON)
    assert patched.status_code == 200 and patched.json()["revision"] == 2
    stale = client.patch(url, {"version": 1, "title": "x"}, JSON)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
    versions = client.get(f"{url}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert client.get(f"{url}/versions/1").json()["body_html"] == "<p>一年</p>"
    second = client.get(f"{url}/versions/2").json()
    assert second["against"] == 1
    assert [(d["op"], d["text"]) for d in second["diff"] if d["op"] in "+-"] == [
        ("-", "一年"),
        ("+", "两年"),
    ]
    first = client.get(f"{url}/versions/1").json()
    assert (first["against"], first["diff"]) == (None, [])
    backwards = client.get(f"{url}/versions/1?against=2").json()
    assert [(d["op"], d["text"]) for d in backwards["diff"] if d["op"] in "+-"] == [
        ("-", "两年"),
        ("+", "一年"),
    ]
    missing = client.get(f"{url}/versions/2?against=9")
    assert missing.status_code == 422 and "against" in missing.json()["error"]["fields"]
    restored = client.post(f"{url}/restore", {"version": 2, "number": 1}, JSON)
    assert restored.status_code == 200 and restored.json()["body_html"] == "<p>一年</p>"
    published = client.post(f"{url}/publish", {"version": 3}, JSON)
    assert published.status_code == 200 and published.json()["state"] == "published"
    assert client.delete(url).status_code == 204
    assert not Article.objects.exists()


def test_validation_names_the_field(api_client):
    client, _user = api_client("agent")
    response = client.post(URL, {"title": "", "language": "fr"}, JSON)
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert "title" in fields and "language" in fields
    response = client.post(URL, {"title": "x", "category_id": 999}, JSON)
    assert response.status_code == 422 and "category_id" in response.json()["error"]["fields"]


def test_agent_cannot_publish(api_client):
    client, _user = api_client("agent")
    body = client.post(URL, {"title": "配送"}, JSON).json()
    response = client.post(f"{URL}/{body['id']}/publish", {"version": 1}, JSON)
    assert response.status_code == 403


def test_search_endpoint(api_client):
    load_corpus()
    client, _user = api_client("agent")
    response = client.get(URL + "/search", {"q": "退货"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2
    assert body["items"][0]["article"]["title"] == "如何退货"
    assert "<mark>退货</mark>" in body["items"][0]["title_html"]


def test_customers_never_see_internal_articles(api_client):
    corpus = load_corpus()
    internal = corpus["zh_internal_refund_limit"]
    draft = make_article("草稿", visibility="public", state="draft")
    client, _user = api_client("customer")
    listed = {a["id"] for a in client.get(URL, {"limit": 200}).json()["items"]}
    assert internal.pk not in listed and draft.pk not in listed
    assert corpus["zh_refund_time"].pk in listed
    assert client.get(f"{URL}/{internal.pk}").status_code == 404
    assert client.get(f"{URL}/{draft.pk}").status_code == 404
    found = client.get(URL + "/search", {"q": "退款审批 内部", "include_unpublished": "true"})
    assert internal.pk not in {h["article"]["id"] for h in found.json()["items"]}
    assert client.get(f"{URL}/{internal.pk}/versions").status_code == 403
    assert client.post(URL, {"title": "x"}, JSON).status_code == 403
    feedback = client.post(f"{URL}/{internal.pk}/feedback", {"helpful": True}, JSON)
    assert feedback.status_code == 404
    ok = client.post(f"{URL}/{corpus['zh_refund_time'].pk}/feedback", {"helpful": True}, JSON)
    assert ok.status_code == 201


def test_ticket_suggestions_and_use(api_client):
    client, user = api_client("agent")
    ticket = make_ticket(user, subject="手机无法充电")
    article = make_article("手机无法充电怎么办", "<p>更换充电线</p>")
    response = client.get(f"/api/v1/tickets/{ticket.pk}/suggestions")
    assert response.status_code == 200, response.content
    items = response.json()
    assert items[0]["article"]["id"] == article.pk and items[0]["used"] == ["suggested"]
    used = client.post(f"{URL}/{article.pk}/uses", {"ticket_id": ticket.pk, "kind": "solved"}, JSON)
    assert used.status_code == 201
    again = client.get(f"/api/v1/tickets/{ticket.pk}/suggestions").json()
    assert again[0]["used"] == ["solved", "suggested"]
    customer, _c = api_client("customer")
    assert customer.get(f"/api/v1/tickets/{ticket.pk}/suggestions").status_code == 403


def test_problem_endpoints(api_client):
    from kefu.tickets.services.relations import problem_create

    client, user = api_client("supervisor")
    problem = problem_create(
        actor=user,
        title="充电器批次发热",
        tickets=[make_ticket(user)],
        workaround="暂停使用该批次充电器",
    )
    listed = client.get("/api/v1/knowledge/problems").json()
    assert listed["items"][0]["ticket_count"] == 1
    detail = client.get(f"/api/v1/knowledge/problems/{problem.pk}").json()
    assert sum(w["tickets"] for w in detail["trend"]) == 1
    published = client.post(
        f"/api/v1/knowledge/problems/{problem.pk}/publish-workaround", {"language": "zh-hans"}, JSON
    )
    assert published.status_code == 201 and published.json()["problem_id"] == problem.pk
    customer, _c = api_client("customer")
    assert customer.get("/api/v1/knowledge/problems").status_code == 403


def test_synonyms_and_deflection_endpoints(api_client):
    client, _user = api_client("supervisor")
    created = client.post("/api/v1/knowledge/synonyms", {"words": "退款, 退钱"}, JSON)
    assert created.status_code == 201
    bad = client.post("/api/v1/knowledge/synonyms", {"words": "退款"}, JSON)
    assert bad.status_code == 422 and "words" in bad.json()["error"]["fields"]
    assert client.get("/api/v1/knowledge/deflection").json()["reads"] == 0
    agent, _a = api_client("agent")
    assert agent.post("/api/v1/knowledge/synonyms", {"words": "a, b"}, JSON).status_code == 403


def test_list_query_count_is_constant(api_client, django_assert_max_num_queries):
    client, _user = api_client("agent")
    make_article("一")
    with django_assert_max_num_queries(12) as few:
        client.get(URL)
    for i in range(15):
        make_article(f"文章 {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL).json()["count"] == 16


def test_search_query_count_is_constant(api_client, django_assert_max_num_queries):
    load_corpus()
    client, _user = api_client("agent")
    with django_assert_max_num_queries(14) as few:
        client.get(URL + "/search", {"q": "退货"})
    for i in range(10):
        make_article(f"退货问题 {i}", "<p>退货</p>")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL + "/search", {"q": "退货"}).json()["total"] == 12
