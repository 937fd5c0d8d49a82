"""``/healthz``: the web process's liveness check, and the background work's state.

It sits beside the URLs, outside the floors, because it reads what several floors own:
the heartbeats (``core``), the rollup outbox (``objectives``) and the
organisations marked dirty (``orgs``).

Plain ``/healthz`` answers 200 while the database answers, whatever the rest says: a
load balancer must not take a web process out because a worker is down. It reports the
worker heartbeat's age, the outbox's depth and oldest entry, the dirty organisations and
every queue whose heartbeat no worker has run lately. ``/healthz?strict=1``, for
monitoring, answers 503 with the reasons when any of those is past its limit
(``HEALTH_HEARTBEAT_MAX_AGE``, ``HEALTH_OUTBOX_MAX_AGE``). The page is public: it shows
counts and ages only, never which organisation.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from core.models import Heartbeat
from core.views import broker_status
from objectives.models import RollupPending
from orgs.models import Organization


def _age(at: datetime | None, now: datetime) -> float | None:
    return None if at is None else round(max((now - at).total_seconds(), 0.0), 1)


def background_status() -> tuple[dict, list[str]]:
    """The background work's figures (four queries) and what is wrong with them."""
    now = timezone.now()
    beats = dict(Heartbeat.objects.values_list("name", "at"))
    worker = beats.get("worker")
    outbox = RollupPending.objects.aggregate(depth=Count("id"), oldest=Min("queued_at"))
    dirty = Organization.objects.filter(rollup_dirty_since__isnull=False).aggregate(
        count=Count("id"), oldest=Min("rollup_dirty_since")
    )
    heartbeat_limit = settings.HEALTH_HEARTBEAT_MAX_AGE
    outbox_limit = settings.HEALTH_OUTBOX_MAX_AGE
    queues = {name: _age(beats.get(f"queue:{name}"), now) for name in settings.CELERY_QUEUE_NAMES}
    # Beat sends a heartbeat to every queue each minute: one not run lately waits for a
    # worker that consumes its queue (when beat itself is down, every queue is listed).
    idle = [name for name, age in queues.items() if age is None or age > heartbeat_limit]
    body = {
        "worker_heartbeat": worker.isoformat() if worker else None,
        "worker_heartbeat_age_seconds": _age(worker, now),
        "queue_heartbeat_age_seconds": queues,
        "queues_without_worker": idle,
        "rollup_outbox": {
            "depth": outbox["depth"],
            "oldest": outbox["oldest"].isoformat() if outbox["oldest"] else None,
            "oldest_age_seconds": _age(outbox["oldest"], now),
        },
        "dirty_organisations": {
            "count": dirty["count"],
            "oldest": dirty["oldest"].isoformat() if dirty["oldest"] else None,
            "oldest_age_seconds": _age(dirty["oldest"], now),
        },
    }
    problems = []
    worker_age = body["worker_heartbeat_age_seconds"]
    if worker_age is None:
        problems.append("no worker heartbeat yet (are beat and a worker running?)")
    elif worker_age > heartbeat_limit:
        problems.append(f"worker heartbeat {worker_age:.0f} s old (limit {heartbeat_limit} s)")
    if idle:
        problems.append(f"queues no worker consumes: {', '.join(idle)}")
    outbox_age = body["rollup_outbox"]["oldest_age_seconds"]
    if outbox_age is not None and outbox_age > outbox_limit:
        problems.append(
            f"rollup outbox stuck: {outbox['depth']} waiting, oldest {outbox_age:.0f} s (limit {outbox_limit} s)"
        )
    dirty_age = body["dirty_organisations"]["oldest_age_seconds"]
    if dirty_age is not None and dirty_age > outbox_limit:
        problems.append(
            f"{dirty['count']} organisations wait for repair, oldest {dirty_age:.0f} s (limit {outbox_limit} s)"
        )
    return body, problems


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers (the broker's and the workers' state are reported, not
    fatal); 503 otherwise. With ``?strict=1`` also 503, with the reasons, when the background
    work has stalled."""
    started = time.monotonic()
    strict = request.GET.get("strict") not in (None, "", "0", "false")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        db = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 — any database failure means "not healthy"
        db = {"ok": False, "vendor": connection.vendor, "error": exc.__class__.__name__}
    background: dict = {"worker_heartbeat": None}
    problems: list[str] = []
    if db["ok"]:
        background, problems = background_status()
    else:
        problems = ["database unreachable"]
    failed = not db["ok"] or (strict and bool(problems))
    body = {
        "status": "error" if failed else "ok",
        "database": db,
        "broker": broker_status(),
        **background,
        "problems": problems,
        "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
    }
    return JsonResponse(body, status=503 if failed else 200)
