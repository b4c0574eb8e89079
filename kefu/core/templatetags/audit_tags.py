"""Readable audit events for pages people read (the audit log itself keeps the raw codes)."""

from __future__ import annotations

from django import template
from django.apps import apps
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

register = template.Library()

# The last part of an action code ("customer.created") → what happened, in the UI language.
VERBS = {
    "created": pgettext_lazy("audit", "created"),
    "bulk_created": pgettext_lazy("audit", "created in bulk"),
    "updated": pgettext_lazy("audit", "changed"),
    "deleted": pgettext_lazy("audit", "deleted"),
    "merged": pgettext_lazy("audit", "merged"),
    "merge_undone": pgettext_lazy("audit", "merge undone"),
    "credit_rated": pgettext_lazy("audit", "credit rated"),
    "tier_set": pgettext_lazy("audit", "tier set"),
    "contact_added": pgettext_lazy("audit", "contact added"),
    "contact_removed": pgettext_lazy("audit", "contact removed"),
    "note_added": pgettext_lazy("audit", "note added"),
    "uploaded": pgettext_lazy("audit", "uploaded"),
    "finished": pgettext_lazy("audit", "finished"),
    "approved": pgettext_lazy("audit", "approved"),
    "rejected": pgettext_lazy("audit", "rejected"),
}


@register.filter
def audit_summary(event) -> str:
    """'<object kind> <what happened>', e.g. '客户 已创建' / 'customer created'."""
    try:
        kind = str(apps.get_model(event.object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        kind = event.object_type
    verb = VERBS.get(event.action.rsplit(".", 1)[-1])
    return f"{kind} {verb or VERBS['updated']}"


@register.filter
def actor_name(event) -> str:
    """The actor's name as stored, or 'system' (translated) for automatic changes."""
    return event.actor_label if event.actor_label and event.actor_label != "system" else _("system")
