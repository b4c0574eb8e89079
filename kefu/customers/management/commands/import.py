"""`kefu import customers|contacts|purchases FILE [--mode] [--dry-run] [--mapping col=field …]`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kefu.core.errors import ValidationFailed
from kefu.customers.importing import run_import
from kefu.customers.models import ImportKind, ImportMode


class Command(BaseCommand):
    help = "Import customers, contacts or purchases from a CSV (UTF-8/GB18030) or .xlsx file."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file", type=Path)
        parser.add_argument("--mode", choices=ImportMode.values, default=ImportMode.ATOMIC)
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--mapping",
            nargs="*",
            default=[],
            metavar="COLUMN=FIELD",
            help="Map a file column to a field (FIELD empty = ignore the column).",
        )

    def handle(self, *args, kind, file, mode, dry_run, mapping, **options):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        pairs = {}
        for item in mapping:
            column, sep, field = item.partition("=")
            if not sep:
                raise CommandError(f"--mapping wants COLUMN=FIELD, not {item!r}")
            pairs[column] = field
        console = Console(file=self.stdout, force_terminal=False)
        with (
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed:,} rows"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as progress,
            file.open("rb") as stream,
        ):
            task = progress.add_task(f"Importing {file.name}", total=None)
            try:
                result, rows, _mapping = run_import(
                    kind=kind,
                    stream=stream,
                    name=file.name,
                    mode=mode,
                    dry_run=dry_run,
                    mapping=pairs,
                    progress=lambda done: progress.update(task, completed=done),
                )
            except ValidationFailed as exc:
                raise CommandError(f"{exc.message} {exc.fields}") from exc
        for error in result.errors[:50]:
            self.stdout.write(f"  row {error.row} {error.column}: {error.message}")
        if len(result.errors) > 50:
            self.stdout.write(f"  … and {len(result.errors) - 50} more errors")
        state = "written" if result.written else "NOT written"
        self.stdout.write(
            f"{rows} rows: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {len(result.errors)} errors — {state}"
            + (" (dry run)" if dry_run else "")
        )
        if result.errors and mode == ImportMode.ATOMIC:
            raise CommandError("Nothing was imported: fix the rows above or use --mode valid_only.")
