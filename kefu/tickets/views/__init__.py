"""The agent workspace: inbox, ticket page, approvals, 3W report, macros."""

from kefu.tickets.views.actions import (
    auto_assign_view,
    compensation_new,
    contact_failed_view,
    follow_up_done,
    follow_up_new,
    ianar_view,
    link_new,
    opportunity_new,
    three_change_view,
)
from kefu.tickets.views.inbox import bulk_action, inbox, ticket_new
from kefu.tickets.views.recovery import (
    approvals,
    compensation_decide_view,
    macro_edit,
    macro_list,
    three_w_report,
)
from kefu.tickets.views.relations import (
    incident_attach_view,
    incident_broadcast_view,
    incident_solve_view,
    message_split,
)
from kefu.tickets.views.ticket import (
    attachment_download,
    ticket_detail,
    ticket_presence,
    ticket_reply,
    ticket_stage_view,
    ticket_transition_view,
    ticket_update_view,
)

__all__ = [
    "approvals",
    "attachment_download",
    "auto_assign_view",
    "bulk_action",
    "compensation_decide_view",
    "compensation_new",
    "contact_failed_view",
    "follow_up_done",
    "follow_up_new",
    "ianar_view",
    "inbox",
    "incident_attach_view",
    "incident_broadcast_view",
    "incident_solve_view",
    "link_new",
    "macro_edit",
    "macro_list",
    "message_split",
    "opportunity_new",
    "three_change_view",
    "three_w_report",
    "ticket_detail",
    "ticket_new",
    "ticket_presence",
    "ticket_reply",
    "ticket_stage_view",
    "ticket_transition_view",
    "ticket_update_view",
]
