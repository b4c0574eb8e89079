"""Sections in the builder page and the API; question edit/delete through the API."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from kefu.core.errors import ValidationFailed
from kefu.core.models import AuditEvent
from kefu.surveys import services
from kefu.surveys.models import Section
from kefu.surveys.respondent import form_blocks
from kefu.surveys.selectors import survey_questions

pytestmark = pytest.mark.django_db
BASE = "/api/v1/surveys"


def _send(client, method, url, body):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_builder_adds_a_section_and_a_question_goes_into_it(manager):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(manager)
    survey = services.survey_create(actor=manager, title_en="Custom")
    added = client.post(
        reverse("surveys:section-add", args=[survey.pk]),
        {"title_en": "About you", "title_zh": "关于您"},
    )
    assert added.status_code == 302
    section = Section.objects.get(survey=survey)
    assert AuditEvent.objects.filter(action="survey.section_added").exists()
    builder = client.get(reverse("surveys:builder", args=[survey.pk])).content.decode()
    assert 'value="About you"' in builder and "Add a section" in builder
    response = client.post(
        reverse("surveys:question-add", args=[survey.pk]),
        {"kind": "likert5", "text_en": "How old?", "weight": 1, "section": section.pk},
    )
    assert response.status_code == 302
    question = survey.questions.get()
    assert question.section_id == section.pk
    # The respondent page shows the heading above its first question.
    blocks = form_blocks(survey_questions(survey), {}, {})
    assert blocks[0]["section"] == "About you"
    # Renaming, then deleting keeps the question.
    client.post(
        reverse("surveys:section-edit", args=[survey.pk, section.pk]),
        {"title_en": "You", "title_zh": "您", "action": "save"},
    )
    section.refresh_from_db()
    assert (section.title_en, section.title_zh) == ("You", "您")
    client.post(reverse("surveys:section-edit", args=[survey.pk, section.pk]), {"action": "delete"})
    question.refresh_from_db()
    assert question.section_id is None and not Section.objects.filter(pk=section.pk).exists()


def test_a_section_needs_a_title_and_agents_cannot_add_one(manager, make_user):
    survey = services.survey_create(actor=manager, title_en="Custom")
    agent = Client()
    agent.force_login(make_user("agent"))
    url = reverse("surveys:section-add", args=[survey.pk])
    assert agent.post(url, {"title_en": "X"}).status_code == 403
    with pytest.raises(ValidationFailed) as failure:
        services.section_add(actor=manager, survey=survey, title_en=" ")
    assert "title_en" in failure.value.fields
    assert not Section.objects.filter(survey=survey).exists()


def test_sections_and_questions_through_the_api(api_client, manager):
    client, _user = api_client("manager")
    survey = services.survey_create(actor=manager, title_en="Custom")
    other = services.survey_create(actor=manager, title_en="Other")
    foreign = services.section_add(actor=manager, survey=other, title_en="Elsewhere")
    created = _send(client, "post", f"{BASE}/{survey.pk}/sections", {"title_en": "Service"})
    assert created.status_code == 201, created.content
    section_id = created.json()["id"]
    question = _send(
        client,
        "post",
        f"{BASE}/{survey.pk}/questions",
        {"kind": "likert5", "text_en": "Fast?", "section_id": section_id},
    )
    assert question.status_code == 201 and question.json()["section_id"] == section_id
    question_id = question.json()["id"]
    wrong = _send(
        client,
        "patch",
        f"{BASE}/{survey.pk}/questions/{question_id}",
        {"section_id": foreign.pk},
    )
    assert wrong.status_code == 422 and "section_id" in wrong.json()["error"]["fields"]
    renamed = _send(
        client, "patch", f"{BASE}/{survey.pk}/questions/{question_id}", {"text_en": "Quick?"}
    )
    assert renamed.status_code == 200 and renamed.json()["text_en"] == "Quick?"
    detail = client.get(f"{BASE}/{survey.pk}").json()
    assert detail["sections"] == [
        {"id": section_id, "order": 1, "title_en": "Service", "title_zh": ""}
    ]
    assert client.delete(f"{BASE}/{survey.pk}/sections/{section_id}").status_code == 204
    assert client.get(f"{BASE}/{survey.pk}").json()["questions"][0]["section_id"] is None
    assert client.delete(f"{BASE}/{survey.pk}/questions/{question_id}").status_code == 204
    assert client.delete(f"{BASE}/{survey.pk}/questions/{question_id}").status_code == 404
