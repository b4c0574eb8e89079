"""Writes of the sla app (its services own its models).

`sla_ticket_changed` is called by kefu.tickets.services.effects inside every ticket change.
"""

from kefu.sla.services.clocks import (
    matching_policy,
    policy_reapply,
    recompute,
    sla_apply,
    sla_backfill,
    sla_breach_reason_set,
    sla_onsite_visited,
    sla_refresh_open,
    sla_ticket_changed,
)
from kefu.sla.services.config import (
    calendar_core,
    calendar_create,
    calendar_delete,
    calendar_import_holidays,
    calendar_update,
    policy_create,
    policy_delete,
    policy_reorder,
    policy_update,
    require_manage,
    rule_create,
    rule_delete,
    rule_update,
)
from kefu.sla.services.escalation import render_status_message, sla_sweep

__all__ = [
    "calendar_core",
    "calendar_create",
    "calendar_delete",
    "calendar_import_holidays",
    "calendar_update",
    "matching_policy",
    "policy_create",
    "policy_delete",
    "policy_reapply",
    "policy_reorder",
    "policy_update",
    "recompute",
    "render_status_message",
    "require_manage",
    "rule_create",
    "rule_delete",
    "rule_update",
    "sla_apply",
    "sla_backfill",
    "sla_breach_reason_set",
    "sla_onsite_visited",
    "sla_refresh_open",
    "sla_sweep",
    "sla_ticket_changed",
]
