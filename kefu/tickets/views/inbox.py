"""The inbox (saved views, filters, sort, bulk actions) and the new-ticket form."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.accounts.models import Team, User
from kefu.core.errors import KefuError
from kefu.core.permissions import require_perm, require_staff
from kefu.customers.selectors import customer_list
from kefu.tickets import selectors, services
from kefu.tickets.forms import FIVE_W_TWO_H, BulkForm, TicketCreateForm, staff_users, tag_names
from kefu.tickets.inbox_rows import inbox_rows
from kefu.tickets.models import Priority, TicketKind, TicketStatus
from kefu.tickets.views.common import error_text

VIEW = "tickets.view_ticket"
PAGE_SIZES = (25, 50, 100)
FILTER_KEYS = ("status", "priority", "kind", "team", "assignee")
SORT_LABELS = {
    "updated": gettext_lazy("Recently updated"),
    "-updated": gettext_lazy("Least recently updated"),
    "created": gettext_lazy("Newest"),
    "priority": gettext_lazy("Priority"),
    "due": gettext_lazy("Due first"),
}


def _filters(request) -> dict[str, str]:
    data = {key: request.GET.get(key, "").strip() for key in FILTER_KEYS}
    for key in ("team", "assignee"):
        if data[key] and not data[key].isdigit():
            data[key] = ""
    if data["status"] not in TicketStatus.values:
        data["status"] = ""
    if data["priority"] not in Priority.values:
        data["priority"] = ""
    if data["kind"] not in TicketKind.values:
        data["kind"] = ""
    return data


def inbox(request):
    """Saved views with counts, filters and a paginated ticket list (constant queries a page)."""
    require_staff(request.user)
    require_perm(request.user, VIEW)
    view = request.GET.get("view", "mine")
    if view not in selectors.VIEWS_BY_KEY and view != "all":
        view = "mine"
    filters = _filters(request)
    q = request.GET.get("q", "").strip()[:200]
    sort = request.GET.get("sort", "updated")
    sort = sort if sort in selectors.SORTS else "updated"
    size = int(request.GET.get("size", 50)) if request.GET.get("size", "").isdigit() else 50
    size = size if size in PAGE_SIZES else 50
    tickets = selectors.ticket_list(
        request.user, view=None if view == "all" else view, filters=filters, q=q, sort=sort
    )
    counts = selectors.inbox_counts(request.user)
    paginator = Paginator(tickets, size)
    if not any(filters.values()) and not q:  # the same tickets: spare a second count
        paginator.count = (
            counts[view] if view != "all" else selectors.visible_ticket_count(request.user)
        )
    page = paginator.get_page(request.GET.get("page"))
    now = timezone.now()
    agents = list(staff_users())
    params = {"view": view, **{k: v for k, v in filters.items() if v}, "q": q, "sort": sort}
    query = urlencode({k: v for k, v in params.items() if v})
    return render(
        request,
        "tickets/inbox.html",
        {
            "page": page,
            "rows": inbox_rows(selectors.tickets_of_page(page.object_list), now=now),
            "view": view,
            "views": [(v.key, v.label, counts[v.key]) for v in selectors.INBOX_VIEWS],
            "view_label": selectors.VIEWS_BY_KEY[view].label if view != "all" else _("All tickets"),
            "filters": filters,
            "has_filters": any(filters.values()) or bool(q),
            "q": q,
            "sort": sort,
            "sorts": SORT_LABELS.items(),
            "size": size,
            "sizes": PAGE_SIZES,
            "query": query,
            "query_no_sort": urlencode({k: v for k, v in params.items() if v and k != "sort"}),
            "statuses": TicketStatus.choices,
            "priorities": Priority.choices,
            "kinds": TicketKind.choices,
            "team_options": [(str(t.pk), t.name) for t in Team.objects.order_by("name")],
            "agent_options": [(str(a.pk), str(a)) for a in agents],
            "can_work": request.user.has_perm("tickets.change_ticket"),
        },
    )


@require_POST
def bulk_action(request):
    """Assign, change status or tag many tickets at once, through the single-ticket services."""
    require_staff(request.user)
    require_perm(request.user, "tickets.change_ticket")
    form = BulkForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    if not form.is_valid() or not form.cleaned_data["ids"]:
        messages.error(request, _("Select at least one ticket and an action."))
        return redirect(back or "tickets:inbox")
    data = form.cleaned_data
    tickets = list(
        selectors.ticket_list(request.user).filter(pk__in=data["ids"]).prefetch_related(None)
    )
    changes, to_status, add_tags = {}, "", None
    if data["action"] == "assign":
        assignee = data["assignee"]
        if assignee == "me":
            changes["assignee"] = request.user
        elif assignee.isdigit() and staff_users().filter(pk=int(assignee)).exists():
            changes["assignee"] = User.objects.get(pk=int(assignee))
        else:
            messages.error(request, _("Choose whom to assign the tickets to."))
            return redirect(back or "tickets:inbox")
    elif data["action"] == "status":
        if not data["status"]:
            messages.error(request, _("Choose the new status."))
            return redirect(back or "tickets:inbox")
        to_status = data["status"]
    else:
        add_tags = tag_names(data["tag"])
        if not add_tags:
            messages.error(request, _("Type the tag to add."))
            return redirect(back or "tickets:inbox")
    results = services.tickets_bulk_update(
        actor=request.user,
        tickets=tickets,
        changes=changes,
        to_status=to_status,
        add_tags=add_tags,
    )
    failed = [(t, error) for t, error in results if error]
    done = len(results) - len(failed)
    if done:
        messages.success(request, _("%(n)d tickets updated.") % {"n": done})
    for ticket, error in failed[:10]:
        messages.error(request, f"{ticket.public_id}: {error}")
    if len(results) < len(data["ids"]):
        messages.warning(
            request,
            _("%(n)d selected tickets are not visible to you and were skipped.")
            % {"n": len(data["ids"]) - len(results)},
        )
    return redirect(back or "tickets:inbox")


def ticket_new(request):
    """New ticket: pick the customer (search by name, number, phone or id), then the details."""
    require_staff(request.user)
    require_perm(request.user, "tickets.add_ticket")
    initial = {"customer": request.GET.get("customer", "")}
    if request.GET.get("kind") in TicketKind.values:
        initial["kind"] = request.GET["kind"]
    form = TicketCreateForm(request.POST or None, initial=initial)
    customer_q = request.GET.get("customer_q", "").strip()[:100]
    found = list(customer_list(actor=request.user, q=customer_q)[:10]) if customer_q else []
    chosen_id = request.POST.get("customer") or request.GET.get("customer", "")
    chosen = (
        customer_list(actor=request.user).filter(pk=int(chosen_id)).first()
        if str(chosen_id).isdigit()
        else None
    )
    if request.method == "POST" and any(key in request.POST for key in SUGGEST_KEYS):
        return _new_with_suggestions(
            request, {"customer_q": customer_q, "found": found, "chosen": chosen}
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if chosen is None:
            form.add_error(None, _("Choose the customer first."))
        else:
            fields = {k: data[k] for k in (*FIVE_W_TWO_H, "problem_statement")}
            if data["kind"] != TicketKind.COMPLAINT:
                fields = {}
            try:
                ticket = services.ticket_create(
                    actor=request.user,
                    customer=chosen,
                    subject=data["subject"],
                    description=data["description"],
                    channel=data["channel"],
                    kind=data["kind"],
                    priority=data["priority"],
                    category=data["category"],
                    severity=data["severity"],
                    team=data["team"],
                    assignee=data["assignee"],
                    tags=tag_names(data["tags"]),
                    fields={k: v for k, v in fields.items() if v not in (None, "")},
                )
            except KefuError as exc:
                for field, errors in exc.fields.items():
                    form.add_error(field if field in form.fields else None, errors)
                if not exc.fields:
                    form.add_error(None, error_text(exc))
            else:
                messages.success(request, _("Ticket %(id)s created.") % {"id": ticket.public_id})
                return redirect("tickets:detail", ticket.pk)
    return render(
        request,
        "tickets/new.html",
        {"form": form, "customer_q": customer_q, "found": found, "chosen": chosen},
        status=422 if request.method == "POST" else 200,
    )


SUGGEST_KEYS = ("suggest", "apply_category", "apply_priority")


def _new_with_suggestions(request, context: dict):
    """'Suggest category and priority' and its Apply buttons: show the form again with what the
    agent typed, the suggestions (M23) and the applied value. Nothing is saved."""
    values = request.POST.dict()
    if values.get("apply_category", "").isdigit():
        values["category"] = values["apply_category"]
    if values.get("apply_priority") in Priority.values:
        values["priority"] = values["apply_priority"]
    form = TicketCreateForm(
        initial={name: values.get(name, "") for name in TicketCreateForm.base_fields}
    )
    text = f"{values.get('subject', '')}\n{values.get('description', '')}".strip()
    suggestions = selectors.suggest_fields(text) if text else None
    notice = ""
    if not text:
        notice = _("Type the subject or description first: the suggestion reads them.")
    elif not suggestions.any_trained:
        notice = _(
            "No suggestion yet: no classifier has been trained. An administrator can run "
            "“kefu tickets train-classifier” once enough tickets are solved or closed."
        )
    elif not (suggestions.category or suggestions.priority):
        notice = _("No suggestion for this text.")
    return render(
        request,
        "tickets/new.html",
        {
            **context,
            "form": form,
            "suggestions": {"category": suggestions.category, "priority": suggestions.priority[:2]}
            if not notice
            else None,
            "suggest_notice": notice,
            "current_category": values.get("category", ""),
            "current_priority": values.get("priority", ""),
        },
    )
