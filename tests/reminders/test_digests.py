"""Digests: Friday wins and Monday e-mails, buffered notification digests, quiet hours,
the recipient's language, unsubscribe, and exactly once under concurrent sweeps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import pytest
from django.core import mail

from conversations import services as talk
from notifications import services as notes
from notifications.mailer import unsubscribe_token
from notifications.models import NotificationSettings, ReminderClaim
from reminders.digests import digest_sweep, movers, send_digests
from tests.concurrency import at_once, require_shared_database
from tests.kpis.kpi_factories import make_kpi, record

FRIDAY_10 = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)  # the organisation is on UTC, reminder hour 9
MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def at(*args):
    return datetime(*args, tzinfo=UTC)


def _mail_to(email):
    return [m for m in mail.outbox if m.to == [email]]


def test_movers_match_the_hand_computed_ones(world_a, thread, week):
    got = [
        (m.key_result.title, round(m.before, 3), round(m.after, 3))
        for m in movers(org=world_a.org, since=at(2026, 11, 27, 10))
    ]
    assert got == [
        ("Open 2 warehouses", 0.0, 1.0),
        ("Beta users", 0.0, 1.0),
        ("Crash-free", 0.0, 1.0),
        ("Sign 10 distributors", 0.2, 0.7),
    ]


def test_friday_wins_to_everyone_once(world_a, thread, week, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digests(org=world_a.org, now=at(2026, 12, 4, 8, 59)).sent == {}  # before the reminder hour
        result = send_digests(org=world_a.org, now=FRIDAY_10)
    assert result.sent == {"wins": 5}  # admin, manager, member, viewer, Sam
    message = _mail_to(thread.sam.email)[0]
    assert message.subject == "[ALPHA] This week's wins"
    text = message.body
    assert text.index("Open 2 warehouses (Sam Tran): 0% → 100% (+100%)") < text.index(
        "Sign 10 distributors (Sam Tran): 20% → 70% (+50%)"
    )
    assert "Churn" not in text
    assert "Objectives completed:\n- Ship v2" in text
    html = message.alternatives[0][0]
    assert "<h1>This week&#x27;s wins</h1>" in html and "🎉 Ship v2" in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digests(org=world_a.org, now=at(2026, 12, 4, 16)).sent == {}
    assert len(mail.outbox) == 5


def test_each_digest_is_in_the_recipients_language(world_a, thread, week, django_capture_on_commit_callbacks):
    thread.sam.language = "vi"
    thread.sam.save()
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(org=world_a.org, now=FRIDAY_10)
    vi = _mail_to(thread.sam.email)[0]
    en = _mail_to(world_a.member.email)[0]
    assert vi.subject == "[ALPHA] Thành tích trong tuần"
    assert "Kết quả then chốt tiến bộ nhiều nhất" in vi.body and "Key results that moved most" in en.body


def test_quiet_hours_hold_the_digest_until_they_end(world_a, thread, week, django_capture_on_commit_callbacks):
    notes.notification_settings_update(
        org=world_a.org, user=thread.sam, deliveries={}, quiet_start=time(8, 0), quiet_end=time(12, 0)
    )
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(org=world_a.org, now=FRIDAY_10)
    assert _mail_to(thread.sam.email) == [] and len(mail.outbox) == 4
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(org=world_a.org, now=at(2026, 12, 4, 12, 15))
    assert len(_mail_to(thread.sam.email)) == 1 and len(mail.outbox) == 5


def test_unsubscribe_link_works_without_logging_in(world_a, thread, week, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(org=world_a.org, now=FRIDAY_10)
    link = re.search(r"Unsubscribe from this e-mail: (\S+)", _mail_to(thread.sam.email)[0].body).group(1)
    path = link.split("127.0.0.1:8000", 1)[1]
    page = client.get(path)
    assert (
        page.status_code == 200 and "Stop receiving “Friday: the week&#x27;s wins” from ALPHA?" in page.content.decode()
    )
    assert client.post(path).status_code == 200
    assert NotificationSettings.objects.get(user=thread.sam).deliveries == {"wins": "off"}
    mail.outbox.clear()
    ReminderClaim.objects.all().delete()  # as if it had never been sent: only the choice stops it now
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(org=world_a.org, now=at(2026, 12, 4, 16))
    assert _mail_to(thread.sam.email) == [] and len(mail.outbox) == 4


def test_a_forged_unsubscribe_token_changes_nothing(world_a, thread, client):
    good = unsubscribe_token(org_id=world_a.org.pk, user_id=thread.sam.pk, kind="wins")
    forged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    admins = unsubscribe_token(org_id=world_a.org.pk, user_id=world_a.admin.pk, kind="wins")
    other_user = admins.split(":", 1)[0] + ":" + good.split(":", 1)[1]  # the admin's payload, Sam's signature
    for token in (
        forged,
        other_user,
        "garbage",
        unsubscribe_token(org_id=world_a.org.pk, user_id=thread.sam.pk, kind="x"),
    ):
        r = client.post(f"/unsubscribe/{token}/")
        assert r.status_code == 404 and "This link does not work" in r.content.decode()
    assert not NotificationSettings.objects.exists()


def test_monday_plan_the_week_and_teams_week(world_a, thread, week, django_capture_on_commit_callbacks):
    kpi = make_kpi(world_a.org, name="Returns", owner_type="person", user=thread.sam, target=10, amber=8)
    record(kpi, "2026-11-01", 2)
    with django_capture_on_commit_callbacks(execute=True):
        result = send_digests(org=world_a.org, now=MONDAY_10)
    # Plans for the two people with something due (nothing to say: no mail); the teams'
    # week for the manager and the admin (the viewer gets neither).
    assert result.sent == {"plan_week": 2, "team_week": 2}
    plan = _mail_to(thread.sam.email)[0].body
    assert "Due this week:" in plan and "Check in on “Sign 10 distributors”" in plan
    team = next(m for m in _mail_to(world_a.manager.email) if "teams' week" in m.subject).body
    assert "How the people you manage moved last week." in team
    assert "Sign 10 distributors (Sam Tran): 20% → 70% (+50%)" in team
    assert "Beta users (Member alpha): 0% → 100% (+100%)" in team  # the member is in the manager's team too
    assert "Returns: 2" in team


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_digest_sweeps_send_each_once(world_a, thread, week):
    require_shared_database()
    talk.comment_create(org=world_a.org, actor=world_a.member, objective=thread.objective, body="Daily-digest me")
    at_once(lambda _i: digest_sweep(now=FRIDAY_10))
    subjects = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert len(subjects) == len(set(subjects)) == 6  # 5 wins + Sam's daily digest, each once
