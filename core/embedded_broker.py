"""The embedded broker: kombu's filesystem transport, with a worker that stops at once.

Celery's worker loop for transports without an event loop (``synloop``) waits up to two
seconds for a message, then checks whether a shutdown was asked for, and on shutdown
waits once more. On the filesystem transport that wait is a poll of the queue folder, so
Ctrl-C in ``make run`` left the worker polling for up to four seconds before its warm
shutdown even began; on a busy machine that ran past honcho's five seconds and the worker
was killed. Capping each wait at ``MAX_WAIT`` lets the loop notice the request within a
fraction of a second. Nothing is lost: an empty wait only means the loop polls again.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import filesystem

# Seconds one wait for a message may last before the worker loop looks at its state again.
MAX_WAIT = 0.25


class Transport(filesystem.Transport):
    # kombu's stubs give its two base classes different signatures; this is the virtual one's.
    def drain_events(self, connection: Any, timeout: float | None = None) -> None:  # type: ignore[override]  # kombu's bases disagree
        if timeout is not None:
            timeout = min(timeout, MAX_WAIT)
        super().drain_events(connection, timeout=timeout)
