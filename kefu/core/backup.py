"""Backup and restore: the database and the media files in one tar.gz with a checksummed manifest.

Layout of an archive (the manifest comes last, so it can carry every other member's SHA-256):

    database.dump     PostgreSQL: `pg_dump --format=custom` (when pg_dump is on PATH)
    database.json     otherwise: Django's `dumpdata` JSON (every table, primary keys kept)
    media/<path>      every file under settings.MEDIA_ROOT
    manifest.json     Kefu version, database vendor and format, applied migrations,
                      row count of every table, SHA-256 and size of every member

Restoring checks every member against the manifest *before* touching the database, and refuses
a database (or a MEDIA_ROOT) that already holds data unless told to overwrite it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
PG_DUMP_MEMBER = "database.dump"
JSON_DUMP_MEMBER = "database.json"
MEDIA_PREFIX = "media/"
_CHUNK = 1 << 20

# Rows that `migrate` itself writes into a fresh database; their presence does not make it
# "non-empty" (restoring replaces them with the archive's own rows).
_MIGRATE_FILLED_TABLES = frozenset(
    {"django_content_type", "auth_permission", "auth_group", "auth_group_permissions"}
)


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict
    row_counts: dict[str, int]
    media_files: int


# ---------------------------------------------------------------- what the database holds


def table_row_counts() -> dict[str, int]:
    """Rows in every table Django manages (models and many-to-many tables), by table name."""
    existing = set(connection.introspection.table_names())
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            meta = model._meta
            if meta.proxy or not meta.managed or meta.db_table not in existing:
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(meta.db_table)}")
            counts[meta.db_table] = cursor.fetchone()[0]
    return dict(sorted(counts.items()))


def applied_migrations() -> dict[str, list[str]]:
    """The migrations recorded as applied, by app label (sorted)."""
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return {}
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(recorder.applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


def database_holds_data() -> list[str]:
    """Tables that hold rows a restore would overwrite (empty list: safe to restore into)."""
    return [
        table
        for table, rows in table_row_counts().items()
        if rows and table not in _MIGRATE_FILLED_TABLES
    ]


def kefu_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kefu")
    except PackageNotFoundError:
        return "unknown"


def _uses_pg_dump() -> bool:
    return connection.vendor == "postgresql" and shutil.which("pg_dump") is not None


def _pg_command_env() -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump/pg_restore (password via PGPASSWORD)."""
    db = connection.settings_dict
    args = []
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    args += ["--dbname", db["NAME"]]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        # pg tools print the failing statement, never the password (it is only in the env).
        raise BackupError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}")


# ---------------------------------------------------------------- writing an archive


class _HashingReader:
    """Wraps a file so the bytes tarfile copies are hashed on the way (one read per file)."""

    def __init__(self, fileobj):
        self.fileobj = fileobj
        self.sha256 = hashlib.sha256()

    def read(self, size=-1):
        data = self.fileobj.read(size)
        self.sha256.update(data)
        return data


def _add_file(tar: tarfile.TarFile, source: Path, name: str, members: dict) -> None:
    info = tar.gettarinfo(str(source), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with open(source, "rb") as handle:
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    members[name] = {"sha256": reader.sha256.hexdigest(), "size": info.size}


def _dump_database(workdir: Path) -> tuple[Path, str]:
    if _uses_pg_dump():
        target = workdir / PG_DUMP_MEMBER
        args, env = _pg_command_env()
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *args], env)
        return target, "pg_dump-custom"
    target = workdir / JSON_DUMP_MEMBER
    # One read transaction: every table is read from the same snapshot.
    with transaction.atomic():
        call_command("dumpdata", format="json", output=str(target), use_base_manager=True)
    return target, "django-json"


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def backup_create(*, output: Path, include_media: bool = True) -> dict:
    """Write a backup archive to `output` (atomically: a partial file never has that name).

    Returns the manifest that was written into it.
    """
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="kefu-backup-", dir=output.parent) as tmp:
        workdir = Path(tmp)
        with transaction.atomic():  # counts and dump from the same snapshot where possible
            row_counts = table_row_counts()
            migrations = applied_migrations()
        dump_path, dump_format = _dump_database(workdir)
        partial = workdir / "archive.tar.gz"
        members: dict[str, dict] = {}
        with tarfile.open(partial, "w:gz") as tar:
            _add_file(tar, dump_path, dump_path.name, members)
            media = _media_files(media_root) if include_media else []
            for path in media:
                name = MEDIA_PREFIX + path.relative_to(media_root).as_posix()
                _add_file(tar, path, name, members)
            manifest = {
                "format": MANIFEST_FORMAT,
                "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "kefu_version": kefu_version(),
                "database": {
                    "vendor": connection.vendor,
                    "format": dump_format,
                    "member": dump_path.name,
                },
                "migrations": migrations,
                "row_counts": row_counts,
                "media": {"included": include_media, "files": len(media)},
                "members": members,
            }
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size = len(data)
            info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
            tar.addfile(info, io.BytesIO(data))
        os.replace(partial, output)
    return manifest


# ---------------------------------------------------------------- reading and checking


def _safe_member_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        raise BackupError(f"The archive contains an unsafe path: {name!r}. It was not restored.")
    return path.as_posix()


def backup_unpack(archive: Path, into: Path) -> dict:
    """Extract `archive` into `into`, checking every member against the manifest.

    Raises BackupError, naming the member, when anything is missing, extra or altered.
    """
    digests: dict[str, dict] = {}
    manifest_bytes = None
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                name = _safe_member_name(member.name)
                if not member.isfile():
                    raise BackupError(f"The archive member {name!r} is not a regular file.")
                source = tar.extractfile(member)
                if name == MANIFEST_NAME:
                    manifest_bytes = source.read()
                    continue
                target = into / name
                target.parent.mkdir(parents=True, exist_ok=True)
                sha = hashlib.sha256()
                size = 0
                with open(target, "wb") as out:
                    while chunk := source.read(_CHUNK):
                        sha.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                digests[name] = {"sha256": sha.hexdigest(), "size": size}
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"The archive is damaged or not a Kefu backup: {exc}") from exc
    if manifest_bytes is None:
        raise BackupError("The archive has no manifest.json: it is not a Kefu backup.")
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError as exc:
        raise BackupError(f"The manifest is not valid JSON: {exc}") from exc
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    expected = manifest.get("members", {})
    missing = sorted(set(expected) - set(digests))
    extra = sorted(set(digests) - set(expected))
    altered = sorted(n for n in expected if n in digests and digests[n] != expected[n])
    if missing or extra or altered:
        problems = []
        if altered:
            problems.append("checksum mismatch: " + ", ".join(altered))
        if missing:
            problems.append("missing: " + ", ".join(missing))
        if extra:
            problems.append("not in the manifest: " + ", ".join(extra))
        raise BackupError(
            "The archive is corrupted or was altered (" + "; ".join(problems) + "). Nothing was "
            "restored."
        )
    return manifest


def backup_verify(archive: Path) -> dict:
    """Check an archive's checksums without restoring it; returns its manifest."""
    with tempfile.TemporaryDirectory(prefix="kefu-verify-") as tmp:
        return backup_unpack(Path(archive), Path(tmp))


# ---------------------------------------------------------------- restoring


def _migration_targets(manifest: dict) -> list[tuple[str, str]]:
    """The archive's last migration per app; refuses migrations this code does not know."""
    loader = MigrationExecutor(connection).loader
    known = set(loader.disk_migrations) | set(loader.graph.nodes)
    recorded = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    unknown = sorted(f"{app}.{name}" for app, name in recorded - known)
    if unknown:
        raise BackupError(
            "The backup was made by a newer Kefu (unknown migrations: "
            + ", ".join(unknown[:5])
            + "). Upgrade Kefu before restoring it."
        )
    last: dict[str, tuple[int, str]] = {}
    for app_label, name in recorded:
        if (app_label, name) not in loader.graph.nodes:
            continue  # replaced by a squashed migration that is recorded too
        depth = len(loader.graph.forwards_plan((app_label, name)))
        if depth > last.get(app_label, (-1, ""))[0]:
            last[app_label] = (depth, name)
    return sorted((app, name) for app, (_depth, name) in last.items())


def _restore_json(dump: Path, manifest: dict) -> None:
    targets = _migration_targets(manifest)
    executor = MigrationExecutor(connection)
    leaves = {
        node for app in {a for a, _ in targets} for node in executor.loader.graph.leaf_nodes(app)
    }
    if set(targets) <= leaves:
        call_command("migrate", interactive=False, verbosity=0)  # same schema as this code
    else:
        # Build the schema the data was dumped from; the caller upgrades it after loading.
        executor.migrate(targets)
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    call_command("loaddata", str(dump), verbosity=0)


def _restore_pg(dump: Path) -> None:
    if shutil.which("pg_restore") is None:
        raise BackupError("This backup needs pg_restore (PostgreSQL client tools) on PATH.")
    args, env = _pg_command_env()
    connection.close()  # pg_restore drops and recreates tables; let go of them first
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(dump),
        ],
        env,
    )


def backup_restore(
    *, archive: Path, force: bool = False, include_media: bool = True
) -> RestoreResult:
    """Restore `archive` into the configured database and MEDIA_ROOT.

    Checksums are verified first; a database or MEDIA_ROOT holding data is refused unless
    `force`. Afterwards the database is migrated to this code and its row counts compared.
    """
    archive = Path(archive)
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="kefu-restore-") as tmp:
        staging = Path(tmp)
        manifest = backup_unpack(archive, staging)
        database = manifest["database"]
        if database["format"] == "pg_dump-custom" and connection.vendor != "postgresql":
            raise BackupError(
                "This backup is a PostgreSQL dump; it can only be restored into PostgreSQL."
            )
        busy = database_holds_data()
        if busy and not force:
            raise BackupError(
                "The database already holds data ("
                + ", ".join(busy[:5])
                + ("…" if len(busy) > 5 else "")
                + "). Restore into an empty database, or pass --force to replace it."
            )
        media = _media_files(media_root) if include_media else []
        if media and not force:
            raise BackupError(
                f"MEDIA_ROOT ({media_root}) already holds {len(media)} files. Restore into an "
                "empty one, or pass --force to overwrite files of the same name."
            )
        _migration_targets(manifest)  # refuses a backup made by a newer Kefu
        dump = staging / database["member"]
        if database["format"] == "pg_dump-custom":
            _restore_pg(dump)
        else:
            _restore_json(dump, manifest)
        restored_counts = table_row_counts()
        call_command("migrate", interactive=False, verbosity=0)
        mismatched = {
            table: (rows, restored_counts.get(table))
            for table, rows in manifest["row_counts"].items()
            if restored_counts.get(table) != rows
        }
        if mismatched:
            raise BackupError(
                f"Row counts differ after the restore (table: (backup, now)): {mismatched}"
            )
        copied = 0
        if include_media and (staging / "media").is_dir():
            for path in _media_files(staging / "media"):
                target = media_root / path.relative_to(staging / "media")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(path), target)
                copied += 1
    return RestoreResult(manifest=manifest, row_counts=restored_counts, media_files=copied)
