"""Approvals of compensation (M18), the 3W report of a complaint (M14) and macros."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm, require_staff
from kefu.core.spreadsheet import safe_row
from kefu.tickets import selectors, services
from kefu.tickets.access import visible_tickets
from kefu.tickets.events_display import change_rows, event_label, reference_names
from kefu.tickets.forms import DecisionForm, MacroForm, tag_names
from kefu.tickets.models import Compensation, Macro
from kefu.tickets.views.common import error_text, visible_ticket_or_404

APPROVE = "tickets.approve_compensation"


def approvals(request):
    """Compensation requests awaiting the user's decision (supervisors see all pending ones)."""
    require_staff(request.user)
    require_perm(request.user, APPROVE)
    pending = list(selectors.pending_approvals(request.user))
    return render(
        request,
        "tickets/approvals.html",
        {
            "mine": [c for c in pending if c.approver_id == request.user.pk],
            "others": [c for c in pending if c.approver_id != request.user.pk],
            "form": DecisionForm(),
        },
    )


@require_POST
def compensation_decide_view(request, pk: int):
    require_staff(request.user)
    require_perm(request.user, APPROVE)
    compensation = (
        Compensation.objects.filter(pk=pk, ticket__in=visible_tickets(request.user))
        .select_related("ticket")
        .first()
    )
    if compensation is None:
        raise Http404(_("No such compensation."))
    form = DecisionForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    if not form.is_valid():
        messages.error(request, _("Approve or reject, with a reason when rejecting."))
        return redirect(back or "tickets:approvals")
    data = form.cleaned_data
    try:
        result = services.compensation_decide(
            actor=request.user,
            compensation=compensation,
            approve=data["decision"] == "approve",
            note=data["note"],
            expected_version=data["version"],
        )
    except KefuError as exc:
        messages.error(request, error_text(exc))
    else:
        if result.state == "pending":
            messages.info(
                request,
                _("Above your own limit: passed on to %(name)s.") % {"name": result.approver},
            )
        else:
            messages.success(
                request,
                _("Compensation approved.")
                if result.state == "approved"
                else _("Compensation rejected."),
            )
    return redirect(back or "tickets:approvals")


def three_w_report(request, pk: int):
    """What we knew, when we knew it, what we did — as a printable page or CSV (?format=csv)."""
    ticket = visible_ticket_or_404(request, pk)
    report = selectors.three_w_report(ticket)
    names = reference_names(report)
    rows = [
        {
            **row,
            "label": event_label(row["what_we_did"]),
            "changes": change_rows(row["changes"], names),
        }
        for row in report
    ]
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="3w-{ticket.public_id}.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 Chinese text correctly with a BOM
        writer = csv.writer(response)
        writer.writerow([_("When"), _("Who"), _("What we did"), _("What we knew"), _("Changes")])
        for row in rows:
            writer.writerow(
                safe_row(
                    [
                        timezone.localtime(row["when"]).strftime("%Y-%m-%d %H:%M:%S"),
                        row["who"],
                        row["label"],
                        row["what_we_knew"],
                        "; ".join(f"{c['field']}: {c['old']} → {c['new']}" for c in row["changes"]),
                    ]
                )
            )
        return response
    messages_ = list(ticket.messages.exclude(kind="note").order_by("created_at")[:200])
    return render(
        request,
        "tickets/three_w.html",
        {"ticket": ticket, "rows": rows, "customer_messages": messages_, "now": timezone.now()},
    )


def macro_list(request):
    require_staff(request.user)
    require_perm(request.user, "tickets.view_macro")
    return render(
        request,
        "tickets/macros.html",
        {"macros": Macro.objects.order_by("-is_active", "name")},
    )


def macro_edit(request, pk: int | None = None):
    require_staff(request.user)
    macro = get_object_or_404(Macro, pk=pk) if pk else None
    require_perm(request.user, "tickets.change_macro" if macro else "tickets.add_macro")
    initial = (
        {
            "name": macro.name,
            "body": macro.body,
            "set_status": macro.set_status,
            "add_tags": ", ".join(macro.add_tags),
            "is_active": macro.is_active,
        }
        if macro
        else None
    )
    form = MacroForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {**form.cleaned_data, "add_tags": tag_names(form.cleaned_data["add_tags"])}
        try:
            services.macro_save(actor=request.user, macro=macro, values=values)
        except KefuError as exc:
            for field, errors in exc.fields.items():
                form.add_error(field if field in form.fields else None, errors)
            if not exc.fields:
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("Macro saved."))
            return redirect("tickets:macros")
    return render(request, "tickets/macro_form.html", {"form": form, "macro": macro})
