"""Report pages (supervisors, managers, admins): executive dashboard, pivot with drill-down and
exports, saved reports, churn model and risk, SWOT. Thin: selectors and services do the work."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm
from kefu.reports import charts, selectors, services
from kefu.reports.exports import CONTENT_TYPES
from kefu.reports.exports import render as render_file
from kefu.reports.models import ExportFormat, Schedule, SwotQuadrant
from kefu.reports.pivot.engine import NONE, PivotError, parse_spec, run_pivot
from kefu.reports.pivot.fields import AGGREGATE_LABELS, datasets
from kefu.reports.pivot.present import drill_down

VIEW = selectors.VIEW


def spec_data(query) -> dict:
    """The pivot request in a GET/POST QueryDict → the dict parse_spec validates."""
    filters = {
        key[2:]: [part.strip() for v in query.getlist(key) for part in v.split(",") if part.strip()]
        for key in query
        if key.startswith("f_") and any(v.strip() for v in query.getlist(key))
    }
    return {
        "dataset": query.get("dataset", "tickets"),
        "dimensions": [d for d in query.getlist("dimensions") if d],
        "measures": [m for m in query.getlist("measures") if m],
        "filters": filters,
        "start": query.get("start") or None,
        "end": query.get("end") or None,
    }


def home(request):
    require_perm(request.user, VIEW)
    context = selectors.executive_dashboard()
    context["charts"] = charts.dashboard_charts(context)
    return render(request, "reports/home.html", context)


def _dataset_options():
    return [
        {
            "key": d.key,
            "label": d.label,
            "dimensions": [(k, dim.label) for k, dim in d.dimensions.items()],
            "measures": [
                (f"{a}:{k}", f"{AGGREGATE_LABELS[a]}: {m.label}")
                for k, m in d.measures.items()
                for a in d.aggregates
                if d.key == "kpis" or (a == "count") == (m.expression() == "pk")
            ],
        }
        for d in datasets().values()
    ]


def pivot(request):
    require_perm(request.user, VIEW)
    data = spec_data(request.GET)
    context = {
        "datasets": _dataset_options(),
        "data": data,
        "saved": selectors.saved_report_list(request.user),
        "schedules": Schedule.choices,
        "formats": ExportFormat.choices,
        "none": NONE,
    }
    if "run" in request.GET or request.GET.get("dimensions"):
        try:
            result = run_pivot(parse_spec(data))
        except PivotError as exc:
            context["error"] = exc.message
            return render(request, "reports/pivot.html", context, status=400)
        context.update(charts.pivot_context(result))
        context["query"] = request.GET.urlencode()
    return render(request, "reports/pivot.html", context)


def export(request, fmt: str):
    require_perm(request.user, VIEW)
    if fmt not in CONTENT_TYPES:
        return HttpResponse(status=404)
    try:
        table = selectors.report_table(
            spec_data(request.GET), title=request.GET.get("title") or _("Report")
        )
    except PivotError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    return _file(table, fmt, "report")


def _file(table, fmt: str, stem: str) -> HttpResponse:
    response = HttpResponse(render_file(table, fmt), content_type=CONTENT_TYPES[fmt])
    name = f"{stem}-{timezone.localdate():%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def drill(request):
    require_perm(request.user, VIEW)
    data = spec_data(request.GET)
    values = {k[2:]: v for k, v in request.GET.items() if k.startswith("v_")}
    try:
        records = drill_down(parse_spec(data), values)
    except PivotError as exc:
        return render(request, "reports/drill.html", {"error": exc.message}, status=400)
    return render(
        request,
        "reports/drill.html",
        {"records": records, "values": values, "back": request.GET.urlencode()},
    )


@require_POST
def save(request):
    require_perm(request.user, "reports.add_savedreport")
    try:
        report = services.saved_report_create(
            actor=request.user,
            name=request.POST.get("name", ""),
            spec=spec_data(request.POST),
            shared=request.POST.get("shared") == "1",
            schedule=request.POST.get("schedule", ""),
            recipients=request.POST.get("recipients", ""),
            export_format=request.POST.get("export_format", ExportFormat.XLSX),
        )
    except KefuError as exc:
        messages.error(request, exc.message)
        return redirect(selectors.pivot_url(spec_data(request.POST)))
    messages.success(request, _("Report “%s” saved.") % report.name)
    return redirect(selectors.pivot_url(report.spec))


def saved_list(request):
    require_perm(request.user, VIEW)
    reports = [(r, selectors.pivot_url(r.spec)) for r in selectors.saved_report_list(request.user)]
    return render(request, "reports/saved.html", {"reports": reports})


@require_POST
def saved_delete(request, pk: int):
    require_perm(request.user, VIEW)
    report = selectors.saved_report_get(request.user, pk)
    try:
        services.saved_report_delete(actor=request.user, report=report)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Report deleted."))
    return redirect("reports:saved")


def churn(request):
    require_perm(request.user, selectors.VIEW_MINING)
    run = selectors.latest_churn_run()
    context = {
        "run": run,
        "charts": charts.churn_charts(run) if run else [],
        "at_risk": [
            (risk, [selectors.feature_label(f["feature"]) for f in risk.factors])
            for risk in selectors.revenue_at_risk_list(50)
        ],
        "totals": selectors.risk_totals(),
        "runs": selectors.churn_run_list(5),
        "can_train": request.user.has_perm("reports.run_mining"),
    }
    return render(request, "reports/churn.html", context)


@require_POST
def churn_train(request):
    require_perm(request.user, "reports.run_mining")
    try:
        run = services.churn_model_train(actor=request.user)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Churn model #%(id)s trained: AUC %(auc).3f.")
            % {"id": run.pk, "auc": run.metrics["auc"]},
        )
    return redirect("reports:churn")


def swot(request):
    require_perm(request.user, VIEW)
    context = {
        "quadrants": [
            (key, label, items)
            for (key, label), items in zip(
                SwotQuadrant.choices, selectors.swot_analysis().values(), strict=True
            )
        ],
        "can_edit": request.user.has_perm("reports.add_swotentry"),
    }
    return render(request, "reports/swot.html", context)


def swot_export(request, fmt: str):
    require_perm(request.user, VIEW)
    if fmt not in CONTENT_TYPES:
        return HttpResponse(status=404)
    return _file(selectors.swot_table(selectors.swot_analysis()), fmt, "swot")


@require_POST
def swot_add(request):
    require_perm(request.user, "reports.add_swotentry")
    try:
        services.swot_entry_add(
            actor=request.user,
            quadrant=request.POST.get("quadrant", ""),
            text=request.POST.get("text", ""),
        )
    except KefuError as exc:
        messages.error(request, exc.message)
    return redirect("reports:swot")


@require_POST
def swot_delete(request, pk: int):
    require_perm(request.user, "reports.delete_swotentry")
    entry = selectors.swot_entry_get(pk)
    if entry is not None:
        services.swot_entry_delete(actor=request.user, entry=entry)
    return redirect("reports:swot")
