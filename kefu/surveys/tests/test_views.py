"""Staff pages and the respondent page /s/<token>/ (works without JavaScript)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.surveys import services
from kefu.surveys.models import Question, Response
from kefu.surveys.tests.factories import published, question, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(manager):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(manager)
    return client


def test_list_builder_preview_distribute_pages_render(staff_client, manager):
    survey = published(manager, "servqual")
    assert staff_client.get(reverse("surveys:list")).status_code == 200
    builder = staff_client.get(reverse("surveys:builder", args=[survey.pk]))
    assert builder.status_code == 200 and "T1" not in builder.content.decode()
    preview = staff_client.get(reverse("surveys:preview", args=[survey.pk])).content.decode()
    assert "T1" in preview and 'type="radio"' in preview
    assert staff_client.get(reverse("surveys:distribute", args=[survey.pk])).status_code == 200


def test_create_from_instrument_and_reorder_with_buttons(staff_client):
    response = staff_client.post(reverse("surveys:create"), {"instrument": "csat"})
    survey_id = int(response.url.rstrip("/").split("/")[-1])
    ces = Question.objects.get(survey_id=survey_id, code="ces")
    staff_client.post(
        reverse("surveys:question-move", args=[survey_id, ces.pk]), {"direction": "up"}
    )
    order = list(
        Question.objects.filter(survey_id=survey_id)
        .order_by("order")
        .values_list("code", flat=True)
    )
    assert order == ["csat", "ces", "why_low"]


def test_add_question_form_reports_errors_by_field(staff_client, manager):
    survey = services.survey_create(actor=manager, title_en="Custom")
    url = reverse("surveys:question-add", args=[survey.pk])
    bad = staff_client.post(
        url, {"kind": "single", "text_en": "Pick one", "weight": 1, "choices": "a | A"}
    )
    assert bad.status_code == 200
    assert "Give at least two options" in bad.content.decode()
    good = staff_client.post(
        url,
        {"kind": "single", "text_en": "Pick one", "weight": 1, "choices": "a | A | 甲\nb | B | 乙"},
    )
    assert good.status_code == 302
    assert survey.questions.get().choices == [
        {"id": "a", "en": "A", "zh": "甲"},
        {"id": "b", "en": "B", "zh": "乙"},
    ]


def test_agent_cannot_edit_or_publish(make_user, manager):
    survey = services.survey_create_from_instrument(actor=manager, instrument="csat")
    client = Client()
    client.force_login(make_user("agent"))
    assert client.get(reverse("surveys:list")).status_code == 200
    assert client.post(reverse("surveys:publish", args=[survey.pk])).status_code == 403
    assert client.get(reverse("surveys:question-add", args=[survey.pk])).status_code == 403


def test_employee_results_need_their_permission(make_user, manager):
    survey = published(manager, "employee")
    supervisor = Client()
    supervisor.force_login(make_user("supervisor"))
    assert supervisor.get(reverse("surveys:results", args=[survey.pk])).status_code == 403
    staff = Client()
    staff.force_login(manager)
    assert staff.get(reverse("surveys:results", args=[survey.pk])).status_code == 200


def test_results_page_and_export(staff_client, manager):
    survey = published(manager, "servqual")
    answers = {
        q.code: {i["id"]: {"expectation": 7, "perception": 5} for i in q.items}
        for q in survey.questions.filter(kind="matrix")
    }
    submit(survey, answers)
    page = staff_client.get(reverse("surveys:results", args=[survey.pk])).content.decode()
    assert "-2.00" in page  # every gap is 5 − 7
    assert "vendor/plotly.min.js" in page and 'id="chart-sq-items"' in page
    export = staff_client.get(reverse("surveys:export", args=[survey.pk]))
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(export.content))
    assert {"SERVQUAL", "RATER"} <= set(book.sheetnames)
    raw = list(book.worksheets[0].values)
    assert len(raw) == 2 and len(raw[0]) == 6 + 44 + 5


@pytest.mark.parametrize("instrument", ["csat", "servqual", "employee"])
def test_results_page_query_count_is_constant(
    staff_client, manager, instrument, django_assert_max_num_queries
):
    survey = published(manager, instrument)
    questions = list(survey.questions.all())

    def one():
        data = {}
        for q in questions:
            if q.kind == "matrix":
                data[q.code] = {i["id"]: {"expectation": 6, "perception": 4} for i in q.items}
            elif q.scale:
                data[q.code] = 4
        submit(survey, data)

    one()
    url = reverse("surveys:results", args=[survey.pk])
    with django_assert_max_num_queries(12) as few:
        staff_client.get(url)
    for _ in range(6):
        one()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert staff_client.get(url).status_code == 200


def test_list_page_query_count_is_constant(staff_client, manager, django_assert_max_num_queries):
    published(manager, "csat")
    with django_assert_max_num_queries(10) as few:
        staff_client.get(reverse("surveys:list"))
    for instrument in ("nps", "ces", "rater"):
        published(manager, instrument)
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff_client.get(reverse("surveys:list"))


# --------------------------------------------------------------------------- respondent page


def _link(invitation) -> str:
    return reverse("surveys_public:answer", args=[services.invitation_token(invitation)])


def test_respondent_page_answers_once_without_signing_in(manager):
    survey = published(manager, "csat")
    invitation = services.invitation_create(actor=manager, survey=survey, send=False)
    client = Client()
    page = client.get(_link(invitation) + "?lang=zh")
    assert page.status_code == 200
    text = page.content.decode()
    assert "您对我们处理本次问题的方式满意吗" in text and "sidebar" not in text
    csat = question(survey, "csat")
    missing = client.post(_link(invitation), {"action": "submit"})
    assert missing.status_code == 422
    done = client.post(_link(invitation), {"action": "submit", f"q{csat.pk}": "5", "lang": "en"})
    assert done.status_code == 200 and "Thank you" in done.content.decode()
    replay = client.post(_link(invitation), {"action": "submit", f"q{csat.pk}": "1", "lang": "en"})
    assert replay.status_code == 409
    assert "already received" in replay.content.decode()
    assert Response.objects.get().answers.get().value == 5


def test_respondent_draft_is_kept_for_the_same_link(manager):
    survey = published(manager, "csat")
    invitation = services.invitation_create(actor=manager, survey=survey, send=False)
    client = Client()
    ces = question(survey, "ces")
    saved = client.post(_link(invitation), {"action": "save", f"q{ces.pk}": "6", "lang": "en"})
    assert saved.status_code == 200 and "saved" in saved.content.decode()
    again = client.get(_link(invitation) + "?lang=en").content.decode()
    assert f'id="q{ces.pk}_6" name="q{ces.pk}" value="6" checked' in again


def test_bad_and_tampered_links_get_a_clear_page(manager):
    survey = published(manager, "csat")
    invitation = services.invitation_create(actor=manager, survey=survey, send=False)
    token = services.invitation_token(invitation)
    bad = Client().get(reverse("surveys_public:answer", args=[token[:-2] + "zz"]) + "?lang=en")
    assert bad.status_code == 404 and "not valid" in bad.content.decode()
    services.survey_close(actor=manager, survey=survey, expected_version=survey.version)
    closed = Client().get(_link(invitation) + "?lang=en")
    assert closed.status_code == 410 and "closed" in closed.content.decode()


def test_public_link_form_cannot_be_posted_twice(manager):
    survey = published(manager, "nps")
    survey = services.survey_update(
        actor=manager,
        survey=survey,
        expected_version=survey.version,
        changes={"public_link_enabled": True},
    )
    url = reverse("surveys_public:answer", args=[services.public_token(survey)])
    client = Client()
    page = client.get(url + "?lang=en").content.decode()
    submission = page.split('name="submission" value="')[1].split('"')[0]
    nps = question(survey, "nps")
    body = {"action": "submit", "submission": submission, f"q{nps.pk}": "10"}
    assert client.post(url, body).status_code == 200
    assert client.post(url, body).status_code == 409
    assert survey.responses.count() == 1


def test_export_keeps_a_respondents_formula_as_text(staff_client, manager):
    """CSV/Excel injection: an anonymous answer starting with = is not a live formula."""
    survey = published(manager, "csat")
    submit(survey, {"csat": 1, "why_low": '=HYPERLINK("http://evil.example","点我")'})
    export = staff_client.get(reverse("surveys:export", args=[survey.pk]))
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(export.content)).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value]
    evil = [c for c in cells if "HYPERLINK" in str(c.value)]
    assert len(evil) == 1 and evil[0].data_type == "s"
    assert evil[0].value.startswith("'=HYPERLINK")
