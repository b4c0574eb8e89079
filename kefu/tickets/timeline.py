"""The tickets app's rows on the customer 360° timeline: tickets, messages and compensations."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kefu.customers.timeline import TimelineRow, register_timeline_source
from kefu.tickets.models import Compensation, Message, Ticket


def tickets_source(customer, *, limit: int):
    for t in Ticket.objects.filter(customer=customer).order_by("-created_at")[:limit]:
        yield TimelineRow(
            "ticket",
            t.created_at,
            f"{t.public_id} {t.subject}",
            f"{t.get_kind_display()} · {t.get_status_display()}",
            reverse("tickets:detail", args=[t.pk]),
        )


def messages_source(customer, *, limit: int):
    messages = (
        Message.objects.filter(ticket__customer=customer)
        .exclude(kind="note")
        .select_related("ticket")
        .order_by("-created_at")[:limit]
    )
    for m in messages:
        yield TimelineRow(
            "message",
            m.created_at,
            f"{m.get_kind_display()} · {m.ticket.public_id}",
            m.body_text[:200],
            reverse("tickets:detail", args=[m.ticket_id]),
        )


def compensations_source(customer, *, limit: int):
    rows = (
        Compensation.objects.filter(ticket__customer=customer)
        .select_related("ticket")
        .order_by("-created_at")[:limit]
    )
    for c in rows:
        yield TimelineRow(
            "compensation",
            c.created_at,
            f"{c.get_remedy_display()} {c.amount:,.2f} {c.currency}",
            f"{c.get_state_display()} · {c.ticket.public_id}",
            reverse("tickets:detail", args=[c.ticket_id]),
        )


register_timeline_source("ticket", _("Tickets"), tickets_source)
register_timeline_source("message", _("Messages"), messages_source)
register_timeline_source("compensation", _("Compensation"), compensations_source)
