"""The shared cache, where it saves work: hints that spare a query or a message.

With ``REDIS_URL`` the default cache is Redis, a round trip far cheaper than a
query. Without it (the embedded mode) it is a database table, where asking the
cache costs as much as the query it would save, and writing it takes SQLite's
one write lock: then there is no fast cache and callers do the work directly.

A hint is never the truth: callers must stay correct when it is missing, stale
by its time-out, or when the store is down (every call here swallows errors).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache

log = logging.getLogger(__name__)

_MISSING = object()


def available() -> bool:
    return not isinstance(caches["default"], DatabaseCache)


def get(key: str) -> Any:
    """The value, or None when absent, unavailable or the store fails."""
    if not available():
        return None
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 — a hint must never fail the request
        log.warning("fast cache: get %s failed", key)
        return None


def set(key: str, value: Any, seconds: int) -> None:  # noqa: A001 — the cache's own verb
    if not available():
        return
    try:
        cache.set(key, value, seconds)
    except Exception:  # noqa: BLE001
        log.warning("fast cache: set %s failed", key)


def add(key: str, value: Any, seconds: int) -> bool | None:
    """True when the key was added, False when it was there; None without a fast cache
    or when the store fails (the caller cannot tell, and must act as if it was added)."""
    if not available():
        return None
    try:
        return bool(cache.add(key, value, seconds))
    except Exception:  # noqa: BLE001
        log.warning("fast cache: add %s failed", key)
        return None


def delete(key: str) -> None:
    if not available():
        return
    try:
        cache.delete(key)
    except Exception:  # noqa: BLE001
        log.warning("fast cache: delete %s failed; it lapses with its time-out", key)
