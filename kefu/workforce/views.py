"""Planning pages: overview, staffing calculator, forecast & schedule requirement, simulation
runner and build options. Thin: parse the form, call planning/services, render."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm, require_staff
from kefu.workforce import charts, planning, selectors, services, simulation_runner
from kefu.workforce.build_options import SourcingOption
from kefu.workforce.forms import BuildOptionsForm, ForecastForm, SimulationForm, StaffingForm
from kefu.workforce.models import SimulationRun

PLAN = "workforce.use_planning"


def home(request):
    require_staff(request.user)
    if not request.user.has_perm(PLAN):
        require_perm(request.user, "workforce.view_agentpresence")
        return redirect("workforce:presence")
    wall = selectors.live_wall()
    return render(
        request,
        "workforce/home.html",
        {
            "wall": wall,
            "waiting": sum(row["waiting"] for row in wall["queues"]),
            "runs": selectors.simulation_run_list()[:5],
        },
    )


def _bound(form_class, request):
    """A GET form bound to the query string, or to its initial values on first visit."""
    if request.GET:
        return form_class(request.GET)
    defaults = {n: f.initial for n, f in form_class.base_fields.items() if f.initial is not None}
    return form_class(defaults)


def staffing(request):
    require_perm(request.user, PLAN)
    form = _bound(StaffingForm, request)
    result = figure = None
    if form.is_valid():
        data = form.cleaned_data
        max_occupancy = data.get("max_occupancy_percent")
        try:
            result = planning.staffing_curve(
                volume=data["volume"],
                interval_s=int(data["interval_minutes"]) * 60,
                aht_s=data["aht_s"],
                target_service_level=data["target_percent"] / 100,
                answer_s=data["answer_s"],
                shrinkage=data["shrinkage_percent"] / 100,
                max_occupancy=max_occupancy / 100 if max_occupancy else None,
                patience_s=data.get("patience_s"),
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            figure = charts.staffing_figure(result, data["target_percent"] / 100)
            curve = result["curve"]
            result["rows"] = [
                {
                    "agents": n,
                    "service_level": curve["service_level"][i],
                    "asa_s": curve["asa_s"][i],
                    "occupancy": curve["occupancy"][i],
                    "wait_probability": curve["wait_probability"][i],
                    "service_level_a": curve.get("service_level_a", [None] * len(curve["agents"]))[
                        i
                    ],
                    "abandonment_a": curve.get("abandonment_a", [None] * len(curve["agents"]))[i],
                    "is_required": n == result["required"],
                }
                for i, n in enumerate(curve["agents"])
            ]
    return render(
        request, "workforce/staffing.html", {"form": form, "result": result, "figure": figure}
    )


def forecast(request):
    require_perm(request.user, PLAN)
    form = ForecastForm(request.GET or None)
    result = figures = None
    source = ""
    if request.GET and form.is_valid():
        data = form.cleaned_data
        queue = data["queue"]
        interval_s = int(data["interval_minutes"]) * 60
        local_now = timezone.localtime()
        end = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        start = end - dt.timedelta(weeks=data["weeks"])
        timestamps, source = selectors.contact_history(
            channel=queue.channel if queue else data["channel"],
            team_id=queue.team_id if queue else None,
            queue_name=queue.name if queue else "",
            since=start,
            until=end,
            source=data["source"],
        )
        aht = data["aht_s"] or (queue.aht_seconds if queue else 180)
        try:
            result = planning.forecast_requirement(
                timestamps,
                history_start=np.datetime64(start.replace(tzinfo=None), "s"),
                history_end=np.datetime64(end.replace(tzinfo=None), "s"),
                interval_s=interval_s,
                horizon_days=data["horizon_days"],
                holdout_days=data["holdout_days"],
                method=data["method"],
                holidays=tuple(str(d) for d in data["holidays"]),
                aht_s=aht,
                target_service_level=data["target_percent"] / 100,
                answer_s=data["answer_s"],
                shrinkage=data["shrinkage_percent"] / 100,
                scheduled_agents=data["scheduled_agents"],
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            result["aht_s"] = aht
            figures = {
                "line": charts.forecast_figure(result),
                "heat": charts.heatmap_figure(
                    result["heat_scheduled"],
                    result["slot_labels"],
                    _("Agents to schedule, by weekday and time"),
                    _("agents"),
                ),
            }
            if result["heat_gap"] is not None:
                figures["gap"] = charts.heatmap_figure(
                    result["heat_gap"],
                    result["slot_labels"],
                    _("Scheduled minus required agents"),
                    _("agents"),
                    diverging=True,
                )
            days = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
            result["heat_rows"] = list(zip(days, result["heat_scheduled"], strict=True))
    return render(
        request,
        "workforce/forecast.html",
        {"form": form, "result": result, "figures": figures, "source": source},
    )


def simulation(request):
    require_perm(request.user, PLAN)
    form = SimulationForm(request.POST or None)
    if request.method == "POST":
        require_perm(request.user, "workforce.add_simulationrun")
        if form.is_valid():
            data = dict(form.cleaned_data)
            name = data.pop("name")
            seed, replications = data.pop("seed"), data.pop("replications")
            data["plan_deflection"] = data.pop("plan_deflection_percent") / 100
            inputs = simulation_runner.simple_inputs(**data)
            inputs["form"] = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
            try:
                run = services.simulation_run_create(
                    actor=request.user,
                    inputs=inputs,
                    seed=seed,
                    replications=replications,
                    name=name,
                )
            except KefuError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("workforce:simulation-run", run.pk)
    elif request.GET.get("from"):
        previous = SimulationRun.objects.filter(pk=request.GET["from"]).first()
        if previous is not None and previous.inputs.get("form"):
            form = SimulationForm(initial=previous.inputs["form"])
    return render(
        request,
        "workforce/simulation.html",
        {"form": form, "runs": selectors.simulation_run_list()[:10]},
    )


def simulation_run(request, run_id: int):
    require_perm(request.user, PLAN)
    run = get_object_or_404(SimulationRun.objects.select_related("created_by"), pk=run_id)
    figures = rows = None
    if run.status == "done" and run.results:
        figures = charts.simulation_figures(run.results)
        metrics = [
            ("service_level", _("Service level"), "percent"),
            ("asa_s", _("Average speed of answer (s)"), "seconds"),
            ("abandonment_rate", _("Abandonment rate"), "percent"),
            ("occupancy", _("Occupancy"), "percent"),
            ("mean_queue_length", _("Mean queue length"), "number"),
            ("offered", _("Offered contacts"), "number"),
            ("answered", _("Answered"), "number"),
            ("abandoned", _("Abandoned"), "number"),
            ("deflected", _("Deflected by broadcast"), "number"),
        ]
        plan = run.results.get("plan")
        rows = [
            {
                "label": label,
                "kind": kind,
                "baseline": run.results["baseline"]["totals"][key],
                "plan": plan["totals"][key] if plan else None,
            }
            for key, label, kind in metrics
        ]
    return render(
        request,
        "workforce/simulation_run.html",
        {
            "run": run,
            "figures": figures,
            "rows": rows,
            "interval_table": _interval_table(run.results) if figures else None,
            "refresh": run.status in ("queued", "running"),
        },
    )


def _interval_table(results: dict) -> list[dict]:
    baseline = results["baseline"]
    plan = results.get("plan")
    table = []
    for i, start in enumerate(baseline["interval_start_s"]):
        row = {"start_h": start / 3600.0}
        for metric in ("service_level", "asa_s", "abandonment_rate", "mean_queue_length"):
            row[metric] = baseline["intervals"][metric]["mean"][i]
            row[f"plan_{metric}"] = plan["intervals"][metric]["mean"][i] if plan else None
        row["offered"] = baseline["intervals"]["offered"]["mean"][i]
        table.append(row)
    return table


def build_options(request):
    require_perm(request.user, PLAN)
    form = _bound(BuildOptionsForm, request)
    report = figure = None
    if form.is_valid():
        data = form.cleaned_data
        options = [
            SourcingOption(
                "self_built",
                seat_cost_per_month=data["self_seat"],
                fixed_per_month=data["self_fixed"],
                price_per_minute=data["self_minute"],
            ),
            SourcingOption(
                "hosted",
                seat_cost_per_month=data["hosted_seat"],
                price_per_minute=data["hosted_minute"],
            ),
            SourcingOption(
                "outsourced",
                pays_wages=False,
                price_per_agent_hour=data["outsourced_hour"],
                price_per_contact=data["outsourced_contact"],
            ),
        ]
        scores = {}
        for key in ("self_built", "hosted", "outsourced"):
            scores[key] = {
                criterion: _score(request.GET.get(f"score_{key}_{criterion}"), default)
                for criterion, default in DEFAULT_SCORES[key].items()
            }
        report = planning.build_options_report(
            volumes=planning.uniform_week_profile(
                data["contacts_per_week"],
                data["open_from"],
                data["open_until"],
                data["days_per_week"],
            ),
            interval_s=1800,
            aht_s=data["aht_s"],
            target_service_level=data["target_percent"] / 100,
            answer_s=data["answer_s"],
            shrinkage=data["shrinkage_percent"] / 100,
            hourly_wage=data["hourly_wage"],
            options=options,
            labels={
                "self_built": _("Self-built"),
                "hosted": _("Hosted"),
                "outsourced": _("Outsourced"),
            },
            weights={c: data[f"weight_{c}"] for c in ("cost", "control", "speed", "flexibility")},
            qualitative_scores=scores,
        )
        figure = charts.build_options_figure(report["costs"])
        report["score_inputs"] = [
            {
                "key": key,
                "label": {
                    "self_built": _("Self-built"),
                    "hosted": _("Hosted"),
                    "outsourced": _("Outsourced"),
                }[key],
                "scores": [(c, scores[key][c]) for c in ("control", "speed", "flexibility")],
            }
            for key in ("self_built", "hosted", "outsourced")
        ]
    return render(
        request,
        "workforce/build_options.html",
        {"form": form, "report": report, "figure": figure, "criteria_labels": criteria_labels()},
    )


DEFAULT_SCORES = {
    "self_built": {"control": 5, "speed": 1, "flexibility": 2},
    "hosted": {"control": 4, "speed": 4, "flexibility": 4},
    "outsourced": {"control": 2, "speed": 5, "flexibility": 5},
}


def criteria_labels() -> dict[str, str]:
    return {
        "cost": _("Cost"),
        "control": _("Quality and control"),
        "speed": _("Speed to start"),
        "flexibility": _("Flexibility"),
    }


def _score(value, default: float) -> float:
    try:
        score = float(value)
    except (TypeError, ValueError):
        return float(default)
    return min(max(score, 0.0), 5.0)
