"""The one visibility filter (``orgs.visibility``): who sees a team-only or private objective
(DESIGN §3), worked out by hand for the fixture's people."""

from __future__ import annotations

import pytest

from objectives.models import KeyResult, Objective
from orgs.models import Membership
from orgs.visibility import Visibility, can_see, is_narrower_or_equal, visible_filter
from tests.factories import MembershipFactory, UserFactory, place
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

pytestmark = pytest.mark.django_db


def _m(world, user) -> Membership:
    return Membership.objects.get(organization=world.org, user=user)


def _seen(world, user) -> set[str]:
    m = _m(world, user)
    return set(
        Objective.objects.filter(organization=world.org)
        .filter(visible_filter(m, Objective))
        .values_list("title", flat=True)
    )


@pytest.fixture
def objectives(world_a):
    w = world_a
    cycle = make_cycle(w.org)
    outsider = UserFactory(email="other@alpha.test", name="Other")
    MembershipFactory(organization=w.org, user=outsider, role="member")
    place(w.other_team, outsider)
    named = UserFactory(email="named@alpha.test", name="Named")
    MembershipFactory(organization=w.org, user=named, role="member")
    open_ = make_objective(w.org, cycle, title="open")
    team = make_objective(w.org, cycle, title="team", owner_type="team", team=w.team)
    sub = make_objective(w.org, cycle, title="sub", owner_type="team", team=w.sub_team)
    private = make_objective(w.org, cycle, title="private", owner_type="person", user=w.member)
    company_private = make_objective(w.org, cycle, title="company-private")
    Objective.objects.filter(pk__in=[team.pk, sub.pk]).update(visibility=Visibility.TEAM)
    Objective.objects.filter(pk__in=[private.pk, company_private.pk]).update(visibility=Visibility.PRIVATE)
    company_private.viewers.add(named)
    for o in (team, sub, private, company_private):
        o.refresh_from_db()
    return {"outsider": outsider, "named": named, "open": open_, "private": private, "cycle": cycle}


def test_admin_sees_everything(world_a, objectives):
    assert _seen(world_a, world_a.admin) == {"open", "team", "sub", "private", "company-private"}


def test_manager_sees_managed_subtree_and_their_peoples_private(world_a, objectives):
    # Manages Marketing (and so Growth below it); the member is in Marketing.
    assert _seen(world_a, world_a.manager) == {"open", "team", "sub", "private"}


def test_member_sees_own_team_and_above_and_own_private(world_a, objectives):
    # In Marketing: its objective, not Growth's (below, not theirs), and their own.
    assert _seen(world_a, world_a.member) == {"open", "team", "private"}


def test_outsider_and_viewer_see_only_open(world_a, objectives):
    assert _seen(world_a, objectives["outsider"]) == {"open"}
    assert _seen(world_a, world_a.viewer) == {"open"}


def test_named_viewer_sees_that_private_objective_only(world_a, objectives):
    assert _seen(world_a, objectives["named"]) == {"open", "company-private"}


def test_key_results_follow_their_objective(world_a, objectives):
    make_kr(objectives["private"], title="hidden kr", owner=world_a.member)
    make_kr(objectives["open"], title="open kr", owner=world_a.member)
    m = _m(world_a, objectives["outsider"])
    titles = set(
        KeyResult.objects.filter(visible_filter(m, KeyResult, prefix="objective__")).values_list("title", flat=True)
    )
    assert titles == {"open kr"}


def test_can_see(world_a, objectives):
    assert can_see(_m(world_a, world_a.manager), objectives["private"])
    assert not can_see(_m(world_a, objectives["outsider"]), objectives["private"])
    assert can_see(_m(world_a, objectives["outsider"]), objectives["open"])


def test_narrower_rule():
    assert is_narrower_or_equal("private", "organization")
    assert is_narrower_or_equal("team", "team")
    assert not is_narrower_or_equal("organization", "team")
    assert not is_narrower_or_equal("team", "private")
