"""Monday's "your teams' week" and restricted objectives (DESIGN §3, Visibility): each manager's
movers are the top five of their people's movers that this manager may see — a mover they may
not see is left out and the next one takes its place, so they do not get fewer with a gap."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from objectives import services as okr
from objectives.models import Objective
from orgs.visibility import Visibility
from reminders.digests import send_digests
from tests.factories import MembershipFactory, UserFactory, place
from tests.objectives.okr_factories import make_kr, make_objective
from tests.reminders.test_digests import MONDAY_10, at


@pytest.fixture
def finance_deal(world_a, thread, week):
    """Pat, in both Marketing and Finance, moved "Due diligence" +80 % on Finance's private
    "Acquire rival": Finance's people and managers may see it, Marketing's manager may not.
    Fran manages both teams. Sam moved two more open key results +10 %; the admin's own
    private objective (no key results) is hidden from both managers."""
    org, cycle = world_a.org, thread.objective.cycle
    pat = UserFactory(email="pat@alpha.test", name="Pat Le")
    MembershipFactory(organization=org, user=pat, role="member")
    fran = UserFactory(email="fran@alpha.test", name="Fran Do")
    MembershipFactory(organization=org, user=fran, role="manager")
    place(world_a.team, pat)
    place(world_a.other_team, pat)
    place(world_a.team, fran, manager=True)
    place(world_a.other_team, fran, manager=True)
    deal = make_objective(
        org, cycle, title="Acquire rival", owner_type="team", team=world_a.other_team, status="active"
    )
    diligence = make_kr(deal, title="Due diligence", owner=pat, target=10)
    Objective.objects.filter(pk=deal.pk).update(visibility=Visibility.PRIVATE)
    okr.key_result_check_in(key_result=diligence, actor=pat, value=8, confidence=7, at=at(2026, 12, 2, 10))
    more = make_objective(org, cycle, title="More", owner_type="person", user=thread.sam, status="active")
    for n in (1, 2):
        kr = make_kr(more, title=f"Extra {n}", owner=thread.sam, target=10)
        okr.key_result_check_in(key_result=kr, actor=thread.sam, value=1, confidence=7, at=at(2026, 12, 2, 9))
    secret = make_objective(org, cycle, title="Board matters", owner_type="person", user=world_a.admin)
    Objective.objects.filter(pk=secret.pk).update(visibility=Visibility.PRIVATE)
    return fran


def _team_week(user) -> str:
    [message] = [m for m in mail.outbox if m.to == [user.email] and "teams' week" in m.subject]
    return message.body + message.alternatives[0][0]


def _movers(user) -> list[str]:
    [message] = [m for m in mail.outbox if m.to == [user.email] and "teams' week" in m.subject]
    return re.findall(r"^- (.+?) \([^)]*\): \d+% → ", message.body, flags=re.MULTILINE)


def test_a_manager_who_may_not_see_a_mover_still_gets_five(
    world_a, thread, week, finance_deal, django_capture_on_commit_callbacks
):
    """Seven movers in Marketing: over everything, "Due diligence" is fourth. The Marketing
    manager may not see it: their five are the next ones, with no restricted title; Fran, who
    manages Finance too, gets it in its place."""
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(org=world_a.org, now=MONDAY_10)

    assert _movers(world_a.manager) == [
        "Open 2 warehouses",
        "Beta users",
        "Crash-free",
        "Sign 10 distributors",
        "Extra 1",
    ]
    managers = _team_week(world_a.manager)
    assert not any(word in managers for word in ("Due diligence", "Acquire rival", "Board matters"))

    assert _movers(finance_deal) == [
        "Open 2 warehouses",
        "Beta users",
        "Crash-free",
        "Due diligence",
        "Sign 10 distributors",
    ]
    assert "Board matters" not in _team_week(finance_deal)
