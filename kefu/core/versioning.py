"""Optimistic locking: an update names the version it read; a stale one is refused, not merged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db import models
from django.db.models import F
from django.utils.translation import gettext as _

from kefu.core.errors import Conflict

M = TypeVar("M", bound=models.Model)


def update_versioned(instance: M, *, expected_version: int, changes: Mapping[str, Any]) -> M:
    """Apply `changes` to `instance` if its stored version is still `expected_version`.

    One conditional UPDATE (compare-and-set), so two writers can never both win.
    Raises Conflict with the current stored state when someone else saved first.
    """
    model = type(instance)
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.full_clean(exclude=[f.name for f in model._meta.fields if f.name not in changes])
    columns = {name: getattr(instance, model._meta.get_field(name).attname) for name in changes}
    if any(f.name == "updated_at" for f in model._meta.fields):
        from django.utils import timezone

        columns["updated_at"] = instance.updated_at = timezone.now()
    updated = model.objects.filter(pk=instance.pk, version=expected_version).update(
        version=F("version") + 1, **columns
    )
    if updated == 0:
        current = model.objects.filter(pk=instance.pk).first()
        raise Conflict(
            _("This record was changed by someone else. Reload it and apply your change again."),
            code="stale_version",
            details={
                "expected_version": expected_version,
                "current_version": getattr(current, "version", None),
            },
        )
    instance.version = expected_version + 1
    return instance
