import pytest
from django.test import Client
from django.urls import reverse

from kefu.knowledge.models import Article, ArticleFeedback, ArticleUse, Deflection
from kefu.knowledge.tests.factories import load_corpus, make_article
from kefu.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff(make_user):
    return make_user("supervisor")


def test_list_search_and_categories(staff):
    load_corpus()
    client = login(staff)
    page = client.get(reverse("knowledge:list"))
    assert page.status_code == 200 and "退货政策" in page.content.decode()
    found = client.get(reverse("knowledge:list"), {"q": "退货"}).content.decode()
    assert "<mark>退货</mark>" in found and "如何退货" not in found.split("<mark>")[0][-50:]


def test_list_query_count_is_constant(staff, django_assert_max_num_queries):
    client = login(staff)
    make_article("一")
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("knowledge:list"))
    for i in range(20):
        make_article(f"文章 {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("knowledge:list"))


def test_create_edit_versions_restore_pages(staff):
    client = login(staff)
    response = client.post(
        reverse("knowledge:create"),
        {
            "title": "以旧换新",
            "body_html": "<p>旧机抵扣</p>",
            "language": "zh-hans",
            "visibility": "public",
        },
    )
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{article.pk}/")
    assert client.get(reverse("knowledge:detail", args=[article.pk])).status_code == 200
    client.post(
        reverse("knowledge:edit", args=[article.pk]),
        {
            "title": "以旧换新",
            "body_html": "<p>旧机最高抵扣五百元</p>",
            "language": "zh-hans",
            "visibility": "public",
            "version": article.version,
        },
    )
    versions = client.get(reverse("knowledge:versions", args=[article.pk])).content.decode()
    assert "kb-diff-add" in versions and "旧机最高抵扣五百元" in versions
    article.refresh_from_db()
    client.post(reverse("knowledge:restore", args=[article.pk, 1]), {"version": article.version})
    article.refresh_from_db()
    assert article.body_html == "<p>旧机抵扣</p>" and article.revision == 3
    stale = client.post(
        reverse("knowledge:edit", args=[article.pk]),
        {
            "title": "x",
            "body_html": "",
            "language": "zh-hans",
            "visibility": "public",
            "version": 1,
        },
    )
    assert stale.status_code == 200 and stale.context["form"].non_field_errors()


def test_editor_form_names_bad_fields(staff):
    response = login(staff).post(reverse("knowledge:create"), {"title": "", "language": "fr"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"title", "language"}
    assert not Article.objects.exists()


def test_review_queue_synonyms_and_problem_pages(staff):
    from kefu.tickets.services.relations import problem_create

    client = login(staff)
    assert client.get(reverse("knowledge:review")).status_code == 200
    client.post(reverse("knowledge:synonyms"), {"words": "退款, 退钱"})
    assert "退钱" in client.get(reverse("knowledge:synonyms")).content.decode()
    problem = problem_create(
        actor=staff, title="屏幕漏光", tickets=[make_ticket(staff)], workaround="调低亮度"
    )
    listing = client.get(reverse("knowledge:problems")).content.decode()
    assert "屏幕漏光" in listing
    detail = client.get(reverse("knowledge:problem-detail", args=[problem.pk]))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "problem-trend-data" in html and "vendor/plotly.min.js" in html
    published = client.post(
        reverse("knowledge:problem-publish", args=[problem.pk]),
        {"language": "zh-hans", "visibility": "public"},
    )
    assert published.status_code == 302 and Article.objects.filter(problem=problem).exists()


def test_agent_cannot_open_synonym_admin_post(make_user):
    client = login(make_user("agent"))
    assert client.post(reverse("knowledge:synonyms"), {"words": "a, b"}).status_code == 403


def test_customer_portal_pages(customer_user):
    corpus = load_corpus()
    internal = corpus["zh_internal_refund_limit"]
    client = login(customer_user)
    home = client.get(reverse("knowledge:kb"), {"q": "退款"}).content.decode()
    assert "退款多久到账" in home.replace("<mark>", "").replace("</mark>", "")
    assert "内部" not in home
    assert client.get(reverse("knowledge:kb-article", args=[internal.pk])).status_code == 404
    public = corpus["zh_refund_time"]
    assert client.get(reverse("knowledge:kb-article", args=[public.pk])).status_code == 200
    assert Deflection.objects.filter(user=customer_user, article=public).count() == 1
    client.post(reverse("knowledge:kb-feedback", args=[public.pk]), {"helpful": "yes"})
    assert ArticleFeedback.objects.get(article=public).helpful is True
    # the staff pages stay closed to customers
    assert client.get(reverse("knowledge:list")).status_code == 403
    assert client.get(reverse("knowledge:detail", args=[internal.pk])).status_code == 403
    assert client.get(reverse("knowledge:problems")).status_code == 403


def test_customer_cannot_download_internal_attachment(customer_user, staff):
    from kefu.knowledge import services

    internal = make_article(visibility="internal")
    attachment = services.attachment_add(
        actor=staff,
        article=internal,
        upload=services.Upload("a.pdf", "application/pdf", b"%PDF-1.4 test"),
    )
    url = reverse("knowledge:attachment", args=[attachment.pk])
    assert login(customer_user).get(url).status_code == 404
    assert login(staff).get(url).status_code == 200


def test_ticket_suggestion_panel_and_use(make_user):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from kefu.knowledge import selectors

    agent = make_user("agent")
    ticket = make_ticket(agent, subject="手机无法充电")
    article = make_article("手机无法充电怎么办", "<p>更换充电线</p>")
    request = RequestFactory().get(f"/tickets/{ticket.pk}/")
    request.user = agent
    html = render_to_string(
        "knowledge/_ticket_suggestions.html",
        {"ticket": ticket, "suggestions": selectors.suggest_articles(ticket)},
        request=request,
    )
    assert "<mark>充电</mark>怎么办" in html and "Insert link" in html
    response = login(agent).post(
        reverse("knowledge:ticket-use", args=[ticket.pk]),
        {"article": article.pk, "kind": "text", "next": f"/tickets/{ticket.pk}/"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.pk}/?kb_article={article.pk}&kb_insert=text"
    assert ArticleUse.objects.filter(ticket=ticket, kind="text").exists()
    evil = login(agent).post(
        reverse("knowledge:ticket-use", args=[ticket.pk]),
        {"article": article.pk, "kind": "solved", "next": "https://evil.example/"},
    )
    assert evil["Location"] == "/"
