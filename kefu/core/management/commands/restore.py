"""`kefu restore FILE`: check a backup's checksums, then restore it into an empty database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kefu.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a `kefu backup` archive. Checksums are verified first; a database or "
        "MEDIA_ROOT that already holds data is refused unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument(
            "--force", action="store_true", help="Replace the data already in the database."
        )
        parser.add_argument("--no-media", action="store_true", help="Restore the database only.")

    def handle(self, *args, archive, force, no_media, **options):
        try:
            result = backup_restore(archive=Path(archive), force=force, include_media=not no_media)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(result.row_counts.values())
        self.stdout.write(
            f"Restored {archive} (made {result.manifest['created_at']}): {rows} rows, "
            f"{result.media_files} media files; row counts match the manifest."
        )
