"""Customer-value analytics pages (managers and admins): thin — selectors and chart builders
do the work; every chart has its table and an Excel export."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.analytics import charts, selectors, services
from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm

VIEW = "analytics.view_analytics"
PAGES = {
    "home": ("value-distribution", "pareto", "tiers"),
    "segments": ("rfm", "segments", "migration"),
    "profitability": ("quadrant", "top", "loss"),
    "service": ("iceberg", "sigma"),
}


def _page(request, page: str, title: str):
    require_perm(request.user, VIEW)
    runs = selectors.latest_runs(2)
    context = {
        "page": page,
        "page_title": title,
        "run": runs[0] if runs else None,
        "summary": selectors.summary(runs[0]) if runs else {},
        "charts": [charts.build(key, runs) for key in PAGES[page]] if runs else [],
        "can_run": request.user.has_perm("analytics.run_analytics"),
        "can_set_tiers": request.user.has_perm("customers.change_tier"),
        "recent_runs": selectors.run_list(5) if page == "home" else [],
    }
    return render(request, "analytics/page.html", context)


def home(request):
    return _page(request, "home", _("Customer value"))


def segments(request):
    return _page(request, "segments", _("RFM segments and tiers"))


def profitability(request):
    return _page(request, "profitability", _("Profitability and cost to serve"))


def service(request):
    return _page(request, "service", _("Complaint iceberg and sigma levels"))


def export(request, key: str):
    require_perm(request.user, VIEW)
    if key not in charts.CHART_KEYS:
        raise Http404
    runs = selectors.latest_runs(2)
    if not runs:
        raise Http404
    return charts.workbook_response(charts.build(key, runs), runs[0])


@require_POST
def refresh(request):
    require_perm(request.user, "analytics.run_analytics")
    try:
        run = services.analytics_refresh_request(
            actor=request.user, update_tiers=request.POST.get("update_tiers") == "1"
        )
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Refresh #{run} queued; reload this page in a moment.").format(run=run.pk),
        )
    return redirect("analytics:home")
