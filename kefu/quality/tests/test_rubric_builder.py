"""Scorecard builder: validation with field-level errors, revisions that keep evaluations on
the revision they were scored on, audit, and the no-JavaScript builder page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from kefu.core.errors import Conflict, ValidationFailed
from kefu.core.models import AuditEvent
from kefu.quality import selectors, services
from kefu.quality.models import Criterion, CriterionScore, Evaluation, Rubric
from kefu.quality.tests.factories import worked_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _sections(weight=2, auto_fail=True):
    return [
        {
            "name": "开场 Opening",
            "criteria": [
                {"text": "问候 Greeting", "weight": 1},
                {"text": "核实身份 Verifies identity", "weight": weight, "auto_fail": auto_fail},
            ],
        },
        {"name": "解决 Resolution", "criteria": [{"text": "给出方案 Offers a remedy"}]},
    ]


def _evaluate(qa, agent, rubric, value=1.0):
    return services.evaluation_create(
        actor=qa,
        ticket=worked_ticket(agent),
        rubric=rubric,
        values={c.pk: value for c in selectors.rubric_criteria(rubric)},
    )


def _login(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def test_every_problem_is_reported_at_its_field(qa):
    with pytest.raises(ValidationFailed) as caught:
        services.rubric_create(
            actor=qa,
            name="",
            sections=[
                {
                    "name": "",
                    "criteria": [
                        {"text": "", "weight": -1},
                        {"text": "ok", "weight": "abc"},
                        {"text": "x" * 301, "weight": 1, "competency": 999_999},
                    ],
                },
                {"name": "Empty", "criteria": []},
            ],
        )
    fields = caught.value.fields
    assert fields["name"] == ["Required."]
    assert fields["sections.0.name"] == ["Required."]
    assert fields["sections.0.criteria.0.text"] == ["Required."]
    assert fields["sections.0.criteria.0.weight"] == ["Between 0 and 100."]
    assert fields["sections.0.criteria.1.weight"] == ["Enter a number."]
    assert fields["sections.0.criteria.2.text"] == ["At most 300 characters."]
    assert "sections.0.criteria.2.competency" in fields
    assert "sections.1.criteria" in fields
    assert not Rubric.objects.exists()


def test_no_section_and_all_zero_weights_are_refused(qa):
    with pytest.raises(ValidationFailed) as caught:
        services.rubric_create(actor=qa, name="A", sections=[])
    assert "sections" in caught.value.fields
    zero = [{"name": "S", "criteria": [{"text": "t", "weight": 0}]}]
    with pytest.raises(ValidationFailed) as caught:
        services.rubric_create(actor=qa, name="A", sections=zero)
    assert "sections" in caught.value.fields


def test_name_is_unique_among_current_scorecards(qa):
    services.rubric_create(actor=qa, name="电话质检 Phone QA", sections=_sections())
    with pytest.raises(ValidationFailed) as caught:
        services.rubric_create(actor=qa, name="电话质检 Phone QA", sections=_sections())
    assert caught.value.fields["name"] == ["Already used by another scorecard."]


def test_unused_scorecard_is_edited_in_place(qa):
    rubric = services.rubric_create(actor=qa, name="Chat QA", sections=_sections())
    version = rubric.version
    sections = _sections(weight=3, auto_fail=False)
    sections.reverse()  # reorder the sections
    saved = services.rubric_update(
        actor=qa,
        rubric=rubric,
        expected_version=version,
        name="Chat QA v2",
        description="改 Changed",
        sections=sections,
    )
    assert saved.pk == rubric.pk and saved.revision == 1
    assert Rubric.objects.get().version == version + 1
    criteria = selectors.rubric_criteria(saved)
    assert [c.text for c in criteria] == [
        "给出方案 Offers a remedy",
        "问候 Greeting",
        "核实身份 Verifies identity",
    ]
    assert [c.weight for c in criteria] == [1.0, 1.0, 3.0]
    assert not any(c.auto_fail for c in criteria)
    event = AuditEvent.objects.get(action="quality.rubric_updated")
    assert event.object_id == str(rubric.pk) and event.changes["before"]["name"] == "Chat QA"
    with pytest.raises(Conflict):  # the version moved on
        services.rubric_update(
            actor=qa, rubric=rubric, expected_version=version, name="X", sections=sections
        )


def test_used_scorecard_gets_a_new_revision_and_evaluations_keep_theirs(qa, agent):
    rubric = services.rubric_create(actor=qa, name="Email QA", sections=_sections())
    evaluation = _evaluate(qa, agent, rubric, value=0.5)  # auto-fail missed → 0
    assert evaluation.score == 0 and evaluation.auto_failed
    old_criteria = set(
        Criterion.objects.filter(section__rubric=rubric).values_list("pk", flat=True)
    )
    new = services.rubric_update(
        actor=qa,
        rubric=rubric,
        expected_version=rubric.version,
        name="Email QA",
        sections=_sections(weight=2, auto_fail=False),
    )
    assert new.pk != rubric.pk and new.revision == 2 and new.previous_id == rubric.pk
    rubric.refresh_from_db()
    assert not rubric.is_current and not rubric.is_active and new.is_current
    # The evaluation still points at revision 1 and its unchanged criteria and score.
    evaluation.refresh_from_db()
    assert evaluation.rubric_id == rubric.pk and evaluation.score == 0
    scored = set(
        CriterionScore.objects.filter(evaluation=evaluation).values_list("criterion", flat=True)
    )
    assert scored == old_criteria
    assert Criterion.objects.filter(section__rubric=rubric, auto_fail=True).count() == 1
    assert not Criterion.objects.filter(section__rubric=new, auto_fail=True).exists()
    # Lists show the current revision only; the detail shows the chain.
    assert list(selectors.rubric_list()) == [new]
    chain = selectors.rubric_revisions(rubric)
    assert [r.revision for r in chain] == [2, 1]
    assert [r.evaluation_count for r in chain] == [0, 1]
    event = AuditEvent.objects.get(action="quality.rubric_revised")
    assert event.changes["previous_id"] == rubric.pk and event.changes["revision"] == 2
    # The same evaluation on the new revision would not be auto-failed.
    assert _evaluate(qa, agent, new, value=0.5).score == pytest.approx(50.0)
    with pytest.raises(Conflict):  # old revisions are not edited
        services.rubric_update(
            actor=qa, rubric=rubric, expected_version=rubric.version, name="Y", sections=_sections()
        )


def test_agents_cannot_build_scorecards(agent, qa):
    from django.core.exceptions import PermissionDenied

    from kefu.core.errors import KefuError

    with pytest.raises((PermissionDenied, KefuError)):
        services.rubric_create(actor=agent, name="Mine", sections=_sections())
    assert _login(agent).get(reverse("quality:rubric-new")).status_code == 403
    rubric = services.rubric_create(actor=qa, name="QA", sections=_sections())
    assert _login(agent).get(reverse("quality:rubric-edit", args=[rubric.pk])).status_code == 403


def _post(rubric_form: dict, **extra) -> dict:
    return {**rubric_form, **extra}


FORM = {
    "name": "投诉质检 Complaint QA",
    "description": "",
    "s-0-name": "倾听 Listen",
    "s-0-c-0-text": "复述问题 Restates the problem",
    "s-0-c-0-weight": "2",
    "s-0-c-1-text": "不打断 Does not interrupt",
    "s-0-c-1-weight": "1",
    "s-0-c-1-auto_fail": "1",
    "s-1-name": "解决 Resolve",
    "s-1-c-0-text": "给出期限 Gives a deadline",
    "s-1-c-0-weight": "1",
}


def test_builder_page_moves_adds_and_removes_without_saving(qa):
    client = _login(qa)
    url = reverse("quality:rubric-new")
    page = client.get(url)
    assert page.status_code == 200 and b'name="s-0-c-0-text"' in page.content
    moved = client.post(url, _post(FORM, op="down-criterion-0-0"))
    html = moved.content.decode()
    assert moved.status_code == 200 and not Rubric.objects.exists()
    assert html.index("不打断 Does not interrupt") < html.index("复述问题 Restates the problem")
    added = client.post(url, _post(FORM, op="add-criterion-1")).content.decode()
    assert 'name="s-1-c-1-text"' in added
    removed = client.post(url, _post(FORM, op="remove-section-0")).content.decode()
    assert "倾听 Listen" not in removed and 'value="解决 Resolve"' in removed
    up = client.post(url, _post(FORM, op="up-section-1")).content.decode()
    assert up.index("解决 Resolve") < up.index("倾听 Listen")
    added_section = client.post(url, _post(FORM, op="add-section")).content.decode()
    assert 'name="s-2-name"' in added_section


def test_builder_saves_and_shows_field_errors(qa):
    client = _login(qa)
    url = reverse("quality:rubric-new")
    bad = client.post(url, _post(FORM, **{"s-0-c-0-weight": "-3", "s-1-name": "", "op": "save"}))
    assert bad.status_code == 422 and not Rubric.objects.exists()
    html = bad.content.decode()
    assert "Between 0 and 100." in html and html.count('aria-invalid="true"') == 2
    assert 'value="复述问题 Restates the problem"' in html  # the entries are kept
    ok = client.post(url, _post(FORM, op="save"))
    rubric = Rubric.objects.get()
    assert ok.status_code == 302 and ok["Location"] == reverse("quality:rubric", args=[rubric.pk])
    criteria = selectors.rubric_criteria(rubric)
    assert [(c.text, c.weight, c.auto_fail) for c in criteria] == [
        ("复述问题 Restates the problem", 2.0, False),
        ("不打断 Does not interrupt", 1.0, True),
        ("给出期限 Gives a deadline", 1.0, False),
    ]
    assert AuditEvent.objects.filter(action="quality.rubric_created", object_id=str(rubric.pk))


def test_start_from_the_8f_checklist(qa):
    page = _login(qa).get(reverse("quality:rubric-new") + "?start=8f").content.decode()
    for text, *_ in services.EIGHT_F_CHECKLIST + services.EIGHT_F_ETIQUETTE:
        assert escape(text) in page
    assert len(re.findall(r'name="s-0-c-\d+-text"', page)) == len(services.EIGHT_F_CHECKLIST)
    assert len(re.findall(r'name="s-1-c-\d+-text"', page)) == len(services.EIGHT_F_ETIQUETTE)
    assert page.count("checked") == 2  # Factual and never-blames are auto-fail
    assert not Rubric.objects.exists()  # only pre-filled


def test_edit_page_saves_a_revision_when_used(qa, agent):
    rubric = services.rubric_create(actor=qa, name="Phone QA", sections=_sections())
    _evaluate(qa, agent, rubric)
    client = _login(qa)
    url = reverse("quality:rubric-edit", args=[rubric.pk])
    page = client.get(url).content.decode()
    assert "Saving creates revision 2" in page and 'value="问候 Greeting"' in page
    form = {
        "version": rubric.version,
        "name": "Phone QA",
        "is_active": "1",
        "s-0-name": "开场 Opening",
        "s-0-c-0-text": "问候 Greeting",
        "s-0-c-0-weight": "4",
    }
    response = client.post(url, {**form, "op": "save"})
    new = Rubric.objects.get(is_current=True)
    assert response.status_code == 302 and new.revision == 2
    assert [c.weight for c in selectors.rubric_criteria(new)] == [4.0]
    assert Evaluation.objects.get().rubric_id == rubric.pk
    # The old revision's page says so, and its edit link leads to the current one.
    old_page = client.get(reverse("quality:rubric", args=[rubric.pk])).content.decode()
    assert "old revision" in old_page
    assert client.get(url)["Location"] == reverse("quality:rubric-edit", args=[new.pk])
    stale = client.post(reverse("quality:rubric-edit", args=[new.pk]), {**form, "version": 99})
    assert stale.status_code == 422 and "changed by someone else" in stale.content.decode()


def test_builder_in_chinese(qa):
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(qa)
    page = client.get(reverse("quality:rubric-new")).content.decode()
    assert "新建评分表" in page and "添加评分项" in page and "Add criterion" not in page
