"""Objectives waiting for review (DESIGN §3): in the reviewer's To do (page and ``inbox/`` API),
in the channels that carry ``approval_requested`` (restricted ones only where marked safe),
and a reminder to the reviewer after ``reminder_grace_days`` days, once per objective and day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notifications.models import Channel, Notification, OutboxMessage
from objectives import services
from orgs.models import Membership
from reminders.inbox import inbox
from reminders.sweep import sweep_organization
from tests.objectives.okr_factories import make_cycle, make_objective

pytestmark = pytest.mark.django_db

SUBMITTED = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday
DAY = 24 * 3600


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def waiting(world_a, pin_now):
    """The member's objective, submitted on 2 November; grace 3 days (the default)."""
    cycle = make_cycle(world_a.org, status="planning")
    cycle.approvals_required = True
    cycle.save(update_fields=["approvals_required"])
    objective = make_objective(
        world_a.org, cycle, title="Win the north", owner_type="person", user=world_a.member, krs=2
    )
    pin_now(SUBMITTED)
    services.objective_submit(objective=objective, actor=world_a.member)
    return objective


def _m(world, user) -> Membership:
    return Membership.objects.get(organization=world.org, user=user)


def _reminders(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user, kind="approval_waiting").values_list("message", flat=True))


def test_the_reviewer_is_reminded_after_the_grace_days_once_a_day(world_a, waiting, pin_now):
    assert world_a.org.reminder_grace_days == 3
    pin_now(at(4))
    sweep_organization(org=world_a.org, now=at(4))  # two days: not yet
    assert _reminders(world_a.manager) == []
    pin_now(at(5))
    result = sweep_organization(org=world_a.org, now=at(5))
    assert result.by_kind.get("approval_waiting") == 1
    assert _reminders(world_a.manager) == ["“Win the north” has waited 3 days for your review."]
    pin_now(at(5, 14))
    sweep_organization(org=world_a.org, now=at(5, 14))  # the same day again: nothing more
    assert len(_reminders(world_a.manager)) == 1
    pin_now(at(6))
    sweep_organization(org=world_a.org, now=at(6))  # the next day: once more
    assert len(_reminders(world_a.manager)) == 2
    # Only the reviewer: not the owner, not the admin (the owner has a manager).
    assert _reminders(world_a.member) == [] and _reminders(world_a.admin) == []


def test_no_reminder_once_reviewed(world_a, waiting, pin_now):
    services.objective_approve(objective=waiting, actor=world_a.manager)
    pin_now(at(9))
    sweep_organization(org=world_a.org, now=at(9))
    assert _reminders(world_a.manager) == []


def test_a_company_objective_reminds_the_admins(world_a, pin_now):
    cycle = make_cycle(world_a.org, name="Reviewed", status="planning")
    cycle.approvals_required = True
    cycle.save(update_fields=["approvals_required"])
    company = make_objective(world_a.org, cycle, title="Grow", owner_type="company", krs=2)
    pin_now(SUBMITTED)
    services.objective_submit(objective=company, actor=world_a.admin)
    pin_now(at(6))
    sweep_organization(org=world_a.org, now=at(6))
    assert len(_reminders(world_a.admin)) == 1 and _reminders(world_a.manager) == []


def test_the_reviewer_sees_it_in_to_do_and_a_peer_does_not(world_a, waiting, web, api):
    items = inbox(org=world_a.org, membership=_m(world_a, world_a.manager), now=at(3))
    mine = [i for i in items if i.kind == "approval"]
    assert [(i.object_id, i.title) for i in mine] == [(waiting.pk, "Review “Win the north”")]
    assert not [
        i for i in inbox(org=world_a.org, membership=_m(world_a, world_a.member), now=at(3)) if i.kind == "approval"
    ]
    page = web(world_a.manager).get("/o/alpha/todo/").content.decode()
    assert "Objectives to review" in page and "Win the north" in page
    r = api(world_a.manager).get("/api/v1/orgs/alpha/inbox/")
    assert any(i["kind"] == "approval" and i["object_id"] == waiting.pk for i in r.json()["results"])


def test_submitting_posts_to_channels_that_carry_it_and_restricted_only_to_safe_ones(world_a, pin_now):
    cycle = make_cycle(world_a.org, name="Posted", status="planning")
    cycle.approvals_required = True
    cycle.save(update_fields=["approvals_required"])
    common = {
        "organization": world_a.org,
        "kind": "webhook",
        "url": "https://93.184.216.34/hook",
        "events": ["approval_requested"],
    }
    plain = Channel.objects.create(name="plain", **common)
    safe = Channel.objects.create(name="safe", restricted_safe=True, **common)
    public = make_objective(world_a.org, cycle, title="Open plan", owner_type="person", user=world_a.member, krs=2)
    services.objective_submit(objective=public, actor=world_a.member)
    assert set(OutboxMessage.objects.values_list("channel_id", flat=True)) == {plain.pk, safe.pk}
    OutboxMessage.objects.all().delete()
    secret = make_objective(world_a.org, cycle, title="Quiet plan", owner_type="person", user=world_a.member, krs=2)
    type(secret).objects.filter(pk=secret.pk).update(visibility="private")
    secret.refresh_from_db()
    services.objective_submit(objective=secret, actor=world_a.member)
    assert set(OutboxMessage.objects.values_list("channel_id", flat=True)) == {safe.pk}
