"""The category and urgency suggestion (M23) in the app: training on closed tickets, storage,
the per-process cache, the command, the weekly task, the pages and the API, permissions."""

import datetime as dt
import itertools

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kefu.core.errors import ValidationFailed
from kefu.tickets import selectors, services
from kefu.tickets.classifier import TextClassifier
from kefu.tickets.models import Category, Ticket, TrainedClassifier
from kefu.tickets.tasks import retrain_classifiers
from kefu.tickets.tests.factories import make_customer, make_ticket
from kefu.tickets.tests.test_classifier import FRAMES, KEY_PHRASES

pytestmark = pytest.mark.django_db

# Two categories and two priorities: delivery trouble is urgent, billing questions are normal.
LABELS = {"delivery": "urgent", "billing": "normal"}


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="boss")


@pytest.fixture
def agent(make_user):
    return make_user("agent", username="lina")


@pytest.fixture
def categories():
    return {name: Category.objects.create(name=name) for name in LABELS}


def closed_tickets(actor, categories, per_label: int = 15) -> None:
    """`per_label` solved tickets per category, labelled with category and priority."""
    customer = make_customer()
    for label, priority in LABELS.items():
        phrases = [
            frame.format(phrase)
            for language in ("zh", "en")
            for phrase, frame in itertools.product(KEY_PHRASES[label][language], FRAMES[language])
        ]
        for text in phrases[:: len(phrases) // per_label][:per_label]:  # both languages
            ticket = make_ticket(
                actor,
                customer=customer,
                subject=text,
                category=categories[label],
                priority=priority,
            )
            Ticket.objects.filter(pk=ticket.pk).update(status="solved")


def login(user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def test_training_stores_a_model_that_round_trips(admin, categories):
    closed_tickets(admin, categories)
    make_ticket(admin, subject="快递还没到 open one", category=categories["billing"])  # not closed
    row = services.classifier_train(actor=admin, target="category")
    stored = TrainedClassifier.objects.get(pk=row.pk)
    assert stored.example_count == 30 and stored.trained_by == admin
    assert sorted(stored.labels) == sorted(str(c.pk) for c in categories.values())
    assert 0.0 <= stored.accuracy <= 1.0 and 0.0 <= stored.macro_f1 <= 1.0
    assert stored.test_size == 8  # a quarter of 30, rounded up by scikit-learn
    restored = TextClassifier.from_bytes(bytes(stored.model))
    text = "我的快递三天了还没到，物流也不更新"
    assert restored.suggest(text)[0][0] == str(categories["delivery"].pk)
    found = selectors.suggest_fields(text)
    assert found.category[0].label == "delivery" and found.category[0].value == str(
        categories["delivery"].pk
    )
    assert found.untrained == ["priority"] and found.priority == []
    assert found.category[0].confidence == pytest.approx(restored.suggest(text)[0][1])


def test_priority_target_and_the_per_process_cache(admin, categories, django_assert_num_queries):
    closed_tickets(admin, categories)
    first = services.classifier_train(actor=admin, target="priority")
    found = selectors.suggest_fields("I was charged twice on this month's bill")
    assert found.priority[0].value == "normal" and found.priority[0].label == "Normal"
    assert selectors._LOADED_CLASSIFIERS["priority"][0] == first.pk
    with django_assert_num_queries(1):  # only "which model is newest": the bytes are cached
        selectors.current_classifiers()
    second = services.classifier_train(actor=admin, target="priority")
    selectors.current_classifiers()
    assert selectors._LOADED_CLASSIFIERS["priority"][0] == second.pk


def test_training_refuses_clearly(admin, agent, categories):
    with pytest.raises(ValidationFailed) as error:
        services.classifier_train(actor=admin, target="category")
    assert "Only 0 solved or closed tickets" in error.value.message
    assert "target" in error.value.fields
    with pytest.raises(ValidationFailed):
        services.classifier_train(actor=admin, target="colour")
    with pytest.raises(PermissionDenied):
        services.classifier_train(actor=agent, target="category")
    closed_tickets(admin, {"delivery": categories["delivery"], "billing": categories["delivery"]})
    with pytest.raises(ValidationFailed) as error:
        services.classifier_train(actor=admin, target="category")
    assert "at least two" in error.value.message
    assert not TrainedClassifier.objects.exists()


def test_command_trains_and_reports(admin, categories, capsys):
    with pytest.raises(CommandError, match="at least 20"):
        call_command("tickets", "train-classifier")
    closed_tickets(admin, categories)
    call_command("tickets", "train-classifier", "--target", "category")
    out = capsys.readouterr().out
    assert "category: trained" in out and "30 tickets" in out and "macro-F1" in out
    assert TrainedClassifier.objects.filter(target="category").count() == 1
    assert not TrainedClassifier.objects.filter(target="priority").exists()


def test_weekly_task_retrains_only_stale_models(admin, categories):
    assert retrain_classifiers()["category"].startswith("Only 0")
    closed_tickets(admin, categories)
    assert retrain_classifiers() == {"category": "trained", "priority": "trained"}
    assert retrain_classifiers() == {"category": "fresh", "priority": "fresh"}
    TrainedClassifier.objects.update(trained_at=timezone.now() - dt.timedelta(days=8))
    assert retrain_classifiers()["category"] == "trained"


def test_new_ticket_form_suggests_and_applies_without_saving(admin, agent, categories):
    closed_tickets(admin, categories)
    services.classifier_train(actor=admin, target="category")
    services.classifier_train(actor=admin, target="priority")
    customer = make_customer()
    client = login(agent)
    url = reverse("tickets:new") + f"?customer={customer.pk}"
    data = {
        "customer": customer.pk,
        "kind": "inquiry",
        "channel": "phone",
        "priority": "low",
        "subject": "快递一直没到",
        "description": "包裹丢了，物流信息不更新",
    }
    response = client.post(url, {**data, "suggest": "1"})
    html = response.content.decode()
    assert response.status_code == 200 and "Suggested from the text" in html
    assert "delivery" in html and "confidence" in html and 'name="apply_category"' in html
    assert "快递一直没到" in html  # what the agent typed is kept
    assert Ticket.objects.filter(subject="快递一直没到").count() == 0  # shown, not applied
    delivery = categories["delivery"].pk
    response = client.post(url, {**data, "apply_category": str(delivery)})
    html = response.content.decode()
    assert f'<option value="{delivery}" selected>' in html and "Current" in html
    assert Ticket.objects.filter(subject="快递一直没到").count() == 0
    created = client.post(url, {**data, "category": delivery})
    assert created.status_code == 302
    assert Ticket.objects.get(subject="快递一直没到").category_id == delivery


def test_new_ticket_form_says_when_nothing_is_trained(agent):
    customer = make_customer()
    response = login(agent).post(
        reverse("tickets:new"),
        {"customer": customer.pk, "subject": "快递没到", "suggest": "1"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "no classifier has been trained" in html
    assert "kefu tickets train-classifier" in html


def test_ticket_page_shows_suggestion_until_applied(admin, agent, categories):
    closed_tickets(admin, categories)
    services.classifier_train(actor=admin, target="category")
    ticket = make_ticket(agent, subject="物流信息不更新", assignee=agent)
    client = login(agent)
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "Suggested from the text" in html and 'name="partial"' in html
    assert Ticket.objects.get(pk=ticket.pk).category_id is None
    delivery = categories["delivery"].pk
    update = reverse("tickets:update", args=[ticket.pk])
    stale = client.post(update, {"partial": "1", "version": 0, "category": delivery})
    assert stale.status_code == 409
    applied = client.post(update, {"partial": "1", "version": ticket.version, "category": delivery})
    assert applied.status_code == 302
    saved = Ticket.objects.get(pk=ticket.pk)
    assert saved.category_id == delivery and saved.subject == ticket.subject
    assert saved.priority == ticket.priority and saved.version == ticket.version + 1
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "Suggested from the text" not in html


def test_classify_api(api_client, admin, categories):
    client, _agent = api_client("agent")
    url = "/api/v1/tickets/classify"
    none = client.post(url, {"text": "快递没到"}, content_type="application/json")
    assert none.status_code == 409 and none.json()["error"]["code"] == "no_classifier"
    closed_tickets(admin, categories)
    services.classifier_train(actor=admin, target="category")
    response = client.post(url, {"text": "快递没到，包裹丢了"}, content_type="application/json")
    body = response.json()
    assert response.status_code == 200, body
    assert body["category"][0]["label"] == "delivery" and body["untrained"] == ["priority"]
    assert sum(s["confidence"] for s in body["category"]) == pytest.approx(1.0)
    empty = client.post(url, {"text": ""}, content_type="application/json")
    assert empty.status_code == 422
    portal, _user = api_client("customer")
    assert portal.post(url, {"text": "x"}, content_type="application/json").status_code == 403


def test_check_reply_route_is_not_taken_for_a_ticket_id(api_client):
    client, _agent = api_client("agent")
    response = client.post(
        "/api/v1/tickets/check-reply", {"text": "这不可能"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["warnings"]
