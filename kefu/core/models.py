"""Base model mixins and the append-only audit trail shared by every Kefu app."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Adds a public UUID and created/updated timestamps."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """Adds an integer `version` for optimistic locking (see kefu.core.versioning)."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an append-only record."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def delete(self):
        raise AppendOnlyError("audit events are append-only")

    def redact(self, targets: dict[str, set[str]], scrub, *, actor_ids=(), label="[erased]") -> int:
        """The one sanctioned edit of the trail, for erasure (kefu.customers.erasure): the entries
        about `targets` ({object_type: {object_id, …}}) get `scrub(changes)` and `label` as
        their object label; entries whose actor is one of `actor_ids` lose the actor's name.
        Who acted, what action, and when stay. Returns how many entries changed."""
        base_update = models.QuerySet.update  # past the append-only guard, for this edit only
        changed = 0
        for object_type, ids in targets.items():
            ids = sorted(ids)
            for start in range(0, len(ids), 500):
                rows = self.filter(object_type=object_type, object_id__in=ids[start : start + 500])
                for pk, changes, object_label in rows.values_list("pk", "changes", "object_label"):
                    scrubbed = scrub(changes)
                    if scrubbed != changes or object_label != label:
                        base_update(
                            self.model.objects.filter(pk=pk), changes=scrubbed, object_label=label
                        )
                        changed += 1
        if actor_ids:
            changed += base_update(self.filter(actor_id__in=list(actor_ids)), actor_label=label)
        return changed


class AuditEvent(models.Model):
    """Who changed what, when: one row per change, never edited or deleted."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("actor name"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    object_label = models.CharField(_("object"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]
        default_permissions = ("add", "view")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")
