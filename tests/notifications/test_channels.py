"""Chat and webhook channels: signed posts to a local server, refusal of private
targets, retries, pausing, and the admins-only API with a write-only URL."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conversations import services as talk
from notifications import channels, outbox
from notifications.models import Channel, Notification, OutboxMessage
from tests.notifications.conftest import teams_facts, teams_text


def test_a_comment_is_posted_signed_to_a_webhook(world_a, thread, hook, private_ok, django_capture_on_commit_callbacks):
    channel = channels.channel_create(
        org=world_a.org, actor=world_a.admin, kind="webhook", name="relay", url=hook.url, events=["comment"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        talk.comment_create(org=world_a.org, actor=world_a.member, objective=thread.objective, body="Shipped it")
    [(headers, body)] = hook.requests
    payload = json.loads(body)
    assert payload["event"] == "comment" and payload["organization"] == "alpha"
    assert payload["text"] == "Member alpha commented on “Win the south”: Shipped it"
    expected = hmac.new(
        channel.secret.encode(), headers["X-Okrkpi-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Okrkpi-Signature"] == f"sha256={expected}"
    channel.refresh_from_db()
    assert channel.last_success_at is not None and channel.last_error == ""


def test_slack_gets_its_own_format_and_events_filter(
    world_a, thread, hook, private_ok, django_capture_on_commit_callbacks
):
    channels.channel_create(
        org=world_a.org, actor=world_a.admin, kind="slack", name="#okr", url=hook.url, events=["comment"]
    )
    channels.channel_create(
        org=world_a.org, actor=world_a.admin, kind="teams", name="wins only", url=hook.url, events=["wins"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        talk.comment_create(org=world_a.org, actor=world_a.member, objective=thread.objective, body="Hi")
    [(headers, body)] = hook.requests
    assert set(json.loads(body)) == {"text", "delivery_id"} and "X-Okrkpi-Signature" not in headers
    assert json.loads(body)["delivery_id"] == headers["X-Okrkpi-Delivery-Id"]


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("https://127.0.0.1/hook", "private or local address"),
        ("https://localhost:8443/hook", "private or local address"),
        ("https://169.254.169.254/latest/meta-data", "private or local address"),
        ("https://10.1.2.3/", "private or local address"),
        ("https://[::1]/", "private or local address"),
        ("http://93.184.216.34/hook", "must start with https://"),
        ("ftp://93.184.216.34/", "must start with https://"),
        ("https://user:pw@93.184.216.34/", "no user name or password"),
        ("not a url", "must start with https://"),
    ],
)
def test_unsafe_targets_are_refused_and_nothing_is_saved(world_a, url, needle):
    with pytest.raises(ValidationError) as exc:
        channels.channel_create(org=world_a.org, actor=world_a.admin, kind="webhook", name="x", url=url, events=[])
    assert needle in str(exc.value)
    assert not Channel.objects.exists()


def test_the_address_is_checked_again_at_send_time(world_a, thread, hook, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    channel = channels.channel_create(
        org=world_a.org, actor=world_a.admin, kind="webhook", name="relay", url=hook.url, events=["comment"]
    )
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False  # e.g. the DNS name now points inside
    with django_capture_on_commit_callbacks(execute=True):
        talk.comment_create(org=world_a.org, actor=world_a.member, objective=thread.objective, body="Hi")
    assert hook.requests == []
    channel.refresh_from_db()
    assert "private or local address" in channel.last_error


def test_failures_are_retried_then_the_channel_is_paused_with_a_notice(
    world_a, thread, hook, private_ok, django_capture_on_commit_callbacks
):
    hook.status = 500
    channel = channels.channel_create(
        org=world_a.org, actor=world_a.admin, kind="webhook", name="relay", url=hook.url, events=["comment"]
    )
    for i in range(channels.PAUSE_AFTER_FAILURES):
        with django_capture_on_commit_callbacks(execute=True):
            talk.comment_create(org=world_a.org, actor=world_a.member, objective=thread.objective, body=f"c{i}")
    channel.refresh_from_db()
    # Each post was tried once after its commit and waits for the sweep; none is given up yet.
    assert channel.failures == 0 and channel.last_error.startswith("HTTP 500") and channel.active
    later = timezone.now() + timedelta(days=1)
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        outbox.outbox_sweep(now=later)
    assert len(hook.requests) == channels.PAUSE_AFTER_FAILURES * outbox.MAX_ATTEMPTS
    assert OutboxMessage.objects.filter(channel=channel, status="failed").count() == channels.PAUSE_AFTER_FAILURES
    # One delivery id per post, the same on each of its tries.
    ids = {json.loads(body)["delivery_id"] for _headers, body in hook.requests}
    assert len(ids) == channels.PAUSE_AFTER_FAILURES
    channel.refresh_from_db()
    assert not channel.active and channel.paused_at is not None
    notice = Notification.objects.get(kind="channel_paused")
    assert notice.recipient == world_a.admin and "relay was paused after 3 failed deliveries" in notice.message
    # Turned back on by an admin, it starts afresh.
    channels.channel_update(channel=channel, actor=world_a.admin, active=True)
    channel.refresh_from_db()
    assert channel.active and channel.failures == 0


def test_channels_api_is_admin_only_with_write_only_url_and_secret_shown_once(world_a, api, private_ok, hook):
    assert api(world_a.manager).get("/api/v1/orgs/alpha/channels/").status_code == 403
    c = api(world_a.admin)
    r = c.post(
        "/api/v1/orgs/alpha/channels/",
        {"kind": "webhook", "name": "relay", "url": hook.url, "events": ["comment", "wins"]},
        format="json",
    )
    assert r.status_code == 201, r.json()
    created = r.json()
    # The address holds the channel's credentials: only its host ever comes back.
    assert created["url"] == "127.0.0.1/…" and hook.url not in r.content.decode()
    assert len(created["secret"]) == 64 and created["events"] == ["comment", "wins"]
    again = c.get(f"/api/v1/orgs/alpha/channels/{created['id']}/").json()
    assert again["secret"] is None and again["url"] == "127.0.0.1/…" and again["last_error"] == ""
    listed = c.get("/api/v1/orgs/alpha/channels/")
    assert hook.url not in listed.content.decode() and listed.json()["results"][0]["url"] == "127.0.0.1/…"
    r = c.patch(f"/api/v1/orgs/alpha/channels/{created['id']}/", {"active": False}, format="json")
    assert r.status_code == 200 and r.json()["active"] is False


def test_channels_api_bad_input(world_a, api):
    c = api(world_a.admin)
    for payload, field in [
        ({"kind": "webhook", "url": "https://127.0.0.1/x", "events": []}, "url"),
        ({"kind": "webhook", "url": "http://93.184.216.34/x", "events": []}, "url"),
        ({"kind": "fax", "url": "https://93.184.216.34/x", "events": []}, "kind"),
        ({"kind": "slack", "url": "https://93.184.216.34/x", "events": ["everything"]}, "events"),
    ]:
        r = c.post("/api/v1/orgs/alpha/channels/", payload, format="json")
        assert r.status_code == 400 and field in r.json()["errors"], r.json()
    assert not Channel.objects.exists()


def test_channels_page_shows_the_secret_once(world_a, web, private_ok, hook):
    assert web(world_a.member).get("/o/alpha/settings/channels/").status_code == 403
    c = web(world_a.admin)
    r = c.post(
        "/o/alpha/settings/channels/", {"kind": "webhook", "name": "relay", "url": hook.url, "events": ["comment"]}
    )
    channel = Channel.objects.get()
    assert r.status_code == 302 and channel.secret not in r["Location"]
    shown = c.get(r["Location"]).content.decode()
    assert channel.secret in shown and "Channel added." in shown
    page = c.get("/o/alpha/settings/channels/").content.decode()  # only once
    assert channel.secret not in page and hook.url not in page and "127.0.0.1/…" in page
    bad = c.post("/o/alpha/settings/channels/", {"kind": "slack", "name": "x", "url": "http://93.184.216.34/x"})
    assert bad.status_code == 400 and "The URL must start with https://." in bad.content.decode()
    assert 'value="http://93.184.216.34/x"' in bad.content.decode()  # what was typed stays


def test_a_check_in_is_posted_after_the_commit(
    world_a, thread, hook, private_ok, settings, django_capture_on_commit_callbacks
):
    from objectives import services as okr

    settings.SITE_URL = "https://okr.example.test"
    channels.channel_create(
        org=world_a.org, actor=world_a.admin, kind="teams", name="Teams", url=hook.url, events=["check_in"]
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        okr.key_result_check_in(key_result=thread.kr, actor=thread.sam, value=5, confidence=8)
    assert hook.requests == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    [(headers, body)] = hook.requests
    assert headers["Content-Type"] == "application/json" and "X-Okrkpi-Signature" not in headers
    message = json.loads(body)
    assert set(message) == {"type", "attachments", "delivery_id"} and message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    title, text, facts = card["body"]
    assert title["type"] == "TextBlock" and title["text"] == "New check-in" and title["weight"] == "Bolder"
    assert text == {
        "type": "RichTextBlock",
        "inlines": [{"type": "TextRun", "text": "Sam Tran checked in on “Sign 10 distributors”: 5 (confidence 8/10)"}],
    }
    assert facts["type"] == "Container"
    assert facts["items"][0] == {
        "type": "RichTextBlock",
        "inlines": [
            {"type": "TextRun", "text": "Organisation: ", "weight": "Bolder"},
            {"type": "TextRun", "text": "ALPHA"},
        ],
    }
    assert teams_facts(card) == [
        ("Organisation", "ALPHA"),
        ("Objective", "Win the south"),
        ("Key result", "Sign 10 distributors"),
        ("Progress", "50%"),
    ]
    check_in = thread.kr.check_ins.order_by("-id").first()
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open in okrkpi",
            "url": f"https://okr.example.test/o/alpha/okrs/{thread.objective.pk}/#check-in-{check_in.pk}",
        }
    ]


def test_teams_cards_speak_the_organisations_language_and_webhooks_carry_the_facts(
    world_a, thread, hook, private_ok, django_capture_on_commit_callbacks
):
    world_a.org.language = "vi"
    world_a.org.save(update_fields=["language"])
    for kind in ("teams", "webhook"):
        channels.channel_create(
            org=world_a.org, actor=world_a.admin, kind=kind, name=kind, url=hook.url, events=["comment"]
        )
    check_in = thread.check_in
    with django_capture_on_commit_callbacks(execute=True):
        talk.comment_create(org=world_a.org, actor=world_a.member, check_in=check_in, body="Tuyệt vời")
    bodies = [json.loads(body) for _headers, body in hook.requests]
    card = next(b for b in bodies if b.get("type") == "message")["attachments"][0]["content"]
    assert card["body"][0]["text"] == "Bình luận mới"
    assert [t for t, _v in teams_facts(card)] == ["Tổ chức", "Mục tiêu", "Kết quả then chốt"]
    assert card["actions"][0]["title"] == "Mở trong okrkpi"
    webhook = next(b for b in bodies if "event" in b)
    assert webhook["facts"] == [
        {"title": "Mục tiêu", "value": "Win the south"},
        {"title": "Kết quả then chốt", "value": "Sign 10 distributors"},
    ]


def test_channels_page_names_the_events_and_says_when_the_wins_are_posted(world_a, web, private_ok, hook):
    channels.channel_create(
        org=world_a.org, actor=world_a.admin, kind="slack", name="#wins", url=hook.url, events=["wins", "comment"]
    )
    page = web(world_a.admin).get("/o/alpha/settings/channels/").content.decode()
    assert '<span class="badge">Comments</span> <span class="badge">Friday wins</span>' in page
    assert "the Friday wins once a week, on Friday from the organisation&#x27;s reminder hour" in page
    world_a.admin.language = "vi"
    world_a.admin.save(update_fields=["language"])
    page = web(world_a.admin).get("/o/alpha/settings/channels/").content.decode()
    assert '<span class="badge">Thành tích thứ Sáu</span>' in page


def _markdown_reading_text(node: object) -> list[str]:
    """Every string of a card that Teams reads as markdown: a TextBlock's text, a Fact's."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "TextBlock":
            found.append(node["text"])
        if node.get("type") == "FactSet":
            found += [f"{f['title']} {f['value']}" for f in node["facts"]]
        for value in node.values():
            found += _markdown_reading_text(value)
    elif isinstance(node, list):
        for value in node:
            found += _markdown_reading_text(value)
    return found


def test_teams_shows_a_markdown_link_in_a_comment_as_typed_as_slack_does(
    world_a, thread, hook, private_ok, django_capture_on_commit_callbacks
):
    for kind in ("teams", "slack"):
        channels.channel_create(
            org=world_a.org, actor=world_a.admin, kind=kind, name=kind, url=hook.url, events=["comment"]
        )
    thread.objective.title = "Win **the** [south](https://evil.example/o)"
    thread.objective.save(update_fields=["title"])
    body = "Log in again [here](https://evil.example/login) <https://evil.example|here> _now_"
    with django_capture_on_commit_callbacks(execute=True):
        talk.comment_create(org=world_a.org, actor=world_a.member, objective=thread.objective, body=body)
    bodies = [json.loads(b) for _h, b in hook.requests]
    card = next(b for b in bodies if b.get("type") == "message")["attachments"][0]["content"]
    assert not [t for t in _markdown_reading_text(card) if "evil.example" in t or "**" in t]
    assert body in teams_text(card)  # shown as typed, as plain text
    assert ("Objective", "Win **the** [south](https://evil.example/o)") in teams_facts(card)
    slack = next(b for b in bodies if set(b) == {"text", "delivery_id"})["text"]
    assert "&lt;https://evil.example|here&gt;" in slack
