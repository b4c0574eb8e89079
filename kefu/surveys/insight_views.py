"""Cross-survey pages: loyalty vs satisfaction (M7), the service waterfall (M30) and the 5-gap
model (M44). Parse the query string, call insight_selectors, render charts with their tables."""

from __future__ import annotations

import math

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from kefu.core.permissions import require_perm
from kefu.surveys import charts, insight_selectors, insights, selectors
from kefu.surveys.models import Instrument, Survey
from kefu.surveys.scoring import SERVQUAL_DIMENSIONS
from kefu.surveys.waterfall import STAGE_LABELS, STAGES

RESULTS = "surveys.view_results"


def _number(request, name: str, default: float, low: float, high: float) -> float:
    try:
        value = float(request.GET.get(name, default))
    except (TypeError, ValueError):
        return default
    return min(max(value, low), high)


def loyalty_params(request) -> dict:
    return {
        "days": int(_number(request, "days", 365, 30, 3650)),
        "satisfied_min": _number(request, "satisfied_min", 4, 1, 5),
        "loyal_min": _number(request, "loyal_min", 50, 0, 100),
    }


def loyalty(request):
    require_perm(request.user, RESULTS)
    params = loyalty_params(request)
    report = insight_selectors.loyalty_report(**params)
    return render(
        request,
        "surveys/loyalty.html",
        {
            "report": report,
            "params": params,
            "summary": report.summary,
            "show_names": request.user.has_perm("customers.view_customer"),
            "figure": charts.loyalty_figure(report.summary.by_satisfaction, params["loyal_min"]),
        },
    )


def waterfall_params(request) -> dict:
    granularity = request.GET.get("granularity", "quarter")
    return {
        "granularity": granularity if granularity in insights.GRANULARITIES else "quarter",
        "before": request.GET.get("before", ""),
        "after": request.GET.get("after", ""),
    }


def waterfall(request):
    require_perm(request.user, RESULTS)
    params = waterfall_params(request)
    report = insight_selectors.waterfall_report(**params)
    # waterfall.py marks its labels for extraction only: translate them here.
    stage_labels = {s: _(STAGE_LABELS[s]) for s in STAGES}
    labels = list(stage_labels.values())
    transition = report.transition
    matrix_rows = []
    heatmap = None
    if transition is not None:
        shares = [
            [None if math.isnan(v) else float(v) for v in row] for row in transition.matrix.shares
        ]
        counts = transition.matrix.counts.tolist()
        matrix_rows = [(labels[i], counts[i], sum(counts[i])) for i in range(len(STAGES))]
        heatmap = charts.transition_figure(shares, labels, transition.before, transition.after)
    return render(
        request,
        "surveys/waterfall.html",
        {
            "report": report,
            "params": params,
            "stage_labels": stage_labels,
            "stage_keys": list(stage_labels),
            "labels": labels,
            "transition": transition,
            "matrix_rows": matrix_rows,
            "stack_figure": charts.waterfall_figure(report.counts, stage_labels)
            if report.counts
            else None,
            "heatmap": heatmap,
        },
    )


def servqual_surveys():
    return Survey.objects.filter(instrument=Instrument.SERVQUAL).order_by("-created_at", "-id")


def gap_report(user, *, survey_id: str = "", days: int = 90) -> dict:
    """Everything the 5-gap page and its API show (the chosen SERVQUAL survey's gap 5, default
    the latest)."""
    surveys = list(servqual_surveys()[:50])
    survey = next((s for s in surveys if str(s.pk) == survey_id), surveys[0] if surveys else None)
    if survey is not None and not selectors.can_view_results(user, survey):
        raise PermissionDenied(_("You may not see the results of this survey."))
    servqual = selectors.survey_results(survey).servqual if survey else None
    measures = insight_selectors.gap_measures(days=days)
    met = sum(row["met"] for row in measures.compliance)
    decided = met + sum(row["breached"] for row in measures.compliance)
    standards = {
        "first_response": measures.first_response_minutes is not None,
        "resolution": measures.resolution_minutes is not None,
    }
    indicators = insights.gap_indicators(
        servqual,
        standards=standards,
        coverage=measures.coverage,
        compliance=met / decided if decided else None,
        promises_kept=measures.kept_share,
    )
    expectations = insights.expectation_by_dimension(servqual) if servqual else {}
    dimensions = [
        {
            "dimension": d,
            "label": charts.dimension_label(d),
            "expectation": expectations.get(d),
            "points": ((servqual or {}).get("points") or {}).get(d),
            "gap": servqual["dimensions"].get(d) if servqual else None,
            "standard": d in {insights.STANDARD_DIMENSIONS[k] for k, v in standards.items() if v},
        }
        for d in SERVQUAL_DIMENSIONS
    ]
    return {
        "surveys": surveys,
        "survey": survey,
        "days": days,
        "servqual": servqual,
        "measures": measures,
        "indicators": indicators,
        "dimensions": dimensions,
    }


def gaps(request):
    require_perm(request.user, RESULTS)
    context = gap_report(
        request.user,
        survey_id=request.GET.get("survey", ""),
        days=int(_number(request, "days", 90, 7, 730)),
    )
    indicators = context["indicators"]
    names = gap_names()
    context["gap_rows"] = [(key, names[key], indicators[key]) for key in names]
    context["figure"] = charts.gaps_figure(
        [(short, indicators[k]) for k, short in gap_short_names().items()]
    )
    return render(request, "surveys/gaps.html", context)


def gap_names() -> dict[str, str]:
    return {
        "gap1": _("Gap 1 — knowledge"),
        "gap2": _("Gap 2 — standards"),
        "gap3": _("Gap 3 — delivery"),
        "gap4": _("Gap 4 — communication"),
        "gap5": _("Gap 5 — service quality"),
    }


def gap_short_names() -> dict[str, str]:
    return {"gap1": _("Gap 1"), "gap2": _("Gap 2"), "gap3": _("Gap 3"), "gap4": _("Gap 4")}
