"""Monday's "your teams' week" and restricted objectives (DESIGN §3, Visibility): each manager's
movers are the top five of their people's movers that this manager may see — a mover they may
not see is left out and the next one takes its place, so they do not get fewer with a gap."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core import mail

from notifications.models import NotificationKind
from objectives import services as okr
from objectives.models import Objective
from orgs.models import Membership
from orgs.visibility import Visibility
from reminders.digests import send_digests
from reminders.digests.content import OrgWeek, team_week
from reminders.digests.restricted import for_reader
from reminders.sweep import people_of
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


@pytest.fixture
def misses(world_a, thread, finance_deal, pin_now):
    """Seven objectives predicted to miss, each with one key result stuck since October: Finance's
    private "Quiet merger" furthest off (0 %), then Sam's "Miss 1" to "Miss 6" (2 % to 7 %).
    The Marketing manager covers Sam's but may not see Finance's; Fran, who manages Finance
    too, may."""
    pin_now(MONDAY_10)
    org, cycle, sam = world_a.org, thread.objective.cycle, thread.sam
    rows = [("Quiet merger", {"owner_type": "team", "team": world_a.other_team}, 0)]
    rows += [(f"Miss {n}", {"owner_type": "person", "user": sam}, 1 + n) for n in range(1, 7)]
    for title, owner, value in rows:
        objective = make_objective(org, cycle, title=title, status="active", **owner)
        kr = make_kr(objective, title=f"{title} KR", owner=sam, target=100)
        for day in (10, 20, 30):
            okr.key_result_check_in(key_result=kr, actor=sam, value=value, confidence=5, at=at(2026, 10, day, 9))
    Objective.objects.filter(organization=org, title="Quiet merger").update(visibility=Visibility.PRIVATE)
    return finance_deal


def _predicted_to_miss(user) -> list[str]:
    [message] = [m for m in mail.outbox if m.to == [user.email] and "teams' week" in m.subject]
    section = message.body.split("Predicted to miss:\n", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^- (.+?) — on course for ", section, flags=re.MULTILINE)


def test_a_manager_who_may_not_see_one_predicted_to_miss_still_gets_five(
    world_a, thread, week, misses, django_capture_on_commit_callbacks
):
    """The Marketing manager's "Predicted to miss" is the top five they may see, with no
    restricted title; Fran's has Finance's private objective first."""
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(org=world_a.org, now=MONDAY_10)

    assert _predicted_to_miss(world_a.manager) == ["Miss 1", "Miss 2", "Miss 3", "Miss 4", "Miss 5"]
    assert "Quiet merger" not in _team_week(world_a.manager)
    assert _predicted_to_miss(misses) == ["Quiet merger", "Miss 1", "Miss 2", "Miss 3", "Miss 4"]


def test_a_reader_picks_their_own_top_five_predicted_to_miss(world_a, thread, week, misses):
    """Cut for a reader who may not see one of the rows, a list composed for a wider audience
    (here the whole organisation's, as the admin gets it) gives them the next row in its
    place, not four: the five are picked from every row, not from the top five."""
    org = world_a.org
    kinds = [NotificationKind.TEAM_WEEK]
    the_week = OrgWeek.read(org=org, today=date(2026, 12, 7), now=MONDAY_10, people=people_of(org), kinds=kinds)
    everyone = team_week(week=the_week, membership=Membership.objects.get(organization=org, user=world_a.admin))
    assert [r.title for r in everyone["predicted_to_miss"]][0] == "Quiet merger"

    manager = Membership.objects.get(organization=org, user=world_a.manager)
    cut = for_reader(NotificationKind.TEAM_WEEK, everyone, manager)

    assert [r.title for r in cut["predicted_to_miss"]] == ["Miss 1", "Miss 2", "Miss 3", "Miss 4", "Miss 5"]
