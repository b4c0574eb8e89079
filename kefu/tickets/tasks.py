"""Background work of the tickets app: the weekly retraining of the category/priority
suggestion (idempotent: a model younger than a week is left alone)."""

from __future__ import annotations

import datetime as dt

from kefu.core.tasks import task

WEEK = 7 * 24 * 3600


@task(name="tickets.retrain_classifiers", every_seconds=WEEK)
def retrain_classifiers() -> dict[str, str]:
    """Retrain the suggestion for each target whose newest model is older than six days."""
    from kefu.tickets.services.classification import classifiers_retrain_due

    return classifiers_retrain_due(max_age=dt.timedelta(days=6))


@task(name="tickets.retention", every_seconds=24 * 3600)
def retention() -> int:
    """Apply the retention rules (KEFU_RETENTION_ATTACHMENT_MONTHS); idempotent."""
    from kefu.tickets.retention import attachments_retention_sweep

    return attachments_retention_sweep()
