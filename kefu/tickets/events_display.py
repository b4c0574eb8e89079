"""How the 3W events read to people: a label per event kind and 'field: old → new' rows.

Foreign keys are stored in events as ids; `annotate_events` resolves them in one query per
referenced model, whatever the number of events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.tickets.models import (
    RESPONSE_KIND_CHOICES,
    Channel,
    CompensationState,
    ComplaintStage,
    Priority,
    Remedy,
    Ticket,
    TicketKind,
    TicketStatus,
)

EVENT_LABELS = {
    "created": _("Ticket created"),
    "repeat_detected": _("Repeat complaint detected"),
    "updated": _("Properties changed"),
    "assigned": _("Assignment changed"),
    "status_changed": _("Status changed"),
    "reopened": _("Reopened"),
    "stage_changed": _("Stage changed"),
    "reply_sent": _("Reply sent"),
    "note_added": _("Internal note added"),
    "customer_message": _("Customer wrote"),
    "compensation_granted": _("Compensation granted"),
    "compensation_requested": _("Compensation requested"),
    "compensation_escalated": _("Compensation passed up for approval"),
    "compensation_approved": _("Compensation approved"),
    "compensation_rejected": _("Compensation rejected"),
    "ianar_updated": _("IANAR review updated"),
    "follow_up_scheduled": _("Follow-up scheduled"),
    "follow_up_done": _("Follow-up done"),
    "opportunity_noted": _("Sales opportunity noted"),
    "merged_away": _("Merged into another ticket"),
    "merged_in": _("Another ticket merged in"),
    "split": _("Message split into a new ticket"),
    "split_from": _("Split from another ticket"),
    "linked": _("Linked to a ticket"),
    "incident_declared": _("Declared an incident"),
    "incident_linked": _("Linked to an incident"),
    "incident_attached": _("Affected tickets attached"),
    "incident_broadcast": _("Reply sent to all affected tickets"),
    "incident_solve_skipped": _("Not solved with the incident"),
    "problem_linked": _("Linked to a problem record"),
    "contact_failed": _("Unsuccessful contact"),
    "three_change_applied": _("Three-change applied"),
    "customer_feedback": _("Customer answered"),
    "attachments_removed": _("Attachments removed (retention rule)"),
}
FIELD_LABELS = {
    "customer": _("customer"),
    "attachments": _("attachments"),
    "warnings": _("reply checker warnings"),
    "approver": _("approver"),
    "remedy": _("remedy"),
    "amount": _("amount"),
    "state": _("state"),
    "change": _("change"),
    "due_at": _("due"),
    "outcome": _("outcome"),
    "target": _("ticket"),
    "new_ticket": _("new ticket"),
    "merged_into": _("merged into"),
    "from": _("from"),
    "messages": _("messages"),
    "message": _("message"),
    "tags": _("tags"),
    "tickets": _("tickets"),
    "estimated_value": _("estimated value"),
    "identify": _("identify"),
    "analyse": _("analyse"),
    "negotiate": _("negotiate"),
    "act": _("act"),
    "review": _("review"),
}
CHOICE_LABELS: dict[str, dict[str, Any]] = {
    "status": dict(TicketStatus.choices),
    "stage": dict(ComplaintStage.choices),
    "priority": dict(Priority.choices),
    "kind": dict(TicketKind.choices),
    "channel": dict(Channel.choices),
    "remedy": dict(Remedy.choices),
    "state": dict(CompensationState.choices),
    "response_kinds": dict(RESPONSE_KIND_CHOICES),
}
# Fields whose values are ids of these models.
REFERENCES = {
    "assignee": "accounts.User",
    "approver": "accounts.User",
    "team": "accounts.Team",
    "category": "tickets.Category",
    "root_cause": "tickets.RootCause",
    "problem": "tickets.Problem",
    "customer": "customers.Customer",
    "incident": "tickets.Ticket",
    "target": "tickets.Ticket",
    "new_ticket": "tickets.Ticket",
    "merged_into": "tickets.Ticket",
    "from": "tickets.Ticket",
}


def event_label(kind: str) -> str:
    return str(EVENT_LABELS.get(kind, kind.replace("_", " ")))


def field_label(name: str) -> str:
    if name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    try:
        return str(Ticket._meta.get_field(name).verbose_name)
    except Exception:  # any unknown key is shown as it is
        return name.replace("_", " ")


def _value(name: str, value, names: Mapping[tuple[str, str], str]) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if name in CHOICE_LABELS:
        labels = CHOICE_LABELS[name]
        if isinstance(value, list):
            return ", ".join(str(labels.get(v, v)) for v in value)
        return str(labels.get(value, value))
    if name in REFERENCES and not isinstance(value, list):
        return names.get((REFERENCES[name], str(value)), f"#{value}")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def change_rows(
    changes: Mapping[str, Any], names: Mapping[tuple[str, str], str] | None = None
) -> list[dict[str, str]]:
    """[{'field', 'old', 'new'}] for an event's {field: [old, new]} changes."""
    rows = []
    for name, pair in (changes or {}).items():
        old, new = pair if isinstance(pair, list) and len(pair) == 2 else [None, pair]
        rows.append(
            {
                "field": field_label(name),
                "old": _value(name, old, names or {}),
                "new": _value(name, new, names or {}),
                "is_new_only": old in (None, "", []),
            }
        )
    return rows


def reference_names(events: Iterable) -> dict[tuple[str, str], str]:
    """Names of every user, team, category … referenced by the events (one query per model)."""
    from django.apps import apps

    wanted: dict[str, set[str]] = {}
    for event in events:
        changes = event["changes"] if isinstance(event, dict) else event.changes
        for name, pair in (changes or {}).items():
            if name in REFERENCES and isinstance(pair, list):
                for value in pair:
                    if value not in (None, "") and not isinstance(value, list):
                        wanted.setdefault(REFERENCES[name], set()).add(str(value))
    names: dict[tuple[str, str], str] = {}
    for label, ids in wanted.items():
        model = apps.get_model(label)
        pks = [int(i) for i in ids if str(i).isdigit()]
        objects = model.objects.filter(pk__in=pks)
        if label == "tickets.Category":
            objects = objects.select_related("parent")
        for obj in objects:
            text = obj.public_id if label == "tickets.Ticket" and obj.public_id else str(obj)
            names[(label, str(obj.pk))] = text
    return names


def annotate_events(events: list) -> list:
    """Set `label` and `rows` on each event for templates; returns the same list."""
    names = reference_names(events)
    for event in events:
        event.label = event_label(event.kind)
        event.rows = change_rows(event.changes, names)
    return events
