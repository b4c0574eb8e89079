"""`kefu backup [FILE]`: the database and media files in one checksummed tar.gz."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kefu.core.backup import BackupError, backup_create, backup_verify


class Command(BaseCommand):
    help = "Write a backup archive (database + media + manifest with SHA-256 checksums)."

    def add_arguments(self, parser):
        parser.add_argument(
            "output",
            nargs="?",
            help="Archive to write (default: var/backups/kefu-<UTC time>.tar.gz).",
        )
        parser.add_argument("--no-media", action="store_true", help="Leave MEDIA_ROOT out.")
        parser.add_argument(
            "--verify", metavar="ARCHIVE", help="Only check an existing archive's checksums."
        )

    def handle(self, *args, output, no_media, verify, **options):
        try:
            if verify:
                manifest = backup_verify(Path(verify))
                self.stdout.write(
                    f"{verify}: OK ({len(manifest['members'])} members, "
                    f"made {manifest['created_at']} by Kefu {manifest['kefu_version']})"
                )
                return
            if not output:
                stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
                output = Path(settings.VAR_DIR) / "backups" / f"kefu-{stamp}.tar.gz"
            manifest = backup_create(output=Path(output), include_media=not no_media)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["row_counts"].values())
        self.stdout.write(
            f"Wrote {output}: {manifest['database']['format']} dump of {rows} rows in "
            f"{len(manifest['row_counts'])} tables, {manifest['media']['files']} media files."
        )
