"""Background work: scheduled report emails (checked every 15 minutes), the weekly churn
model retrain, and the pivot summary table (refreshed every 10 minutes, rebuilt daily)."""

from __future__ import annotations

from kefu.core.tasks import task

WEEK_SECONDS = 7 * 24 * 3600


@task(name="reports.send_scheduled", every_seconds=15 * 60, max_retries=1)
def send_scheduled_reports() -> int:
    """Email every saved report whose time has come (claimed one by one: idempotent)."""
    from kefu.reports.services import scheduled_reports_send_due

    return scheduled_reports_send_due()


@task(name="reports.retrain_churn", every_seconds=WEEK_SECONDS, max_retries=0)
def retrain_churn_model() -> int | None:
    """Retrain the churn model as the system, unless a run finished in the last six days
    (the in-process scheduler also fires at start). Returns the run id (None: nothing to learn)."""
    import datetime as dt

    from django.utils import timezone

    from kefu.core.errors import ValidationFailed
    from kefu.reports.models import ChurnModelRun
    from kefu.reports.services import churn_model_train

    recent = ChurnModelRun.objects.filter(
        status=ChurnModelRun.Status.DONE, created_at__gte=timezone.now() - dt.timedelta(days=6)
    ).first()
    if recent is not None:
        return recent.pk
    try:
        return churn_model_train(actor=None).pk
    except ValidationFailed:
        return None


@task(name="reports.refresh_summary", every_seconds=10 * 60, max_retries=1)
def refresh_summary() -> int:
    """Re-aggregate the pivot summary's touched and recent days. Returns its row count."""
    from kefu.reports.summary import summary_refresh

    return summary_refresh().rows


@task(name="reports.rebuild_summary", every_seconds=24 * 3600, max_retries=1)
def rebuild_summary() -> int:
    """Rebuild the pivot summary from every ticket, unless that was done in the last 20 hours
    (the in-process scheduler also fires at start). Returns its row count."""
    import datetime as dt

    from django.utils import timezone

    from kefu.reports.models import SummaryState
    from kefu.reports.summary import NAME, summary_rebuild

    state = SummaryState.objects.filter(name=NAME).first()
    if (
        state is not None
        and state.rebuilt_at is not None
        and state.time_zone == timezone.get_current_timezone_name()
        and state.rebuilt_at >= timezone.now() - dt.timedelta(hours=20)
    ):
        return state.rows
    return summary_rebuild().rows
