"""Saved replies (macros): create and edit them. Applying one lives in relations.macro_apply."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record
from kefu.core.errors import ValidationFailed
from kefu.core.permissions import require_perm
from kefu.tickets.models import Macro, TicketStatus

MACRO_FIELDS = ("name", "body", "set_status", "add_tags", "is_active")


@transaction.atomic
def macro_save(*, actor, values: dict, macro: Macro | None = None) -> Macro:
    """Create (macro=None) or change a macro; needs add_macro / change_macro."""
    require_perm(actor, "tickets.change_macro" if macro else "tickets.add_macro")
    unknown = set(values) - set(MACRO_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    if values.get("set_status") and values["set_status"] not in TicketStatus.values:
        raise ValidationFailed(_("Unknown status."), fields={"set_status": _("Unknown status.")})
    macro = macro or Macro()
    for name, value in values.items():
        setattr(macro, name, value.strip() if isinstance(value, str) else value)
    macro.add_tags = sorted({str(t).strip()[:50] for t in macro.add_tags if str(t).strip()})
    try:
        macro.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(_("The macro is not valid."), fields=exc.message_dict) from exc
    created = macro.pk is None
    macro.save()
    audit_record(
        actor=actor, action="macro.created" if created else "macro.updated", obj=macro, changes={}
    )
    return macro
