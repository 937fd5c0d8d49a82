"""Missed check-ins escalate: the owner after N days, their manager past the grace
period, once per key result and week, on the organisation's local calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core import mail

from notifications.models import Notification, ReminderClaim
from objectives import services as okr
from reminders.sweep import sweep, sweep_organization
from tests.concurrency import at_once, require_shared_database
from tests.objectives.okr_factories import make_kr, make_objective

# 01:00 on Saturday 21 November in Ho Chi Minh City (UTC+7), still Friday the 20th in UTC.
LAST_CHECK_IN = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


@pytest.fixture
def hcm(world_a, thread):
    org = world_a.org
    org.timezone = "Asia/Ho_Chi_Minh"
    org.reminder_hour = 9
    org.reminder_grace_days = 3
    org.save()
    assert org.check_in_missed_days == 10  # the default
    objective = make_objective(org, thread.objective.cycle, title="Grow Saigon", owner_type="person", user=thread.sam)
    kr = make_kr(objective, title="Weekly demos", owner=thread.sam)
    other = make_kr(objective, title="Partners", owner=thread.sam)
    okr.objective_set_status(objective=objective, actor=world_a.admin, status="active")
    okr.key_result_check_in(key_result=kr, actor=thread.sam, value=2, confidence=6, at=LAST_CHECK_IN)
    # Checked in recently everywhere else, so only "Weekly demos" can be missed.
    for k in (other, *thread.objective.key_results.all()):
        okr.key_result_check_in(
            key_result=k, actor=thread.sam, value=1, confidence=6, at=datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
        )
    return kr


def _missed(kind="check_in_missed"):
    return list(Notification.objects.filter(kind=kind).values_list("recipient_id", "message"))


def _sweep(org, *args):
    return sweep_organization(org=org, now=datetime(*args, tzinfo=UTC))


def test_owner_is_reminded_after_ten_local_days(world_a, thread, hcm, django_capture_on_commit_callbacks):
    org = world_a.org
    # 30 Nov 17:00 local: 9 local days (it would already be 10 on UTC dates).
    _sweep(org, 2026, 11, 30, 10, 0)
    assert _missed() == []
    # 1 Dec 08:59 local: 10 days, but before the reminder hour.
    _sweep(org, 2026, 12, 1, 1, 59)
    assert _missed() == []
    with django_capture_on_commit_callbacks(execute=True):
        _sweep(org, 2026, 12, 1, 2, 0)  # 09:00 local
    [(recipient, message)] = _missed()
    assert recipient == thread.sam.pk
    assert message.startswith("“Weekly demos” has had no check-in for 10 days")
    assert [m.to for m in mail.outbox] == [[thread.sam.email]]
    assert _missed("check_in_escalated") == []  # within the grace period


def test_manager_is_told_past_the_grace_period_once_per_week(world_a, thread, hcm):
    org = world_a.org
    _sweep(org, 2026, 12, 1, 2, 0)
    _sweep(org, 2026, 12, 3, 23, 0)  # 4 Dec 06:00 local: 13 days, before the reminder hour
    assert _missed("check_in_escalated") == []
    _sweep(org, 2026, 12, 4, 2, 0)  # 4 Dec 09:00 local
    [(recipient, message)] = _missed("check_in_escalated")
    assert recipient == world_a.manager.pk
    assert message == "Sam Tran has not checked in on “Weekly demos” for 13 days."
    # Later the same week: nothing new, for the owner or the manager.
    _sweep(org, 2026, 12, 5, 3, 0)
    _sweep(org, 2026, 12, 6, 3, 0)
    assert len(_missed()) == 1 and len(_missed("check_in_escalated")) == 1
    # The next week (Monday 7 Dec local): once more each.
    _sweep(org, 2026, 12, 7, 2, 0)
    assert len(_missed()) == 2 and len(_missed("check_in_escalated")) == 2
    assert ReminderClaim.objects.filter(subject=f"kr:{hcm.pk}").count() == 4


def test_a_check_in_stops_the_escalation(world_a, thread, hcm):
    okr.key_result_check_in(
        key_result=hcm, actor=thread.sam, value=3, confidence=7, at=datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    )
    _sweep(org := world_a.org, 2026, 12, 4, 2, 0)
    assert _missed() == [] and _missed("check_in_escalated") == []
    assert org.pk


def test_the_number_of_days_is_per_organisation(world_a, thread, hcm):
    org = world_a.org
    org.check_in_missed_days = 14
    org.save()
    _sweep(org, 2026, 12, 4, 2, 0)  # 13 days
    assert _missed() == []
    _sweep(org, 2026, 12, 5, 2, 0)  # 14 days
    assert len(_missed()) == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_escalate_once(world_a, thread, hcm):
    require_shared_database()
    results = at_once(lambda _i: sweep(now=datetime(2026, 12, 4, 2, 0, tzinfo=UTC)).sent)
    assert len(_missed()) == 1 and len(_missed("check_in_escalated")) == 1
    assert sum(results) == Notification.objects.count()


def test_the_week_turns_at_local_midnight_and_the_manager_reads_it_in_the_api(world_a, thread, hcm, api):
    org = world_a.org
    org.reminder_hour = 0  # sweep at any hour, so that only the calendar decides
    org.save(update_fields=["reminder_hour"])
    _sweep(org, 2026, 12, 4, 2, 0)  # Friday 4 Dec 09:00 local: 13 days, past the grace period
    assert len(_missed()) == 1 and len(_missed("check_in_escalated")) == 1
    # Sunday 6 Dec 23:59 local: still the same week, nothing new.
    _sweep(org, 2026, 12, 6, 16, 59)
    assert len(_missed()) == 1 and len(_missed("check_in_escalated")) == 1
    # Monday 7 Dec 00:30 local is a new week there, though still Sunday the 6th in UTC: once more each.
    _sweep(org, 2026, 12, 6, 17, 30)
    assert len(_missed()) == 2 and len(_missed("check_in_escalated")) == 2
    _sweep(org, 2026, 12, 7, 9, 0)
    assert len(_missed()) == 2 and len(_missed("check_in_escalated")) == 2
    assert set(ReminderClaim.objects.filter(subject=f"kr:{hcm.pk}").values_list("kind", "period")) == {
        ("check_in_missed", date(2026, 11, 30)),
        ("check_in_escalated", date(2026, 11, 30)),
        ("check_in_missed", date(2026, 12, 7)),
        ("check_in_escalated", date(2026, 12, 7)),
    }

    rows = api(world_a.manager).get("/api/v1/orgs/alpha/notifications/").json()["results"]
    assert [(r["kind"], r["message"]) for r in rows] == [
        ("check_in_escalated", "Sam Tran has not checked in on “Weekly demos” for 16 days."),  # local days
        ("check_in_escalated", "Sam Tran has not checked in on “Weekly demos” for 13 days."),
    ]
    assert rows[0]["url"] == f"/o/alpha/okrs/{hcm.objective_id}/"
    assert api(world_a.member).get("/api/v1/orgs/alpha/notifications/").json()["count"] == 0
