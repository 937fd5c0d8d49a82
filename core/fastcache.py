"""Hints in Redis that spare a query or a message on the hot paths.

With ``REDIS_URL`` the default cache is Redis, a round trip far cheaper than a
query, and this module talks to the same Redis (keys under ``okrkpi:fast:``,
JSON values). Without it (the embedded mode) the cache is a database table,
where asking it costs as much as the query it would save, and writing it takes
SQLite's one write lock: then there is no fast cache and callers do the work
directly.

A hint is never the truth: callers must stay correct when it is missing, stale
by its time-out, or when the store is down (every call here swallows errors).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

PREFIX = "okrkpi:fast:"  # settings.FASTCACHE_PREFIX overrides it (tests: one per test)
# After a failure Redis is left alone this long (per process): a Redis that is down or
# hung costs one short time-out, not one per request.
BACKOFF_SECONDS = 10.0
_lock = threading.Lock()
_client: Any = None
_client_for: str | None = None
_down_until = 0.0


def _redis_url() -> str | None:
    config = settings.CACHES.get("default", {})
    if config.get("BACKEND") == "django.core.cache.backends.redis.RedisCache":
        location = config.get("LOCATION")
        return location[0] if isinstance(location, (list, tuple)) else location
    return None


def client() -> Any:
    """One Redis client per process (a thread-safe connection pool) with the cache's short
    time-outs; None without Redis. Django's cache builds a client object on every call,
    which on the check-in path cost more than the round trip."""
    global _client, _client_for
    url = _redis_url()
    if url is None or time.monotonic() < _down_until:
        return None
    if _client is None or _client_for != url:
        with _lock:
            if _client is None or _client_for != url:
                import redis
                from redis.backoff import NoBackoff
                from redis.retry import Retry

                # One attempt: redis-py retries by default, which would hold a request for seconds.
                _client = redis.Redis.from_url(
                    url, socket_connect_timeout=0.5, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
                )
                _client_for = url
    return _client


def _prefix() -> str:
    return getattr(settings, "FASTCACHE_PREFIX", PREFIX)


def _failed(verb: str, key: str) -> None:
    global _down_until
    _down_until = time.monotonic() + BACKOFF_SECONDS
    log.warning("fast cache: %s %s failed; Redis is left alone for %s s", verb, key, BACKOFF_SECONDS)


def available() -> bool:
    return _redis_url() is not None


def get(key: str) -> Any:
    """The value, or None when absent, unavailable or the store fails."""
    r = client()
    if r is None:
        return None
    try:
        raw = r.get(_prefix() + key)
        return None if raw is None else json.loads(raw)
    except Exception:  # noqa: BLE001 — a hint must never fail the request
        _failed("get", key)
        return None


def set(key: str, value: Any, seconds: int) -> None:  # noqa: A001 — the cache's own verb
    r = client()
    if r is None:
        return
    try:
        r.set(_prefix() + key, json.dumps(value), ex=seconds)
    except Exception:  # noqa: BLE001
        _failed("set", key)


def add(key: str, value: Any, seconds: int) -> bool | None:
    """True when the key was added, False when it was there; None without a fast cache
    or when the store fails (the caller cannot tell, and must act as if it was added)."""
    return add_or_get(key, value, seconds)[0]


# GET, else SET with a time-out: one round trip that either adds the key or reads it.
_ADD_OR_GET = """
local found = redis.call('GET', KEYS[1])
if found then return found end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
"""


def add_or_get(key: str, value: Any, seconds: int) -> tuple[bool | None, Any]:
    """``add`` that also answers what was there: ``(True, None)`` when the key was added,
    ``(False, the value found)`` when it was there, ``(None, None)`` without a fast cache
    or when the store fails (act as if added)."""
    r = client()
    if r is None:
        return None, None
    try:
        found = r.eval(_ADD_OR_GET, 1, _prefix() + key, json.dumps(value), seconds)
        return (True, None) if found is None else (False, json.loads(found))
    except Exception:  # noqa: BLE001
        _failed("add", key)
        return None, None


def delete(key: str) -> None:
    r = client()
    if r is None:
        return
    try:
        r.delete(_prefix() + key)
    except Exception:  # noqa: BLE001
        _failed("delete", key)


def get_many(keys: list[str]) -> list[Any]:
    """The values of ``keys`` in their order (None for each absent), in one round trip; all
    None when unavailable or the store fails."""
    r = client()
    if r is None or not keys:
        return [None] * len(keys)
    try:
        prefix = _prefix()
        return [None if raw is None else json.loads(raw) for raw in r.mget([prefix + k for k in keys])]
    except Exception:  # noqa: BLE001
        _failed("get_many", keys[0])
        return [None] * len(keys)


def set_many(values: dict[str, Any], seconds: int) -> None:
    """``set`` of every key, in one round trip (a pipeline without a transaction)."""
    r = client()
    if r is None or not values:
        return
    try:
        prefix = _prefix()
        pipe = r.pipeline(transaction=False)
        for key, value in values.items():
            pipe.set(prefix + key, json.dumps(value), ex=seconds)
        pipe.execute()
    except Exception:  # noqa: BLE001
        _failed("set_many", next(iter(values)))
