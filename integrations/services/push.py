"""Web push: the installed app's reminders as notifications on the phone. The browser's
subscription (its push service endpoint and keys) is stored per person and organisation;
messages are encrypted and signed with the VAPID keys from the environment by
``pywebpush``. Sent after the reminder sweep's claims commit, so once per claim like the
e-mails; a subscription the push service says is gone (404, 410) is deleted."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from pywebpush import WebPushException, webpush

from integrations.models import PushSubscription
from orgs.models import Membership, User

log = logging.getLogger(__name__)
TTL = 24 * 3600  # a reminder older than a day is not worth showing


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


def push_send(*, org_id: int, user_ids: list[int], title: str, body: str, url: str, tag: str) -> int:
    """One push to every subscription of ``user_ids`` in the organisation; how many left."""
    if not (settings.VAPID_PRIVATE_KEY and user_ids):
        return 0
    sent = 0
    payload = json.dumps({"title": title, "body": body, "url": url, "tag": tag})
    for row in PushSubscription.objects.filter(organization_id=org_id, user_id__in=user_ids):
        info = {"endpoint": row.endpoint, "keys": {"p256dh": row.p256dh, "auth": row.auth}}
        try:
            webpush(
                subscription_info=info,
                data=payload,
                vapid_private_key=settings.VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.VAPID_SUBJECT},
                ttl=TTL,
                timeout=5,
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):
                row.delete()
            log.warning("push to subscription %s failed: %s", row.pk, exc)
            continue
        sent += 1
    return sent
