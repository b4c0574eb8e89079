"""Who may do what in the quality area (applied by accounts.roles.sync_role_groups).

Agents see their own evaluations and dispute them (checked in the services, no permission);
QA evaluates; supervisors resolve disputes and coach; managers set targets and actions."""

from __future__ import annotations

from kefu.accounts.roles import Role, register_role_permissions

QA = {
    "quality.evaluate",
    "quality.view_quality",
    "quality.view_rubric",
    "quality.add_rubric",
    "quality.change_rubric",
}
SUPERVISOR = QA | {"quality.resolve_dispute", "quality.manage_targets"}
ADMIN = SUPERVISOR | {"quality.delete_rubric"}

register_role_permissions(Role.QA, QA)
register_role_permissions(Role.SUPERVISOR, SUPERVISOR)
register_role_permissions(Role.MANAGER, SUPERVISOR)
register_role_permissions(Role.ADMIN, ADMIN)
