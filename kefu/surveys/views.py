"""Staff pages: surveys list, builder, preview, distribution, results (parse, call, render)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import Team
from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm
from kefu.surveys import charts, exporting, selectors, services
from kefu.surveys.forms import (
    AutoRuleForm,
    InviteForm,
    QuestionForm,
    SectionForm,
    SurveyCreateForm,
    SurveySettingsForm,
    options_to_lines,
)
from kefu.surveys.models import (
    AutoSurveyRule,
    Instrument,
    Question,
    Section,
    Survey,
    SurveyStatus,
)
from kefu.surveys.respondent import form_blocks
from kefu.surveys.scoring import PRIORITY_QUADRANTS, RATER_DIMENSIONS, SERVQUAL_DIMENSIONS

VIEW = "surveys.view_survey"
CHANGE = "surveys.change_survey"
METRIC_UNITS = {"csat": "CSAT (%)", "nps": "NPS", "ces": "CES (1–7)"}


def _survey(request, survey_id: int) -> Survey:
    require_perm(request.user, VIEW)
    return get_object_or_404(Survey, pk=survey_id)


def _fail(request, exc: KefuError) -> None:
    messages.error(request, exc.message)
    for field, errors in exc.fields.items():
        for message in errors:
            messages.error(request, f"{field}: {message}" if field != "__all__" else message)


def survey_list(request):
    require_perm(request.user, VIEW)
    status = request.GET.get("status", "")
    surveys = selectors.survey_list(actor=request.user, status=status, q=request.GET.get("q", ""))
    return render(
        request,
        "surveys/list.html",
        {
            "surveys": surveys[:200],
            "status": status,
            "statuses": SurveyStatus.choices,
            "create_form": SurveyCreateForm(),
        },
    )


@require_POST
def survey_create(request):
    require_perm(request.user, "surveys.add_survey")
    form = SurveyCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what to start from."))
        return redirect("surveys:list")
    data = form.cleaned_data
    titles = {k: data[k] for k in ("title_en", "title_zh") if data[k]}
    try:
        if data["instrument"] == Instrument.CUSTOM:
            survey = services.survey_create(actor=request.user, **titles)
        else:
            survey = services.survey_create_from_instrument(
                actor=request.user, instrument=data["instrument"], **titles
            )
    except KefuError as exc:
        _fail(request, exc)
        return redirect("surveys:list")
    return redirect("surveys:builder", survey.pk)


def builder(request, survey_id: int):
    survey = _survey(request, survey_id)
    questions = selectors.survey_questions(survey)
    if request.method == "POST":
        require_perm(request.user, CHANGE)
        form = SurveySettingsForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                services.survey_update(
                    actor=request.user, survey=survey, expected_version=version, changes=data
                )
                messages.success(request, _("Survey saved."))
                return redirect("surveys:builder", survey.pk)
            except KefuError as exc:
                _fail(request, exc)
    else:
        form = SurveySettingsForm(
            initial={
                **{f: getattr(survey, f) for f in SurveySettingsForm.base_fields if f != "version"},
                "version": survey.version,
            }
        )
    return render(
        request,
        "surveys/builder.html",
        {
            "survey": survey,
            "questions": list(enumerate(questions, 1)),
            "form": form,
            "sections": list(survey.sections.all()),
            "section_form": SectionForm(),
            "has_responses": survey.responses.filter(submitted_at__isnull=False).exists(),
        },
    )


def _question_form_initial(question: Question) -> dict:
    initial = {f: getattr(question, f) for f in QuestionForm.base_fields if hasattr(question, f)}
    initial["choices"] = options_to_lines(question.choices)
    initial["items"] = options_to_lines(question.items, with_dimension=True)
    initial["columns"] = options_to_lines(question.columns)
    initial["show_if_question"] = question.show_if_question_id
    initial["section"] = question.section_id
    return initial


def question_edit(request, survey_id: int, question_id: int | None = None):
    survey = _survey(request, survey_id)
    require_perm(request.user, CHANGE)
    question = get_object_or_404(Question, pk=question_id, survey=survey) if question_id else None
    earlier = [
        (n, q)
        for n, q in enumerate(selectors.survey_questions(survey), 1)
        if question is None or q.order < question.order
    ]
    sections = list(survey.sections.all())
    if request.method == "POST":
        form = QuestionForm(request.POST, conditions=earlier, sections=sections)
        if form.is_valid():
            try:
                fields = form.service_fields(survey)
                if question is None:
                    services.question_add(actor=request.user, survey=survey, **fields)
                else:
                    services.question_update(actor=request.user, question=question, changes=fields)
                messages.success(request, _("Question saved."))
                return redirect("surveys:builder", survey.pk)
            except KefuError as exc:
                for field, errors in exc.fields.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
                if not exc.fields:
                    form.add_error(None, exc.message)
    else:
        form = QuestionForm(
            initial=_question_form_initial(question) if question else {"weight": 1},
            conditions=earlier,
            sections=sections,
        )
    return render(
        request,
        "surveys/question_form.html",
        {"survey": survey, "question": question, "form": form},
    )


@require_POST
def question_move(request, survey_id: int, question_id: int):
    survey = _survey(request, survey_id)
    require_perm(request.user, CHANGE)
    question = get_object_or_404(Question, pk=question_id, survey=survey)
    try:
        services.question_move(
            actor=request.user, question=question, direction=request.POST.get("direction", "")
        )
    except KefuError as exc:
        _fail(request, exc)
    return redirect(reverse("surveys:builder", args=[survey.pk]) + f"#q{question.pk}")


@require_POST
def question_delete(request, survey_id: int, question_id: int):
    survey = _survey(request, survey_id)
    require_perm(request.user, CHANGE)
    question = get_object_or_404(Question, pk=question_id, survey=survey)
    try:
        services.question_delete(actor=request.user, question=question)
        messages.success(request, _("Question deleted."))
    except KefuError as exc:
        _fail(request, exc)
    return redirect("surveys:builder", survey.pk)


@require_POST
def section_add(request, survey_id: int):
    survey = _survey(request, survey_id)
    require_perm(request.user, CHANGE)
    form = SectionForm(request.POST)
    if form.is_valid():
        try:
            services.section_add(actor=request.user, survey=survey, **form.cleaned_data)
            messages.success(request, _("Section added."))
        except KefuError as exc:
            _fail(request, exc)
    return redirect(reverse("surveys:builder", args=[survey.pk]) + "#sections")


@require_POST
def section_edit(request, survey_id: int, section_id: int):
    survey = _survey(request, survey_id)
    require_perm(request.user, CHANGE)
    section = get_object_or_404(Section, pk=section_id, survey=survey)
    try:
        if request.POST.get("action") == "delete":
            services.section_delete(actor=request.user, section=section)
            messages.success(request, _("Section deleted; its questions stay."))
        else:
            form = SectionForm(request.POST)
            if form.is_valid():
                services.section_update(actor=request.user, section=section, **form.cleaned_data)
                messages.success(request, _("Section saved."))
    except KefuError as exc:
        _fail(request, exc)
    return redirect(reverse("surveys:builder", args=[survey.pk]) + "#sections")


@require_POST
def survey_status(request, survey_id: int, action: str):
    survey = _survey(request, survey_id)
    require_perm(request.user, "surveys.publish_survey")
    change = {"publish": services.survey_publish, "close": services.survey_close}.get(action)
    if change is None:
        raise PermissionDenied
    try:
        change(
            actor=request.user,
            survey=survey,
            expected_version=int(request.POST.get("version", survey.version)),
        )
        messages.success(
            request, _("Survey published.") if action == "publish" else _("Survey closed.")
        )
    except (KefuError, ValueError) as exc:
        _fail(request, exc if isinstance(exc, KefuError) else KefuError(str(exc)))
    return redirect(request.POST.get("next") or reverse("surveys:builder", args=[survey.pk]))


@require_POST
def survey_copy(request, survey_id: int):
    survey = _survey(request, survey_id)
    require_perm(request.user, "surveys.add_survey")
    copy = services.survey_copy(actor=request.user, survey=survey)
    messages.success(request, _("Copied: this is the new draft."))
    return redirect("surveys:builder", copy.pk)


def preview(request, survey_id: int):
    survey = _survey(request, survey_id)
    questions = selectors.survey_questions(survey)
    return render(
        request,
        "surveys/preview.html",
        {"survey": survey, "blocks": form_blocks(questions, {}, {})},
    )


def distribute(request, survey_id: int):
    survey = _survey(request, survey_id)
    rule = AutoSurveyRule.objects.filter(survey=survey).first()
    teams = list(Team.objects.order_by("name"))
    invite_form = InviteForm(teams=teams)
    rule_form = AutoRuleForm(
        initial={
            "enabled": rule.enabled if rule else False,
            "delay_minutes": rule.delay_minutes if rule else 60,
            "sampling_percent": rule.sampling_percent if rule else 100,
            "min_days_between": rule.min_days_between if rule else 30,
            "expires_after_days": rule.expires_after_days if rule else 14,
        }
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "invite":
                require_perm(request.user, "surveys.send_survey")
                invite_form = InviteForm(request.POST, teams=teams)
                if invite_form.is_valid():
                    count = _invite(request, survey, invite_form.cleaned_data)
                    messages.success(
                        request, _("%(count)d invitations created.") % {"count": count}
                    )
                    return redirect("surveys:distribute", survey.pk)
            elif action == "rule":
                require_perm(request.user, CHANGE)
                rule_form = AutoRuleForm(request.POST)
                if rule_form.is_valid():
                    services.auto_rule_save(
                        actor=request.user, survey=survey, **rule_form.cleaned_data
                    )
                    messages.success(request, _("Automatic survey rule saved."))
                    return redirect("surveys:distribute", survey.pk)
            elif action == "public_link":
                require_perm(request.user, CHANGE)
                services.survey_update(
                    actor=request.user,
                    survey=survey,
                    expected_version=survey.version,
                    changes={"public_link_enabled": request.POST.get("enabled") == "1"},
                )
                return redirect("surveys:distribute", survey.pk)
        except KefuError as exc:
            _fail(request, exc)
    public_url = (
        request.build_absolute_uri(
            reverse("surveys_public:answer", args=[services.public_token(survey)])
        )
        if survey.public_link_enabled
        else ""
    )
    return render(
        request,
        "surveys/distribute.html",
        {
            "survey": survey,
            "rule": rule,
            "rule_form": rule_form,
            "invite_form": invite_form,
            "public_url": public_url,
            "invitations": selectors.invitation_list(survey)[:100],
            "invitation_count": survey.invitations.count(),
        },
    )


def _invite(request, survey: Survey, data: dict) -> int:
    from kefu.customers.models import Customer

    numbers = [n.strip() for n in data["customer_numbers"].split() if n.strip()]
    customers = list(Customer.objects.filter(number__in=numbers))
    missing = sorted(set(numbers) - {c.number for c in customers})
    if missing:
        raise KefuError(_("Unknown customer numbers: %s") % ", ".join(missing[:10]))
    count = 0
    for customer in customers:
        services.invitation_create(
            actor=request.user,
            survey=survey,
            customer=customer,
            expires_in_days=data["expires_in_days"],
        )
        count += 1
    if data.get("team"):
        team = get_object_or_404(Team, pk=data["team"])
        count += services.invitations_create_for_employees(
            actor=request.user,
            survey=survey,
            users=team.members.all(),
            expires_in_days=data["expires_in_days"],
        )
    return count


def results(request, survey_id: int):
    survey = _survey(request, survey_id)
    if not selectors.can_view_results(request.user, survey):
        raise PermissionDenied(_("You may not see the results of this survey."))
    outcome = selectors.survey_results(survey)
    metric = next((m for m in ("csat", "nps", "ces") if getattr(outcome, m) is not None), "")
    figures = charts.results_charts(outcome, METRIC_UNITS.get(metric, _("Mean")))
    questions = [
        (s, figures.get(f"q{s.question.id}"), f"chart-q{s.question.id}") for s in outcome.questions
    ]
    breakdowns = [
        (group, charts.group_labels()[group], rows, figures.get(f"by_{group}"), f"chart-by-{group}")
        for group, rows in outcome.breakdowns.items()
        if group != "period"
    ]
    rater_labels, rater_rows = _rater_table(outcome.rater)
    return render(
        request,
        "surveys/results.html",
        {
            "survey": survey,
            "results": outcome,
            "charts": figures,
            "questions": questions,
            "breakdowns": breakdowns,
            "texts": selectors.recent_texts(survey),
            "quadrant_labels": PRIORITY_QUADRANTS,
            "rater_labels": rater_labels,
            "rater_rows": rater_rows,
            "metric": metric,
            "metric_unit": METRIC_UNITS.get(metric, _("Mean")),
            "group_labels": charts.group_labels(),
            "dimension_labels": {d: charts.dimension_label(d) for d in SERVQUAL_DIMENSIONS},
        },
    )


def _rater_table(rater: dict | None) -> tuple[list[str], list[tuple[str, list, int]]]:
    """Header labels and rows (overall, per month, team, channel) of the RATER table."""
    if not rater:
        return [], []
    keys = [*RATER_DIMENSIONS, "overall"]
    labels = [charts.dimension_label(k) for k in RATER_DIMENSIONS] + [_("Overall")]
    rows = [(_("All"), [rater["overall"][k] for k in keys], rater["overall"]["n"])]
    for group in ("period", "team", "channel"):
        rows += [
            (row[group], [row[k] for k in keys], row["n"]) for row in rater[group] if row[group]
        ]
    return labels, rows


def results_export(request, survey_id: int):
    survey = _survey(request, survey_id)
    if not selectors.can_view_results(request.user, survey):
        raise PermissionDenied(_("You may not see the results of this survey."))
    return exporting.results_response(survey, selectors.survey_results(survey))
