"""Channel services: add, change (pause, resume) and delete a channel, and publish an
event into the outbox (``notifications.outbox``) in the caller's transaction, once per
period for a claimed digest."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import fastcache
from notifications import outbox
from notifications.channels.payloads import Facts
from notifications.channels.targets import validate_target
from notifications.models import Channel, ChannelClaim, ChannelEvent, ChannelKind
from orgs.audit import audit
from orgs.models import Organization, User


def _clean_events(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in ChannelEvent.values]
    if unknown:
        raise ValidationError({"events": [_("Unknown events: %(events)s.") % {"events": ", ".join(map(str, unknown))}]})
    return sorted(set(events))


@transaction.atomic
def channel_create(
    *,
    org: Organization,
    actor: User,
    kind: str,
    name: str,
    url: str,
    events: list[str],
    active: bool = True,
    restricted_safe: bool = False,
) -> Channel:
    """Add a channel. The URL is checked (https, public address); the signing secret is generated
    here. ``restricted_safe``: it may carry events of team-only and private objectives and KPIs."""
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
        restricted_safe=bool(restricted_safe),
        created_by=actor,
    )
    after = {"kind": kind, "events": channel.events, "restricted_safe": channel.restricted_safe}
    audit(org=org, actor=actor, verb="channel.create", target=channel, after=after)
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
    restricted_safe: bool | None = None,
) -> Channel:
    """Change a channel; turning it back on clears its failure count and pause."""
    before = {
        "name": channel.name,
        "events": channel.events,
        "active": channel.active,
        "restricted_safe": channel.restricted_safe,
    }
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
    if restricted_safe is not None:
        channel.restricted_safe = bool(restricted_safe)
    channel.save(update_fields=["url", "name", "events", "active", "failures", "paused_at", "restricted_safe"])
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
            "restricted_safe": channel.restricted_safe,
            "url_changed": url is not None,
        },
    )
    return channel


@transaction.atomic
def channel_delete(*, channel: Channel, actor: User) -> None:
    audit(org=channel.organization, actor=actor, verb="channel.delete", target=channel, before={"kind": channel.kind})
    channel.delete()


def channel_publish(
    *,
    org: Organization,
    event: str,
    text: str,
    url: str = "",
    facts: Facts | None = None,
    restricted: bool = False,
) -> list[int]:
    """Post an event (a check-in, a comment) to every active channel of the organisation
    that carries it, through the outbox (``notifications.outbox``): one row per channel,
    written in the caller's transaction so the post commits with the event or not at all,
    delivered after the commit, retried by the sweep when the broker or the chat service
    fails, each under its own delivery id. An organisation with no such channel costs no
    write: the channels come from the cache, else one query (``carrying_channels``).
    ``text`` and ``facts`` ((label, value) pairs, shown by Teams and the JSON webhook) are
    rendered by the caller in the organisation's language. ``restricted``: the event is about a
    team-only or private objective or KPI (DESIGN §3), posted only to the channels an admin
    marked safe for that, else nowhere. Returns the outbox rows' ids."""
    carrying = carrying_channels(org.pk, event, restricted=restricted)
    if not carrying:
        return []
    # Rows name their channel by id; the channel is read afresh when the post is sent.
    shells = [Channel(pk=pk, organization_id=org.pk, name=name) for pk, name in carrying]
    rows = outbox.post_rows(org=org, channels=shells, event=event, text=text, url=url, facts=facts)
    return outbox.outbox_add(rows)


def carrying_channels(org_id: int, event: str, *, restricted: bool = False) -> list[tuple[int, str]]:
    """(id, name) of the organisation's active channels that carry ``event`` (a ``restricted``
    one: only those marked safe for restricted events)."""
    return [
        (pk, name) for pk, events, name, safe in active_channels(org_id) if event in events and (safe or not restricted)
    ]


# Every check-in asks which channels carry it: with Redis the answer is kept in the
# cache (``core.fastcache``), forgotten after the commit of any change to a
# channel (``forget_channels``, wired to the model's signals in
# ``NotificationsConfig.ready`` and called where a queryset update bypasses them).
# Delivery reads the channel again (active, and still carrying the event), so a channel
# that is still remembered for a moment costs a row that is given up, unsent.
CHANNELS_CACHE_SECONDS = 30  # also bounds a read that raced a change


def _channels_key(org_id: int) -> str:
    return f"channels:active:v3:{org_id}"  # v3: with the names and whether restricted-safe


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


def active_channels(org_id: int) -> list[tuple[int, list[str], str, bool]]:
    """The organisation's active channels (id, events, name, restricted-safe): from the cache,
    else one query."""
    key = _channels_key(org_id)
    found = fastcache.get(key)
    if found is not None:
        return [(pk, list(events), name, bool(safe)) for pk, events, name, safe in found]
    found = [
        (pk, list(events or []), name, bool(safe))
        for pk, events, name, safe in Channel.objects.filter(organization_id=org_id, active=True)
        .order_by("pk")
        .values_list("pk", "events", "name", "restricted_safe")
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
    restricted_safe: bool | None = None,
) -> list[Channel]:
    """Deliver an event that each channel carrying it must get at most once per ``period``
    (a weekly digest), whatever overlapping or retried sweeps do. Each active channel
    carrying ``event`` (given ``restricted_safe``: only those so marked, or only those not)
    is claimed first: a ``ChannelClaim`` row per (channel, event, period)
    is inserted with conflicts ignored, and only the rows this call inserted (its ``run``
    token) get a post, written to the outbox in the same transaction (``notifications.outbox``:
    delivered after the commit, retried with backoff by the sweep, failure counting and
    pausing as for any post). A second sweep's insert waits on the first's uncommitted rows,
    then conflicts and posts nothing. ``dispatch`` off leaves the delivery to the caller
    (``outbox_ids`` names the rows). Returns the channels this call claimed (with
    ``dry_run``: those it would claim; nothing is written or posted)."""
    chosen = Channel.objects.filter(organization=org, active=True).order_by("pk")
    if restricted_safe is not None:
        chosen = chosen.filter(restricted_safe=restricted_safe)
    carrying = [c for c in chosen if event in (c.events or [])]
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
    restricted: bool = False,
) -> list[int]:
    """Post an event that something else already claimed (an escalation's ``ReminderClaim``)
    to every active channel carrying it (a ``restricted`` one: those marked safe for it),
    through the outbox, in the caller's transaction. Returns the outbox rows' ids."""
    carrying = [
        c
        for c in Channel.objects.filter(organization=org, active=True).order_by("pk")
        if event in (c.events or []) and (c.restricted_safe or not restricted)
    ]
    rows = outbox.post_rows(org=org, channels=carrying, event=event, text=text, url=url, facts=facts)
    return outbox.outbox_add(rows, dispatch=dispatch)
