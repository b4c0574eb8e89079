"""Which roles may do what in the workforce area (applied by accounts.roles.sync_role_groups)."""

from __future__ import annotations

from kefu.accounts.roles import Role, register_role_permissions

AGENT = {"workforce.view_queue", "workforce.view_agentpresence"}
SUPERVISOR = AGENT | {
    "workforce.use_planning",
    "workforce.view_live_wall",
    "workforce.route_contact",
    "workforce.add_queue",
    "workforce.change_queue",
    "workforce.view_skill",
    "workforce.add_skill",
    "workforce.change_agentskill",
    "workforce.view_agentskill",
    "workforce.change_agentpresence",
    "workforce.view_routingdecision",
    "workforce.view_simulationrun",
    "workforce.add_simulationrun",
}
ADMIN = SUPERVISOR | {"workforce.delete_queue", "workforce.delete_skill"}

register_role_permissions(Role.AGENT, AGENT)
register_role_permissions(Role.SUPERVISOR, SUPERVISOR)
register_role_permissions(Role.MANAGER, SUPERVISOR)
register_role_permissions(Role.ADMIN, ADMIN)
