from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from core.idempotency import idempotency_keys_prune
from core.models import Heartbeat


@shared_task(name="core.tasks.heartbeat", ignore_result=True)
def heartbeat(queue: str | None = None) -> str:
    """Record that a worker ran a beat-scheduled task, and from which queue: beat sends one
    to every queue, so /healthz can name a queue that no worker consumes."""
    now = timezone.now()
    Heartbeat.objects.update_or_create(name="worker", defaults={"at": now})
    if queue:
        Heartbeat.objects.update_or_create(name=f"queue:{queue}", defaults={"at": now})
    return now.isoformat()


@shared_task(name="core.tasks.prune_idempotency_keys", ignore_result=True)
def prune_idempotency_keys() -> int:
    """Delete the expired idempotency keys and spent form tokens (beat, hourly)."""
    return idempotency_keys_prune()
