from __future__ import annotations

import secrets
from typing import Any

from celery import shared_task

from notifications.channels import DeliveryError, channel_deliver

MAX_RETRIES = 4


@shared_task(
    bind=True, name="notifications.deliver_to_channel", acks_late=True, ignore_result=True, max_retries=MAX_RETRIES
)
def deliver_to_channel(  # type: ignore[no-untyped-def]
    self,
    org_id: int,
    channel_id: int,
    event: str,
    text: str,
    url: str,
    facts: list[list[str]] | None = None,
    data: dict[str, Any] | None = None,
) -> bool:
    """One post to one channel, retried with exponential backoff and jitter (about 10, 20, 40, 80 s)."""
    final = self.request.retries >= MAX_RETRIES
    try:
        return channel_deliver(
            org_id=org_id, channel_id=channel_id, event=event, text=text, url=url, final=final, facts=facts, data=data
        )
    except DeliveryError as exc:
        base = 10 * 2**self.request.retries
        raise self.retry(exc=exc, countdown=base + secrets.randbelow(base // 2 + 1)) from exc
