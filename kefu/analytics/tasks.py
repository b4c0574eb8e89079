"""Background work: the nightly customer-value refresh and the queued one from the API."""

from __future__ import annotations

from kefu.core.tasks import task

NIGHTLY_SECONDS = 24 * 3600


@task(name="analytics.refresh", max_retries=1)
def analytics_refresh_task(
    run_id: int | None = None, actor_id: int | None = None, update_tiers: bool = False
) -> int:
    """Run one refresh (filling in the queued run `run_id` when given); returns the run id.

    Idempotent: a queued run that already finished is not computed again.
    """
    from kefu.accounts.models import User
    from kefu.analytics.models import AnalyticsRun, RunStatus
    from kefu.analytics.services import analytics_refresh

    run = None
    if run_id is not None:
        run = AnalyticsRun.objects.filter(pk=run_id).first()
        if run is None or run.status == RunStatus.DONE:
            return run_id
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    return analytics_refresh(actor=actor, update_tiers=update_tiers, run=run).pk


@task(name="analytics.nightly_refresh", every_seconds=NIGHTLY_SECONDS, max_retries=1)
def analytics_nightly_refresh() -> int:
    """The daily snapshot (as the system); tiers are updated only on request. Skipped when a
    run already finished in the last 20 hours (the in-process scheduler also fires at start)."""
    import datetime as dt

    from django.utils import timezone

    from kefu.analytics.models import AnalyticsRun, RunStatus
    from kefu.analytics.services import analytics_refresh

    recent = AnalyticsRun.objects.filter(
        status=RunStatus.DONE, finished_at__gte=timezone.now() - dt.timedelta(hours=20)
    ).first()
    if recent is not None:
        return recent.pk
    return analytics_refresh(actor=None).pk
