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
