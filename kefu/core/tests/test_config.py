import os
import stat

import pytest

from kefu.core.config import database_from_url, env_bool, env_list, load_or_create_secret_key


def test_sqlite_url_uses_wal_and_busy_timeout(tmp_path):
    config = database_from_url(f"sqlite:///{tmp_path}/db/kefu.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == f"{tmp_path}/db/kefu.sqlite3"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["OPTIONS"]["timeout"] >= 5
    assert (tmp_path / "db").is_dir()


def test_postgres_url_is_split_into_parts():
    config = database_from_url("postgresql://kefu:s%40cret@db.local:5433/kefu_prod?sslmode=require")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"]) == (
        "kefu",
        "s@cret",
        "db.local",
        "5433",
    )
    assert config["NAME"] == "kefu_prod"
    assert config["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize("url", ["mysql://x/y", "postgresql://host/"])
def test_unsupported_or_incomplete_urls_are_refused(url):
    with pytest.raises(ValueError):
        database_from_url(url)


def test_env_bool_and_list(monkeypatch):
    monkeypatch.setenv("KEFU_X", "yes")
    assert env_bool("KEFU_X", default=False) is True
    monkeypatch.setenv("KEFU_X", "0")
    assert env_bool("KEFU_X", default=True) is False
    monkeypatch.setenv("KEFU_X", "maybe")
    with pytest.raises(ValueError, match="KEFU_X"):
        env_bool("KEFU_X", default=False)
    monkeypatch.delenv("KEFU_X")
    assert env_bool("KEFU_X", default=True) is True
    monkeypatch.setenv("KEFU_HOSTS", "a.example, b.example,,")
    assert env_list("KEFU_HOSTS", default=[]) == ["a.example", "b.example"]


def test_secret_key_is_generated_once_and_private(tmp_path):
    path = tmp_path / "var" / "secret_key"
    first = load_or_create_secret_key(path)
    assert len(first) >= 50
    assert load_or_create_secret_key(path) == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_settings_read_from_environment(tmp_path):
    """Import settings in a child process with KEFU_* set, as a deployment would."""
    import subprocess
    import sys

    env = {
        **os.environ,
        "KEFU_DEBUG": "0",
        "KEFU_SECRET_KEY": "from-env",
        "KEFU_ALLOWED_HOSTS": "kefu.example.com",
        "KEFU_TIME_ZONE": "Europe/London",
        "KEFU_LANGUAGE": "en",
        "KEFU_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
    }
    code = (
        "from kefu import settings as s;"
        "print(s.DEBUG, s.SECRET_KEY, s.ALLOWED_HOSTS, s.TIME_ZONE, s.LANGUAGE_CODE,"
        " s.SESSION_COOKIE_SECURE, s.DATABASES['default']['NAME'].endswith('x.sqlite3'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ("False from-env ['kefu.example.com'] Europe/London en True True")
