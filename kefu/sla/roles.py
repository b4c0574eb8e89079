"""Which roles may do what with SLAs (applied by accounts.roles.sync_role_groups)."""

from kefu.accounts.roles import Role, register_role_permissions

VIEW = {
    "sla.view_businesscalendar",
    "sla.view_slapolicy",
    "sla.view_escalationrule",
    "sla.view_ticketsla",
}
ADMIN = VIEW | {
    "sla.manage_sla",
    "sla.add_businesscalendar",
    "sla.change_businesscalendar",
    "sla.delete_businesscalendar",
    "sla.add_slapolicy",
    "sla.change_slapolicy",
    "sla.delete_slapolicy",
    "sla.add_escalationrule",
    "sla.change_escalationrule",
    "sla.delete_escalationrule",
}

register_role_permissions(Role.AGENT, {"sla.view_ticketsla"})
register_role_permissions(Role.SUPERVISOR, VIEW)
register_role_permissions(Role.MANAGER, VIEW)
register_role_permissions(Role.ADMIN, ADMIN)
register_role_permissions(Role.QA, {"sla.view_ticketsla"})
