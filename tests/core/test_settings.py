"""Configuration comes from the environment and bad values fail at start."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from okrkpi import env

ROOT = Path(__file__).resolve().parents[2]


def test_no_database_url_means_embedded_sqlite_with_wal_immediate_and_busy_timeout(tmp_path):
    config = env.database_config(None, sqlite_path=tmp_path / "db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert "busy_timeout" in config["OPTIONS"]["init_command"]


def test_database_url_selects_postgresql(tmp_path):
    config = env.database_config("postgresql://u:p@db.example:5433/okr", sqlite_path=tmp_path / "x")
    assert config["ENGINE"] == "core.postgresql"  # Django's, with a cheaper health check
    assert (config["NAME"], config["HOST"], config["PORT"], config["USER"]) == (
        "okr",
        "db.example",
        5433,
        "u",
    )


def test_postgresql_prepares_what_it_runs_often_unless_a_pooler_forbids_it(tmp_path):
    url = "postgresql://u@db.example/okr"
    options = env.database_config(url, sqlite_path=tmp_path / "x")["OPTIONS"]
    assert options["server_side_binding"] is True and options["prepare_threshold"] == 5
    options = env.database_config(url, sqlite_path=tmp_path / "x", prepared_statements=False).get("OPTIONS", {})
    assert "server_side_binding" not in options and "prepare_threshold" not in options


@pytest.mark.django_db
def test_this_database_connection_prepares_statements_on_postgresql():
    """The connection the tests use is configured as production's: a statement run five
    times is prepared on the server (what spares PostgreSQL planning it again)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    connection.ensure_connection()
    assert connection.connection.prepare_threshold == 5
    with connection.cursor() as cursor:
        for _ in range(6):
            cursor.execute("SELECT COUNT(*) FROM django_migrations WHERE app = %s", ["orgs"])
        cursor.execute("SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%django_migrations%"])
        assert cursor.fetchone()[0] == 1


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://u@h/db", "unsupported scheme"),
        ("postgresql://u@h", "names no database"),
        ("nonsense", "unsupported scheme"),
        ("sqlite:///", "needs a file path"),
    ],
)
def test_bad_database_url_is_refused_with_a_clear_message(url, fragment, tmp_path):
    with pytest.raises(ImproperlyConfigured, match=fragment):
        env.database_config(url, sqlite_path=tmp_path / "x")


def test_database_url_password_is_not_echoed(tmp_path):
    with pytest.raises(ImproperlyConfigured) as info:
        env.database_config("mysql://u:hunter2@h/db", sqlite_path=tmp_path / "x")
    assert "hunter2" not in str(info.value)


def test_broker_url_validation():
    assert env.broker_url(None) is None
    assert env.broker_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    with pytest.raises(ImproperlyConfigured, match="unsupported scheme"):
        env.broker_url("amqp://guest@localhost//")


def test_bool_and_int_helpers_reject_garbage(monkeypatch):
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_BOOL"):
        env.env_bool("X_BOOL", False)
    monkeypatch.setenv("X_BOOL", "Yes")
    assert env.env_bool("X_BOOL", False) is True
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ImproperlyConfigured, match="X_INT"):
        env.env_int("X_INT", 1)
    monkeypatch.setenv("X_INT", "70000")
    with pytest.raises(ImproperlyConfigured, match="maximum"):
        env.env_int("X_INT", 1, maximum=65535)


def _run(args: list[str], extra_env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **extra_env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variables", "fragment"),
    [
        ({"DATABASE_URL": "mysql://root@localhost/db"}, "unsupported scheme"),
        ({"REDIS_URL": "amqp://localhost"}, "unsupported scheme"),
        ({"DEBUG": "perhaps"}, "DEBUG"),
        ({"EMAIL_HOST": "smtp.example", "EMAIL_PORT": "smtp"}, "EMAIL_PORT"),
        ({"TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE"),
    ],
)
def test_bad_environment_fails_at_start(variables, fragment, tmp_path):
    result = _run(["check"], {"OKRKPI_VAR_DIR": str(tmp_path), **variables})
    assert result.returncode != 0
    assert fragment in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = _run(["check"], {"DJANGO_SETTINGS_MODULE": "okrkpi.settings.production", "OKRKPI_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_passes_the_deploy_check(tmp_path):
    result = _run(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {
            "DJANGO_SETTINGS_MODULE": "okrkpi.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "okr.example.com",
            "DATABASE_URL": "postgresql://okr:pw@db.internal:5432/okrkpi",
            "REDIS_URL": "redis://redis.internal:6379/0",
            "OKRKPI_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
