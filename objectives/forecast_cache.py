"""What each key result's forecast reads of its check-ins (``forecast.Summary``: how many, the
latest, the trend's fit), kept between builds so a cycle's forecasts read only the check-ins
of the key results that changed.

A summary is kept under its key result and a fingerprint read from the key-result row (its
``updated_at``, ``last_check_in_at`` and current value, with the forecast's origin and time
zone): the check-in service writes these with every check-in (a back-dated one too: it sets
``updated_at``), so a new check-in makes a new fingerprint and the summary is read afresh;
it is never stale. A path that writes check-ins must touch the key result's ``updated_at``,
as ``objectives.services.check_ins`` does (imports create their key results anew). A summary
of check-ins not all in the past is not kept: the forecast must see them when their moment
comes.

The forecasts made of them are kept too, in this process: before the cycle's end a key
result's forecast does not move with "now", so it is kept beside its fingerprint and the row's
other figures, and an objective's beside its terms. And ``cached`` keeps a JSON document under
the data version, as the documents cache does, without unpickling a copy of it on every hit.

Two layers for the summaries: this process's memory (the documents cache's sibling, off where that cache is a
dummy, as in most tests), then the fast cache (Redis, shared by the workers) when there is
one. Either may lose anything; the check-ins are then read again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches

from core import fastcache
from objectives import forecast as fc
from orgs.models import Organization

T = TypeVar("T")

SECONDS = 14 * 24 * 3600  # in the fast cache; a changed key result simply makes a new key
# Shelves (summaries, key results' and objectives' forecasts, per organisation) kept in this
# process, the least recent dropped first: a 10,000-key-result organisation's three take ~16 MB.
SHELVES = 24
_lock = threading.Lock()
_shelves: OrderedDict[tuple[str, str, int], dict[int, Any]] = OrderedDict()

# ids of the key results missed → {id: (summary, whether it may be kept)}
Reader = Callable[[list[int]], dict[int, tuple[fc.Summary, bool]]]


Print = tuple[Hashable, ...]  # a fingerprint: compared as it is, spelt out only in the fast cache's keys


def in_memory() -> bool:
    """Whether this process keeps documents (off where the documents cache is a dummy)."""
    backend = settings.CACHES.get("documents", {}).get("BACKEND", "")
    return not str(backend).endswith("DummyCache")


def _shelf(kind: str, org_id: int) -> dict[int, Any]:
    key = (kind, fastcache._prefix(), org_id)
    with _lock:
        shelf = _shelves.get(key)
        if shelf is None:
            shelf = _shelves[key] = {}
            while len(_shelves) > SHELVES:
                _shelves.popitem(last=False)
        else:
            _shelves.move_to_end(key)
        return shelf


def forecasts_kept(org_id: int, kind: str = "key_results") -> dict[int, Any]:
    """{key result's or objective's id: (what its forecast was made of, …, the forecast)} kept in
    this process for an open cycle's forecasts (which do not move with "now" before the cycle's
    end); a dict that keeps nothing where the documents cache is off."""
    return _shelf(kind, org_id) if in_memory() else {}


def clear() -> None:
    """Forget everything this process keeps (tests)."""
    with _lock:
        _shelves.clear()
    with _bytes_lock:
        _bytes.clear()


def _key(kr_id: int, print_: Print) -> str:
    return f"forecast-summary:{kr_id}:" + ":".join(str(p) for p in print_)


def _encode(s: fc.Summary) -> list[Any]:
    return [s.n, list(s.last) if s.last else None, list(s.fit) if s.fit else None]


def _decode(value: list[Any]) -> fc.Summary:
    n, last, fit = value
    return fc.Summary(n, fc.Point(*last) if last else None, fc.Fit(*fit) if fit else None)


def summaries(*, org_id: int, wanted: dict[int, Print], read: Reader) -> dict[int, fc.Summary]:
    """The summary of each key result in ``wanted`` ({id: fingerprint}): kept ones, and
    ``read(the ids missed)`` for the others (one call, none when nothing is missed)."""
    shelf = _shelf("summaries", org_id) if in_memory() else {}
    found: dict[int, fc.Summary] = {}
    for kr_id, print_ in wanted.items():
        entry = shelf.get(kr_id)
        if entry is not None and entry[0] == print_:
            found[kr_id] = entry[1]
    missing = [k for k in wanted if k not in found]
    if missing and fastcache.available():
        for kr_id, value in zip(missing, fastcache.get_many([_key(k, wanted[k]) for k in missing]), strict=True):
            if value is not None:
                found[kr_id] = _decode(value)
                shelf[kr_id] = (wanted[kr_id], found[kr_id])
        missing = [k for k in missing if k not in found]
    if not missing:
        return found
    keep: dict[str, Any] = {}
    for kr_id, (summary, lasting) in read(missing).items():
        found[kr_id] = summary
        if lasting:
            shelf[kr_id] = (wanted[kr_id], summary)
            keep[_key(kr_id, wanted[kr_id])] = _encode(summary)
    if keep:
        fastcache.set_many(keep, SECONDS)
    return found


_bytes_lock = threading.Lock()
_bytes: OrderedDict[str, bytes] = OrderedDict()  # the latest few JSON documents, served as they are
BYTES_KEPT = 8


def cached(kind: str, org: Organization, build: Callable[[], T], *parts: Hashable) -> T:
    """``build()``, kept in the documents cache under the organisation's data version and today.
    A JSON document (bytes, immutable) is also kept as it is in this process: the documents
    cache unpickles a copy of it on every hit, which for the forecasts' megabyte and a half
    cost more than the whole cached cascade."""
    raw = ":".join(str(p) for p in (kind, org.pk, org.data_version, org.today().isoformat(), *parts))
    key = f"{kind}-{hashlib.sha256(raw.encode()).hexdigest()[:32]}"
    kept = _bytes.get(key)
    if kept is not None:
        return kept  # type: ignore[return-value]  # only bytes are kept, under a key only bytes were built for
    cache = caches["documents"]
    value: T | None = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value)
    if isinstance(value, bytes) and in_memory():
        with _bytes_lock:
            _bytes[key] = value
            while len(_bytes) > BYTES_KEPT:
                _bytes.popitem(last=False)
    return value
