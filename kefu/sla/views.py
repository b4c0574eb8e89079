"""SLA admin pages: overview, calendars (with holiday import), ordered policies, escalation
rules and the compliance report. Reading needs the SLA view permission, changing needs
sla.manage_sla (administrators)."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm
from kefu.sla import charts, reporting, selectors, services
from kefu.sla.forms import (
    BreachReasonForm,
    CalendarForm,
    HolidayImportForm,
    PolicyForm,
    ReportForm,
    RuleForm,
)
from kefu.sla.models import BusinessCalendar, EscalationRule, SlaPolicy

VIEW = "sla.view_slapolicy"
MANAGE = "sla.manage_sla"


def _form_errors(form, exc: KefuError) -> None:
    for field, errors in exc.fields.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)
    if not exc.fields or not any(f in form.fields for f in exc.fields):
        form.add_error(None, exc.message)


def home(request):
    require_perm(request.user, VIEW)
    return render(
        request,
        "sla/home.html",
        {
            "policies": selectors.policy_list(),
            "calendars": selectors.calendar_list(),
            "rules": selectors.rule_list(),
            "can_manage": request.user.has_perm(MANAGE),
        },
    )


# --- calendars ------------------------------------------------------------------------------


def calendar_list(request):
    require_perm(request.user, VIEW)
    return render(
        request,
        "sla/calendars.html",
        {"calendars": selectors.calendar_list(), "can_manage": request.user.has_perm(MANAGE)},
    )


def calendar_edit(request, calendar_id: int | None = None):
    require_perm(request.user, MANAGE)
    calendar = get_object_or_404(BusinessCalendar, pk=calendar_id) if calendar_id else None
    initial = CalendarForm.initial_from(calendar) if calendar else None
    form = CalendarForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if calendar is None:
                calendar = services.calendar_create(actor=request.user, **form.service_data())
            else:
                services.calendar_update(
                    actor=request.user,
                    calendar=calendar,
                    expected_version=int(request.POST.get("version", 0)),
                    changes=form.service_data(),
                )
            messages.success(request, _("Calendar saved."))
            return redirect("sla:calendars")
        except KefuError as exc:
            _form_errors(form, exc)
    return render(
        request,
        "sla/calendar_form.html",
        {
            "form": form,
            "calendar": calendar,
            "import_form": HolidayImportForm(initial={"version": calendar.version})
            if calendar
            else None,
        },
    )


@require_POST
def calendar_import(request, calendar_id: int):
    require_perm(request.user, MANAGE)
    calendar = get_object_or_404(BusinessCalendar, pk=calendar_id)
    form = HolidayImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.calendar_import_holidays(
                actor=request.user,
                calendar=calendar,
                expected_version=form.cleaned_data["version"],
                data=form.cleaned_data["file"].read(),
                file_format=form.file_format(),
            )
            messages.success(request, _("Holidays imported."))
            return redirect("sla:calendar-edit", calendar_id=calendar.pk)
        except KefuError as exc:
            form.add_error("file", exc.message)
    return render(
        request,
        "sla/calendar_form.html",
        {
            "form": CalendarForm(initial=CalendarForm.initial_from(calendar)),
            "calendar": calendar,
            "import_form": form,
        },
        status=422,
    )


# --- policies -------------------------------------------------------------------------------


def policy_list(request):
    require_perm(request.user, VIEW)
    return render(
        request,
        "sla/policies.html",
        {"policies": selectors.policy_list(), "can_manage": request.user.has_perm(MANAGE)},
    )


def policy_edit(request, policy_id: int | None = None):
    require_perm(request.user, MANAGE)
    policy = get_object_or_404(SlaPolicy, pk=policy_id) if policy_id else None
    form = PolicyForm(
        request.POST or None, initial=PolicyForm.initial_from(policy) if policy else None
    )
    if request.method == "POST" and form.is_valid():
        data, categories, organizations = form.service_data()
        try:
            if policy is None:
                services.policy_create(
                    actor=request.user, categories=categories, organizations=organizations, **data
                )
            else:
                services.policy_update(
                    actor=request.user,
                    policy=policy,
                    expected_version=int(request.POST.get("version", 0)),
                    changes=data,
                    categories=categories,
                    organizations=organizations,
                )
            messages.success(request, _("Policy saved. It applies to new tickets."))
            return redirect("sla:policies")
        except KefuError as exc:
            _form_errors(form, exc)
    return render(
        request,
        "sla/policy_form.html",
        {
            "form": form,
            "policy": policy,
            "reapplications": selectors.reapplication_list(policy)[:5] if policy else [],
        },
    )


@require_POST
def policy_move(request, policy_id: int):
    """Move a policy one place up or down in the matching order."""
    require_perm(request.user, MANAGE)
    ids = list(selectors.policy_list().values_list("pk", flat=True))
    if policy_id in ids:
        index = ids.index(policy_id)
        other = index - 1 if request.POST.get("direction") == "up" else index + 1
        if 0 <= other < len(ids):
            ids[index], ids[other] = ids[other], ids[index]
            services.policy_reorder(actor=request.user, policy_ids=ids)
    return redirect("sla:policies")


@require_POST
def policy_reapply(request, policy_id: int):
    require_perm(request.user, MANAGE)
    policy = get_object_or_404(SlaPolicy, pk=policy_id)
    count = services.policy_reapply(actor=request.user, policy=policy)
    messages.success(request, _("Applied to %(count)d open tickets.") % {"count": count})
    return redirect("sla:policy-edit", policy_id=policy.pk)


# --- escalation rules -----------------------------------------------------------------------


def rule_list(request):
    require_perm(request.user, VIEW)
    return render(
        request,
        "sla/rules.html",
        {"rules": selectors.rule_list(), "can_manage": request.user.has_perm(MANAGE)},
    )


def rule_edit(request, rule_id: int | None = None):
    require_perm(request.user, MANAGE)
    rule = get_object_or_404(EscalationRule, pk=rule_id) if rule_id else None
    form = RuleForm(request.POST or None, initial=RuleForm.initial_from(rule) if rule else None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["tag"] = data.get("tag") or ""
        try:
            if rule is None:
                services.rule_create(actor=request.user, **data)
            else:
                services.rule_update(
                    actor=request.user,
                    rule=rule,
                    expected_version=int(request.POST.get("version", 0)),
                    changes=data,
                )
            messages.success(request, _("Escalation rule saved."))
            return redirect("sla:rules")
        except KefuError as exc:
            _form_errors(form, exc)
    return render(request, "sla/rule_form.html", {"form": form, "rule": rule})


# --- report ---------------------------------------------------------------------------------


def report(request):
    require_perm(request.user, VIEW)
    form = ReportForm(request.GET or None)
    today = timezone.localdate()
    filters = form.cleaned_data if form.is_valid() else {}
    date_to = filters.get("date_to") or today
    date_from = filters.get("date_from") or date_to - dt.timedelta(days=29)
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    group_by = filters.get("group_by") or "policy"
    result = reporting.sla_report(
        date_from=date_from, date_to=date_to, group_by=group_by, target=filters.get("target", "")
    )
    figure = charts.compliance_figure(result)
    return render(
        request,
        "sla/report.html",
        {
            "form": form,
            "report": result,
            "figure_json": json.dumps(figure) if figure else "",
        },
    )


@require_POST
def breach_reason(request, ticket_id: int):
    """Record why a breached clock of the ticket was missed (from the ticket page)."""
    from kefu.tickets.views.common import error_text, visible_ticket_or_404

    ticket = visible_ticket_or_404(request, ticket_id)
    form = BreachReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose why the target was missed."))
        return redirect("tickets:detail", ticket.pk)
    try:
        services.sla_breach_reason_set(actor=request.user, ticket=ticket, **form.cleaned_data)
    except KefuError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Breach reason recorded."))
    return redirect("tickets:detail", ticket.pk)
