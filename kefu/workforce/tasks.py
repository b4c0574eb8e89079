"""Background work of the workforce app: large simulation runs."""

from __future__ import annotations

from kefu.core.tasks import task


@task(name="workforce.simulation_run", max_retries=0)
def simulation_run(run_id: int) -> str:
    """Execute a queued simulation run (idempotent: finished runs are left alone)."""
    from kefu.workforce import services

    run = services.simulation_run_execute(run_id=run_id)
    return run.status if run is not None else "missing"
