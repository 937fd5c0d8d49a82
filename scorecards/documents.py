"""Cached executive documents (the cascade, the dashboard), never stale.

A document is cached as its JSON bytes under a key made of the organisation,
its data version (``orgs.versions``: bumped after every committed change a
document can show), the organisation's today (expected progress and health
move with the date) and the document's own parameters. So a cached document is
always the one that would be built now; a change simply makes new keys, and
old entries age out of the cache. The same key is the response's ETag, so a
client that already has the document gets a 304 without it being rebuilt.

The cache is the ``documents`` alias: per process by default (each web worker
builds a document at most once per version), or shared when configured.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.core.cache import caches
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation

from orgs.models import Organization


def document_key(kind: str, org: Organization, *parts: Hashable) -> str:
    """The cache key and ETag of a document as it stands now."""
    # The language too: a document may hold a translated word (a former member's owner name).
    language = translation.get_language()
    raw = ":".join(str(p) for p in (kind, org.pk, org.data_version, org.today().isoformat(), language, *parts))
    return f"{kind}-{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


def cached_json(key: str, build: Callable[[], Any]) -> bytes:
    """The document's JSON bytes, built (and stored) only when the key is new."""
    cache = caches["documents"]
    body = cache.get(key)
    if body is None:
        body = json.dumps(build(), cls=DjangoJSONEncoder, separators=(",", ":")).encode()
        cache.set(key, body)
    return body


T = TypeVar("T")


def cached_document(key: str, build: Callable[[], T]) -> T:
    """For pages: the document itself (any picklable value), built only when the key is new."""
    cache = caches["documents"]
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value)
    return value


def etag_matches(if_none_match: str | None, key: str) -> bool:
    """Does the client's If-None-Match already name this document?"""
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or f'"{key}"' in tags
