"""Throttling of password guesses: the login page, the admin login and the API
token endpoint share it.

Failures are counted in the shared cache (Redis or the database, never process
memory, so every gunicorn worker and every machine sees the same counts) under
these keys:

- the account and the client together: someone mistyping, or guessing one
  account's password from one place;
- the client: one address spraying many accounts;
- the account, across every client: a guess spread over many addresses;
- the device: a browser that has logged in to this account before.

Devices follow OWASP's device cookies: a successful login leaves a signed cookie
bound to the account (``DEVICE_COOKIE``). A browser presenting a valid one for the
account being tried is a known device: only its own failures count against it
and slow it down, so an attacker with a fresh address per guess cannot lock the
owner out of the browser they always use. Every other (unknown) browser counts
under the three keys above and waits while the account does.

Past a few free failures each further one makes the key wait twice as long as
the last (30 s, 60 s, 2 min … up to a cap), rather than a fixed lockout that an
attacker renews for ever. An attempt while waiting is refused without checking
the password and without counting. Counts are forgotten an hour after the last
failure; a successful login clears the account's counts.

Logging in must not depend on Redis: when the shared cache is Redis and it fails
(down, or hung past its one-second time-out), the counts go to the database's cache
table instead, and this process leaves Redis alone for ``BACKOFF_SECONDS``, so a
dead or hung Redis costs one time-out, not one per request. Counts made in one
store are not seen in the other: after a fail-over the waits start again, which
slows a guesser by a few free attempts, never locks anyone out.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import BaseCache, caches
from django.core.cache.backends.db import DatabaseCache
from django.http import HttpResponseBase
from django.utils.translation import ngettext

from core.constants import CACHE_TABLE

log = logging.getLogger(__name__)

WINDOW = 60 * 60  # a failure is forgotten this long after the last one
BASE_DELAY = 30  # seconds, the first wait; each further failure doubles it


@dataclass(frozen=True)
class Rule:
    name: str
    free: int  # failures before the first wait
    cap: int  # the longest wait, in seconds


PAIR = Rule("pair", free=10, cap=15 * 60)
CLIENT = Rule("client", free=30, cap=15 * 60)
ACCOUNT = Rule("account", free=10, cap=5 * 60)
DEVICE = Rule("device", free=10, cap=15 * 60)

DEVICE_COOKIE = "okrkpi_device"
DEVICE_MAX_AGE = 365 * 24 * 60 * 60
_DEVICE_SALT = "orgs.throttle.device"


def _clock() -> float:
    return time.time()


def _account(email: str) -> str:
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]


# --- device cookies ---------------------------------------------------------------------------


def known_device(cookie: str | None, email: str) -> str | None:
    """The device's id when ``cookie`` is a device cookie this site signed for the account
    ``email`` names (a cookie of another account, forged or expired is no device: None)."""
    if not cookie:
        return None
    try:
        data = signing.loads(cookie, salt=_DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("a") != _account(email):
        return None
    device = data.get("d")
    return device if isinstance(device, str) and device else None


def device_cookie(email: str, device: str | None = None) -> str:
    """A device cookie for the account ``email`` names (a new device unless given)."""
    return signing.dumps({"a": _account(email), "d": device or secrets.token_urlsafe(16)}, salt=_DEVICE_SALT)


def remember_device(response: HttpResponseBase, cookie: str | None) -> HttpResponseBase:
    """Leave the device cookie of a successful login on the response (nothing when None)."""
    if cookie:
        response.set_cookie(
            DEVICE_COOKIE,
            cookie,
            max_age=DEVICE_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


# --- the store: the shared cache, or the database while it fails -----------------------------

BACKOFF_SECONDS = 30.0  # after a failure, Redis is left alone this long (per process)
_down_until = 0.0


def _store_errors() -> tuple[type[BaseException], ...]:
    try:
        import redis
    except ImportError:  # pragma: no cover - redis is a dependency
        return (OSError,)
    return (redis.RedisError, OSError)


class FailoverStore:
    """The cache verbs the throttles use, on ``primary`` (the default cache), or on the
    database's cache table while ``primary`` fails or is being left alone. A database
    cache as primary is used as it is: it fails only with the database."""

    def __init__(self, primary: BaseCache) -> None:
        self.primary = primary

    def _fallback(self) -> BaseCache:
        return DatabaseCache(CACHE_TABLE, {})

    def _call(self, verb: str, *args: Any, **kwargs: Any) -> Any:
        global _down_until
        if isinstance(self.primary, DatabaseCache):
            return getattr(self.primary, verb)(*args, **kwargs)
        if time.monotonic() >= _down_until:
            try:
                return getattr(self.primary, verb)(*args, **kwargs)
            except _store_errors() as exc:
                _down_until = time.monotonic() + BACKOFF_SECONDS
                log.warning("login throttle: the cache failed (%s); the database counts for %s s", exc, BACKOFF_SECONDS)
        return getattr(self._fallback(), verb)(*args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get", *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get_many", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> Any:  # noqa: A003 — the cache's own verb
        return self._call("set", *args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("add", *args, **kwargs)

    def incr(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("incr", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("touch", *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("delete_many", *args, **kwargs)


def login_store() -> FailoverStore:
    """Where the login throttles count: the default cache, failing over to the database."""
    return FailoverStore(caches["default"])


def delay_after(rule: Rule, failures: int) -> int:
    """Seconds to wait after the ``failures``-th failure under ``rule`` (0: none)."""
    if failures < rule.free:
        return 0
    return min(rule.cap, BASE_DELAY * 2 ** min(failures - rule.free, 20))


def wait_message(seconds: int) -> str:
    """ "Too many failed attempts" with the time to wait, in words."""
    if seconds > 90:
        minutes = math.ceil(seconds / 60)
        return ngettext(
            "Too many failed attempts. Try again in %(n)d minute.",
            "Too many failed attempts. Try again in %(n)d minutes.",
            minutes,
        ) % {"n": minutes}
    return ngettext(
        "Too many failed attempts. Try again in %(n)d second.",
        "Too many failed attempts. Try again in %(n)d seconds.",
        seconds,
    ) % {"n": seconds}


class LoginThrottle:
    """Counts failed logins by account and by client in ``cache`` (the default cache,
    failing over to the database, unless given: tests pass a second client of the same store)."""

    def __init__(self, cache: BaseCache | FailoverStore | None = None) -> None:
        self.cache = cache if cache is not None else login_store()

    @staticmethod
    def _keys(email: str, client: str, device: str | None = None) -> dict[Rule, str]:
        """The keys an attempt counts under: its device's alone for a known device, else
        the account with the client, the client and the account."""
        if device:
            return {DEVICE: f"login:device:{hashlib.sha256(device.encode()).hexdigest()[:32]}"}
        account = _account(email)
        where = hashlib.sha256(client.encode()).hexdigest()[:32]
        return {
            PAIR: f"login:pair:{account}:{where}",
            CLIENT: f"login:client:{where}",
            ACCOUNT: f"login:account:{account}",
        }

    def retry_after(self, *, email: str, client: str, device: str | None = None) -> int:
        """Seconds this client must wait before trying this account again (0: go ahead).
        ``device``: the id of a known device (``known_device``), which waits only for its own failures."""
        keys = self._keys(email, client, device)
        counts = self.cache.get_many([f"{k}:until" for k in keys.values()])
        now = _clock()
        waits = [counts.get(f"{key}:until", 0) - now for key in keys.values()]
        return max(0, math.ceil(max(waits)))

    def failed(self, *, email: str, client: str, device: str | None = None) -> None:
        """Count a failed attempt under its keys and start the waits it earns."""
        now = _clock()
        for rule, key in self._keys(email, client, device).items():
            failures = self._bump(key)
            delay = delay_after(rule, failures)
            if delay:
                self.cache.set(f"{key}:until", now + delay, delay + 1)

    def succeeded(self, *, email: str, client: str, device: str | None = None) -> None:
        """The account's owner got in: forget the failures of this device, or, from an unknown
        one, the account's. The client's stay, or an attacker could clear their address by
        logging in to their own account; a known device leaves the account's, or its owner
        would hand a guesser elsewhere a fresh set of free attempts."""
        keys = self._keys(email, client, device)
        cleared = [DEVICE] if device else [PAIR, ACCOUNT]
        self.cache.delete_many([f"{keys[rule]}{end}" for rule in cleared for end in ("", ":until")])

    def _bump(self, key: str) -> int:
        # add + incr is atomic on Redis; on the database cache two exactly simultaneous
        # failures may count once, which only delays the wait by one attempt.
        self.cache.add(key, 0, WINDOW)
        try:
            failures = self.cache.incr(key)
        except ValueError:  # expired between add and incr
            self.cache.set(key, 1, WINDOW)
            failures = 1
        self.cache.touch(key, WINDOW)
        return failures
