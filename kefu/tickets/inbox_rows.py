"""What each inbox row shows, ready to print.

The inbox lists up to 100 tickets. Labels, badges and links are worked out here once per
distinct value (a status badge, a kind's label, the detail URL's prefix) rather than per row by
template tags and filters, which kept the page's CPU time mostly in template rendering.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.tickets.badges import TicketBadges, local_minute
from kefu.tickets.models import ComplaintStage, Ticket, TicketKind

TIER_BADGES = {"A": "badge-violet", "B": "badge-blue", "D": "badge-amber"}


def detail_url_maker():
    """A function pk → the ticket page's URL, reversing the route once rather than per row."""
    marker = 987654321
    before, after = reverse("tickets:detail", args=[marker]).split(str(marker))
    return lambda pk: f"{before}{pk}{after}"


def inbox_rows(tickets: Iterable[Ticket], *, now: dt.datetime) -> list[dict[str, Any]]:
    """One dict per ticket with the texts and badges of its inbox row (tickets come with
    customer, assignee, team and category joined, as `selectors.ticket_list` gives them)."""
    badges = TicketBadges(now)
    kinds = {value: str(label) for value, label in TicketKind.choices}
    stages = {value: str(label) for value, label in ComplaintStage.choices}
    url = detail_url_maker()
    select = _("Select %(id)s")
    rows = []
    for t in tickets:
        customer = t.customer
        rows.append(
            {
                "pk": str(t.pk),
                "url": url(t.pk),
                "subject": t.subject,
                "public_id": t.public_id,
                "select_label": select % {"id": t.public_id},
                "kind": kinds.get(t.kind, t.kind),
                "stage": stages.get(t.stage, t.stage) if t.stage else "",
                "category": t.category.name if t.category_id else "",
                "is_repeat": t.is_repeat,
                "is_incident": t.is_incident,
                "urgent": t.priority == "urgent",
                "customer": customer.name,
                "tier": customer.tier,
                "tier_css": TIER_BADGES.get(customer.tier, "badge-neutral"),
                "is_vip": customer.is_vip,
                "status_badge": badges.status(t.status),
                "priority_badge": badges.priority(t.priority),
                "sla_badge": badges.sla(t),
                "assignee": str(t.assignee) if t.assignee_id else "",
                "team": t.team.name if t.team_id else "",
                "updated_at": local_minute(t.updated_at),
                "updated_ago": badges.ago(t.updated_at),
            }
        )
    return rows
