"""Django's PostgreSQL backend, its connection health check taken only when it can help.

With ``CONN_HEALTH_CHECKS`` Django asks PostgreSQL ``SELECT 1`` before the first query
of every request, so that a connection the server dropped while it sat idle (a restart,
a failover, an idle timeout) is replaced instead of failing the request. Under load that
round trip is a whole statement per request, spent on a connection that served the
previous request a few milliseconds earlier: on a busy 2-core machine it was a tenth of
a check-in's time in the web worker (docs/performance.md).

Here the check is skipped when the connection was shown to work less than
``HEALTH_CHECK_AFTER_IDLE_SECONDS`` ago: a request ended on it without an error, or
Django's own check after an error passed. A connection that sat idle longer is checked as
before. A server that goes away within that second costs the next request on each
connection what it costs without health checks: that request fails, and the connection
is replaced at its end (Django closes a connection whose error left it unusable).
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base

HEALTH_CHECK_AFTER_IDLE_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    _proven_at = float("-inf")  # when a request last ended having used the connection without error

    def connect(self) -> None:
        super().connect()
        self._proven_at = float("-inf")

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and time.monotonic() - self._proven_at < HEALTH_CHECK_AFTER_IDLE_SECONDS
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self) -> None:
        # Called as each request (or Celery task) starts and ends. ``health_check_done`` is
        # set once the request has opened a cursor; ``errors_occurred`` once a query failed
        # for a reason other than the data, in which case Django checks the connection here
        # (and sets ``health_check_done`` when it passed, or closes it).
        used_cleanly = self.connection is not None and self.health_check_done and not self.errors_occurred
        super().close_if_unusable_or_obsolete()
        if self.connection is not None and (used_cleanly or self.health_check_done):
            self._proven_at = time.monotonic()
