"""A missed check-in escalates to the owner's managers, but not to a manager who may not see
the key result's objective (DESIGN §3): its title would reach them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import NotificationKind
from reminders.sweep import missed_check_in_wanted, people_of
from tests.objectives.okr_factories import make_kr
from tests.scorecards.restricted_world import MARKERS, build

pytestmark = pytest.mark.django_db


def test_a_manager_is_not_told_of_a_key_result_they_may_not_see(world_a):
    rw = build(world_a)
    make_kr(rw.private, title=MARKERS["kr_title"] + " (member)", owner=world_a.member)
    make_kr(rw.open_child, title="Open pipeline", owner=world_a.member)
    later = timezone.now().date() + timedelta(days=40)
    wanted = missed_check_in_wanted(world_a.org, later, people_of(world_a.org))
    escalated = [w for w in wanted if w.kind == NotificationKind.CHECK_IN_ESCALATED]
    to_manager = [w.message_args["kr"] for w in escalated if w.recipient_id == world_a.manager.pk]
    assert to_manager == ["Open pipeline"]
