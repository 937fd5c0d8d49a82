"""``manage.py send_digests`` and what composing the weekly e-mails costs: the same code and
claims as the beat job, a dry run that sends and claims nothing, and a number of queries that
does not grow with the number of recipients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import ReminderClaim
from objectives import services as okr
from reminders.digests import send_digests
from tests.factories import MembershipFactory, UserFactory, place
from tests.kpis.kpi_factories import make_kpi, record
from tests.objectives.okr_factories import make_kr, make_objective

MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # the organisation is on UTC, reminder hour 9
WEDNESDAY_10 = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)


def _run(*args: str) -> str:
    out = StringIO()
    call_command("send_digests", *args, stdout=out)
    return out.getvalue()


def _people(world, cycle, n: int, start: int) -> None:
    """n members of the manager's team, each with an objective, two key results (one moved
    this week, one off track), a red KPI and a mention-free week."""
    for i in range(start, start + n):
        u = UserFactory(email=f"p{i:03}@alpha.test", name=f"Person {i}")
        MembershipFactory(organization=world.org, user=u, role="member")
        place(world.team, u)
        o = make_objective(world.org, cycle, title=f"Objective {i}", owner_type="person", user=u)
        moved = make_kr(o, title=f"Moved {i}", owner=u, target=10)
        make_kr(o, title=f"Stuck {i}", owner=u, target=10)
        okr.objective_set_status(objective=o, actor=world.admin, status="active")
        okr.key_result_check_in(
            key_result=moved, actor=u, value=i % 9 + 1, confidence=2, at=MONDAY_10 - timedelta(days=2)
        )
        kpi = make_kpi(world.org, name=f"KPI {i}", owner_type="person", user=u, target=10, amber=8)
        record(kpi, "2026-11-01", 1)


def test_composing_costs_the_same_queries_for_3_and_for_30_recipients(
    world_a, thread, django_capture_on_commit_callbacks
):
    cycle = thread.objective.cycle
    _people(world_a, cycle, 3, 0)
    # Composing and writing the outbox; sending costs a statement per e-mail (each is marked
    # sent as it leaves), so the e-mails leave outside the count.
    with django_capture_on_commit_callbacks(execute=False) as sends, CaptureQueriesContext(connection) as few:
        small = send_digests(org=world_a.org, now=MONDAY_10)
    assert small.sent == {"plan_week": 4, "team_week": 2}  # Sam and the three; the manager and the admin
    for send in sends:
        send()

    _people(world_a, cycle, 27, 3)
    next_monday = MONDAY_10 + timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=False) as sends, CaptureQueriesContext(connection) as many:
        big = send_digests(org=world_a.org, now=next_monday)
    for send in sends:
        send()
    assert big.sent == {"plan_week": 31, "team_week": 2}
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    team = next(m for m in mail.outbox[-2:] if m.to == [world_a.manager.email]).body
    assert "Objective 29" in team and "KPI 29: 1" in team  # the newest people are in it


def test_each_plan_is_composed_in_its_recipients_language(world_a, thread, django_capture_on_commit_callbacks):
    thread.sam.language = "vi"
    thread.sam.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(org=world_a.org, now=MONDAY_10)
    [plan] = [m for m in mail.outbox if m.to == [thread.sam.email]]
    assert "Cập nhật tiến độ cho “Open 2 warehouses”" in plan.body
    assert "Check in on" not in plan.body


def test_the_command_runs_the_sweep_once_per_week(world_a, thread, monkeypatch, django_capture_on_commit_callbacks):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: MONDAY_10)
    with django_capture_on_commit_callbacks(execute=True):
        out = _run()
    assert "Sent 3 e-mails (plan_week: 1, team_week: 2)." in out  # Sam plans; the manager and admin
    with django_capture_on_commit_callbacks(execute=True):
        assert "Sent 0 e-mails (nothing due)." in _run()  # the same claims as the beat job
    assert len(mail.outbox) == 3


class _DownBackend:
    """A mail server that refuses connections."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        raise ConnectionRefusedError(111, "Connection refused")

    def close(self):
        pass

    def send_messages(self, messages):
        self.open()


def test_the_command_says_what_really_left_when_the_mail_server_is_down(world_a, thread, monkeypatch, settings):
    from django.utils import timezone

    from notifications.outbox import outbox_sweep

    monkeypatch.setattr(timezone, "now", lambda: MONDAY_10)
    settings.EMAIL_BACKEND = f"{__name__}._DownBackend"
    out = _run()
    assert "Sent 0 e-mails. 3 not sent yet" in out  # nothing left, whatever was claimed
    assert "3 not sent yet: the outbox sweep retries them (ConnectionRefusedError" in out
    assert "Sent 0 e-mails (nothing due)." in _run() and mail.outbox == []  # claimed: not composed again
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outbox_sweep(now=MONDAY_10 + timedelta(hours=1))
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [thread.sam.email, world_a.manager.email, world_a.admin.email]
    )


def test_kind_sends_it_now_whatever_the_day_and_still_once_per_week(
    world_a, world_b, thread, monkeypatch, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: WEDNESDAY_10)
    with django_capture_on_commit_callbacks(execute=True):
        assert "nothing due" in _run("--org", "alpha")  # Wednesday: nothing is due
        out = _run("--kind", "plan_week", "--org", "alpha")
    assert f"alpha: {thread.sam.email} gets plan_week (mail in en)" in out
    assert f"alpha: {world_a.viewer.email}" not in out  # viewers plan nothing
    assert "beta:" not in out
    sent = len(mail.outbox)
    assert sent >= 1 and all("Plan the week" in m.subject for m in mail.outbox)
    assert not ReminderClaim.objects.filter(organization=world_b.org).exists()
    # Friday's and next Monday's sweeps of the same week send no second plan.
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(org=world_a.org, now=WEDNESDAY_10 + timedelta(days=2), kinds=["plan_week"])
    assert len(mail.outbox) == sent


def test_dry_run_prints_who_would_get_what_and_sends_and_claims_nothing(
    world_a, thread, monkeypatch, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: MONDAY_10)
    with django_capture_on_commit_callbacks(execute=True):
        out = _run("--dry-run", "--kind", "team_week", "--kind", "wins")
    assert f"alpha: {world_a.manager.email} would get team_week (mail in en)" in out
    assert f"alpha: {world_a.viewer.email} would get wins" in out
    assert "Dry run: nothing was sent or claimed." in out
    assert mail.outbox == [] and not ReminderClaim.objects.exists()


def test_unknown_organisation_or_kind_is_refused(world_a):
    with pytest.raises(CommandError, match="No organisation with the slug 'nope'"):
        _run("--org", "nope")
    with pytest.raises(CommandError, match="invalid choice"):
        _run("--kind", "daily")
