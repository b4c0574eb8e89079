"""The home page's work counts and the top bar's search, scoped to what the user may see."""

import pytest
from django.test import Client
from django.urls import reverse

from kefu.customers.tests.factories import make_customer
from kefu.tickets.tests.factories import make_team, make_ticket

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_search_finds_customers_by_chinese_name_and_phone_fragment(make_user):
    agent = make_user("agent")
    zhang = make_customer("张伟", contacts=[("mobile", "13812341234")])
    make_customer("李娜", contacts=[("mobile", "13998765432")])
    page = _client(agent).get(reverse("core:search"), {"q": "张伟"}).content.decode()
    assert reverse("customers:detail", args=[zhang.pk]) in page and "李娜" not in page
    by_phone = _client(agent).get(reverse("core:search"), {"q": "1234"}).content.decode()
    assert "张伟" in by_phone and "李娜" not in by_phone


def test_search_shows_only_tickets_the_user_may_see(make_user):
    insider, outsider = make_user("agent"), make_user("agent")
    team = make_team(members=[insider])
    ticket = make_ticket(insider, team=team, customer=make_customer("王芳"), subject="退货申请")
    url = reverse("tickets:detail", args=[ticket.pk])
    assert url in _client(insider).get(reverse("core:search"), {"q": "退货"}).content.decode()
    hidden = _client(outsider).get(reverse("core:search"), {"q": "退货"}).content.decode()
    assert url not in hidden and ticket.public_id not in hidden


def test_search_without_a_query_shows_the_form_only(make_user):
    response = _client(make_user("agent")).get(reverse("core:search"))
    assert response.status_code == 200 and response.context["results"] is None


def test_search_is_for_staff_only(make_user):
    assert _client(make_user("customer")).get(reverse("core:search"), {"q": "x"}).status_code == 403


def test_home_counts_my_open_and_unassigned_tickets(make_user):
    agent = make_user("agent")
    make_ticket(agent, assignee=agent)
    make_ticket(agent, assignee=agent)
    make_ticket(agent)
    work = {item["key"]: item["count"] for item in _client(agent).get("/").context["work"]}
    assert work["mine"] == 2 and work["unassigned"] == 1 and work["breached"] == 0


def test_home_query_count_does_not_grow_with_tickets(make_user, django_assert_max_num_queries):
    agent = make_user("agent")
    client = _client(agent)
    make_ticket(agent, assignee=agent)
    with django_assert_max_num_queries(30) as few:
        client.get("/")
    for _ in range(5):
        make_ticket(agent, assignee=agent)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/")


def test_customers_are_sent_to_the_portal(make_user):
    response = _client(make_user("customer")).get("/")
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")


def test_anonymous_portal_visitors_get_the_portal_sign_in():
    response = Client().get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    staff = Client().get(reverse("customers:list"))
    assert staff["Location"].startswith("/accounts/login/")


def test_search_finds_knowledge_articles_with_highlighting(make_user):
    from kefu.knowledge.tests.factories import make_article

    article = make_article(title="退货政策", body="七天无理由退货", state="published")
    page = _client(make_user("agent")).get(reverse("core:search"), {"q": "退货"})
    html = page.content.decode()
    assert reverse("knowledge:detail", args=[article.pk]) in html and "<mark>退货</mark>" in html
