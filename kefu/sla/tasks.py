"""Periodic SLA work: the escalation sweep (idempotent; safe on several workers)."""

from __future__ import annotations

from kefu.core.tasks import task


@task(name="sla.sweep", every_seconds=60)
def sla_sweep_task() -> int:
    """Fire due escalations and status messages; returns how many escalations fired."""
    from kefu.sla.services import sla_sweep

    return sla_sweep().fired
