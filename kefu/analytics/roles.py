"""Which roles may see and run customer-value analytics (applied by sync_role_groups)."""

from __future__ import annotations

from kefu.accounts.roles import Role, register_role_permissions

VIEWER = {
    "analytics.view_analytics",
    "analytics.view_analyticsrun",
    "analytics.view_customervaluesnapshot",
    "analytics.view_analyticssettings",
}
ADMIN = VIEWER | {"analytics.run_analytics", "analytics.change_analyticssettings"}

register_role_permissions(Role.MANAGER, VIEWER)
register_role_permissions(Role.ADMIN, ADMIN)
