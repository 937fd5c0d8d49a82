"""Django's PostgreSQL backend, its connection health check taken only when it can help.

With ``CONN_HEALTH_CHECKS`` Django asks PostgreSQL ``SELECT 1`` before the first query
of every request, so that a connection the server dropped while it sat idle (a restart,
a failover, an idle timeout) is replaced instead of failing the request. Under load that
round trip is a whole statement per request, spent on a connection that served the
previous request a few milliseconds earlier: on a busy 2-core machine it was a tenth of
a check-in's time in the web worker (docs/performance.md).

Here the check is skipped when the connection was shown to work less than
``HEALTH_CHECK_AFTER_IDLE_SECONDS`` ago — a request (or task) opened a cursor on it then
and ended without a database error, or Django's own check after an error passed — and it
is idle now (not broken, not in a transaction or a statement). A connection that sat
idle longer is checked as before. A server that goes away within that second costs the
next request on each connection what it costs without health checks: that request
fails, and the connection is replaced at its end (Django closes a connection whose error
left it unusable).
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus

HEALTH_CHECK_AFTER_IDLE_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    # Set by Django's BaseDatabaseWrapper.__init__ (CONN_HEALTH_CHECKS); the stubs lack them.
    health_check_enabled: bool
    health_check_done: bool
    _proven_at = float("-inf")  # when the connection last served a request without error
    _used_at: float | None = None  # the last cursor opened since the request started

    def connect(self) -> None:
        super().connect()
        self._proven_at = float("-inf")
        self._used_at = time.monotonic()  # connected for a cursor about to be opened

    def close_if_health_check_failed(self) -> None:
        # Django calls this as each cursor is opened.
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and time.monotonic() - self._proven_at < HEALTH_CHECK_AFTER_IDLE_SECONDS
            and not self.connection.broken
            and self.connection.info.transaction_status == TransactionStatus.IDLE
        ):
            self.health_check_done = True
        else:
            super().close_if_health_check_failed()
        self._used_at = time.monotonic()

    def close_if_unusable_or_obsolete(self) -> None:
        # Called as each request (or Celery task) starts and ends. ``errors_occurred`` is
        # set once a query failed for a reason other than the data; then Django checks the
        # connection here, and clears it when the check passed (or closes the connection).
        used_at, self._used_at = self._used_at, None
        had_errors = self.errors_occurred
        super().close_if_unusable_or_obsolete()
        if self.connection is None:
            return
        if had_errors and not self.errors_occurred:  # Django's check just passed
            self._proven_at = time.monotonic()
        elif used_at is not None and not had_errors:
            self._proven_at = used_at
