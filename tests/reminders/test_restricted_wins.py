"""The Friday wins and restricted objectives (DESIGN §3, Visibility): a channel an admin marked
safe for restricted events gets every win; any other channel gets only the wins of objectives
open to the whole organisation — left out, not counted, and still its own top five; each
person's e-mail names exactly what that person may see."""

from __future__ import annotations

import json

import pytest
from django.core import mail

from notifications import channels
from objectives import services as okr
from objectives.models import Objective
from orgs.visibility import Visibility
from reminders.digests import send_digests
from tests.objectives.okr_factories import make_kr, make_objective
from tests.reminders.test_digests import FRIDAY_10, at


@pytest.fixture
def two_channels(world_a, hook, private_ok):
    """Two JSON webhooks carrying the wins: one marked safe for restricted events, one not."""

    def add(name: str, safe: bool):
        return channels.channel_create(
            org=world_a.org,
            actor=world_a.admin,
            kind="webhook",
            name=name,
            url=hook.url,
            events=["wins"],
            restricted_safe=safe,
        )

    return {"safe": add("Board room", True), "open": add("Everyone", False)}


@pytest.fixture
def ship_private(world_a, week):
    """The member's "Ship v2" (completed this week, its two key results among the top movers)
    becomes private, with the viewer named on it."""
    Objective.objects.filter(pk=week["ship"].pk).update(visibility=Visibility.PRIVATE)
    week["ship"].viewers.add(world_a.viewer)
    return week["ship"]


def _posts(hook) -> dict[str, dict]:
    """The webhook payloads by channel, told apart by their signing header's channel secret."""
    from notifications.models import Channel

    secrets = {c.secret: c.name for c in Channel.objects.all()}
    found = {}
    for headers, body in hook.requests:
        payload = json.loads(body)
        name = next(n for s, n in secrets.items() if _signed_by(s, headers, body))
        found[name] = payload
    return found


def _signed_by(secret: str, headers: dict, body: bytes) -> bool:
    from notifications.channels import sign

    return headers["X-Okrkpi-Signature"] == sign(secret, headers["X-Okrkpi-Timestamp"], body)


def _send(world_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return send_digests(org=world_a.org, now=FRIDAY_10)


def test_a_restricted_win_reaches_the_safe_channel_only(
    world_a, thread, week, ship_private, two_channels, hook, django_capture_on_commit_callbacks
):
    result = _send(world_a, django_capture_on_commit_callbacks)
    assert result.posted == {"wins": 2}
    posts = _posts(hook)
    assert set(posts) == {"Board room", "Everyone"}

    safe, open_ = posts["Board room"], posts["Everyone"]
    assert "Ship v2" in json.dumps(safe) and "Beta users" in json.dumps(safe)
    assert safe["data"]["completed"] == [{"objective": ship_private.pk, "title": "Ship v2"}]
    assert [m["title"] for m in safe["data"]["movers"]] == [
        "Open 2 warehouses",
        "Beta users",
        "Crash-free",
        "Sign 10 distributors",
    ]

    raw = json.dumps(open_)
    assert not any(word in raw for word in ("Ship v2", "Beta users", "Crash-free", "Member alpha"))
    assert open_["data"]["completed"] == []
    assert [m["title"] for m in open_["data"]["movers"]] == ["Open 2 warehouses", "Sign 10 distributors"]
    assert all(m["objective"] != ship_private.pk for m in open_["data"]["movers"])
    assert [f["title"] for f in open_["facts"]] == [
        "Open 2 warehouses (Sam Tran)",
        "Sign 10 distributors (Sam Tran)",
    ]  # no neutral "restricted" line: the post has no total to keep true


def test_the_channel_not_marked_safe_still_gets_its_own_top_five(
    world_a, thread, week, ship_private, two_channels, hook, django_capture_on_commit_callbacks
):
    """Three more open key results moved 10 %: the top five over everything holds the two hidden
    ones, but the open channel's five are the five best it may carry, with no gap."""
    more = make_objective(
        world_a.org, thread.objective.cycle, title="More", owner_type="person", user=thread.sam, status="active"
    )
    for n in (1, 2, 3):
        kr = make_kr(more, title=f"Extra {n}", owner=thread.sam, target=10)
        okr.key_result_check_in(key_result=kr, actor=thread.sam, value=1, confidence=7, at=at(2026, 12, 2, 9))
    _send(world_a, django_capture_on_commit_callbacks)
    [sams] = [m for m in mail.outbox if m.to == [thread.sam.email]]  # Sam may not see Ship v2 either
    assert "Extra 3" in sams.body and "Beta users" not in sams.body
    posts = _posts(hook)
    assert [m["title"] for m in posts["Everyone"]["data"]["movers"]] == [
        "Open 2 warehouses",
        "Sign 10 distributors",
        "Extra 1",
        "Extra 2",
        "Extra 3",
    ]
    assert [m["title"] for m in posts["Board room"]["data"]["movers"]] == [
        "Open 2 warehouses",
        "Beta users",
        "Crash-free",
        "Sign 10 distributors",
        "Extra 1",
    ]


def test_only_a_restricted_win_posts_to_the_safe_channel_alone(
    world_a, thread, two_channels, hook, django_capture_on_commit_callbacks
):
    """A week whose only win is restricted: the safe channel gets it, the other gets nothing and
    claims nothing (a later open win that Friday is still posted to it)."""
    from notifications.models import ChannelClaim

    Objective.objects.filter(pk=thread.objective.pk).update(visibility=Visibility.TEAM)
    result = _send(world_a, django_capture_on_commit_callbacks)
    assert result.posted == {"wins": 1}
    assert list(_posts(hook)) == ["Board room"] and "Sign 10 distributors" in json.dumps(_posts(hook))
    assert list(ChannelClaim.objects.values_list("channel__name", flat=True)) == ["Board room"]


def test_with_nothing_restricted_both_channels_get_the_same_post(
    world_a, thread, week, two_channels, hook, django_capture_on_commit_callbacks
):
    assert _send(world_a, django_capture_on_commit_callbacks).posted == {"wins": 2}
    posts = _posts(hook)
    assert posts["Board room"]["data"] == posts["Everyone"]["data"]
    assert posts["Everyone"]["data"]["completed"][0]["title"] == "Ship v2"


def test_each_wins_email_names_what_its_reader_may_see(
    world_a, thread, week, ship_private, django_capture_on_commit_callbacks
):
    """Ship v2 is private: its owner (the member), the owner's manager, the admin and the viewer
    named on it read it; Sam, in the same team, does not."""
    _send(world_a, django_capture_on_commit_callbacks)

    def text(user) -> str:
        [message] = [m for m in mail.outbox if m.to == [user.email]]
        return message.body + message.alternatives[0][0]

    for reader in (world_a.member, world_a.manager, world_a.admin, world_a.viewer):
        body = text(reader)
        assert "Ship v2" in body and "Beta users" in body, reader.email
    sams = text(thread.sam)
    assert not any(word in sams for word in ("Ship v2", "Beta users", "Crash-free"))
    assert "Open 2 warehouses" in sams and "Sign 10 distributors" in sams
