"""Reading configuration from the environment, loudly.

Every helper raises ``ImproperlyConfigured`` with the variable's name and the
accepted values when a value is malformed, so a typo stops the process at
start instead of surfacing as odd behaviour later.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

from core.constants import CACHE_TABLE

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off.")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum {minimum}.")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={value} is above the maximum {maximum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_config(url: str | None, *, sqlite_path: Path, prepared_statements: bool = True) -> dict:
    """``DATABASES['default']`` from ``DATABASE_URL`` (PostgreSQL) or the embedded SQLite file.

    SQLite gets WAL, IMMEDIATE transactions and a busy timeout: without them
    concurrent writers fail with "database is locked".

    PostgreSQL gets server-side parameters, so that psycopg prepares a statement a
    connection has run five times and PostgreSQL stops planning it on each request:
    planning cost more than running the check-in's statements (docs/performance.md).
    ``prepared_statements=False`` (``DATABASE_PREPARED_STATEMENTS=false``) is for a
    pooler in transaction mode that cannot carry them (PgBouncer before 1.21).
    """
    if not url:
        return sqlite_config(sqlite_path)
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme in {"postgres", "postgresql", "pgsql"}:
        if not parsed.path or parsed.path == "/":
            raise ImproperlyConfigured(
                f"DATABASE_URL={_redact(url)!r} names no database; use postgresql://user:password@host:5432/dbname."
            )
        import dj_database_url

        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        # Django's backend with a health check skipped for a connection proven a moment ago.
        config["ENGINE"] = "core.postgresql"
        if prepared_statements:
            config.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
        return config
    if scheme == "sqlite":
        path = parsed.path
        if parsed.netloc:  # sqlite://relative/path
            path = parsed.netloc + path
        if path.startswith("//"):
            path = path[1:]
        if not path or path == "/":
            raise ImproperlyConfigured(
                "DATABASE_URL=sqlite:/// needs a file path, e.g. sqlite:////var/lib/okrkpi/db.sqlite3."
            )
        return sqlite_config(Path(path.lstrip("/") if not path.startswith("/") else path))
    raise ImproperlyConfigured(
        f"DATABASE_URL={_redact(url)!r} has an unsupported scheme {scheme or '(none)'!r}; "
        "use postgresql://user:password@host:5432/dbname or sqlite:////path/to/db.sqlite3."
    )


def sqlite_config(path: Path) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        },
    }


def broker_url(value: str | None) -> str | None:
    """Validate a Celery broker URL; ``None`` means the embedded filesystem broker."""
    if not value:
        return None
    scheme = urlparse(value).scheme.lower()
    if scheme not in {"redis", "rediss", "filesystem", "memory"}:
        raise ImproperlyConfigured(
            f"Broker URL {_redact(value)!r} has an unsupported scheme {scheme or '(none)'!r}; "
            "use redis://host:6379/0 (or rediss:// for TLS)."
        )
    return value


def _redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(parsed.password, "***")
    return url


def cache_config(redis_url: str | None) -> dict:
    """``CACHES['default']``: a store every web process shares, because login
    throttling counts failures in it. Redis when ``REDIS_URL`` names one, else the
    database (a table ``createcachetable`` makes; ``migrate`` runs it). Never
    per-process memory: with several gunicorn workers each would count alone."""
    if redis_url and urlparse(redis_url).scheme.lower() in {"redis", "rediss"}:
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "okrkpi",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": CACHE_TABLE}


def trusted_proxies(name: str) -> list:
    """The addresses (``10.0.0.1``) or networks (``10.0.0.0/8``) of the reverse proxies
    whose ``X-Forwarded-For`` is believed. Empty (the default): none, the client is
    the connection's address."""
    import ipaddress

    networks = []
    for item in env_list(name, []):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} has {item!r}, which is not an IP address or network (e.g. 10.0.0.1 or 10.0.0.0/8)."
            ) from None
    return networks
