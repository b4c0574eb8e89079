"""Tickets in relation, from the ticket page: split a message off, incidents (M28)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm
from kefu.tickets import selectors, services
from kefu.tickets.forms import (
    BroadcastForm,
    IncidentAttachForm,
    IncidentSolveForm,
    SplitForm,
    ticket_numbers,
)
from kefu.tickets.models import Message
from kefu.tickets.views.common import error_text, render_ticket_page, visible_ticket_or_404

CHANGE = "tickets.change_ticket"


def _form_error(form) -> str:
    return " ".join(e for errors in form.errors.values() for e in errors)


@require_POST
def message_split(request, pk: int, message_id: int):
    """Move one customer message into a new ticket, then open that ticket."""
    ticket = visible_ticket_or_404(request, pk)
    require_perm(request.user, CHANGE)
    message = get_object_or_404(Message, pk=message_id, ticket=ticket)
    form = SplitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("tickets:detail", ticket.pk)
    try:
        new = services.ticket_split(
            actor=request.user, message=message, subject=form.cleaned_data["subject"]
        )
    except KefuError as exc:
        messages.error(request, error_text(exc))
        return redirect("tickets:detail", ticket.pk)
    messages.success(
        request,
        _("The message was split into the new ticket %(new)s (from %(old)s).")
        % {"new": new.public_id, "old": ticket.public_id},
    )
    return redirect("tickets:detail", new.pk)


@require_POST
def incident_attach_view(request, pk: int):
    """Declare this ticket an incident and/or attach affected tickets by number (all or none)."""
    ticket = visible_ticket_or_404(request, pk)
    require_perm(request.user, CHANGE)
    form = IncidentAttachForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("tickets:detail", ticket.pk)
    numbers = ticket_numbers(form.cleaned_data["numbers"])
    if not numbers and ticket.is_incident:
        messages.error(request, _("Type the numbers of the affected tickets."))
        return redirect("tickets:detail", ticket.pk)
    children, missing = selectors.find_tickets_by_numbers(request.user, numbers)
    if missing:
        messages.error(
            request,
            _("Nothing was attached: no ticket %(numbers)s that you can see.")
            % {"numbers": ", ".join(missing)},
        )
        return redirect("tickets:detail", ticket.pk)
    was_incident = ticket.is_incident
    try:
        services.incident_attach(actor=request.user, incident=ticket, tickets=children)
    except KefuError as exc:
        messages.error(request, error_text(exc))
        return redirect("tickets:detail", ticket.pk)
    if not was_incident:
        messages.success(request, _("This ticket is now an incident."))
    if children:
        messages.success(
            request,
            ngettext(
                "%(n)d affected ticket attached.", "%(n)d affected tickets attached.", len(children)
            )
            % {"n": len(children)},
        )
    return redirect("tickets:detail", ticket.pk)


@require_POST
def incident_broadcast_view(request, pk: int):
    """Reply on every open affected ticket; the reply checker's warnings come back first."""
    ticket = visible_ticket_or_404(request, pk)
    require_perm(request.user, CHANGE)
    form = BroadcastForm(request.POST)
    if not form.is_valid():
        return render_ticket_page(request, ticket, broadcast_form=form, status=422)
    try:
        sent = services.incident_broadcast(
            actor=request.user,
            incident=ticket,
            body=form.cleaned_data["body"],
            confirm_warnings=bool(request.POST.get("confirm")),
        )
    except services.ReplyNeedsConfirmation as exc:
        return render_ticket_page(
            request,
            ticket,
            broadcast_form=form,
            broadcast_warnings=exc.details.get("warnings", []),
        )
    except KefuError as exc:
        form.add_error(None, error_text(exc))
        return render_ticket_page(request, ticket, broadcast_form=form, status=422)
    if sent:
        messages.success(
            request,
            ngettext(
                "Reply sent on %(n)d affected ticket.",
                "Reply sent on %(n)d affected tickets.",
                len(sent),
            )
            % {"n": len(sent)},
        )
    else:
        messages.info(request, _("No affected ticket is open: nothing was sent."))
    return redirect("tickets:detail", ticket.pk)


@require_POST
def incident_solve_view(request, pk: int):
    """Solve the incident and its open affected tickets; say which ones were skipped and why."""
    ticket = visible_ticket_or_404(request, pk)
    require_perm(request.user, CHANGE)
    form = IncidentSolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Describe the resolution."))
        return redirect("tickets:detail", ticket.pk)
    try:
        result = services.incident_solve(
            actor=request.user, incident=ticket, resolution=form.cleaned_data["resolution"]
        )
    except KefuError as exc:
        messages.error(request, error_text(exc))
        return redirect("tickets:detail", ticket.pk)
    messages.success(
        request,
        ngettext(
            "%(n)d affected ticket solved.", "%(n)d affected tickets solved.", len(result.solved)
        )
        % {"n": len(result.solved)},
    )
    if result.skipped:
        messages.warning(
            request,
            _("Not solved, they need their own handling first: %(list)s")
            % {
                "list": "; ".join(
                    f"{t.public_id} ({' '.join(why)})" for t, why in result.skipped[:20]
                )
            },
        )
    if result.incident_solved:
        messages.success(request, _("The incident is solved."))
    elif result.incident_problems:
        messages.warning(
            request,
            _("The incident itself is not solved yet: %(why)s")
            % {"why": " ".join(result.incident_problems)},
        )
    return redirect("tickets:detail", ticket.pk)
