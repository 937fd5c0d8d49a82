from __future__ import annotations

import secrets
from typing import Any

from celery import shared_task

from notifications.channels import DeliveryError, channel_deliver
from notifications.outbox import outbox_deliver, outbox_sweep

MAX_RETRIES = 4


@shared_task(
    bind=True, name="notifications.deliver_to_channel", acks_late=True, ignore_result=True, max_retries=MAX_RETRIES
)
def deliver_to_channel(
    self,
    org_id: int,
    channel_id: int,
    event: str,
    text: str,
    url: str,
    facts: list[list[str]] | None = None,
    data: dict[str, Any] | None = None,
    delivery_id: str = "",
) -> bool:
    """One post to one channel, retried with exponential backoff and jitter (about 10, 20, 40, 80 s)."""
    final = self.request.retries >= MAX_RETRIES
    try:
        return channel_deliver(
            org_id=org_id,
            channel_id=channel_id,
            event=event,
            text=text,
            url=url,
            final=final,
            facts=facts,
            data=data,
            delivery_id=delivery_id,
        )
    except DeliveryError as exc:
        base = 10 * 2**self.request.retries
        raise self.retry(exc=exc, countdown=base + secrets.randbelow(base // 2 + 1)) from exc


@shared_task(name="notifications.deliver_outbox", acks_late=True, ignore_result=True)
def deliver_outbox(ids: list[int]) -> int:
    """Send these committed outbox rows now (queued after the commit that wrote them).
    Nothing is retried here: a row that fails waits for ``notifications.outbox_sweep``."""
    return sum(outbox_deliver(ids=ids).sent.values())


@shared_task(name="notifications.outbox_sweep", acks_late=True, ignore_result=True)
def outbox_sweep_task() -> int:
    """Every minute: send the outbox rows that are due (a retry after backoff, a publish
    that failed, a sender that died mid-send)."""
    return sum(outbox_sweep().sent.values())
