"""Which roles may do what with customers (applied by accounts.roles.sync_role_groups)."""

from __future__ import annotations

from kefu.accounts.roles import Role, register_role_permissions

AGENT = {
    "customers.view_customer",
    "customers.add_customer",
    "customers.change_customer",
    "customers.view_purchase",
    "customers.view_creditrating",
    "customers.add_customernote",
    "customers.view_tag",
}
SUPERVISOR = AGENT | {
    "customers.merge_customer",
    "customers.import_customers",
    "customers.export_customers",
    "customers.add_purchase",
    "customers.change_purchase",
    "customers.delete_purchase",
    "customers.add_creditrating",
    "customers.add_tag",
    "customers.change_tier",
    "customers.view_importjob",
}
ADMIN = SUPERVISOR | {
    "customers.delete_customer",
    "customers.export_personal_data",
    "customers.add_customattribute",
    "customers.change_customattribute",
    "customers.delete_customattribute",
    "customers.view_customattribute",
    "customers.change_creditpolicy",
    "customers.view_creditpolicy",
}

register_role_permissions(Role.AGENT, AGENT)
register_role_permissions(Role.SUPERVISOR, SUPERVISOR)
register_role_permissions(Role.MANAGER, SUPERVISOR)
register_role_permissions(Role.ADMIN, ADMIN)
register_role_permissions(Role.QA, {"customers.view_customer"})
