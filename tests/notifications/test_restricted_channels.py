"""Channels and restricted events (DESIGN §3, Visibility): an admin marks a channel as one that
may carry events of team-only and private objectives and KPIs (the form and the API); such an
event goes to those channels only, and to no channel when none is marked."""

from __future__ import annotations

import pytest

from notifications import channels
from notifications.models import Channel, OutboxMessage

pytestmark = pytest.mark.django_db


def test_the_api_sets_and_changes_restricted_safe(world_a, api, private_ok, hook):
    c = api(world_a.admin)
    r = c.post(
        "/api/v1/orgs/alpha/channels/",
        {"kind": "webhook", "name": "board", "url": hook.url, "events": ["check_in"], "restricted_safe": True},
        format="json",
    )
    assert r.status_code == 201 and r.json()["restricted_safe"] is True
    assert Channel.objects.get().restricted_safe
    r = c.patch(f"/api/v1/orgs/alpha/channels/{r.json()['id']}/", {"restricted_safe": False}, format="json")
    assert r.status_code == 200 and r.json()["restricted_safe"] is False
    assert not Channel.objects.get().restricted_safe
    # Left out: not safe, the default.
    r = c.post(
        "/api/v1/orgs/alpha/channels/", {"kind": "webhook", "url": hook.url, "events": ["check_in"]}, format="json"
    )
    assert r.status_code == 201 and r.json()["restricted_safe"] is False


def test_the_page_has_the_checkbox(world_a, web, private_ok, hook):
    c = web(world_a.admin)
    page = c.get("/o/alpha/settings/channels/").content.decode()
    assert 'name="restricted_safe"' in page
    c.post(
        "/o/alpha/settings/channels/",
        {"kind": "webhook", "name": "board", "url": hook.url, "events": ["comment"], "restricted_safe": "on"},
    )
    assert Channel.objects.get(name="board").restricted_safe
    assert "also restricted events" in c.get("/o/alpha/settings/channels/").content.decode()


def _channel(world, name: str, *, safe: bool) -> Channel:
    return Channel.objects.create(
        organization=world.org, kind="webhook", name=name, url="https://hooks.test/x", secret="s",
        events=["check_in"], restricted_safe=safe,
    )  # fmt: skip


def test_a_restricted_event_goes_only_to_safe_channels(world_a):
    _channel(world_a, "open", safe=False)
    _channel(world_a, "safe", safe=True)
    channels.forget_channels(world_a.org.pk)
    channels.channel_publish(org=world_a.org, event="check_in", text="secret", restricted=True)
    channels.channel_publish(org=world_a.org, event="check_in", text="open to all")
    sent = sorted((m.channel.name, m.payload["text"]) for m in OutboxMessage.objects.filter(kind="channel"))
    assert sent == [("open", "open to all"), ("safe", "open to all"), ("safe", "secret")]


def test_a_restricted_event_goes_nowhere_without_a_safe_channel(world_a):
    _channel(world_a, "open", safe=False)
    channels.forget_channels(world_a.org.pk)
    assert channels.channel_publish(org=world_a.org, event="check_in", text="secret", restricted=True) == []
    assert channels.channel_publish_outbox(org=world_a.org, event="check_in", text="secret", restricted=True) == []
    assert not OutboxMessage.objects.exists()
