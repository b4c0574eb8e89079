"""`kefu kpi_facts refresh [--full]`: bring the KPI fact table up to date now (on demand; the
periodic task quality.refresh_kpi_facts does the same every 15 minutes)."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "KPI fact table: `refresh` folds in the days touched since the last scan."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["refresh"])
        parser.add_argument("--full", action="store_true", help="Rebuild every month.")

    def handle(self, *args, action, full, **options):
        from kefu.quality.factstore import refresh

        result = refresh(full=full)
        self.stdout.write(
            f"{len(result['months'])} month(s), {result['rows']:,} fact rows, "
            f"complete through {result['complete_through']}"
        )
