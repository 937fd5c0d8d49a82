"""Publishing to the Celery broker from a request without paying for a broker in trouble.

A hung broker holds each publish for its whole time-out (about a second), and paying it on
every check-in cut a web process's capacity fiftyfold. So after one failed publish the
process leaves the broker alone for ``BROKER_PUBLISH_BACKOFF_SECONDS`` (the old name
``ROLLUP_PUBLISH_BACKOFF_SECONDS`` is still read by the settings): every caller — the
rollups (``objectives.queue``), the e-mails and channel posts (``notifications.outbox``) —
then leaves its work in its outbox for its sweep. One window per process, shared by all of
them: a broker that failed one caller is not tried again by another within the window.

Callers publish only what an outbox row already holds, so skipping a publish loses nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from kombu.exceptions import KombuError, OperationalError

log = logging.getLogger(__name__)

# Until then (``_monotonic()``) this process does not try the broker. Per process, like
# the fast cache's own back-off (``core.fastcache``).
_down_until = 0.0
_monotonic = time.monotonic


def backoff_seconds() -> float:
    return float(getattr(settings, "BROKER_PUBLISH_BACKOFF_SECONDS", 10))


def backing_off() -> bool:
    """Whether this process is leaving the broker alone after a failed publish."""
    return _monotonic() < _down_until


def publish_failed() -> None:
    """A publish failed: leave the broker alone for the window."""
    global _down_until
    _down_until = _monotonic() + backoff_seconds()


def publish(send: Callable[[], object], *, what: str) -> bool:
    """Call ``send`` (an ``apply_async``) unless the process is backing off; any failure
    starts the window and is logged, never raised (the caller's work is committed, and
    its outbox keeps what was to be published). Returns whether it was published."""
    if backing_off():
        return False
    try:
        send()
        return True
    except (KombuError, OperationalError, OSError, TimeoutError) as exc:
        log.warning(
            "%s not queued (%s); the broker is left alone for %s s", what, exc.__class__.__name__, backoff_seconds()
        )
    except Exception:  # noqa: BLE001 — after the commit: a broker problem must never fail the request
        log.exception("%s not queued; the broker is left alone for %s s", what, backoff_seconds())
    publish_failed()
    return False
