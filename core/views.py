from __future__ import annotations

from urllib.parse import urlparse

from django.conf import settings


def broker_status(timeout: float = 1.0) -> dict[str, object]:
    """Is the broker reachable? Checked with a bounded ping, never blocking a request."""
    url = settings.CELERY_BROKER_URL
    scheme = urlparse(url).scheme
    if scheme == "filesystem":
        from pathlib import Path

        folder = Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))
        ok = folder.is_dir()
        return (
            {"ok": ok, "kind": "filesystem"}
            if ok
            else {"ok": False, "kind": "filesystem", "error": "queue folder missing (start the worker)"}
        )
    if scheme in {"redis", "rediss"}:
        import redis

        try:
            client = redis.Redis.from_url(str(url), socket_connect_timeout=timeout, socket_timeout=timeout)
            client.ping()
        except (TimeoutError, redis.RedisError, OSError) as exc:
            return {"ok": False, "kind": "redis", "error": exc.__class__.__name__}
        return {"ok": True, "kind": "redis"}
    return {"ok": True, "kind": scheme}
