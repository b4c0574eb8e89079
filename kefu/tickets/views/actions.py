"""Small forms of the ticket page's side panel. Each parses, calls one service, redirects."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm
from kefu.tickets import selectors, services
from kefu.tickets.forms import (
    CompensationForm,
    FollowUpDoneForm,
    FollowUpForm,
    IanarForm,
    LinkForm,
    OpportunityForm,
    ThreeChangeForm,
)
from kefu.tickets.models import CompensationState, FollowUp
from kefu.tickets.views.common import error_text, visible_ticket_or_404

CHANGE = "tickets.change_ticket"


def _run(request, pk: int, form_class, action, success):
    """Shared shape: find the ticket, check the form, call `action(ticket, data)`, say so."""
    ticket = visible_ticket_or_404(request, pk)
    require_perm(request.user, CHANGE)
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        errors = "; ".join(
            f"{form.fields[k].label or k}: {' '.join(v)}"
            for k, v in form.errors.items()
            if k in form.fields
        )
        messages.error(request, _("Check the form: %s") % (errors or form.errors.as_text()))
        return redirect("tickets:detail", ticket.pk)
    try:
        result = action(ticket, form.cleaned_data if form else {})
    except KefuError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, success(result) if callable(success) else success)
    return redirect("tickets:detail", ticket.pk)


@require_POST
def compensation_new(request, pk: int):
    def granted_or_sent(compensation):
        if compensation.state == CompensationState.GRANTED:
            return _("Granted within your authority limit.")
        return _(
            "Sent to %(name)s for approval. Promise nothing to the customer before it is approved."
        ) % {"name": compensation.approver}

    return _run(
        request,
        pk,
        CompensationForm,
        lambda ticket, data: services.compensation_request(
            actor=request.user,
            ticket=ticket,
            remedy=data["remedy"],
            amount=data["amount"],
            reason=data["reason"],
        ),
        granted_or_sent,
    )


@require_POST
def ianar_view(request, pk: int):
    return _run(
        request,
        pk,
        IanarForm,
        lambda ticket, data: services.ianar_save(actor=request.user, ticket=ticket, values=data),
        _("IANAR review saved."),
    )


@require_POST
def follow_up_new(request, pk: int):
    return _run(
        request,
        pk,
        FollowUpForm,
        lambda ticket, data: services.follow_up_schedule(
            actor=request.user, ticket=ticket, due_at=data["due_at"], note=data["note"]
        ),
        _("Follow-up scheduled."),
    )


@require_POST
def follow_up_done(request, pk: int, follow_up_id: int):
    def done(ticket, data):
        follow_up = get_object_or_404(FollowUp, pk=follow_up_id, ticket=ticket)
        return services.follow_up_complete(
            actor=request.user, follow_up=follow_up, outcome=data["outcome"], note=data["note"]
        )

    return _run(request, pk, FollowUpDoneForm, done, _("Follow-up recorded."))


@require_POST
def opportunity_new(request, pk: int):
    return _run(
        request,
        pk,
        OpportunityForm,
        lambda ticket, data: services.opportunity_create(
            actor=request.user,
            ticket=ticket,
            description=data["description"],
            estimated_value=data["estimated_value"],
        ),
        _("Opportunity noted."),
    )


@require_POST
def link_new(request, pk: int):
    def link(ticket, data):
        other = selectors.find_ticket_by_number(request.user, data["target"])
        if other is None:
            raise KefuError(
                _("No ticket %(number)s that you can see.") % {"number": data["target"]}
            )
        if data["kind"] == "merge":
            return services.ticket_merge(actor=request.user, source=ticket, target=other)
        return services.ticket_link(actor=request.user, source=ticket, target=other)

    return _run(request, pk, LinkForm, link, _("Tickets linked."))


@require_POST
def three_change_view(request, pk: int):
    return _run(
        request,
        pk,
        ThreeChangeForm,
        lambda ticket, data: services.three_change_apply(
            actor=request.user,
            ticket=ticket,
            change=data["change"],
            note=data["note"],
            new_assignee=data["assignee"],
        ),
        _("Change recorded."),
    )


@require_POST
def contact_failed_view(request, pk: int):
    return _run(
        request,
        pk,
        None,
        lambda ticket, data: services.contact_failed(actor=request.user, ticket=ticket),
        _("Unsuccessful contact counted."),
    )


@require_POST
def auto_assign_view(request, pk: int):
    return _run(
        request,
        pk,
        None,
        lambda ticket, data: services.ticket_auto_assign(actor=request.user, ticket=ticket),
        lambda ticket: _("Assigned to %(name)s.") % {"name": ticket.assignee},
    )
