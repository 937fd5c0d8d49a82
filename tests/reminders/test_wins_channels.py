"""The Friday wins reach the chat and webhook channels that carry them: one post per channel
and week (claims, even under two concurrent sweeps or a retried one), in the organisation's
language, through the usual delivery task; channels not carrying them, or paused, get nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from notifications import channels
from notifications.models import Channel, ChannelClaim
from objectives import services as okr
from reminders.digests import digest_sweep, send_digests
from tests.concurrency import at_once, require_shared_database
from tests.notifications.conftest import teams_facts, teams_text
from tests.reminders.test_digests import FRIDAY_10, at

SITE = "https://okr.example.test"
MOVERS = [
    ("Open 2 warehouses (Sam Tran)", "0% → 100% (+100%)"),
    ("Beta users (Member alpha)", "0% → 100% (+100%)"),
    ("Crash-free (Member alpha)", "0% → 100% (+100%)"),
    ("Sign 10 distributors (Sam Tran)", "20% → 70% (+50%)"),
]


@pytest.fixture
def chat(world_a, hook, private_ok, settings):
    """Three channels carrying the wins (one of each kind), one carrying only comments and a
    paused one carrying the wins, all posting to the local server."""
    settings.SITE_URL = SITE

    def add(kind: str, name: str, events: list[str]) -> Channel:
        return channels.channel_create(
            org=world_a.org, actor=world_a.admin, kind=kind, name=name, url=hook.url, events=events
        )

    made = {
        "slack": add("slack", "#wins", ["wins"]),
        "teams": add("teams", "Leadership", ["wins", "check_in"]),
        "webhook": add("webhook", "Zalo relay", ["wins"]),
        "comments": add("slack", "#comments", ["comment"]),
        "paused": add("webhook", "Broken relay", ["wins"]),
    }
    Channel.objects.filter(pk=made["paused"].pk).update(active=False, paused_at=timezone.now(), failures=3)
    return made


def _bodies(hook) -> list[dict]:
    return [json.loads(body) for _headers, body in hook.requests]


def _slack(hook) -> list[dict]:
    return [b for b in _bodies(hook) if set(b) == {"text", "delivery_id"}]


def test_each_channel_carrying_the_wins_gets_one_post(
    world_a, thread, week, chat, hook, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = send_digests(org=world_a.org, now=FRIDAY_10)
    assert result.sent == {"wins": 5} and result.posted == {"wins": 3}
    assert len(hook.requests) == 3  # not #comments (does not carry them), not the paused relay

    [slack] = _slack(hook)
    assert slack["text"] == "\n".join(
        [
            "This week's wins in ALPHA. Thank the people behind them!",
            *(f"• *{title}*: {value}" for title, value in MOVERS),
            "• *Objective completed*: Ship v2",
            f"<{SITE}/o/alpha/>",
        ]
    )

    [teams] = [b for b in _bodies(hook) if b.get("type") == "message"]
    card = teams["attachments"][0]["content"]
    assert card["body"][0]["text"] == "This week's wins"
    assert teams_text(card) == "This week's wins in ALPHA. Thank the people behind them!"
    assert teams_facts(card) == [
        ("Organisation", "ALPHA"),
        *MOVERS,
        ("Objective completed", "Ship v2"),
    ]
    assert card["actions"][0]["url"] == f"{SITE}/o/alpha/"

    [(headers, raw)] = [(h, b) for h, b in hook.requests if "X-Okrkpi-Signature" in h]
    relay = chat["webhook"]
    expected = hmac.new(relay.secret.encode(), headers["X-Okrkpi-Timestamp"].encode() + b"." + raw, hashlib.sha256)
    assert headers["X-Okrkpi-Signature"] == f"sha256={expected.hexdigest()}"
    payload = json.loads(raw)
    assert payload["event"] == "wins" and payload["organization"] == "alpha" and payload["url"] == f"{SITE}/o/alpha/"
    assert [(f["title"], f["value"]) for f in payload["facts"]][:4] == MOVERS
    data = payload["data"]
    assert data["week"] == "2026-11-30"
    assert [(m["title"], m["owner"], m["before"], m["after"], m["delta"]) for m in data["movers"]] == [
        ("Open 2 warehouses", "Sam Tran", 0.0, 1.0, 1.0),
        ("Beta users", "Member alpha", 0.0, 1.0, 1.0),
        ("Crash-free", "Member alpha", 0.0, 1.0, 1.0),
        ("Sign 10 distributors", "Sam Tran", 0.2, 0.7, 0.5),
    ]
    assert data["movers"][3]["key_result"] == thread.kr.pk
    assert data["completed"] == [{"objective": week["ship"].pk, "title": "Ship v2"}]

    # Later sweeps the same Friday, or a retried one, post nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digests(org=world_a.org, now=at(2026, 12, 4, 16)).posted == {}
        assert digest_sweep(now=FRIDAY_10).posted == {}
    assert len(hook.requests) == 3 and len(mail.outbox) == 5
    assert set(ChannelClaim.objects.values_list("channel__name", "event", "period")) == {
        ("#wins", "wins", at(2026, 11, 30).date()),
        ("Leadership", "wins", at(2026, 11, 30).date()),
        ("Zalo relay", "wins", at(2026, 11, 30).date()),
    }


def test_the_wins_are_posted_in_the_organisations_language(
    world_a, thread, week, chat, hook, django_capture_on_commit_callbacks
):
    world_a.org.language = "vi"
    world_a.org.save(update_fields=["language"])
    world_a.member.language = "en"  # a person's own language changes their e-mail, not the channel
    world_a.member.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(org=world_a.org, now=FRIDAY_10)
    [slack] = _slack(hook)
    assert slack["text"].startswith("Thành tích trong tuần của ALPHA. Hãy cảm ơn những người đứng sau!\n")
    assert "• *Mục tiêu đã hoàn thành*: Ship v2" in slack["text"]
    card = next(b for b in _bodies(hook) if b.get("type") == "message")["attachments"][0]["content"]
    assert card["body"][0]["text"] == "Thành tích trong tuần"
    assert teams_facts(card)[0] == ("Tổ chức", "ALPHA")
    assert card["actions"][0]["title"] == "Mở trong okrkpi"


def test_a_week_with_nothing_to_say_posts_nothing_until_a_win_arrives(
    world_a, thread, chat, hook, django_capture_on_commit_callbacks
):
    # Only the fixture's check-in of 1 December: a fortnight later nothing moved this week.
    quiet_friday = datetime(2026, 12, 18, 10, 0, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digests(org=world_a.org, now=quiet_friday).posted == {}
    assert hook.requests == [] and not ChannelClaim.objects.exists()
    okr.key_result_check_in(
        key_result=thread.kr, actor=thread.sam, value=6, confidence=8, at=datetime(2026, 12, 18, 11, tzinfo=UTC)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digests(org=world_a.org, now=datetime(2026, 12, 18, 12, tzinfo=UTC)).posted == {"wins": 3}
    assert "Sign 10 distributors (Sam Tran)*: 30% → 60% (+30%)" in _slack(hook)[0]["text"]


def test_a_failed_post_is_retried_by_the_outbox_sweep_and_never_claimed_twice(
    world_a, thread, week, chat, hook, django_capture_on_commit_callbacks
):
    from notifications.models import OutboxMessage
    from notifications.outbox import outbox_sweep

    for name in ("#wins", "Leadership"):
        Channel.objects.filter(name=name).update(active=False)
    hook.statuses = [503, 502]  # the relay is down twice, then answers
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(org=world_a.org, now=FRIDAY_10)
        send_digests(org=world_a.org, now=FRIDAY_10)  # the sweep itself retried
    assert len(hook.requests) == 1
    [row] = OutboxMessage.objects.filter(kind="channel")
    assert row.status == "pending" and row.attempts == 1 and row.last_error.startswith("HTTP 503")
    assert outbox_sweep().taken == 0  # it waits its backoff
    later = timezone.now() + timedelta(hours=3)
    outbox_sweep(now=later)
    outbox_sweep(now=later + timedelta(hours=3))
    assert len(hook.requests) == 3  # one post, delivered on its third try
    tries = [{k: v for k, v in body.items() if k != "sent_at"} for body in _bodies(hook)]
    assert tries[0]["event"] == "wins" and tries == [tries[0]] * 3  # the same message each time
    ids = {headers["X-Okrkpi-Delivery-Id"] for headers, _body in hook.requests}
    assert ids == {str(row.delivery_id)} == {tries[0]["delivery_id"]}  # one id: the receiver can drop repeats
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 3
    relay = Channel.objects.get(name="Zalo relay")
    assert relay.failures == 0 and relay.last_success_at is not None and relay.last_error.startswith("HTTP 502")
    assert ChannelClaim.objects.count() == 1


def test_a_paused_channel_gets_the_weeks_wins_once_turned_back_on(
    world_a, thread, week, chat, hook, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(org=world_a.org, now=FRIDAY_10)
    assert len(hook.requests) == 3
    channels.channel_update(channel=chat["paused"], actor=world_a.admin, active=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digests(org=world_a.org, now=at(2026, 12, 4, 10, 15)).posted == {"wins": 1}
        assert send_digests(org=world_a.org, now=at(2026, 12, 4, 10, 30)).posted == {}
    assert len(hook.requests) == 4


def test_the_command_lists_the_channels_in_a_dry_run(world_a, thread, week, chat, hook, pin_now):
    pin_now(FRIDAY_10)  # the command runs for now; the week's check-ins are that week's
    out = StringIO()
    call_command("send_digests", "--kind", "wins", "--dry-run", stdout=out)
    lines = out.getvalue().splitlines()
    assert "alpha: channel #wins would get wins (post in en)" in lines
    assert "alpha: channel Zalo relay would get wins (post in en)" in lines
    assert not any("#comments" in line or "Broken relay" in line for line in lines)
    assert hook.requests == [] and not ChannelClaim.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_post_the_wins_once_per_channel(world_a, thread, week, chat, hook):
    require_shared_database()
    posted = at_once(lambda _i: sum(digest_sweep(now=FRIDAY_10).posted.values()))
    assert sorted(posted) == [0, 3]  # one sweep claimed the three channels, the other none
    assert sum(posted) == 3 == len(hook.requests) == ChannelClaim.objects.count()
    kinds = sorted("text" if set(b) == {"text", "delivery_id"} else b.get("type") or b["event"] for b in _bodies(hook))
    assert kinds == ["message", "text", "wins"]  # Teams, Slack, the webhook: once each
