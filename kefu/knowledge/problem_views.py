"""Problem-record pages (M22): list by status, detail with trend, edit, publish workaround.

Problem records belong to tickets; writes go through kefu.tickets.services.relations."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm, require_staff
from kefu.knowledge import selectors, services
from kefu.knowledge.forms import ProblemForm
from kefu.knowledge.models import Language, Visibility

VIEW = "tickets.view_problem"


def _problem(problem_id: int):
    return get_object_or_404(selectors.problem_list(), pk=problem_id)


def problem_list(request):
    from kefu.tickets.models import Problem

    require_staff(request.user)
    require_perm(request.user, VIEW)
    state = request.GET.get("state", "")
    state = state if state in Problem.State.values else ""
    page = Paginator(selectors.problem_list(state=state), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "knowledge/problems.html",
        {"page": page, "state": state, "states": Problem.State.choices},
    )


def problem_detail(request, problem_id: int):
    require_staff(request.user)
    require_perm(request.user, VIEW)
    problem = _problem(problem_id)
    trend = selectors.problem_trend(problem)
    figure = selectors.problem_trend_figure(
        trend,
        title=_("Linked tickets per week"),
        y_label=_("Tickets"),
        x_label=_("Week starting"),
    )
    form = ProblemForm(
        initial={
            "title": problem.title,
            "state": problem.state,
            "root_cause_detail": problem.root_cause_detail,
            "workaround": problem.workaround,
            "standard_fix": problem.standard_fix,
            "version": problem.version,
        }
    )
    return render(
        request,
        "knowledge/problem_detail.html",
        {
            "problem": problem,
            "tickets": selectors.problem_tickets(problem)[:100],
            "articles": problem.articles.all(),
            "trend": trend,
            "figure": figure,
            "form": form,
            "language_choices": Language.choices,
            "visibilities": Visibility.choices,
        },
    )


@require_POST
def problem_edit(request, problem_id: int):
    from kefu.tickets.services.relations import problem_update

    require_staff(request.user)
    problem = _problem(problem_id)
    form = ProblemForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            problem_update(
                actor=request.user,
                problem=problem,
                expected_version=data.pop("version"),
                changes=data,
            )
        except KefuError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Problem record saved."))
    else:
        messages.error(request, _("Some fields are not valid."))
    return redirect("knowledge:problem-detail", problem.pk)


@require_POST
def problem_publish(request, problem_id: int):
    require_staff(request.user)
    require_perm(request.user, VIEW)
    problem = _problem(problem_id)
    language = request.POST.get("language", Language.ZH_HANS)
    visibility = request.POST.get("visibility", Visibility.PUBLIC)
    if language not in Language.values or visibility not in Visibility.values:
        messages.error(request, _("Some fields are not valid."))
        return redirect("knowledge:problem-detail", problem.pk)
    try:
        article = services.problem_workaround_publish(
            actor=request.user, problem=problem, language=language, visibility=visibility
        )
    except KefuError as exc:
        messages.error(request, exc.message)
        return redirect("knowledge:problem-detail", problem.pk)
    messages.success(request, _("The workaround is now an article."))
    return redirect("knowledge:detail", article.pk)
