"""Pull tasks, on their own queue (``pulls``): a slow customer's database never delays a
rollup or a reminder. Tasks take ids, never model instances."""

from __future__ import annotations

import secrets
from datetime import date
from functools import partial

from celery import shared_task
from django.db import InterfaceError, OperationalError

from core.broker import publish
from datasources.fetch import PullError
from datasources.services import pull_claimed
from datasources.sweep import due_pulls

MAX_RETRIES = 4


@shared_task(
    name="datasources.pull_sweep",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
    ignore_result=True,
)
def pull_sweep_task() -> int:
    """Hourly: queue one pull per KPI and ended period not yet claimed (safe to overlap: the
    claim in ``pull_claimed`` makes each pull exactly-once)."""
    due = due_pulls()
    for kpi_id, period in due.pulls:
        publish(partial(pull_task.delay, kpi_id, period.isoformat()), what="source pull")
    return len(due.pulls)


@shared_task(bind=True, name="datasources.pull", acks_late=True, ignore_result=True, max_retries=MAX_RETRIES)
def pull_task(self, kpi_id: int, period: str) -> str:
    """One KPI, one period; a failure retries with exponential backoff and jitter (about 1, 2,
    4, 8 minutes), and the last one is kept as a failed claim, shown in the owner's To do."""
    final = self.request.retries >= MAX_RETRIES
    try:
        return pull_claimed(kpi_id=kpi_id, period=date.fromisoformat(period), final=final)
    except (PullError, OperationalError, InterfaceError) as exc:
        base = 60 * 2**self.request.retries
        raise self.retry(exc=exc, countdown=base + secrets.randbelow(base // 2 + 1)) from exc
