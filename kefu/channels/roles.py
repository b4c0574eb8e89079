"""Which roles may do what with channels (applied by accounts.roles.sync_role_groups).

Integrations (CTI, chat, MTA pipes) use an API token of a user with the admin role, or of a
user given the add_* permissions below directly.
"""

from kefu.accounts.roles import Role, register_role_permissions

SUPERVISOR = {
    "channels.view_mailbox",
    "channels.view_inboundemail",
    "channels.change_inboundemail",  # retry a quarantined message
    "channels.view_outboundemail",
    "channels.change_outboundemail",  # retry a failed email
    "channels.view_callrecord",
    "channels.view_chattranscript",
    "channels.view_externalmessage",
    "channels.view_webhookdelivery",
}
ADMIN = SUPERVISOR | {
    "channels.manage_channels",
    "channels.add_mailbox",
    "channels.change_mailbox",
    "channels.view_webhooksubscription",
    "channels.add_webhooksubscription",
    "channels.change_webhooksubscription",
    "channels.add_inboundemail",
    "channels.add_callrecord",
    "channels.add_chattranscript",
    "channels.add_externalmessage",
}

register_role_permissions(Role.AGENT, {"channels.view_callrecord"})
register_role_permissions(Role.SUPERVISOR, SUPERVISOR)
register_role_permissions(Role.MANAGER, SUPERVISOR)
register_role_permissions(Role.ADMIN, ADMIN)
