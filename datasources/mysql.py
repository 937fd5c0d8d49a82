"""The ``sql`` kind against MySQL or MariaDB (a DSN ``mysql://`` or ``mariadb://``), with
PyMySQL (pure Python). The same guarantees as PostgreSQL (``datasources.sql``):

- The host must pass the outgoing-address guard and the connection goes to the address
  checked, so DNS cannot change it between the check and the connection.
- One connection per pull, closed after it: no pool is kept to a customer's database.
- The query runs in a READ ONLY transaction (``SET SESSION TRANSACTION READ ONLY`` and
  ``START TRANSACTION READ ONLY``), rolled back after it.
- A statement timeout: MariaDB's ``max_statement_time`` (seconds) or MySQL's
  ``max_execution_time`` (milliseconds), chosen by the server's own version string; the
  socket's read timeout stops a server that ignores both.
- The period's first and last day are bound as parameters ``%(start)s`` and ``%(end)s`` by
  the driver (quoted and escaped by it), never pasted into the text by okrkpi.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.utils.translation import gettext as _

from datasources.fetch import PullError
from notifications.channels.targets import UnsafeTarget, resolve_target

SCHEMES = ("mysql", "mariadb")
DEFAULT_PORT = 3306
CONNECT_TIMEOUT_SECONDS = 5
# MySQL's error numbers for the refusals okrkpi names in plain words.
READ_ONLY_ERRORS = frozenset({1792, 1290})  # in a READ ONLY transaction; --read-only server
TIMEOUT_ERRORS = frozenset({1969, 3024})  # MariaDB max_statement_time; MySQL max_execution_time


@dataclass(frozen=True)
class MysqlDsn:
    host: str
    port: int
    user: str
    password: str
    database: str
    ssl: bool


def is_mysql(dsn: str) -> bool:
    return dsn.strip().lower().split("://", 1)[0] in SCHEMES and "://" in dsn


def parse_dsn(dsn: str) -> MysqlDsn:
    """``mysql://user:password@host:3306/database`` (``?ssl=true`` for TLS); ``ValueError``
    when it does not parse or names no host or database."""
    parts = urlsplit(dsn.strip())
    if parts.scheme.lower() not in SCHEMES:
        raise ValueError("not a MySQL DSN")
    port = parts.port or DEFAULT_PORT  # raises ValueError on a port that is not a number
    database = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not database or "/" in database:
        raise ValueError("no host or database")
    options = {k.lower(): v[-1].lower() for k, v in parse_qs(parts.query).items()}
    ssl = options.get("ssl", options.get("ssl-mode", "")) in ("1", "true", "required", "verify_identity")
    return MysqlDsn(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        database=database,
        ssl=ssl,
    )


def _timeout_statement(server_version: str, timeout_ms: int) -> str:
    """The session's statement timeout, in the server's own dialect (whole numbers only)."""
    if "mariadb" in server_version.lower():
        return f"SET SESSION max_statement_time = {timeout_ms / 1000:.3f}"
    return f"SET SESSION max_execution_time = {int(timeout_ms):d}"


def fetch_rows(dsn: str, *, query: str, binds: dict[str, Any] | None, timeout_ms: int) -> list[tuple[Any, ...]]:
    """At most two rows of ``query`` run read-only under the timeout; ``PullError`` otherwise."""
    import pymysql

    try:
        target = parse_dsn(dsn)
    except ValueError:
        raise PullError(_("The DSN does not parse.")) from None
    try:
        _scheme, _host, _port, address = resolve_target(f"https://{target.host}:{target.port}/")
    except UnsafeTarget as exc:
        raise PullError(str(exc)) from None
    try:
        conn = pymysql.connect(
            host=address,
            port=target.port,
            user=target.user,
            password=target.password,
            database=target.database,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=timeout_ms / 1000 + 5,
            write_timeout=CONNECT_TIMEOUT_SECONDS,
            autocommit=False,
            charset="utf8mb4",
            ssl={"server_hostname": target.host} if target.ssl else None,
            program_name="okrkpi-source",
        )
    except pymysql.MySQLError as exc:
        raise PullError(_("Could not connect to the database: %(error)s") % {"error": _message(exc)}) from None
    try:
        with conn.cursor() as cursor:
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
            cursor.execute(_timeout_statement(conn.get_server_info(), timeout_ms))
            cursor.execute("START TRANSACTION READ ONLY")
            cursor.execute(query, binds)
            return [tuple(row) for row in cursor.fetchmany(2)] if cursor.description else []
    except pymysql.MySQLError as exc:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
        if code in TIMEOUT_ERRORS:
            raise PullError(
                _("The query ran longer than %(s)g seconds and was stopped.") % {"s": timeout_ms / 1000}
            ) from None
        if code in READ_ONLY_ERRORS:
            raise PullError(_("The query tried to change data; queries run read-only.")) from None
        raise PullError(_("The database answered: %(error)s") % {"error": _message(exc)}) from None
    finally:
        # Never committed; a connection the server already dropped is closed all the same.
        with contextlib.suppress(pymysql.MySQLError):
            conn.rollback()
        with contextlib.suppress(pymysql.MySQLError):
            conn.close()


def _message(exc: Exception) -> str:
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    text = str(args[1]) if len(args) > 1 else str(exc)
    return text.strip()[:300]
