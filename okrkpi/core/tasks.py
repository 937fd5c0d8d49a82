from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from okrkpi.core.models import Heartbeat


@shared_task(name="okrkpi.core.tasks.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Record that a worker ran a beat-scheduled task (shown by /healthz)."""
    now = timezone.now()
    Heartbeat.objects.update_or_create(name="worker", defaults={"at": now})
    return now.isoformat()
