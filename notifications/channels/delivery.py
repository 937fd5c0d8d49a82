"""Delivery: the HTTP post to a checked address (pinned to the address the guard
approved, with a timeout), and one attempt at an outbox post, recorded on the channel:
a channel whose messages keep being given up is paused and its admins are told."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time as time_module
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications import outbox
from notifications.channels.payloads import render_payload, sign
from notifications.channels.services import forget_channels
from notifications.channels.targets import UnsafeTarget, resolve_target
from notifications.models import Channel, ChannelKind, NotificationKind, OutboxMessage
from orgs.models import Membership, Role

TIMEOUT_SECONDS = 5
PAUSE_AFTER_FAILURES = 3  # messages given up on, in a row
SIGNATURE_HEADER = "X-Okrkpi-Signature"
TIMESTAMP_HEADER = "X-Okrkpi-Timestamp"


class DeliveryError(RuntimeError):
    """The target answered badly or not at all; worth retrying."""


@dataclass
class Response:
    status: int
    body: bytes


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to the checked address, while TLS verifies the host name."""

    def __init__(self, host: str, address: str, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post_json(
    url: str, payload: dict[str, Any], *, headers: dict[str, str] | None = None, secret: str = ""
) -> Response:
    """POST JSON to a checked target, with a timeout; signed when ``secret`` is given."""
    scheme, host, port, address = resolve_target(url)
    body = json.dumps(payload, ensure_ascii=False).encode()
    all_headers = {"Content-Type": "application/json", "User-Agent": "okrkpi-webhook/1", **(headers or {})}
    if secret:
        stamp = str(int(time_module.time()))
        all_headers[TIMESTAMP_HEADER] = stamp
        all_headers[SIGNATURE_HEADER] = sign(secret, stamp, body)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if scheme == "https":
        conn: http.client.HTTPConnection = _PinnedHTTPSConnection(
            host, address, port=port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
    else:
        conn = _PinnedHTTPConnection(host, address, port=port, timeout=TIMEOUT_SECONDS)
    try:
        conn.request("POST", path, body=body, headers=all_headers)
        response = conn.getresponse()
        return Response(response.status, response.read(2000))
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"{exc.__class__.__name__}: {exc}") from exc
    finally:
        conn.close()


# ``channel_deliver`` and the ``notifications.deliver_to_channel`` task behind it carried
# per-event posts before the outbox did; they stay so that tasks queued by an older
# release still deliver after an upgrade. Nothing queues them any more.
def channel_deliver(
    *,
    org_id: int,
    channel_id: int,
    event: str,
    text: str,
    url: str,
    final: bool,
    facts: list[list[str]] | None = None,
    data: dict[str, Any] | None = None,
    delivery_id: str = "",
) -> bool:
    """Post once. Success resets the failure count. A failure is recorded
    (``last_error``) and raises ``DeliveryError`` for the task to retry; on the
    last try the message is given up, and after ``PAUSE_AFTER_FAILURES`` messages
    given up in a row the channel is paused and its admins are told."""
    channel = (
        Channel.objects.filter(organization_id=org_id, pk=channel_id, active=True)
        .select_related("organization")
        .first()
    )
    if channel is None or event not in (channel.events or []):
        return False
    outcome = _attempt(
        channel, event=event, text=text, url=url, facts=facts, data=data, delivery_id=delivery_id, final=final
    )
    if outcome.ok or outcome.final:
        return outcome.ok
    raise DeliveryError(outcome.error)


@dataclass
class PostOutcome:
    ok: bool
    error: str = ""
    final: bool = False  # given up: no retry


def _attempt(
    channel: Channel,
    *,
    event: str,
    text: str,
    url: str,
    facts: list[list[str]] | None,
    data: dict[str, Any] | None,
    delivery_id: str,
    final: bool,
) -> PostOutcome:
    """One try at one post, recorded on the channel: success resets its failure count; a
    failure sets ``last_error``, and when ``final`` (or the address is refused) counts as a
    message given up, which after ``PAUSE_AFTER_FAILURES`` in a row pauses the channel."""
    org = channel.organization
    with translation.override(org.language):
        payload = render_payload(
            channel.kind,
            event=event,
            text=text,
            url=url,
            org_slug=org.slug,
            org_name=org.name,
            facts=[(t, v) for t, v in (facts or [])],
            data=data,
            delivery_id=delivery_id,
        )
    headers = {outbox.DELIVERY_HEADER: delivery_id} if delivery_id else {}
    error = ""
    try:
        response = post_json(
            channel.url,
            payload,
            headers=headers,
            secret=channel.secret if channel.kind == ChannelKind.WEBHOOK else "",
        )
        if not 200 <= response.status < 300:
            error = f"HTTP {response.status}: {response.body[:200].decode(errors='replace')}"
    except UnsafeTarget as exc:
        error = str(exc)
        final = True  # no retry can make a refused address acceptable
    except DeliveryError as exc:
        error = str(exc)
    if not error:
        Channel.objects.filter(pk=channel.pk).update(failures=0, last_success_at=timezone.now())
        return PostOutcome(True)
    _record_failure(channel, error, gave_up=final)
    return PostOutcome(False, error, final)


def channel_post(*, row: OutboxMessage, final: bool) -> PostOutcome:
    """Send one outbox post (``notifications.outbox``). A channel since paused, or no longer
    carrying the event, gets nothing: the row is given up with the reason."""
    channel = row.channel
    if channel is None or not channel.active or row.topic not in (channel.events or []):
        return PostOutcome(False, "The channel was paused or no longer carries this event.", final=True)
    channel.organization = row.organization
    p = row.payload
    return _attempt(
        channel,
        event=p["event"],
        text=p["text"],
        url=p.get("url") or "",
        facts=p.get("facts") or [],
        data=p.get("data"),
        delivery_id=str(row.delivery_id),
        final=final,
    )


def _record_failure(channel: Channel, error: str, *, gave_up: bool) -> None:
    now = timezone.now()
    with transaction.atomic():
        Channel.objects.filter(pk=channel.pk).update(
            failures=F("failures") + (1 if gave_up else 0), last_error=error[:500], last_error_at=now
        )
        channel.refresh_from_db(fields=["failures", "active", "last_error"])
        if gave_up and channel.active and channel.failures >= PAUSE_AFTER_FAILURES:
            Channel.objects.filter(pk=channel.pk).update(active=False, paused_at=now)
            forget_channels(channel.organization_id)
            _tell_admins(channel, now)


def _tell_admins(channel: Channel, now: datetime) -> None:
    from django.urls import reverse

    from notifications.services import notification_send

    org = channel.organization
    url = reverse("notifications:channels", kwargs={"slug": org.slug})
    for m in Membership.objects.filter(organization=org, role=Role.ADMIN).select_related("user"):
        notification_send(
            org=org,
            recipient=m.user,
            kind=NotificationKind.CHANNEL_PAUSED,
            message=_("The channel %(name)s was paused after %(n)d failed deliveries: %(error)s")
            % {"name": channel.name, "n": channel.failures, "error": channel.last_error[:200]},
            url=url,
            now=now,
        )
