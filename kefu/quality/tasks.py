"""Periodic quality work: keep the KPI fact table up to date (idempotent; safe to rerun)."""

from __future__ import annotations

from kefu.core.tasks import task


@task(name="quality.refresh_kpi_facts", every_seconds=900)
def refresh_kpi_facts_task() -> int:
    """Fold the days touched since the last scan into the KPI fact table; returns rows written."""
    from kefu.quality.factstore import refresh

    return refresh()["rows"]
