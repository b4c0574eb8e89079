"""Reads of the audit trail."""

from __future__ import annotations

from django.db.models import QuerySet

from kefu.core.models import AuditEvent


def audit_event_list(
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    action: str | None = None,
    actor_id: int | None = None,
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if action:
        events = events.filter(action=action)
    if actor_id:
        events = events.filter(actor_id=actor_id)
    return events.order_by("-at", "-id")


# The shell's home page and search reach into the domain apps' own selectors (explicit calls),
# always scoped to what the user may see.

SEARCH_LIMIT = 10
WORK_VIEWS = ("mine", "unassigned", "due_soon", "breached", "approvals")


def work_summary(user) -> list[dict]:
    """Counts of the user's main inbox views for the home page (one query)."""
    from kefu.tickets.selectors import VIEWS_BY_KEY, inbox_counts

    counts = inbox_counts(user)
    return [
        {"key": key, "label": VIEWS_BY_KEY[key].label, "count": counts.get(key) or 0}
        for key in WORK_VIEWS
    ]


def global_search(user, q: str) -> dict[str, list]:
    """Up to SEARCH_LIMIT customers, tickets and articles matching `q` that `user` may see."""
    from django.urls import reverse

    from kefu.customers.selectors import customer_search
    from kefu.knowledge.selectors import search_articles
    from kefu.tickets.selectors import ticket_list

    hits = search_articles(user, q, limit=SEARCH_LIMIT).hits
    return {
        "customers": list(customer_search(q).order_by("-id")[:SEARCH_LIMIT]),
        "tickets": list(ticket_list(user, q=q)[:SEARCH_LIMIT]),
        "articles": [
            {
                "title": hit.article.title,
                "title_html": hit.title_html,
                "snippet_html": hit.snippet_html,
                "url": reverse("knowledge:detail", args=[hit.article.pk]),
            }
            for hit in hits
        ],
    }
