"""Demo analytics: two customer-value snapshots of the demo company (90 days ago and today),
so every analytics page, including tier migration, has something to show.

Idempotent: a snapshot that already exists for a date is not computed again.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kefu.analytics.models import AnalyticsRun, RunStatus
from kefu.analytics.services import analytics_refresh
from kefu.customers.models import Purchase

SNAPSHOT_DAYS_AGO = (90, 0)


def load(*, scale: int, rng, stdout=None) -> None:
    if not Purchase.objects.exists():
        if stdout is not None:
            stdout.write("  analytics: no purchases, no snapshot")
        return
    today = timezone.localdate()
    made = []
    for days in SNAPSHOT_DAYS_AGO:
        as_of = today - dt.timedelta(days=days)
        if AnalyticsRun.objects.filter(as_of=as_of, status=RunStatus.DONE).exists():
            continue
        made.append(analytics_refresh(actor=None, as_of=as_of))
    if stdout is not None:
        described = ", ".join(
            f"#{run.pk} as of {run.as_of} ({run.counts.get('customers', 0)} customers)"
            for run in made
        )
        stdout.write(f"  analytics: {len(made)} snapshot(s) {described}".rstrip())
