"""The left navigation: one entry per area, shown to the roles that may use it."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    icon: str
    roles: frozenset[str] | None = None  # None = every staff role


STAFF = None
NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("home", _("Home"), "core:home", "home"),
    NavItem("inbox", _("Inbox"), "tickets:inbox", "inbox"),
    NavItem("customers", _("Customers"), "customers:list", "users"),
    NavItem("knowledge", _("Knowledge"), "knowledge:list", "book"),
    NavItem("surveys", _("Surveys"), "surveys:list", "clipboard"),
    NavItem("sla", _("Service commitments"), "sla:home", "clock", frozenset({"manager", "admin"})),
    NavItem(
        "channels",
        _("Channels"),
        "channels:home",
        "mail",
        frozenset({"supervisor", "manager", "admin"}),
    ),
    NavItem(
        "workforce",
        _("Workforce"),
        "workforce:home",
        "headset",
        frozenset({"agent", "supervisor", "manager", "admin"}),  # agents: their presence
    ),
    NavItem(
        "quality",
        _("Quality"),
        "quality:home",
        "check",
        frozenset({"agent", "supervisor", "manager", "admin", "qa"}),  # agents: their own
    ),
    NavItem(
        "analytics", _("Analytics"), "analytics:home", "chart", frozenset({"manager", "admin"})
    ),
    NavItem(
        "reports",
        _("Reports"),
        "reports:home",
        "table",
        frozenset({"supervisor", "manager", "admin"}),
    ),
    NavItem("admin", _("Admin"), "core:settings", "gear", frozenset({"admin"})),
)


def navigation_for(user, current_path: str) -> list[dict]:
    """Return the navigation entries `user` may see; areas not installed yet are marked planned."""
    roles = set(getattr(user, "role_names", lambda: set())())
    entries = []
    for item in NAV_ITEMS:
        if item.roles is not None and not (roles & item.roles) and not user.is_superuser:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            url = None
        active = url is not None and (
            current_path == url if url == "/" else current_path.startswith(url)
        )
        entries.append(
            {"key": item.key, "label": item.label, "url": url, "icon": item.icon, "active": active}
        )
    return entries
