"""The ticket page and its main forms: reply, properties, status, LSPCAS stage, presence."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import Conflict, KefuError
from kefu.core.permissions import require_perm, require_staff
from kefu.tickets import services
from kefu.tickets.access import visible_tickets
from kefu.tickets.forms import PropertiesForm, ReplyForm, StageForm, TransitionForm, tag_names
from kefu.tickets.models import Attachment, Macro
from kefu.tickets.presence import presence_others, presence_touch
from kefu.tickets.views.common import (
    error_text,
    render_ticket_page,
    visible_ticket_or_404,
)

CHANGE = "tickets.change_ticket"


def ticket_detail(request, pk: int):
    ticket = visible_ticket_or_404(request, pk)
    return render_ticket_page(request, ticket)


def _uploads(request) -> list[services.UploadedFile]:
    return [
        services.UploadedFile(
            filename=f.name,
            content_type=f.content_type or "application/octet-stream",
            data=f.read(),
        )
        for f in request.FILES.getlist("attachments")
    ]


@require_POST
def ticket_reply(request, pk: int):
    """Send a reply or add a note. The reply checker's warnings come back with 'Send anyway'."""
    ticket = visible_ticket_or_404(request, pk)
    require_perm(request.user, CHANGE)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return render_ticket_page(request, ticket, reply_form=form, status=422)
    data = form.cleaned_data
    try:
        services.message_add(
            actor=request.user,
            ticket=ticket,
            kind=data["kind"],
            body=data["body"],
            confirm_warnings=bool(request.POST.get("confirm")),
            attachments=_uploads(request),
        )
        macro = Macro.objects.filter(pk=data["macro"], is_active=True).first()
        if macro is not None and data["kind"] == "reply":
            services.macro_run_actions(actor=request.user, ticket=ticket, macro=macro)
    except services.ReplyNeedsConfirmation as exc:
        return render_ticket_page(
            request, ticket, reply_form=form, warnings=exc.details.get("warnings", [])
        )
    except KefuError as exc:
        form.add_error("body" if "body" in exc.fields else None, error_text(exc))
        return render_ticket_page(request, ticket, reply_form=form, status=422)
    messages.success(
        request, _("Reply sent.") if data["kind"] == "reply" else _("Internal note added.")
    )
    return redirect("tickets:detail", ticket.pk)


@require_POST
def ticket_update_view(request, pk: int):
    """Save the properties panel. A stale version shows the current state and what you typed."""
    ticket = visible_ticket_or_404(request, pk)
    require_perm(request.user, CHANGE)
    data = request.POST
    if request.POST.get("partial"):  # "Apply" on a suggestion posts only the field and version
        data = PropertiesForm.partial_data(ticket, request.POST)
    form = PropertiesForm(data, ticket=ticket)
    if not form.is_valid():
        return render_ticket_page(request, ticket, props_form=form, status=422)
    changes = form.changes()
    tags = tag_names(form.cleaned_data["tags"]) if "tags" in form.changed_data else None
    if not changes and tags is None:
        messages.info(request, _("Nothing to save: no field was changed."))
        return redirect("tickets:detail", ticket.pk)
    try:
        services.ticket_update(
            actor=request.user,
            ticket=ticket,
            expected_version=form.cleaned_data["version"],
            changes=changes,
            tags=tags,
        )
    except Conflict as exc:
        current = visible_ticket_or_404(request, pk)
        yours = [
            (form.fields[name].label, _display(form.cleaned_data[name]))
            for name in form.changed_data
            if name != "version"
        ]
        messages.error(request, error_text(exc))
        return render_ticket_page(request, current, stale=yours, status=409)
    except KefuError as exc:
        for field, errors in exc.fields.items():
            form.add_error(field if field in form.fields else None, errors)
        if not exc.fields:
            form.add_error(None, exc.message)
        return render_ticket_page(request, ticket, props_form=form, status=422)
    messages.success(request, _("Your changes were saved."))
    return redirect("tickets:detail", ticket.pk)


def _display(value) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "—" if value in (None, "") else str(value)


@require_POST
def ticket_transition_view(request, pk: int):
    ticket = visible_ticket_or_404(request, pk)
    require_perm(request.user, CHANGE)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown status."))
        return redirect("tickets:detail", ticket.pk)
    try:
        services.ticket_transition(
            actor=request.user,
            ticket=ticket,
            to_status=form.cleaned_data["to_status"],
            expected_version=form.cleaned_data["version"],
            note=form.cleaned_data["note"],
        )
    except KefuError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Status changed."))
    return redirect("tickets:detail", ticket.pk)


@require_POST
def ticket_stage_view(request, pk: int):
    ticket = visible_ticket_or_404(request, pk)
    require_perm(request.user, CHANGE)
    form = StageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown stage."))
        return redirect("tickets:detail", ticket.pk)
    try:
        services.ticket_advance_stage(
            actor=request.user,
            ticket=ticket,
            to_stage=form.cleaned_data["to_stage"],
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    except KefuError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Stage changed."))
    return redirect("tickets:detail", ticket.pk)


def ticket_presence(request, pk: int):
    """Who else is on this ticket (JSON). POST also says 'I am here' (typing=1: and typing)."""
    ticket = visible_ticket_or_404(request, pk)
    if request.method == "POST":
        presence_touch(ticket.pk, request.user, typing=request.POST.get("typing") == "1")
    return JsonResponse({"others": presence_others(ticket.pk, request.user)})


def attachment_download(request, pk: int):
    """An attachment of a ticket the user may see (the stored name is random; ours is kept)."""
    require_staff(request.user)
    attachment = (
        Attachment.objects.filter(pk=pk, message__ticket__in=visible_tickets(request.user))
        .select_related("message")
        .first()
    )
    if attachment is None:
        raise Http404(_("No such attachment."))
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
