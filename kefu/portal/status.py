"""How a ticket's status reads to a customer: plainer words than the agents' (and never colour
alone — every badge carries its text)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class StatusBadge:
    label: str | Promise
    css: str
    hint: str | Promise = ""


_BADGES = {
    "new": StatusBadge(
        pgettext_lazy("portal status", "Received"),
        "badge-blue",
        pgettext_lazy("portal status", "We have your request."),
    ),
    "open": StatusBadge(
        pgettext_lazy("portal status", "In progress"),
        "badge-violet",
        pgettext_lazy("portal status", "We are working on it."),
    ),
    "pending": StatusBadge(
        pgettext_lazy("portal status", "Waiting for your reply"),
        "badge-amber",
        pgettext_lazy("portal status", "We need something from you."),
    ),
    "on_hold": StatusBadge(
        pgettext_lazy("portal status", "In progress"),
        "badge-violet",
        pgettext_lazy("portal status", "We are waiting for a partner or a part."),
    ),
    "solved": StatusBadge(
        pgettext_lazy("portal status", "Solved"),
        "badge-green",
        pgettext_lazy("portal status", "Tell us whether this solved your problem."),
    ),
    "closed": StatusBadge(pgettext_lazy("portal status", "Closed"), "badge-neutral", ""),
}


def status_badge(status: str) -> StatusBadge:
    return _BADGES.get(status, StatusBadge(status, "badge-neutral"))
