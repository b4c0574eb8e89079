"""Writing the audit trail. Services call `audit_record`; nothing else writes AuditEvent rows."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from kefu.core.models import AuditEvent
from kefu.core.request_context import current_request_context


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Return the JSON-ready values of `fields` on `instance` (foreign keys as their id)."""
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        values[name] = _jsonable(getattr(instance, attname))
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [old, new]} for every field whose value changed."""
    keys = list(dict.fromkeys([*before, *after]))
    return {
        key: [_jsonable(before.get(key)), _jsonable(after.get(key))]
        for key in keys
        if _jsonable(before.get(key)) != _jsonable(after.get(key))
    }


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event for `action` on `obj` by `actor` (None = the system)."""
    context = current_request_context()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)[:300]
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_label=(actor.get_username() if is_user else "system")[:200],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label[:300],
        changes=_jsonable(dict(changes or {})),
        request_id=context.request_id,
        ip_address=context.ip_address,
    )
