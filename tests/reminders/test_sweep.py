"""The reminder sweep: due and overdue KPI measurements, weekly check-ins, exactly once, local time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.core.management import call_command

from notifications.models import Notification, ReminderClaim
from reminders.sweep import sweep, sweep_organization
from tests.concurrency import at_once, require_shared_database
from tests.kpis.kpi_factories import make_kpi, record
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

# Tuesday 1 December 2026, 10:00 UTC: November's monthly values are due.
DEC_1 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def person_kpi(world_a):
    return make_kpi(world_a.org, name="Proposals sent", owner_type="person", user=world_a.member)


def test_owner_is_reminded_in_app_and_by_email_once(world_a, person_kpi, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep_organization(org=world_a.org, now=DEC_1)
    assert result.sent == 1
    note = Notification.objects.get()
    assert note.recipient == world_a.member and note.kind == "kpi_due"
    assert "Proposals sent" in note.message and "2026-11-01" in note.message
    assert note.url == f"/o/alpha/kpis/{person_kpi.pk}/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [world_a.member.email]
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_organization(org=world_a.org, now=DEC_1).sent == 0  # the second run sends nothing
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1


def test_no_reminder_when_the_value_is_recorded(world_a, person_kpi):
    record(person_kpi, "2026-11-01", 12)
    assert sweep_organization(org=world_a.org, now=DEC_1).sent == 0


def test_team_kpi_reminds_the_team_managers(world_a):
    make_kpi(world_a.org, name="Leads", owner_type="team", team=world_a.team)
    sweep_organization(org=world_a.org, now=DEC_1)
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [world_a.manager.pk]


def test_overdue_past_the_grace_period_escalates_to_the_owners_manager(world_a, person_kpi):
    world_a.org.reminder_grace_days = 3
    world_a.org.save()
    sweep_organization(org=world_a.org, now=DEC_1)
    assert not Notification.objects.filter(kind="kpi_overdue").exists()  # within the grace period
    sweep_organization(org=world_a.org, now=datetime(2026, 12, 4, 10, 0, tzinfo=UTC))
    overdue = Notification.objects.get(kind="kpi_overdue")
    assert overdue.recipient == world_a.manager  # the manager of the member's team
    assert "overdue" in overdue.message
    assert Notification.objects.filter(kind="kpi_due").count() == 1  # the owner was not reminded twice


def test_reminders_arrive_at_local_time_in_ho_chi_minh_city(world_a, person_kpi):
    record(person_kpi, "2026-10-01", 12)  # October is in: only November can be due
    world_a.org.timezone = "Asia/Ho_Chi_Minh"  # UTC+7
    world_a.org.reminder_hour = 9
    world_a.org.save()
    # 30 Nov 20:00 UTC is 1 Dec 03:00 in Ho Chi Minh City: November is over, but it is not 9 yet.
    assert sweep_organization(org=world_a.org, now=datetime(2026, 11, 30, 20, 0, tzinfo=UTC)).sent == 0
    assert sweep_organization(org=world_a.org, now=datetime(2026, 12, 1, 1, 59, tzinfo=UTC)).sent == 0  # 08:59
    assert sweep_organization(org=world_a.org, now=datetime(2026, 12, 1, 2, 0, tzinfo=UTC)).sent == 1  # 09:00
    assert Notification.objects.get().message.endswith("2026-11-01.")


def test_the_same_moment_is_not_yet_reminder_time_in_london(world_a, person_kpi):
    record(person_kpi, "2026-10-01", 12)
    world_a.org.timezone = "Europe/London"
    world_a.org.reminder_hour = 9
    world_a.org.save()
    assert sweep_organization(org=world_a.org, now=datetime(2026, 12, 1, 2, 0, tzinfo=UTC)).sent == 0  # 02:00
    assert sweep_organization(org=world_a.org, now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC)).sent == 1  # 09:00


def test_reminder_in_the_recipients_language(world_a, person_kpi, django_capture_on_commit_callbacks):
    world_a.member.language = "vi"
    world_a.member.save()
    with django_capture_on_commit_callbacks(execute=True):
        sweep_organization(org=world_a.org, now=DEC_1)
    message = Notification.objects.get().message
    assert "Proposals sent" in message and "Time to record" not in message
    assert mail.outbox[0].body.startswith(message)


def test_weekly_check_in_reminder_goes_to_owners_who_have_not_checked_in(world_a):
    from objectives import services

    cycle = make_cycle(world_a.org, start=date(2026, 10, 1))
    objective = make_objective(world_a.org, cycle, krs=0)
    late = make_kr(objective, owner=world_a.member, title="Late")
    also_late = make_kr(objective, owner=world_a.member, title="Also late")
    done = make_kr(objective, owner=world_a.manager, title="Done")
    services.objective_set_status(objective=objective, actor=world_a.admin, status="active")
    monday = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    services.key_result_check_in(key_result=done, actor=world_a.manager, value=3, confidence=7, at=monday)
    result = sweep_organization(org=world_a.org, now=monday)
    assert result.by_kind == {"check_in_due": 1}
    note = Notification.objects.get()
    assert note.recipient == world_a.member and "2 key results" in note.message
    assert sweep_organization(org=world_a.org, now=datetime(2026, 11, 30, 16, 0, tzinfo=UTC)).sent == 0
    # Not on other days of the week.
    Notification.objects.all().delete()
    ReminderClaim.objects.all().delete()
    assert sweep_organization(org=world_a.org, now=datetime(2026, 12, 1, 10, 0, tzinfo=UTC)).by_kind == {}
    # The next Monday, everyone has checked in on every key result before the sweep: nobody is reminded.
    next_monday = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    for kr, owner in ((late, world_a.member), (also_late, world_a.member), (done, world_a.manager)):
        services.key_result_check_in(key_result=kr, actor=owner, value=4, confidence=7, at=next_monday)
    assert sweep_organization(org=world_a.org, now=datetime(2026, 12, 7, 10, 0, tzinfo=UTC)).by_kind == {}


def test_send_reminders_command(world_a, person_kpi, capsys):
    call_command("send_reminders")
    out = capsys.readouterr().out
    assert out.startswith("Sent ")


def test_sweep_query_count_does_not_grow_with_kpis(world_a, django_assert_max_num_queries):
    def make(n: int, offset: int) -> None:
        for i in range(n):
            make_kpi(world_a.org, name=f"KPI {offset + i}", owner_type="person", user=world_a.member)

    make(10, 0)
    with django_assert_max_num_queries(20) as small:
        assert sweep_organization(org=world_a.org, now=DEC_1).sent == 10
    Notification.objects.all().delete()
    ReminderClaim.objects.all().delete()
    make(290, 10)
    with django_assert_max_num_queries(20) as large:
        assert sweep_organization(org=world_a.org, now=DEC_1).sent == 300
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_send_each_reminder_once(world_a):
    require_shared_database()
    for i in range(40):
        make_kpi(world_a.org, name=f"KPI {i}", owner_type="person", user=world_a.member)
    results = at_once(lambda _i: sweep(now=DEC_1).sent)
    assert sum(results) == 40
    assert Notification.objects.count() == 40
    assert ReminderClaim.objects.count() == 40


def test_the_period_in_which_tracking_starts_is_reminded(world_a):
    make_kpi(world_a.org, name="Mid-month start", owner_type="person", user=world_a.member, since=date(2026, 11, 15))
    assert sweep_organization(org=world_a.org, now=DEC_1).sent == 1  # November, though tracking began on the 15th
