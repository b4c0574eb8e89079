"""`kefu backup` / `kefu restore`: a round trip into an empty database, and refusals.

The round trip restores in a separate `kefu` process into a second, empty database (a temporary
SQLite file, or a second PostgreSQL database when the suite runs on PostgreSQL), then compares
row counts, the media files' checksums and the restored data itself (dumpdata of both sides).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from kefu.core.backup import BackupError, backup_create, backup_restore, backup_verify
from kefu.core.tests.world import build_world

ROOT = Path(__file__).resolve().parents[3]


def _kefu(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kefu.cli", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _second_database(tmp_path: Path):
    """(KEFU_DATABASE_URL of an empty second database, cleanup function)."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}", lambda: None
    import psycopg

    db = connection.settings_dict
    name = f"{db['NAME']}_restore"[:60]
    params = {"host": db["HOST"], "port": db["PORT"] or 5432, "user": db["USER"]}
    if db["PASSWORD"]:
        params["password"] = db["PASSWORD"]

    def admin(sql: str) -> None:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            conn.execute(sql)

    admin(f'DROP DATABASE IF EXISTS "{name}"')
    admin(f'CREATE DATABASE "{name}"')
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    url = f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    return url, lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _dumpdata() -> list:
    out = io.StringIO()
    call_command("dumpdata", stdout=out, use_base_manager=True)
    return json.loads(out.getvalue())


@pytest.mark.django_db(transaction=True)  # pg_dump runs in another process: data must be committed
def test_backup_restores_into_an_empty_database(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    build_world(make_user)  # accounts, customers, tickets + attachments, knowledge, surveys
    archive = tmp_path / "kefu.tar.gz"

    manifest = backup_create(output=archive)

    assert manifest["database"]["vendor"] == connection.vendor
    expected_format = "pg_dump-custom" if connection.vendor == "postgresql" else "django-json"
    assert manifest["database"]["format"] == expected_format
    assert manifest["row_counts"]["tickets_ticket"] == 2
    assert manifest["row_counts"]["tickets_attachment"] == 2
    assert manifest["media"]["files"] == 2
    assert "tickets" in manifest["migrations"]
    assert backup_verify(archive)["members"] == manifest["members"]

    url, drop = _second_database(tmp_path)
    env = {"KEFU_DATABASE_URL": url, "KEFU_MEDIA_ROOT": str(tmp_path / "media2")}
    try:
        restored = _kefu("restore", str(archive), env=env)
        assert restored.returncode == 0, restored.stderr
        assert "row counts match" in restored.stdout
        again = _kefu("backup", str(tmp_path / "again.tar.gz"), env=env)
        assert again.returncode == 0, again.stderr
        dumped = _kefu("dumpdata", env=env)
        assert dumped.returncode == 0, dumped.stderr
        refused = _kefu("restore", str(archive), env=env)  # now it is not empty any more
    finally:
        drop()

    with tarfile.open(tmp_path / "again.tar.gz") as tar:
        second = json.load(tar.extractfile("manifest.json"))
    assert second["row_counts"] == manifest["row_counts"]
    media = {k: v for k, v in manifest["members"].items() if k.startswith("media/")}
    assert {k: v for k, v in second["members"].items() if k.startswith("media/")} == media
    for name, member in media.items():
        restored_file = tmp_path / "media2" / name.removeprefix("media/")
        assert restored_file.stat().st_size == member["size"]
    key = lambda row: (row["model"], str(row["pk"]))  # noqa: E731
    assert sorted(json.loads(dumped.stdout), key=key) == sorted(_dumpdata(), key=key)
    assert refused.returncode != 0 and "already holds data" in refused.stderr


def _rewrite(archive: Path, target: Path, change) -> None:
    """Copy `archive` to `target`, passing each (TarInfo, bytes) through `change`."""
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read()
            result = change(member, data)
            if result is None:
                continue
            member, data = result
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


@pytest.fixture
def archive(db, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    build_world(make_user)
    path = tmp_path / "kefu.tar.gz"
    backup_create(output=path)
    settings.MEDIA_ROOT = tmp_path / "empty-media"
    return path


def test_a_tampered_member_is_refused_before_anything_is_restored(archive, tmp_path):
    tampered = tmp_path / "tampered.tar.gz"

    def flip(member, data):
        if member.name.startswith("media/"):
            data = data[:-1] + bytes([data[-1] ^ 1])
        return member, data

    _rewrite(archive, tampered, flip)
    with pytest.raises(BackupError, match="checksum mismatch: media/attachments/"):
        backup_restore(archive=tampered, force=True)


def test_missing_extra_and_unsafe_members_are_refused(archive, tmp_path):
    missing = tmp_path / "missing.tar.gz"
    _rewrite(archive, missing, lambda m, d: None if m.name.startswith("media/") else (m, d))
    with pytest.raises(BackupError, match="missing: media/"):
        backup_verify(missing)

    def add_extra(member, data):
        if member.name.startswith("media/"):
            member.name = member.name + ".extra"
        return member, data

    extra = tmp_path / "extra.tar.gz"
    _rewrite(archive, extra, add_extra)
    with pytest.raises(BackupError, match="not in the manifest"):
        backup_verify(extra)

    def escape(member, data):
        if member.name.startswith("media/"):
            member.name = "../../etc/cron.d/evil"
        return member, data

    unsafe = tmp_path / "unsafe.tar.gz"
    _rewrite(archive, unsafe, escape)
    with pytest.raises(BackupError, match="unsafe path"):
        backup_verify(unsafe)


def test_a_truncated_archive_is_refused(archive, tmp_path):
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[:-2000])
    with pytest.raises(BackupError, match="damaged"):
        backup_verify(cut)


def test_a_database_with_data_is_refused_without_force(archive):
    with pytest.raises(BackupError, match="already holds data"):
        backup_restore(archive=archive)


def test_the_commands_report_errors_plainly(archive, tmp_path, capsys):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(archive))
    call_command("backup", verify=str(archive))
    assert "OK" in capsys.readouterr().out
