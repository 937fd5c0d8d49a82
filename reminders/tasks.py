from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from reminders.sweep import sweep


@shared_task(
    name="notifications.send_reminders",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
    ignore_result=True,
)
def send_reminders_task() -> int:
    """The 15-minute reminder sweep; safe to overlap or retry (claims make it exactly-once)."""
    return sweep().sent


@shared_task(
    name="reminders.send_digests",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
    ignore_result=True,
)
def send_digests_task() -> int:
    """The 15-minute digest sweep; safe to overlap or retry (claims make it exactly-once)."""
    from reminders.digests import digest_sweep

    return sum(digest_sweep().sent.values())
