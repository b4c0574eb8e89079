"""Which roles may do what with tickets (applied by accounts.roles.sync_role_groups)."""

from kefu.accounts.roles import Role, register_role_permissions

AGENT = {
    "tickets.view_ticket",
    "tickets.add_ticket",
    "tickets.change_ticket",
    "tickets.view_problem",
    "tickets.view_macro",
    "tickets.view_compensation",
}
SUPERVISOR = AGENT | {
    "tickets.view_all_tickets",
    "tickets.approve_compensation",
    "tickets.add_problem",
    "tickets.change_problem",
    "tickets.add_macro",
    "tickets.change_macro",
}
ADMIN = SUPERVISOR | {
    "tickets.manage_ticket_settings",
    "tickets.add_category",
    "tickets.change_category",
    "tickets.add_rootcause",
    "tickets.change_rootcause",
    "tickets.add_authoritylimit",
    "tickets.change_authoritylimit",
    "tickets.view_authoritylimit",
    "tickets.add_replyrule",
    "tickets.change_replyrule",
    "tickets.delete_macro",
}

register_role_permissions(Role.AGENT, AGENT)
register_role_permissions(Role.SUPERVISOR, SUPERVISOR)
register_role_permissions(Role.MANAGER, SUPERVISOR)
register_role_permissions(Role.ADMIN, ADMIN)
register_role_permissions(
    Role.QA, {"tickets.view_ticket", "tickets.view_all_tickets", "tickets.view_compensation"}
)
