"""Web push: the installed app's reminders as notifications on the phone. The browser's
subscription (its push service endpoint and keys) is stored per person and organisation;
messages are encrypted and signed with the VAPID keys from the environment by
``pywebpush``. A reminder's pushes are outbox rows (``notifications.outbox``) written in
the transaction of the sweep's claims, so once per claim like the e-mails: sent after the
commit and retried with backoff; a subscription the push service says is gone (404, 410)
is deleted."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import requests
from django.conf import settings
from django.utils import translation
from pywebpush import WebPushException, webpush

from integrations.models import PushSubscription
from notifications.models import OutboxKind, OutboxMessage
from notifications.outbox import SendOutcome
from orgs.models import Membership, Organization, User

log = logging.getLogger(__name__)
TTL = 24 * 3600  # a reminder older than a day is not worth showing
TIMEOUT = 5  # seconds: within the outbox's lease even for a batch of twenty


def push_subscribe(*, user: User, org_slug: str, data: dict[str, Any]) -> PushSubscription | None:
    """Store (or refresh) a browser's subscription; None when it is not one, or the
    person is not a member of the organisation."""
    membership = (
        Membership.objects.filter(user=user, organization__slug=org_slug).select_related("organization").first()
    )
    endpoint = str(data.get("endpoint") or "")
    given = data.get("keys")
    keys: dict[str, Any] = given if isinstance(given, dict) else {}
    p256dh, auth = str(keys.get("p256dh") or ""), str(keys.get("auth") or "")
    if membership is None or not endpoint.startswith("https://") or len(endpoint) > 1000 or not (p256dh and auth):
        return None
    row, _created = PushSubscription.objects.update_or_create(
        organization=membership.organization,
        endpoint=endpoint,
        defaults={"user": user, "p256dh": p256dh[:200], "auth": auth[:100]},
    )
    return row


def push_rows(
    *, org: Organization, user_ids: list[int], topic: str, text: Callable[[User], tuple[str, str]], url: str, tag: str
) -> list[OutboxMessage]:
    """Unsaved outbox rows, one per subscription of ``user_ids`` in the organisation (one
    query), for the caller to save in the transaction of its claims (``outbox_add``).
    ``text`` gives a person's title and body (in their language)."""
    if not (settings.VAPID_PRIVATE_KEY and user_ids):
        return []
    rows = []
    for sub in PushSubscription.objects.filter(organization=org, user_id__in=user_ids).select_related("user"):
        with translation.override(sub.user.language or org.language):
            title, body = text(sub.user)
        row = OutboxMessage(organization=org, kind=OutboxKind.PUSH, recipient_id=sub.user_id, topic=str(topic))
        row.target = sub.endpoint[:254]
        row.payload = {"subscription": sub.pk, "title": str(title), "body": str(body), "url": url, "tag": tag}
        rows.append(row)
    return rows


def _webpush(sub: PushSubscription, payload: dict[str, Any], *, topic: str = "") -> None:
    """Encrypt, sign and post one message; raises what ``pywebpush`` and ``requests`` raise."""
    info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
    webpush(
        subscription_info=info,
        data=json.dumps(payload),
        vapid_private_key=settings.VAPID_PRIVATE_KEY,
        vapid_claims={"sub": settings.VAPID_SUBJECT},
        ttl=TTL,
        timeout=TIMEOUT,
        headers={"Topic": topic, "Urgency": "normal"} if topic else {"Urgency": "normal"},
    )


def push_deliver(row: OutboxMessage) -> SendOutcome:
    """One try at one outbox push (the outbox's sender for ``push`` rows). A timeout, a
    refused connection, 429 or 5xx is retried with the outbox's backoff; a subscription the
    push service says is gone (404, 410) is deleted and the row given up; any other refusal
    (a bad key, a payload too large) is given up at once.

    A message the push service accepted, whose sender died before recording it, is sent
    again when its lease ends: push services deliver at least once. The retry carries the
    same ``Topic`` (RFC 8030 §5.4: the row's ``delivery_id``), so a copy the service still
    holds for an offline phone is replaced rather than queued, and the same notification
    ``tag`` and ``id``, so a phone that already got the first copy replaces the shown
    notification instead of showing a second one."""
    p = row.payload
    sub = PushSubscription.objects.filter(pk=p.get("subscription"), organization_id=row.organization_id).first()
    if sub is None or not settings.VAPID_PRIVATE_KEY:
        return SendOutcome(False, "The phone no longer takes push notifications.", final=True)
    message = {k: p.get(k) or "" for k in ("title", "body", "url", "tag")}
    message["id"] = row.delivery_id.hex
    try:
        _webpush(sub, message, topic=row.delivery_id.hex)  # 32 characters of the URL-safe alphabet
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        error = f"push service answered {status}: {str(exc)[:300]}"
        if status in (404, 410):
            sub.delete()
            return SendOutcome(False, error + " (the phone unsubscribed: forgotten)", final=True)
        return SendOutcome(False, error, final=status is not None and status < 500 and status != 429)
    except requests.RequestException as exc:
        return SendOutcome(False, f"{exc.__class__.__name__}: {str(exc)[:300]}")
    return SendOutcome(True)


def push_send(*, org_id: int, user_ids: list[int], title: str, body: str, url: str, tag: str) -> int:
    """One push now to every subscription of ``user_ids`` in the organisation, not through
    the outbox (no retry): how many left. Reminders go through the outbox (``push_rows``)."""
    if not (settings.VAPID_PRIVATE_KEY and user_ids):
        return 0
    sent = 0
    for row in PushSubscription.objects.filter(organization_id=org_id, user_id__in=user_ids):
        try:
            _webpush(row, {"title": title, "body": body, "url": url, "tag": tag})
        except WebPushException as exc:
            if getattr(exc.response, "status_code", None) in (404, 410):
                row.delete()
            log.warning("push to subscription %s failed: %s", row.pk, exc)
            continue
        except requests.RequestException as exc:
            log.warning("push to subscription %s failed: %s", row.pk, exc)
            continue
        sent += 1
    return sent
