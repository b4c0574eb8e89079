"""Periodic knowledge-base work: review reminders (daily) and deflection decisions (hourly)."""

from __future__ import annotations

from kefu.core.tasks import task
from kefu.knowledge import services


@task(name="knowledge.review_reminders", every_seconds=24 * 3600)
def review_reminders() -> int:
    """Remind owners of articles past their review date (idempotent: one reminder a day)."""
    return services.review_reminders_send()


@task(name="knowledge.deflection_sweep", every_seconds=3600)
def deflection_sweep() -> dict[str, int]:
    """Decide the portal reads whose window ended (idempotent: only pending reads change)."""
    return services.deflection_sweep()
