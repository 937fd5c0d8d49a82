from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from integrations import imap


@shared_task(
    name="integrations.poll_inbound_mail",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=3,
    ignore_result=True,
)
def poll_inbound_mail_task() -> int:
    """Reply e-mails from the IMAP mailbox, when one is configured (IMAP_HOST)."""
    return sum(imap.poll().values())


@shared_task(name="integrations.prune", acks_late=True, ignore_result=True)
def prune_task() -> int:
    """Expired reply addresses and link requests, and deliveries no platform retries any more."""
    from integrations.services.links import integrations_prune

    return integrations_prune()
