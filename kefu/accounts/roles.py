"""Roles are groups with permissions; `sync_role_groups` applies it."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    ADMIN = "admin"
    QA = "qa"
    CUSTOMER = "customer"


ROLE_LABELS = {
    Role.AGENT: _("Agent"),
    Role.SUPERVISOR: _("Supervisor"),
    Role.MANAGER: _("Manager"),
    Role.ADMIN: _("Administrator"),
    Role.QA: _("Quality inspector"),
    Role.CUSTOMER: _("Customer"),
}

STAFF_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN, Role.QA})

# Permissions are "app_label.codename". Apps add theirs to this table as they land.
ROLE_PERMISSIONS: dict[Role, set[str]] = {
    Role.AGENT: {"accounts.view_team"},
    Role.SUPERVISOR: {
        "accounts.view_team",
        "accounts.view_user",
        "accounts.view_pii",
        "core.view_auditevent",
    },
    Role.MANAGER: {
        "accounts.view_team",
        "accounts.view_user",
        "accounts.view_pii",
        "core.view_auditevent",
    },
    Role.ADMIN: {
        "accounts.view_team",
        "accounts.add_team",
        "accounts.change_team",
        "accounts.delete_team",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_pii",
        "accounts.manage_settings",
        "core.view_auditevent",
    },
    Role.QA: {"accounts.view_team", "accounts.view_user"},
    Role.CUSTOMER: set(),
}


def register_role_permissions(role: Role, permissions: set[str]) -> None:
    """Let an app grant its permissions to a role (called from the app's roles module)."""
    ROLE_PERMISSIONS[role] |= permissions


def sync_role_groups() -> None:
    """Create the role groups and give each exactly the permissions in ROLE_PERMISSIONS."""
    from django.contrib.auth.models import Group, Permission

    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = set()
        for name in names:
            app_label, codename = name.split(".", 1)
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                wanted.add(perm.pk)
        group.permissions.set(wanted)


def sync_role_groups_after_migrate(sender, **kwargs) -> None:
    sync_role_groups()
