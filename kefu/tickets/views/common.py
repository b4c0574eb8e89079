"""Helpers shared by the ticket views: access, error text, the ticket page's context."""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.errors import KefuError
from kefu.core.permissions import require_staff
from kefu.tickets import selectors, workflow
from kefu.tickets.events_display import annotate_events
from kefu.tickets.forms import (
    BroadcastForm,
    CompensationForm,
    FollowUpDoneForm,
    FollowUpForm,
    IanarForm,
    LinkForm,
    OpportunityForm,
    PropertiesForm,
    ReplyForm,
    ThreeChangeForm,
)
from kefu.tickets.models import OPEN_STATUSES, ComplaintStage, Ticket
from kefu.tickets.presence import presence_others, presence_touch

# The button text for a move to each status (from solved, "open" reads "Reopen").
TRANSITION_LABELS = {
    "new": gettext_lazy("New"),
    "open": gettext_lazy("Open"),
    "pending": gettext_lazy("Wait for customer"),
    "on_hold": gettext_lazy("Put on hold"),
    "solved": gettext_lazy("Solve"),
    "closed": gettext_lazy("Close"),
}
IANAR_FIELDS = ("identify", "analyse", "negotiate", "act", "review")
THREE_CHANGE_LABELS = {
    "person": gettext_lazy("another person"),
    "time": gettext_lazy("another time"),
    "channel": gettext_lazy("another channel"),
}


def visible_ticket_or_404(request, pk: int) -> Ticket:
    """The ticket if the (staff) user may see it; 404 otherwise — never a hint it exists."""
    require_staff(request.user)
    try:
        return selectors.get_visible_ticket(request.user, pk)
    except Ticket.DoesNotExist as exc:
        raise Http404(_("No such ticket.")) from exc


def can_work(user) -> bool:
    return user.has_perm("tickets.change_ticket") and not getattr(user, "is_customer", False)


def error_text(exc: KefuError) -> str:
    """The error's message, followed by per-field messages not already in it."""
    details = [m for messages in exc.fields.values() for m in messages if m not in exc.message]
    return " ".join([exc.message, *details]).strip()


def _transitions(page) -> list[dict]:
    from_solved = page.facts.status == workflow.Status.SOLVED
    return [
        {
            "value": status.value,
            "label": _("Reopen")
            if from_solved and status == workflow.Status.OPEN
            else str(TRANSITION_LABELS[status.value]),
            "problems": [_(v.message) for v in violations],
        }
        for status, violations in page.allowed.items()
    ]


def _stepper(page) -> dict | None:
    """The LSPCAS stepper: every stage with its state, the next and previous stage."""
    if page.facts.stage is None:
        return None
    order = list(workflow.STAGE_ORDER)
    current = order.index(page.facts.stage)
    labels = dict(ComplaintStage.choices)
    stages = [
        {
            "value": stage.value,
            "label": labels[stage.value],
            "state": "done" if i < current else "current" if i == current else "todo",
            "number": i + 1,
        }
        for i, stage in enumerate(order)
    ]
    closed = page.facts.status == workflow.Status.CLOSED
    nxt = order[current + 1] if current + 1 < len(order) and not closed else None
    prev = order[current - 1] if current > 0 and not closed else None
    return {
        "stages": stages,
        "next": {"value": nxt.value, "label": labels[nxt.value]} if nxt else None,
        "previous": {"value": prev.value, "label": labels[prev.value]} if prev else None,
        "unmet": [_(message) for _field, message in page.stage_requirements],
        "current_label": labels[page.facts.stage.value],
    }


def render_ticket_page(
    request,
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    warnings: list | None = None,
    props_form: PropertiesForm | None = None,
    stale: list | None = None,
    broadcast_form: BroadcastForm | None = None,
    broadcast_warnings: list | None = None,
    status: int = 200,
):
    """Render the ticket page; forms passed in (with errors or a draft) replace the blank ones."""
    user = request.user
    prefetch_related_objects([ticket], "tags")  # the header and the properties form show them
    page = selectors.ticket_page(user, ticket)
    annotate_events(page.events)
    presence_touch(ticket.pk, user)
    work = can_work(user)
    macros = list(selectors.active_macros()) if work else []
    if reply_form is None:
        initial = {"kind": "reply"}
        macro_id = request.GET.get("macro", "")
        macro = next((m for m in macros if str(m.pk) == macro_id), None)
        if macro is not None:
            from kefu.tickets.services import macro_render

            initial.update(body=macro_render(macro, ticket, user), macro=macro.pk)
        initial.update(_knowledge_insert(request))
        reply_form = ReplyForm(initial=initial)
    suggestions = _knowledge_suggestions(user, ticket, record=work)
    pending_for_me = [
        c
        for c in page.compensations
        if c.state == "pending" and c.approver_id == user.pk and c.requested_by_id != user.pk
    ]
    side = selectors.ticket_side_panel(ticket)
    context = {
        "ticket": ticket,
        "customer": ticket.customer,
        "page": page,
        "items": selectors.conversation(page.messages, page.events),
        "side": side,
        "can_work": work,
        "can_approve": user.has_perm("tickets.approve_compensation"),
        "pending_for_me": pending_for_me,
        "props_form": props_form or (PropertiesForm(ticket=ticket) if work else None),
        "reply_form": reply_form,
        "warnings": warnings or [],
        "stale": stale or [],
        "macros": macros,
        "transitions": _transitions(page) if work else [],
        "stepper": _stepper(page),
        "three_change": [
            {"value": c.value, "label": THREE_CHANGE_LABELS[c.value]} for c in page.three_change
        ],
        "three_change_form": ThreeChangeForm() if page.three_change and work else None,
        "compensation_form": CompensationForm(),
        "ianar_form": IanarForm(
            initial={k: getattr(side.ianar, k) for k in IANAR_FIELDS} if side.ianar else None
        )
        if ticket.is_complaint
        else None,
        "follow_up_form": FollowUpForm(),
        "follow_up_done_form": FollowUpDoneForm(),
        "opportunity_form": OpportunityForm(),
        "link_form": LinkForm(),
        "broadcast_form": broadcast_form or BroadcastForm(),
        "broadcast_warnings": broadcast_warnings or [],
        "show_description": _show_description(ticket, page.messages),
        "others": presence_others(ticket.pk, user),
        "now": timezone.now(),
        "is_open": ticket.status in OPEN_STATUSES,
        "kb_suggestions": suggestions,
        "field_suggestions": _field_suggestions(ticket) if work else None,
    }
    return render(request, "tickets/detail.html", context, status=status)


def _field_suggestions(ticket: Ticket):
    """Category and priority suggestions (M23) while the ticket has no category; None when no
    classifier is trained or nothing is suggested."""
    if ticket.category_id or not ticket.is_open:
        return None
    found = selectors.suggest_fields(f"{ticket.subject}\n{ticket.description}", top=3)
    if not (found.category or found.priority):
        return None
    return {"category": found.category, "priority": found.priority[:1]}


def _show_description(ticket: Ticket, messages: list) -> bool:
    """The description opens the conversation, unless the first message says the same (a
    ticket split from another starts with the moved message itself)."""
    if not ticket.description:
        return False
    first = messages[0] if messages else None
    return not (
        first is not None
        and first.kind == "customer"
        and first.body_text.strip() == ticket.description.strip()
    )


def _knowledge_suggestions(user, ticket: Ticket, *, record: bool) -> list:
    """Knowledge articles for the side panel; agents' views count as 'suggested' (the
    denominator of an article's solve rate)."""
    from kefu.knowledge import selectors as knowledge_selectors
    from kefu.knowledge import services as knowledge_services

    suggestions = knowledge_selectors.suggest_articles(ticket, limit=5)
    if record and suggestions:
        knowledge_services.suggestions_record(
            actor=user, ticket=ticket, articles=[hit.article for hit in suggestions]
        )
    return suggestions


def _knowledge_insert(request) -> dict:
    """Without JavaScript, 'Insert link/text' on a suggestion comes back here as
    ?kb_article=ID&kb_insert=link|text: prefill the reply with it (public articles only)."""
    from django.urls import reverse

    from kefu.knowledge import selectors as knowledge_selectors

    article_id, kind = request.GET.get("kb_article", ""), request.GET.get("kb_insert", "")
    if not article_id.isdigit() or kind not in ("link", "text"):
        return {}
    article = knowledge_selectors.public_articles().filter(pk=int(article_id)).first()
    if article is None:
        return {}
    if kind == "text":
        return {"body": article.body_text}
    url = request.build_absolute_uri(reverse("knowledge:kb-article", args=[article.pk]))
    return {"body": f"{article.title}: {url}"}
