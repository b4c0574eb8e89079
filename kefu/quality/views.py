"""Quality pages: KPI dashboard and drill-down, QA evaluations, scorecards, calibration,
mystery-customer contacts, targets, PDCA actions and people (competency, recognition, care).
Thin: parse, call one selector or service, render."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import Team
from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm, require_staff
from kefu.quality import charts, kpis, scoring, selectors, services
from kefu.quality.forms import (
    ActionForm,
    CalibrationForm,
    DecomposeForm,
    MysteryForm,
    PeriodForm,
    TargetForm,
)
from kefu.quality.models import (
    CalibrationSession,
    CoachingRecord,
    Evaluation,
    ImprovementAction,
    KpiTarget,
    Rubric,
    TrainingAssignment,
    TrainingItem,
)
from kefu.tickets.models import Ticket

VIEW = selectors.VIEW_ALL
CHART_KPIS = ("tickets_solved", "first_response_s", "csat", "sla_compliance")


def _error(request, exc: KefuError) -> None:
    messages.error(request, " ".join([exc.message, *[m for v in exc.fields.values() for m in v]]))


def home(request):
    """KPI dashboard: cards with trend and target, charts, table, drill-down links."""
    require_staff(request.user)
    form = PeriodForm(request.GET or PeriodForm.defaults())
    sees_all = request.user.has_perm(VIEW)
    form.fields["team"].widget.choices = [
        ("", _("All teams")),
        *list(Team.objects.values_list("pk", "name")),
    ]
    form.fields["agent"].widget.choices = [("", _("All agents"))] + (
        [(u.pk, str(u)) for u in get_user_model().objects.filter(teams__isnull=False).distinct()]
        if sees_all
        else [(request.user.pk, str(request.user))]
    )
    data = form.cleaned_data if form.is_valid() else PeriodForm.defaults()
    agent_id = data.get("agent") if sees_all else request.user.pk
    dashboard = selectors.kpi_dashboard(
        period=data["period"],
        start=data["start"],
        end=data["end"],
        team_id=data.get("team") if sees_all else None,
        agent_id=agent_id,
    )
    figures = [
        (code, charts.kpi_trend_figure(dashboard["report"], code, card["target"]))
        for code in CHART_KPIS
        for card in dashboard["cards"]
        if card["code"] == code
    ]
    return render(
        request,
        "quality/home.html",
        {
            "form": form,
            "dashboard": dashboard,
            "figures": figures,
            "rows": dashboard["report"].to_dicts(),
            "definitions": kpis.KPI_DEFINITIONS,
            "period": data["period"],
        },
    )


def drill(request):
    """The tickets behind one KPI figure."""
    require_staff(request.user)
    kpi = request.GET.get("kpi", "")
    level = request.GET.get("level", "company")
    period = request.GET.get("period", "week")
    key = request.GET.get("key", "company")
    try:
        start = dt.date.fromisoformat(request.GET.get("period_start", ""))
    except ValueError:
        start = None
    if kpi not in kpis.KPI_DEFINITIONS or level not in kpis.LEVELS or period not in kpis.PERIODS:
        start = None
    if not request.user.has_perm(VIEW) and (level != "agent" or key != str(request.user.pk)):
        raise PermissionDenied
    ids = (
        selectors.drill_down_tickets(
            kpi=kpi, level=level, period=period, period_start=start, level_key=key
        )
        if start
        else []
    )
    tickets = Ticket.objects.filter(pk__in=ids).select_related("customer", "assignee", "team")
    page = Paginator(tickets.order_by("-created_at"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "quality/drill.html",
        {
            "page": page,
            "definition": kpis.KPI_DEFINITIONS.get(kpi),
            "period_start": start,
            "count": len(ids),
        },
    )


# --- evaluations ------------------------------------------------------------------------------


def evaluations(request):
    require_staff(request.user)
    qs = selectors.evaluation_list(request.user, state=request.GET.get("state", ""))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    coaching = selectors.coaching_list(request.user)[:20]
    return render(request, "quality/evaluations.html", {"page": page, "coaching": coaching})


def evaluation_detail(request, pk: int):
    require_staff(request.user)
    try:
        evaluation = selectors.evaluation_detail(request.user, pk)
    except Evaluation.DoesNotExist as exc:
        raise Http404 from exc
    if request.method == "POST":
        try:
            if request.POST.get("action") == "dispute":
                services.dispute_raise(
                    actor=request.user, evaluation=evaluation, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("Your dispute was sent to the supervisors."))
            elif request.POST.get("action") == "resolve":
                score = request.POST.get("new_score", "")
                services.dispute_resolve(
                    actor=request.user,
                    dispute=evaluation.dispute,
                    upheld=request.POST.get("upheld") == "1",
                    resolution=request.POST.get("resolution", ""),
                    new_score=float(score) if score.replace(".", "", 1).isdigit() else None,
                )
                messages.success(request, _("The dispute is resolved."))
        except KefuError as exc:
            _error(request, exc)
        return redirect("quality:evaluation", pk=pk)
    dispute = getattr(evaluation, "dispute", None) if hasattr(evaluation, "dispute") else None
    scores = sorted(
        evaluation.scores.all(), key=lambda s: (s.criterion.section.position, s.criterion.position)
    )
    return render(
        request,
        "quality/evaluation.html",
        {
            "evaluation": evaluation,
            "scores": scores,
            "dispute": dispute,
            "is_own": evaluation.agent_id == request.user.pk,
            "can_resolve": request.user.has_perm(services.RESOLVE)
            and evaluation.evaluator_id != request.user.pk,
        },
    )


def evaluate(request):
    """Score a ticket with a scorecard (optionally inside a calibration session)."""
    require_perm(request.user, services.EVALUATE)
    ticket = selectors.ticket_by_number(
        request.GET.get("ticket", "") or request.POST.get("ticket", "")
    )
    rubrics = list(selectors.rubric_list(active_only=True))
    rubric_id = request.GET.get("rubric") or request.POST.get("rubric")
    rubric = next(
        (r for r in rubrics if str(r.pk) == str(rubric_id)), rubrics[0] if rubrics else None
    )
    calibration = None
    if request.GET.get("calibration") or request.POST.get("calibration"):
        calibration = get_object_or_404(
            CalibrationSession, pk=request.GET.get("calibration") or request.POST.get("calibration")
        )
        ticket, rubric = calibration.ticket, calibration.rubric
    criteria = selectors.rubric_criteria(rubric) if rubric else []
    if request.method == "POST" and ticket and rubric:
        values = {}
        for c in criteria:
            raw = request.POST.get(f"criterion_{c.pk}", "")
            values[c.pk] = (
                None if raw in ("", "na") else float(raw) if raw in ("0", "0.5", "1") else -1
            )
        try:
            evaluation = services.evaluation_create(
                actor=request.user,
                ticket=ticket,
                rubric=rubric,
                values=values,
                comment=request.POST.get("comment", ""),
                calibration=calibration,
                sampling=request.POST.get("sampling", "manual"),
            )
        except KefuError as exc:
            _error(request, exc)
        else:
            messages.success(
                request, _("Evaluation saved: %(score).0f points.") % {"score": evaluation.score}
            )
            if calibration:
                return redirect("quality:calibration", pk=calibration.pk)
            return redirect("quality:evaluation", pk=evaluation.pk)
    return render(
        request,
        "quality/evaluate.html",
        {
            "ticket": ticket,
            "rubrics": rubrics,
            "rubric": rubric,
            "criteria": criteria,
            "calibration": calibration,
            "query": request.GET.get("ticket", ""),
            "sample": selectors.sample_tickets() if calibration is None else [],
        },
    )


def rubrics(request):
    require_perm(request.user, "quality.view_rubric")
    if request.method == "POST":
        try:
            rubric = services.rubric_create_8f(actor=request.user)
        except KefuError as exc:
            _error(request, exc)
        else:
            return redirect("quality:rubric", pk=rubric.pk)
    return render(request, "quality/rubrics.html", {"rubrics": selectors.rubric_list()})


def rubric_detail(request, pk: int):
    require_perm(request.user, "quality.view_rubric")
    get_object_or_404(Rubric, pk=pk)
    rubric = selectors.rubric_detail(pk)
    return render(
        request,
        "quality/rubric.html",
        {"rubric": rubric, "revisions": selectors.rubric_revisions(rubric)},
    )


# --- scorecard builder ------------------------------------------------------------------------

_SECTION_NAME = re.compile(r"^s-(\d+)-name$")
_CRITERION_TEXT = re.compile(r"^s-(\d+)-c-(\d+)-text$")


def _blank_criterion() -> dict:
    return {"text": "", "weight": 1, "auto_fail": False, "competency": None, "guidance": ""}


def _posted_sections(post) -> list[dict]:
    """The builder's sections and criteria in the order posted (s-0-name, s-0-c-0-text, …)."""
    sections: dict[int, dict] = {}
    for key in post:
        if m := _SECTION_NAME.match(key):
            sections.setdefault(int(m[1]), {"criteria": {}})["name"] = post.get(key, "")
    for key in post:
        if (m := _CRITERION_TEXT.match(key)) and int(m[1]) in sections:
            i, j = int(m[1]), int(m[2])
            prefix = f"s-{i}-c-{j}-"
            sections[i]["criteria"][j] = {
                "text": post.get(prefix + "text", ""),
                "weight": post.get(prefix + "weight", ""),
                "auto_fail": bool(post.get(prefix + "auto_fail")),
                "competency": post.get(prefix + "competency") or None,
                "guidance": post.get(prefix + "guidance", ""),
            }
    return [
        {
            "name": sections[i]["name"],
            "criteria": [c for _, c in sorted(sections[i]["criteria"].items())],
        }
        for i in sorted(sections)
    ]


def _apply_builder_op(sections: list[dict], op: str) -> None:
    """Add, remove or move a section or criterion (the page works without JavaScript)."""
    parts = op.split("-")
    verb, what, idx = (
        parts[0],
        parts[1] if len(parts) > 1 else "",
        [int(p) for p in parts[2:] if p.isdigit()],
    )

    def swap(items: list, i: int, j: int) -> None:
        if 0 <= i < len(items) and 0 <= j < len(items):
            items[i], items[j] = items[j], items[i]

    if verb == "add" and what == "section":
        sections.append({"name": "", "criteria": [_blank_criterion()]})
    elif verb == "add" and what == "criterion" and len(idx) == 1 and idx[0] < len(sections):
        sections[idx[0]]["criteria"].append(_blank_criterion())
    elif what == "section" and len(idx) == 1 and idx[0] < len(sections):
        i = idx[0]
        if verb == "remove":
            sections.pop(i)
        elif verb in ("up", "down"):
            swap(sections, i, i - 1 if verb == "up" else i + 1)
    elif what == "criterion" and len(idx) == 2 and idx[0] < len(sections):
        rows = sections[idx[0]]["criteria"]
        i, j = idx
        if verb == "remove" and j < len(rows):
            rows.pop(j)
        elif verb in ("up", "down") and j < len(rows):
            swap(rows, j, j - 1 if verb == "up" else j + 1)


def _with_errors(sections: list[dict], fields: dict) -> list[dict]:
    """Attach the service's field errors (sections.0.criteria.1.weight) to the rows."""
    out = []
    for i, section in enumerate(sections):
        prefix = f"sections.{i}."
        rows = []
        for j, c in enumerate(section["criteria"]):
            cp = f"{prefix}criteria.{j}."
            rows.append(
                {**c, "errors": {k[len(cp) :]: v[0] for k, v in fields.items() if k.startswith(cp)}}
            )
        errors = {
            k[len(prefix) :]: v[0]
            for k, v in fields.items()
            if k.startswith(prefix) and k.count(".") == 2
        }
        out.append({**section, "criteria": rows, "errors": errors})
    return out


def _builder(request, rubric: Rubric | None):
    """Create (rubric None) or edit a scorecard: sections, criteria, weights, auto-fail, order."""
    from kefu.quality.models import Competency

    in_use = rubric is not None and services.rubric_in_use(rubric)
    fields: dict = {}
    error = ""
    if request.method == "POST":
        data = {
            "name": request.POST.get("name", ""),
            "description": request.POST.get("description", ""),
            "is_active": bool(request.POST.get("is_active")),
        }
        sections = _posted_sections(request.POST)
        op = request.POST.get("op", "save")
        if op != "save":
            _apply_builder_op(sections, op)
        else:
            try:
                if rubric is None:
                    saved = services.rubric_create(
                        actor=request.user,
                        sections=sections,
                        **{k: data[k] for k in ("name", "description")},
                    )
                    messages.success(request, _("Scorecard created."))
                else:
                    saved = services.rubric_update(
                        actor=request.user,
                        rubric=rubric,
                        expected_version=int(request.POST.get("version") or 0),
                        sections=sections,
                        **data,
                    )
                    if saved.pk != rubric.pk:
                        messages.success(
                            request,
                            _(
                                "Saved as revision %(revision)s. The evaluations made with "
                                "revision %(old)s keep it."
                            )
                            % {"revision": saved.revision, "old": rubric.revision},
                        )
                    else:
                        messages.success(request, _("Scorecard saved."))
            except KefuError as exc:
                error, fields = exc.message, exc.fields
            else:
                return redirect("quality:rubric", pk=saved.pk)
    elif rubric is not None:
        data = {
            "name": rubric.name,
            "description": rubric.description,
            "is_active": rubric.is_active,
        }
        sections = services.rubric_structure(rubric)
    else:
        start = request.GET.get("start", "")
        data = {"name": "", "description": "", "is_active": True}
        sections = [{"name": "", "criteria": [_blank_criterion()]}]
        if start == "8f":
            data["name"] = services.EIGHT_F_NAME
            data["description"] = services.EIGHT_F_DESCRIPTION
            if Rubric.objects.filter(name=data["name"], is_current=True).exists():
                data["name"] = ""
            sections = services.eight_f_structure(actor=request.user)
        elif start.isdigit() and (source := Rubric.objects.filter(pk=int(start)).first()):
            data["description"] = source.description
            sections = services.rubric_structure(source)
    return render(
        request,
        "quality/rubric_builder.html",
        {
            "rubric": rubric,
            "in_use": in_use,
            "data": data,
            "sections": _with_errors(sections, fields),
            "error": error,
            "name_error": (fields.get("name") or [""])[0],
            "sections_error": (fields.get("sections") or [""])[0],
            "competencies": list(Competency.objects.values_list("pk", "name")),
            "sources": list(selectors.rubric_list()) if rubric is None else [],
            "start": request.GET.get("start", ""),
        },
        status=422 if error else 200,
    )


def rubric_new(request):
    require_perm(request.user, "quality.add_rubric")
    return _builder(request, None)


def rubric_edit(request, pk: int):
    require_perm(request.user, "quality.change_rubric")
    rubric = get_object_or_404(Rubric, pk=pk)
    if not rubric.is_current:
        current = rubric
        while (nxt := Rubric.objects.filter(previous=current).first()) is not None:
            current = nxt
        messages.info(request, _("That is an old revision; this is the current one."))
        return redirect("quality:rubric-edit", pk=current.pk)
    return _builder(request, rubric)


def calibrations(request):
    require_perm(request.user, services.EVALUATE)
    form = CalibrationForm(request.POST or None)
    rubrics_ = list(selectors.rubric_list(active_only=True))
    if request.method == "POST" and form.is_valid():
        ticket = selectors.ticket_by_number(form.cleaned_data["ticket"])
        rubric = next((r for r in rubrics_ if str(r.pk) == request.POST.get("rubric")), None)
        if ticket is None or rubric is None:
            form.add_error("ticket", _("No such ticket or scorecard."))
        else:
            session = services.calibration_create(
                actor=request.user, ticket=ticket, rubric=rubric, name=form.cleaned_data["name"]
            )
            return redirect("quality:calibration", pk=session.pk)
    page = Paginator(selectors.calibration_list(), 50).get_page(request.GET.get("page"))
    return render(
        request, "quality/calibrations.html", {"page": page, "form": form, "rubrics": rubrics_}
    )


def calibration_detail(request, pk: int):
    require_perm(request.user, services.EVALUATE)
    session = get_object_or_404(selectors.calibration_list(), pk=pk)
    if request.method == "POST":
        services.calibration_close(actor=request.user, session=session)
        return redirect("quality:calibration", pk=pk)
    evaluations_ = list(session.evaluations.select_related("evaluator"))
    overall = scoring.spread([e.score for e in evaluations_])
    per_criterion = scoring.criterion_spread(selectors.calibration_scores(session)).to_dicts()
    texts = {c.pk: c.text for c in selectors.rubric_criteria(session.rubric)}
    for row in per_criterion:
        row["text"] = texts.get(row["criterion_id"], "")
    return render(
        request,
        "quality/calibration.html",
        {
            "session": session,
            "evaluations": evaluations_,
            "overall": overall,
            "criteria": per_criterion,
            "scored": any(e.evaluator_id == request.user.pk for e in evaluations_),
        },
    )


def mystery(request):
    require_perm(request.user, services.EVALUATE)
    form = MysteryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ticket = selectors.ticket_by_number(form.cleaned_data["ticket"])
        if ticket is None:
            form.add_error("ticket", _("No such ticket."))
        else:
            try:
                services.mystery_contact_create(
                    actor=request.user,
                    ticket=ticket,
                    shopper=form.cleaned_data["shopper"],
                    scenario=form.cleaned_data["scenario"],
                )
            except KefuError as exc:
                _error(request, exc)
            else:
                messages.success(request, _("Recorded as a mystery-customer contact."))
                return redirect("quality:mystery")
    page = Paginator(selectors.mystery_list(), 50).get_page(request.GET.get("page"))
    return render(request, "quality/mystery.html", {"page": page, "form": form})


# --- targets and actions ----------------------------------------------------------------------


def targets(request):
    require_perm(request.user, VIEW)
    form = TargetForm(request.POST or None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "decompose":
                split = DecomposeForm(request.POST)
                target = get_object_or_404(KpiTarget, pk=request.POST.get("target"))
                if split.is_valid():
                    services.target_decompose(
                        actor=request.user, target=target, method=split.cleaned_data["method"]
                    )
                    messages.success(request, _("Target split."))
                return redirect("quality:targets")
            if form.is_valid():
                services.target_create(actor=request.user, **form.cleaned_data)
                messages.success(request, _("Target saved."))
                return redirect("quality:targets")
        except KefuError as exc:
            _error(request, exc)
    rows = selectors.target_progress(list(selectors.target_list()[:200]))
    return render(
        request,
        "quality/targets.html",
        {"rows": rows, "form": form, "split_form": DecomposeForm()},
    )


def actions(request):
    require_perm(request.user, VIEW)
    form = ActionForm(request.POST or None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "move":
                action = get_object_or_404(ImprovementAction, pk=request.POST.get("pk"))
                services.action_move(
                    actor=request.user,
                    action=action,
                    to_state=request.POST.get("to", ""),
                    expected_version=int(request.POST.get("version", 0)),
                    conclusion=request.POST.get("conclusion", ""),
                )
                return redirect("quality:actions")
            if form.is_valid():
                services.action_create(actor=request.user, owner=request.user, **form.cleaned_data)
                return redirect("quality:actions")
        except KefuError as exc:
            _error(request, exc)
    page = Paginator(selectors.action_list(), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "quality/actions.html",
        {"page": page, "form": form, "definitions": kpis.KPI_DEFINITIONS},
    )


# --- people -----------------------------------------------------------------------------------


def people_view(request):
    """Competency radar with the weakest area and training; recognition; staff care."""
    require_staff(request.user)
    sees_all = request.user.has_perm(VIEW)
    agents = (
        get_user_model().objects.filter(qa_evaluations__isnull=False).distinct().order_by("pk")
        if sees_all
        else []
    )
    agent_id = request.GET.get("agent", "")
    if agent_id.isdigit() and sees_all:
        agent_id = int(agent_id)
    elif sees_all and agents:
        agent_id = agents[0].pk
    else:
        agent_id = request.user.pk
    if request.method == "POST":
        try:
            if request.POST.get("action") == "assign":
                services.training_assign(
                    actor=request.user,
                    agent=get_object_or_404(get_user_model(), pk=agent_id),
                    item=get_object_or_404(TrainingItem, pk=request.POST.get("item")),
                )
            elif request.POST.get("action") == "complete":
                services.training_complete(
                    actor=request.user,
                    assignment=get_object_or_404(TrainingAssignment, pk=request.POST.get("pk")),
                )
            elif request.POST.get("action") == "coached":
                services.coaching_complete(
                    actor=request.user,
                    record=get_object_or_404(CoachingRecord, pk=request.POST.get("pk")),
                    note=request.POST.get("note", ""),
                )
        except KefuError as exc:
            _error(request, exc)
        return redirect(f"{request.path}?agent={agent_id}")
    context = selectors.people_overview(agent_id=agent_id, include_team=sees_all)
    context["radar"] = (
        charts.radar_figure(
            [row["name"] for row in context["profile"]],
            [row["score"] for row in context["profile"]],
            _("Competency profile of %(name)s") % {"name": context["agent_name"]},
        )
        if context["profile"]
        else None
    )
    ranking = context.get("ranking") or []
    context["balanced_chart"] = (
        charts.balanced_figure([r["name"] for r in ranking], [r["balanced"] for r in ranking])
        if ranking
        else None
    )
    context["agents"] = agents
    context["sees_all"] = sees_all
    context["agent_id"] = agent_id
    context["now"] = timezone.now()
    return render(request, "quality/people.html", context)


def evaluation_for_ticket(request, ticket_id: int):
    """Link target for the ticket page: start an evaluation of this ticket."""
    require_perm(request.user, services.EVALUATE)
    ticket = get_object_or_404(Ticket, pk=ticket_id)
    return redirect(f"/quality/evaluate/?ticket={ticket.public_id or ticket.pk}")
