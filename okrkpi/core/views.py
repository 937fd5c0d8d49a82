from __future__ import annotations

import time
from urllib.parse import urlparse

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from okrkpi.core.models import Heartbeat


def broker_status(timeout: float = 1.0) -> dict:
    """Is the broker reachable? Checked with a bounded ping, never blocking a request."""
    url = settings.CELERY_BROKER_URL
    scheme = urlparse(url).scheme
    if scheme == "filesystem":
        from pathlib import Path

        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        ok = folder.is_dir()
        return (
            {"ok": ok, "kind": "filesystem"}
            if ok
            else {"ok": False, "kind": "filesystem", "error": "queue folder missing (start the worker)"}
        )
    if scheme in {"redis", "rediss"}:
        import redis

        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
            client.ping()
        except (TimeoutError, redis.RedisError, OSError) as exc:
            return {"ok": False, "kind": "redis", "error": exc.__class__.__name__}
        return {"ok": True, "kind": "redis"}
    return {"ok": True, "kind": scheme}


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers (the broker's state is reported, not fatal); 503 otherwise."""
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        db = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 — any database failure means "not healthy"
        db = {"ok": False, "vendor": connection.vendor, "error": exc.__class__.__name__}
    beat = None
    if db["ok"]:
        hb = Heartbeat.objects.filter(name="worker").values_list("at", flat=True).first()
        beat = hb.isoformat() if hb else None
    body = {
        "status": "ok" if db["ok"] else "error",
        "database": db,
        "broker": broker_status(),
        "worker_heartbeat": beat,
        "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
    }
    return JsonResponse(body, status=200 if db["ok"] else 503)
