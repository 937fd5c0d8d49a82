"""Chat and webhook delivery (Slack, Microsoft Teams, signed generic JSON).

``channel_publish`` is what other apps call for an event (a check-in, a comment):
it writes one outbox row per active channel that carries the event, in the caller's
transaction (``notifications.outbox``), so the post commits with the event. After the
commit a worker posts it with a short timeout; the outbox sweep retries what failed
(a broker that was down or hung, a chat service that answered badly) and gives it up
after a bounded number of tries. A channel whose messages keep being given up is
paused and the organisation's admins are told. Digests are claimed first
(``channel_publish_once``) and go through the same outbox.

Outgoing calls are guarded: https only, and the resolved address must not be
loopback, private, link-local, multicast, reserved or a cloud metadata
address — checked when the channel is saved and again at send time on the
address actually connected to (no DNS rebinding between check and use).
``settings.WEBHOOK_ALLOW_PRIVATE_TARGETS`` lets self-hosters post inside their
network (then plain http is allowed to private addresses too).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time as time_module
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import fastcache
from notifications import outbox
from notifications.models import Channel, ChannelClaim, ChannelEvent, ChannelKind, NotificationKind, OutboxMessage
from orgs.audit import audit
from orgs.models import Membership, Organization, Role, User

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5
PAUSE_AFTER_FAILURES = 3  # messages given up on, in a row
SIGNATURE_HEADER = "X-Okrkpi-Signature"
TIMESTAMP_HEADER = "X-Okrkpi-Timestamp"


class UnsafeTarget(ValueError):
    """The URL may not be called (scheme, or where it resolves to)."""


class DeliveryError(RuntimeError):
    """The target answered badly or not at all; worth retrying."""


# --- target checks -----------------------------------------------------------------


def _allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", False))


# IPv6 prefixes whose last 32 bits are an IPv4 address a gateway forwards to: NAT64
# (RFC 6052, and RFC 8215's local-use prefix) and the deprecated IPv4-compatible form.
_IPV4_IN_LOW_BITS = (
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("::/96"),
)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address wraps: IPv4-mapped, 6to4 (2002::/16), Teredo
    (2001::/32: its server and its client) and NAT64. Each reaches that IPv4 address,
    so each must be as public as a plain IPv4 address would have to be."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if any(ip in net for net in _IPV4_IN_LOW_BITS):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        wrapped = embedded_ipv4(ip)
        if ip.ipv4_mapped is not None:
            return _is_public(ip.ipv4_mapped)
        if not all(_is_public(v4) for v4 in wrapped):
            return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip in ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, also used by some metadata services
    )


def resolve_target(url: str) -> tuple[str, str, int, str]:
    """Check a URL and resolve it: (scheme, host, port, address to connect to).
    Raises ``UnsafeTarget`` with a message fit for the person who typed it."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeTarget(_("That is not a valid URL.")) from None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise UnsafeTarget(_("The URL must start with https:// and name a host."))
    if parts.username or parts.password:
        raise UnsafeTarget(_("Put no user name or password in the URL."))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeTarget(_("%(host)s could not be resolved.") % {"host": host}) from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise UnsafeTarget(_("%(host)s could not be resolved.") % {"host": host})
    private = [a for a in addresses if not _is_public(a)]
    if private and not _allow_private():
        raise UnsafeTarget(
            _("%(host)s resolves to a private or local address (%(ip)s); webhooks may only call public addresses.")
            % {"host": host, "ip": private[0]}
        )
    if parts.scheme != "https" and not (private and _allow_private()):
        raise UnsafeTarget(_("The URL must start with https://."))
    return parts.scheme, host, port, str(addresses[0])


def validate_target(url: str) -> None:
    try:
        resolve_target(url)
    except UnsafeTarget as exc:
        raise ValidationError({"url": [str(exc)]}) from None


# --- formats -----------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``"<timestamp>." + body``, hex, prefixed ``sha256=``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _event_title(event: str) -> str:
    titles = {
        ChannelEvent.CHECK_IN: _("New check-in"),
        ChannelEvent.COMMENT: _("New comment"),
        ChannelEvent.CHECK_IN_MISSED: _("Missed check-in"),
        ChannelEvent.KPI_OVERDUE: _("Overdue KPI value"),
        ChannelEvent.WINS: _("This week's wins"),
    }
    return str(titles.get(event, event))


Facts = list[tuple[str, str]]


def _plain(text: str, **style: Any) -> dict[str, Any]:
    """A run of text Teams shows as typed: ``TextRun`` reads no markdown, where ``TextBlock``
    and ``FactSet`` do (a comment's ``[click](https://…)`` would become a link there)."""
    return {"type": "TextRun", "text": text, **style}


def teams_card(*, title: str, text: str, facts: Facts, link: str) -> dict[str, Any]:
    """A Microsoft Teams message carrying one Adaptive Card (schema 1.4, which both incoming
    webhooks and Workflows render): the title, the text, the facts (one line each: the label
    in bold, then the value) and a button to the page. User text travels only in ``TextRun``s
    of ``RichTextBlock``s, never markdown-reading elements, as Slack's text is escaped. Built
    by hand: the card is a small fixed document, not worth a dependency."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": True, "style": "heading"},
        {"type": "RichTextBlock", "inlines": [_plain(text)]},
    ]
    if facts:
        body.append(
            {
                "type": "Container",
                "items": [
                    {"type": "RichTextBlock", "inlines": [_plain(f"{t}: ", weight="Bolder"), _plain(v)]}
                    for t, v in facts
                ],
            }
        )
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "Full"},
    }
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": _("Open in okrkpi"), "url": link}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def slack_escape(text: str) -> str:
    """Slack reads ``&``, ``<`` and ``>`` as markup (links, mentions): escape them in user text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(*, text: str, facts: Facts, link: str) -> str:
    """Slack's message: the text, one bullet per fact, then the link (Slack's ``<url>`` syntax)."""
    lines = [slack_escape(text), *(f"• *{slack_escape(t)}*: {slack_escape(v)}" for t, v in facts)]
    if link:
        lines.append(f"<{link}>")
    return "\n".join(lines)


def render_payload(
    kind: str,
    *,
    event: str,
    text: str,
    url: str,
    org_slug: str,
    org_name: str = "",
    facts: Facts | None = None,
    data: dict[str, Any] | None = None,
    delivery_id: str = "",
) -> dict[str, Any]:
    """The body posted to a channel of this kind, in the active language. ``facts`` are
    (label, value) pairs already translated by the caller; ``data`` is the event's
    structured content, which only the generic JSON webhook carries (for programs).
    ``delivery_id``, the same on every retry of one message, is a field of every kind
    (and a header, ``X-Okrkpi-Delivery-Id``), so a receiver can drop a duplicate."""
    link = settings.SITE_URL.rstrip("/") + url if url else ""
    facts = [(str(t), str(v)) for t, v in (facts or [])]
    extra = {"delivery_id": delivery_id} if delivery_id else {}
    if kind == ChannelKind.SLACK:
        return {"text": slack_text(text=text, facts=facts, link=link), **extra}
    if kind == ChannelKind.TEAMS:
        shown = [(_("Organisation"), org_name or org_slug), *facts]
        return {**teams_card(title=_event_title(event), text=text, facts=shown, link=link), **extra}
    payload: dict[str, Any] = {
        **extra,
        "event": event,
        "organization": org_slug,
        "text": text,
        "url": link,
        "facts": [{"title": t, "value": v} for t, v in facts],
        "sent_at": timezone.now().isoformat(),
    }
    if data is not None:
        payload["data"] = data
    return payload


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


# --- services ----------------------------------------------------------------------


def _clean_events(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in ChannelEvent.values]
    if unknown:
        raise ValidationError({"events": [_("Unknown events: %(events)s.") % {"events": ", ".join(map(str, unknown))}]})
    return sorted(set(events))


@transaction.atomic
def channel_create(
    *, org: Organization, actor: User, kind: str, name: str, url: str, events: list[str], active: bool = True
) -> Channel:
    """Add a channel. The URL is checked (https, public address); the signing secret is generated here."""
    if kind not in ChannelKind.values:
        raise ValidationError({"kind": [_("Choose slack, teams or webhook.")]})
    validate_target(url)
    channel = Channel.objects.create(
        organization=org,
        kind=kind,
        name=(name or "").strip()[:100] or str(ChannelKind(kind).label),  # a string, not a lazy proxy
        url=url.strip(),
        secret=secrets.token_hex(32),
        events=_clean_events(events),
        active=active,
        created_by=actor,
    )
    audit(org=org, actor=actor, verb="channel.create", target=channel, after={"kind": kind, "events": channel.events})
    return channel


@transaction.atomic
def channel_update(
    *,
    channel: Channel,
    actor: User,
    name: str | None = None,
    url: str | None = None,
    events: list[str] | None = None,
    active: bool | None = None,
) -> Channel:
    """Change a channel; turning it back on clears its failure count and pause."""
    before = {"name": channel.name, "events": channel.events, "active": channel.active}
    if url is not None:
        validate_target(url)
        channel.url = url.strip()
    if name is not None:
        channel.name = name.strip()[:100] or channel.name
    if events is not None:
        channel.events = _clean_events(events)
    if active is not None:
        if active and not channel.active:
            channel.failures, channel.paused_at = 0, None
        channel.active = active
    channel.save()
    audit(
        org=channel.organization,
        actor=actor,
        verb="channel.update",
        target=channel,
        before=before,
        after={
            "name": channel.name,
            "events": channel.events,
            "active": channel.active,
            "url_changed": url is not None,
        },
    )
    return channel


@transaction.atomic
def channel_delete(*, channel: Channel, actor: User) -> None:
    audit(org=channel.organization, actor=actor, verb="channel.delete", target=channel, before={"kind": channel.kind})
    channel.delete()


def channel_publish(
    *, org: Organization, event: str, text: str, url: str = "", facts: Facts | None = None
) -> list[int]:
    """Post an event (a check-in, a comment) to every active channel of the organisation
    that carries it, through the outbox (``notifications.outbox``): one row per channel,
    written in the caller's transaction so the post commits with the event or not at all,
    delivered after the commit, retried by the sweep when the broker or the chat service
    fails, each under its own delivery id. An organisation with no such channel costs no
    write: the channels come from the cache, else one query (``carrying_channels``).
    ``text`` and ``facts`` ((label, value) pairs, shown by Teams and the JSON webhook) are
    rendered by the caller in the organisation's language. Returns the outbox rows' ids."""
    carrying = carrying_channels(org.pk, event)
    if not carrying:
        return []
    # Rows name their channel by id; the channel is read afresh when the post is sent.
    shells = [Channel(pk=pk, organization_id=org.pk, name=name) for pk, name in carrying]
    rows = outbox.post_rows(org=org, channels=shells, event=event, text=text, url=url, facts=facts)
    return outbox.outbox_add(rows)


def carrying_channels(org_id: int, event: str) -> list[tuple[int, str]]:
    """(id, name) of the organisation's active channels that carry ``event``."""
    return [(pk, name) for pk, events, name in active_channels(org_id) if event in events]


# Every check-in asks which channels carry it: with Redis the answer is kept in the
# cache (``core.fastcache``), forgotten after the commit of any change to a
# channel (``forget_channels``, wired to the model's signals in
# ``NotificationsConfig.ready`` and called where a queryset update bypasses them).
# Delivery reads the channel again (active, and still carrying the event), so a channel
# that is still remembered for a moment costs a row that is given up, unsent.
CHANNELS_CACHE_SECONDS = 30  # also bounds a read that raced a change


def _channels_key(org_id: int) -> str:
    return f"channels:active:v2:{org_id}"  # v2: with the names (the outbox row's target)


def carried_sql(org_column: str, event: str) -> tuple[str, list[str]]:
    """PostgreSQL: an SQL expression, true when an active channel of the organisation in
    ``org_column`` carries ``event``, and its parameters. For a hot statement that reads
    its rows anyway (the check-in's): asked there it costs no round trip, where
    ``active_channels`` costs one to Redis on every call."""
    sql = (
        f"EXISTS (SELECT 1 FROM {Channel._meta.db_table} ch WHERE ch.organization_id = {org_column} "  # noqa: S608
        "AND ch.active AND ch.events @> %s::jsonb)"
    )
    return sql, [json.dumps([event])]


def active_channels(org_id: int) -> list[tuple[int, list[str], str]]:
    """The organisation's active channels (id, events, name): from the cache, else one query."""
    key = _channels_key(org_id)
    found = fastcache.get(key)
    if found is not None:
        return [(pk, list(events), name) for pk, events, name in found]
    found = [
        (pk, list(events or []), name)
        for pk, events, name in Channel.objects.filter(organization_id=org_id, active=True)
        .order_by("pk")
        .values_list("pk", "events", "name")
    ]
    fastcache.set(key, found, CHANNELS_CACHE_SECONDS)
    return found


def forget_channels(org_id: int) -> None:
    """After the commit, the next publish reads the channels afresh."""
    key = _channels_key(org_id)
    transaction.on_commit(lambda: fastcache.delete(key))


def channel_publish_once(
    *,
    org: Organization,
    event: str,
    period: date,
    text: str,
    url: str = "",
    facts: Facts | None = None,
    data: dict[str, Any] | None = None,
    dry_run: bool = False,
    dispatch: bool = True,
    outbox_ids: list[int] | None = None,
) -> list[Channel]:
    """Deliver an event that each channel carrying it must get at most once per ``period``
    (a weekly digest), whatever overlapping or retried sweeps do. Each active channel
    carrying ``event`` is claimed first: a ``ChannelClaim`` row per (channel, event, period)
    is inserted with conflicts ignored, and only the rows this call inserted (its ``run``
    token) get a post, written to the outbox in the same transaction (``notifications.outbox``:
    delivered after the commit, retried with backoff by the sweep, failure counting and
    pausing as for any post). A second sweep's insert waits on the first's uncommitted rows,
    then conflicts and posts nothing. ``dispatch`` off leaves the delivery to the caller
    (``outbox_ids`` names the rows). Returns the channels this call claimed (with
    ``dry_run``: those it would claim; nothing is written or posted)."""
    carrying = [
        c for c in Channel.objects.filter(organization=org, active=True).order_by("pk") if event in (c.events or [])
    ]
    if not carrying:
        return []
    if dry_run:
        taken = set(
            ChannelClaim.objects.filter(organization=org, event=event, period=period).values_list(
                "channel_id", flat=True
            )
        )
        return [c for c in carrying if c.pk not in taken]
    run = str(uuid.uuid4())
    with transaction.atomic():
        ChannelClaim.objects.bulk_create(
            [ChannelClaim(organization=org, channel=c, event=event, period=period, run=run) for c in carrying],
            ignore_conflicts=True,
        )
        mine = set(ChannelClaim.objects.filter(organization=org, run=run).values_list("channel_id", flat=True))
        claimed = [c for c in carrying if c.pk in mine]
        rows = outbox.post_rows(org=org, channels=claimed, event=event, text=text, url=url, facts=facts, data=data)
        ids = outbox.outbox_add(rows, dispatch=dispatch)
    if outbox_ids is not None:
        outbox_ids.extend(ids)
    return claimed


def channel_publish_outbox(
    *,
    org: Organization,
    event: str,
    text: str,
    url: str = "",
    facts: Facts | None = None,
    dispatch: bool = True,
) -> list[int]:
    """Post an event that something else already claimed (an escalation's ``ReminderClaim``)
    to every active channel carrying it, through the outbox, in the caller's transaction.
    Returns the outbox rows' ids."""
    carrying = [
        c for c in Channel.objects.filter(organization=org, active=True).order_by("pk") if event in (c.events or [])
    ]
    rows = outbox.post_rows(org=org, channels=carrying, event=event, text=text, url=url, facts=facts)
    return outbox.outbox_add(rows, dispatch=dispatch)


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
