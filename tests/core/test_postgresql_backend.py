"""The PostgreSQL backend checks a connection's health only when it may have gone stale.

Each test plays requests the way Django's handler does: ``close_old_connections`` as the
request starts, the view's queries, ``close_old_connections`` as it ends.
"""

from __future__ import annotations

import pytest
from django.db import OperationalError, close_old_connections, connection, connections

from core.postgresql import base

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def checks(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL backend's")
    assert isinstance(connections["default"], base.DatabaseWrapper)
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] and connection.settings_dict["CONN_MAX_AGE"]
    made: list[bool] = []
    is_usable = connection.is_usable

    def counted() -> bool:
        made.append(True)
        return is_usable()

    monkeypatch.setattr(connection, "is_usable", counted)
    connection.close()
    yield made
    connection.close()


def request(query: str = "SELECT 1") -> None:
    close_old_connections()
    try:
        with connection.cursor() as cursor:
            cursor.execute(query)
    finally:
        close_old_connections()


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(pid: int) -> None:
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


def test_a_connection_that_served_a_request_a_moment_ago_is_not_checked_again(checks):
    request()  # connects: a new connection needs no check
    assert checks == []
    for _ in range(5):
        request()
    assert checks == []


def test_a_connection_idle_for_longer_is_checked_first(checks):
    request()
    connection._proven_at -= base.HEALTH_CHECK_AFTER_IDLE_SECONDS + 0.5
    request()
    assert checks == [True]
    request()  # proven again by that request
    assert checks == [True]


def test_a_connection_dropped_while_idle_is_replaced_without_failing_the_request(checks):
    request()
    pid = backend_pid()
    close_old_connections()
    terminate(pid)
    connection._proven_at -= base.HEALTH_CHECK_AFTER_IDLE_SECONDS + 0.5
    request()  # the check finds it dead; a new connection serves the request
    assert checks == [True]
    assert backend_pid() != pid


def test_after_a_failed_statement_the_connection_is_checked_once_then_trusted(checks):
    request()
    with pytest.raises(Exception):  # noqa: B017, PT011 — the database's own error for a bad statement
        request("SELECT no_such_column FROM no_such_table")
    assert checks == [True]  # Django checks a connection that saw an error as the request ends
    request()
    assert checks == [True]  # ... which proves it for the next request


def test_a_connection_dropped_within_the_second_fails_one_request_then_is_replaced(checks):
    request()
    pid = backend_pid()
    close_old_connections()
    terminate(pid)
    with pytest.raises(OperationalError):
        request()
    request()  # the failed request's end closed it; this one connects afresh
    assert backend_pid() != pid


def test_a_connection_left_idle_after_a_failed_request_is_checked_again(checks):
    """The check Django makes after an error proves the connection at that moment only: the
    start of a request much later does not count as a use."""
    request()
    with pytest.raises(Exception):  # noqa: B017, PT011
        request("SELECT no_such_column FROM no_such_table")
    connection._proven_at -= base.HEALTH_CHECK_AFTER_IDLE_SECONDS + 0.5
    checks.clear()
    request()
    assert checks == [True]


def test_a_connection_left_inside_a_transaction_is_checked(checks):
    request()
    connection.connection.execute("BEGIN")  # not idle: something left it mid-transaction
    checks.clear()
    close_old_connections()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert checks == [True]
    connection.connection.rollback()
