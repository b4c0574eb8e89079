"""The customer timeline: every app registers a source; the 360° page shows them newest first.

A source is `func(customer, *, limit) -> iterable of TimelineRow` (or (kind, at, title, detail,
url) tuples) and must run a constant number of queries (one, ideally) whatever the history
length, so that the 360° page stays fast:

    from kefu.customers.timeline import register_timeline_source
    register_timeline_source("ticket", _("Tickets"), tickets_for_timeline)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


@dataclass(frozen=True)
class TimelineRow:
    kind: str
    at: dt.datetime
    title: str
    detail: str = ""
    url: str = ""


SourceFunction = Callable[..., Iterable[TimelineRow | tuple]]


@dataclass(frozen=True)
class TimelineSource:
    kind: str
    label: str | Promise
    func: SourceFunction


SOURCES: dict[str, TimelineSource] = {}


def register_timeline_source(kind: str, label: str | Promise, func: SourceFunction) -> None:
    """Add (or replace) the source of timeline rows of `kind`."""
    SOURCES[kind] = TimelineSource(kind=kind, label=label, func=func)


def timeline_kinds() -> list[tuple[str, str | Promise]]:
    return [(source.kind, source.label) for source in SOURCES.values()]


def _money(amount, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def purchases_source(customer, *, limit: int) -> Iterable[TimelineRow]:
    rows = customer.purchases.order_by("-ordered_at", "-id").values_list(
        "ordered_at", "product", "quantity", "amount", "currency", "channel", "external_id"
    )[:limit]
    for at, product, quantity, amount, currency, channel, external_id in rows:
        title = _("Bought %(product)s × %(quantity)s") % {
            "product": product or external_id,
            "quantity": quantity,
        }
        detail = " · ".join(x for x in (_money(amount, currency), channel) if x)
        yield TimelineRow("purchase", at, title, detail)


def notes_source(customer, *, limit: int) -> Iterable[TimelineRow]:
    rows = customer.customer_notes.order_by("-created_at", "-id").values_list(
        "created_at", "body", "author__display_name", "author__username"
    )[:limit]
    for at, body, display_name, username in rows:
        author = display_name or username or _("system")
        yield TimelineRow("note", at, _("Note by %(author)s") % {"author": author}, body)


def credit_source(customer, *, limit: int) -> Iterable[TimelineRow]:
    rows = customer.credit_ratings.order_by("-rated_at", "-id").values_list(
        "rated_at", "grade", "score", "note"
    )[:limit]
    for at, grade, score, note in rows:
        title = _("Credit rated %(grade)s (score %(score)s)") % {"grade": grade, "score": score}
        yield TimelineRow("credit", at, title, note)


def contacts_source(customer, *, limit: int) -> Iterable[TimelineRow]:
    from kefu.customers.models import ContactKind

    labels = dict(ContactKind.choices)
    rows = customer.contacts.order_by("-created_at", "-id").values_list("created_at", "kind")[
        :limit
    ]
    for at, kind in rows:
        title = _("Contact added: %(kind)s") % {"kind": labels.get(kind, kind)}
        yield TimelineRow("contact", at, title)


def merges_source(customer, *, limit: int) -> Iterable[TimelineRow]:
    from kefu.customers.models import MergeRecord

    rows = (
        MergeRecord.objects.filter(kept=customer)
        .order_by("-created_at", "-id")
        .values_list("pk", "created_at", "merged__name", "merged__number", "undone_at")[:limit]
    )
    for pk, at, name, number, undone_at in rows:
        title = _("Merged %(name)s (%(number)s) into this customer") % {
            "name": name,
            "number": number,
        }
        detail = _("Undone") if undone_at else ""
        url = reverse("customers:merge-detail", args=[pk])
        yield TimelineRow("merge", at, title, detail, url)


register_timeline_source("purchase", gettext_lazy("Purchases"), purchases_source)
register_timeline_source("note", gettext_lazy("Notes"), notes_source)
register_timeline_source("credit", gettext_lazy("Credit ratings"), credit_source)
register_timeline_source("contact", gettext_lazy("Contacts"), contacts_source)
register_timeline_source("merge", gettext_lazy("Merges"), merges_source)
