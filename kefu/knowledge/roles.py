"""Which roles may do what in the knowledge base (applied by accounts.roles.sync_role_groups).

Portal customers get no permission here: they read published public articles only, which
kefu.knowledge.access allows any signed-in user."""

from __future__ import annotations

from kefu.accounts.roles import Role, register_role_permissions

READER = {
    "knowledge.view_article",
    "knowledge.view_internal_article",
    "knowledge.view_category",
    "knowledge.view_synonym",
}
AGENT = READER | {
    "knowledge.add_article",
    "knowledge.change_article",
    "knowledge.add_articleuse",
}
SUPERVISOR = AGENT | {
    "knowledge.publish_article",
    "knowledge.delete_article",
    "knowledge.add_category",
    "knowledge.change_category",
    "knowledge.add_synonym",
    "knowledge.change_synonym",
    "knowledge.delete_synonym",
    "knowledge.view_deflection",
}
ADMIN = SUPERVISOR | {"knowledge.delete_category"}

register_role_permissions(Role.AGENT, AGENT)
register_role_permissions(Role.SUPERVISOR, SUPERVISOR)
register_role_permissions(Role.MANAGER, SUPERVISOR)
register_role_permissions(Role.ADMIN, ADMIN)
register_role_permissions(Role.QA, READER)
