"""`kefu reports_summary refresh|rebuild`: maintain the ticket pivot's daily summary table
(kefu.reports.summary). `refresh` re-aggregates the days touched since the last run and the
recent days; `rebuild` re-aggregates every ticket."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Refresh or rebuild the daily summary table the ticket pivot reads from."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["refresh", "rebuild"])

    def handle(self, *args, action, **options):
        from kefu.reports.summary import summary_rebuild, summary_refresh

        started = time.perf_counter()
        state = summary_rebuild() if action == "rebuild" else summary_refresh()
        self.stdout.write(
            f"Ticket summary {action}: {state.rows:,} rows, {state.days_refreshed:,} days "
            f"re-aggregated, time zone {state.time_zone}, "
            f"{time.perf_counter() - started:.1f} s"
        )
