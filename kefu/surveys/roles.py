"""Which roles may do what with surveys (applied by accounts.roles.sync_role_groups)."""

from __future__ import annotations

from kefu.accounts.roles import Role, register_role_permissions

VIEW = {"surveys.view_survey", "surveys.view_results"}
SUPERVISOR = VIEW | {
    "surveys.add_survey",
    "surveys.change_survey",
    "surveys.send_survey",
    "surveys.view_response",
}
MANAGER = SUPERVISOR | {"surveys.publish_survey", "surveys.view_employee_results"}
ADMIN = MANAGER | {"surveys.delete_survey", "surveys.change_autosurveyrule"}

register_role_permissions(Role.AGENT, VIEW)
register_role_permissions(Role.QA, VIEW)
register_role_permissions(Role.SUPERVISOR, SUPERVISOR)
register_role_permissions(Role.MANAGER, MANAGER)
register_role_permissions(Role.ADMIN, ADMIN)
