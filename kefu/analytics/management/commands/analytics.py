"""`kefu analytics refresh [--update-tiers] [--as-of YYYY-MM-DD]`: compute a customer value
snapshot now, with a progress bar."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from kefu.core.errors import KefuError


class Command(BaseCommand):
    help = "Customer value analytics: `refresh` computes a new snapshot for every customer."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["refresh"])
        parser.add_argument(
            "--update-tiers", action="store_true", help="Also set customers' ABCD tiers."
        )
        parser.add_argument("--as-of", help="Observation date (default: today).")

    def handle(self, *args, action, update_tiers, as_of, **options):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from kefu.analytics.services import analytics_refresh

        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise CommandError(f"--as-of wants YYYY-MM-DD, not {as_of!r}") from exc
        console = Console(file=self.stdout, force_terminal=False)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,} rows"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            tasks: dict[str, int] = {}

            def report(label: str, rows: int, total: int | None) -> None:
                if label not in tasks:
                    tasks[label] = progress.add_task(label, total=total)
                progress.update(tasks[label], advance=rows, total=total)

            try:
                run = analytics_refresh(
                    actor=None, update_tiers=update_tiers, as_of=day, progress=report
                )
            except KefuError as exc:
                raise CommandError(exc.message) from exc
        counts, timings = run.counts, run.timings
        self.stdout.write(
            f"Snapshot #{run.pk} as of {run.as_of}: {counts.get('customers', 0):,} customers, "
            f"{counts.get('purchases', 0):,} purchases, {counts.get('tickets', 0):,} tickets; "
            f"tiers changed: {counts.get('tiers_changed', 0):,}. "
            f"load {timings.get('load')} s, compute {timings.get('compute')} s, "
            f"write {timings.get('write')} s."
        )
        for warning in (run.fitted or {}).get("warnings", []):
            self.stdout.write(self.style.WARNING(warning))
