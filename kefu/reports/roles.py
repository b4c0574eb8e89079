"""Which roles may see reports, save them, see churn risk and train the model (applied by
accounts.roles.sync_role_groups)."""

from __future__ import annotations

from kefu.accounts.roles import Role, register_role_permissions

SUPERVISOR = {
    "reports.view_reports",
    "reports.view_savedreport",
    "reports.add_savedreport",
    "reports.change_savedreport",
}
MANAGER = SUPERVISOR | {
    "reports.view_mining",
    "reports.view_customerrisk",
    "reports.view_churnmodelrun",
    "reports.view_swotentry",
    "reports.add_swotentry",
    "reports.delete_swotentry",
}
ADMIN = MANAGER | {"reports.run_mining", "reports.delete_savedreport"}
# Agents see the churn risk card on the customer page (the lead includes it there).
AGENT = {"reports.view_customerrisk"}

register_role_permissions(Role.AGENT, AGENT)
register_role_permissions(Role.SUPERVISOR, SUPERVISOR)
register_role_permissions(Role.MANAGER, MANAGER)
register_role_permissions(Role.ADMIN, ADMIN)
