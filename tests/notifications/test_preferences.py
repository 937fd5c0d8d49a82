"""Each person's delivery choice per kind, quiet hours, and the digests of buffered notifications."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from notifications import services
from notifications.models import Notification, NotificationSettings
from reminders.digests import flush_buffered
from reminders.sweep import sweep_organization
from tests.kpis.kpi_factories import make_kpi


def at(*args):
    return datetime(*args, tzinfo=UTC)


def _send(world, kind="mention", now=None, **kw):
    return services.notification_send(
        org=world.org, recipient=world.member, kind=kind, message="Sam mentioned you", url="/o/alpha/", now=now, **kw
    )


def test_instant_by_default_and_off_means_nothing(world_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert _send(world_a).mail_due == ""
    assert len(mail.outbox) == 1 and "Stop these e-mails: http://127.0.0.1:8000/unsubscribe/" in mail.outbox[0].body
    services.notification_settings_update(
        org=world_a.org, user=world_a.member, deliveries={"mention": "off"}, quiet_start=None, quiet_end=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert _send(world_a) is None
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1


def test_quiet_hours_hold_the_email_until_they_end(world_a, django_capture_on_commit_callbacks):
    world_a.org.timezone = "Asia/Ho_Chi_Minh"
    world_a.org.save()
    services.notification_settings_update(
        org=world_a.org, user=world_a.member, deliveries={}, quiet_start=time(22, 0), quiet_end=time(7, 0)
    )
    with django_capture_on_commit_callbacks(execute=True):
        note = _send(world_a, now=at(2026, 12, 1, 16, 30))  # 23:30 local: quiet
    assert note.mail_due == "held" and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        flush_buffered(org=world_a.org, now=at(2026, 12, 1, 23, 30))  # 06:30 local: still quiet
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert flush_buffered(org=world_a.org, now=at(2026, 12, 2, 0, 0)).sent == {"digest_held": 1}  # 07:00
        assert flush_buffered(org=world_a.org, now=at(2026, 12, 2, 0, 15)).sent == {}
    assert len(mail.outbox) == 1 and "Sam mentioned you" in mail.outbox[0].body
    assert mail.outbox[0].subject == "[ALPHA] While you were away"


def test_daily_and_weekly_digests_gather_notifications(world_a, django_capture_on_commit_callbacks):
    services.notification_settings_update(
        org=world_a.org,
        user=world_a.member,
        deliveries={"mention": "daily", "kpi_due": "weekly"},
        quiet_start=None,
        quiet_end=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        _send(world_a, now=at(2026, 12, 1, 7))
        _send(world_a, now=at(2026, 12, 1, 8))
        _send(world_a, kind="kpi_due", now=at(2026, 12, 1, 8))
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert flush_buffered(org=world_a.org, now=at(2026, 12, 1, 8, 30)).sent == {}  # before the reminder hour (9)
        assert flush_buffered(org=world_a.org, now=at(2026, 12, 1, 9, 0)).sent == {"digest_daily": 1}
        assert flush_buffered(org=world_a.org, now=at(2026, 12, 1, 18, 0)).sent == {}
    assert mail.outbox[0].subject == "[ALPHA] Your daily digest" and mail.outbox[0].body.count("Sam mentioned you") == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert flush_buffered(org=world_a.org, now=at(2026, 12, 7, 9, 0)).sent == {"digest_weekly": 1}  # Monday
    assert len(mail.outbox) == 2


def test_the_reminder_sweep_respects_the_choice(world_a, django_capture_on_commit_callbacks):
    make_kpi(world_a.org, name="Leads", owner_type="person", user=world_a.member)
    services.notification_settings_update(
        org=world_a.org, user=world_a.member, deliveries={"kpi_due": "off"}, quiet_start=None, quiet_end=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_organization(org=world_a.org, now=at(2026, 12, 1, 10)).sent == 0
    assert not Notification.objects.exists() and mail.outbox == []


@pytest.mark.parametrize(
    ("deliveries", "start", "end", "needle"),
    [
        ({"wins": "instant"}, None, None, "not a delivery for wins"),
        ({"nonsense": "off"}, None, None, "not a kind of notification"),
        ({"mention": "sometimes"}, None, None, "not a delivery for mention"),
        ({}, time(22, 0), None, "both ends"),
        ({}, time(22, 0), time(22, 0), "another time"),
    ],
)
def test_bad_preferences_are_refused_whole(world_a, deliveries, start, end, needle):
    with pytest.raises(ValidationError) as exc:
        services.notification_settings_update(
            org=world_a.org, user=world_a.member, deliveries=deliveries, quiet_start=start, quiet_end=end
        )
    assert needle in str(exc.value)
    assert not NotificationSettings.objects.exists()


def test_preferences_page(world_a, web):
    c = web(world_a.member)
    page = c.get("/o/alpha/notifications/settings/").content.decode()
    assert "Someone mentioned you" in page and "Friday: the week&#x27;s wins" in page
    data = {
        f"kind_{k}": "instant"
        for k in [
            "mention",
            "check_in_due",
            "check_in_missed",
            "check_in_escalated",
            "kpi_due",
            "kpi_overdue",
            "channel_paused",
            "approval_waiting",
            "approval_decided",
        ]
    }
    data |= {"kind_comment": "weekly", "kind_plan_week": "weekly", "kind_team_week": "off", "kind_wins": "weekly"}
    bad = c.post("/o/alpha/notifications/settings/", {**data, "quiet_start": "22:00"})
    assert bad.status_code == 400 and "Give both ends of the quiet hours" in bad.content.decode()
    assert (
        c.post("/o/alpha/notifications/settings/", {**data, "quiet_start": "22:00", "quiet_end": "07:00"}).status_code
        == 302
    )
    row = NotificationSettings.objects.get(user=world_a.member)
    assert row.deliveries["team_week"] == "off" and row.deliveries["comment"] == "weekly"
    assert row.quiet_start == time(22, 0) and row.quiet_end == time(7, 0)


def test_a_mention_in_quiet_hours_is_held_and_mailed_after_them_in_local_time(
    world_a, thread, web, api, django_capture_on_commit_callbacks
):
    """Through the pages and the API: Sam sets quiet hours around the current time of Ho Chi Minh
    City, a colleague mentions her in a comment, and the e-mail waits until the window ends there."""
    from datetime import timedelta

    from django.utils import timezone

    from notifications.models import CHOOSABLE_KINDS, delivery_for, is_quiet

    world_a.org.timezone = "Asia/Ho_Chi_Minh"
    world_a.org.save(update_fields=["timezone"])
    now = timezone.now()
    local = now.astimezone(world_a.org.tzinfo)
    start, end = (local - timedelta(hours=1)).time(), (local + timedelta(hours=1)).time()
    assert not is_quiet(start, end, now.astimezone(UTC).time())  # quiet in local time only
    choices = {f"kind_{k}": delivery_for({}, k) for k in CHOOSABLE_KINDS} | {"kind_comment": "off"}
    page = web(thread.sam).post(
        "/o/alpha/notifications/settings/",
        {**choices, "quiet_start": start.strftime("%H:%M"), "quiet_end": end.strftime("%H:%M")},
    )
    assert page.status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        r = api(world_a.member).post(
            "/api/v1/orgs/alpha/comments/",
            {"check_in": thread.check_in.pk, "body": "@sam@alpha.test how did you sign them?"},
            format="json",
        )
    assert r.status_code == 201
    # In the app at once; by e-mail not yet.
    [row] = api(thread.sam).get("/api/v1/orgs/alpha/notifications/").json()["results"]
    assert row["kind"] == "mention" and row["message"].startswith("Member alpha mentioned you")
    assert Notification.objects.get(recipient=thread.sam).mail_due == "held"
    assert [m for m in mail.outbox if m.to == [thread.sam.email]] == []

    with django_capture_on_commit_callbacks(execute=True):
        assert flush_buffered(org=world_a.org, now=now + timedelta(minutes=30)).sent == {}  # still quiet there
    assert [m for m in mail.outbox if m.to == [thread.sam.email]] == []
    with django_capture_on_commit_callbacks(execute=True):
        assert flush_buffered(org=world_a.org, now=now + timedelta(minutes=61)).sent == {"digest_held": 1}
        assert flush_buffered(org=world_a.org, now=now + timedelta(minutes=76)).sent == {}
    [held] = [m for m in mail.outbox if m.to == [thread.sam.email]]
    assert held.subject == "[ALPHA] While you were away" and "Member alpha mentioned you" in held.body
    assert Notification.objects.get(recipient=thread.sam).mail_due == ""
