"""The ``sql`` kind: one number from a customer's PostgreSQL database (MySQL and MariaDB:
``datasources.mysql``, with the same guarantees; the DSN's scheme chooses).

- The host must pass the outgoing-address guard (``notifications.channels.targets``) and
  the connection goes to the address checked (``hostaddr``), so DNS cannot change it
  between the check and the connection.
- One connection per pull, closed after it: no pool is kept to a customer's database.
- The query runs in a READ ONLY transaction with a statement timeout, and at most two
  rows are fetched (one is wanted: two is an error, whatever else the query would return).
- The period's first and last day are bound as parameters ``%(start)s`` and ``%(end)s``,
  never pasted into the text (write ``%%`` for a literal ``%`` in a query that uses them).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from datasources import mysql
from datasources.fetch import PullError
from datasources.pullers import Period, Pulled, read_number
from notifications.channels.targets import UnsafeTarget, resolve_target

CONNECT_TIMEOUT_SECONDS = 5


def statement_timeout_ms() -> int:
    return int(getattr(settings, "DATA_SOURCE_STATEMENT_TIMEOUT_MS", 10_000))


def _connect_params(dsn: str) -> dict[str, Any]:
    from psycopg.conninfo import conninfo_to_dict

    try:
        params: dict[str, Any] = dict(conninfo_to_dict(dsn))
    except Exception:  # psycopg's parser raises ProgrammingError with its own words
        raise PullError(_("The DSN does not parse.")) from None
    host = str(params.get("host") or "")
    if not host or host.startswith("/"):
        raise PullError(_("The DSN must name a host."))
    port = int(params.get("port") or 5432)
    try:
        _scheme, _host, _port, address = resolve_target(f"https://{host}:{port}/")
    except UnsafeTarget as exc:
        raise PullError(str(exc)) from None
    params.update(hostaddr=address, port=port, connect_timeout=CONNECT_TIMEOUT_SECONDS)
    params["application_name"] = "okrkpi-source"
    return params


def pull_sql(config: dict[str, Any], *, query: str, period: Period) -> Pulled:
    query = (query or "").strip().rstrip(";")
    if not query:
        raise PullError(_("Write the query that returns the number."))
    dsn = str(config.get("dsn") or "")
    binds = {"start": period.start, "end": period.end}
    uses_binds = "%(start)s" in query or "%(end)s" in query
    if mysql.is_mysql(dsn):
        rows = mysql.fetch_rows(
            dsn, query=query, binds=binds if uses_binds else None, timeout_ms=statement_timeout_ms()
        )
    else:
        rows = _postgres_rows(dsn, query=query, binds=binds if uses_binds else None)
    return one_number(rows)


def _postgres_rows(dsn: str, *, query: str, binds: dict[str, Any] | None) -> list[tuple[Any, ...]]:
    import psycopg

    params = _connect_params(dsn)
    try:
        with psycopg.connect(**params, autocommit=False) as conn:
            try:
                conn.execute("SET TRANSACTION READ ONLY")
                conn.execute(f"SET LOCAL statement_timeout = {statement_timeout_ms():d}")
                cursor = conn.execute(query, binds)
                return [tuple(row) for row in cursor.fetchmany(2)] if cursor.description else []
            finally:
                conn.rollback()
    except psycopg.errors.QueryCanceled:
        raise PullError(
            _("The query ran longer than %(s)g seconds and was stopped.") % {"s": statement_timeout_ms() / 1000}
        ) from None
    except psycopg.errors.ReadOnlySqlTransaction:
        raise PullError(_("The query tried to change data; queries run read-only.")) from None
    except psycopg.Error as exc:
        raise PullError(_("The database answered: %(error)s") % {"error": str(exc).strip()[:300]}) from None


def one_number(rows: list[tuple[Any, ...]]) -> Pulled:
    """The one number of the query's one row and column; ``PullError`` in plain words otherwise."""
    if not rows:
        raise PullError(_("The query returned no row; it must return one row with one number."))
    if len(rows) > 1:
        raise PullError(_("The query returned more than one row; it must return one row with one number."))
    if len(rows[0]) != 1:
        raise PullError(_("The query returned %(n)d columns; it must return one number.") % {"n": len(rows[0])})
    value = rows[0][0]
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        raise PullError(_("The query returned text (“%(raw)s”), not a number.") % {"raw": value[:60]})
    return Pulled(raw=str(value), value=read_number(float(value) if value is not None else None, language="en"))
