"""The owner rules objectives and KPIs share (orgs/ownership.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.http import Http404

from orgs.ownership import member_or_404, owner_after_change, owner_from_ids

TEAM, USER, OTHER = object(), object(), object()


def _owned(owner_type: str, team: object = None, user: object = None) -> SimpleNamespace:
    return SimpleNamespace(owner_type=owner_type, owner_team=team, owner_user=user)


@pytest.mark.parametrize(
    ("current", "change", "expected"),
    [
        (_owned("team", team=TEAM), {"owner_type": "company"}, ("company", None, None)),
        (_owned("person", user=USER), {"owner_type": "team", "owner_team": TEAM}, ("team", TEAM, None)),
        (_owned("team", team=TEAM), {"owner_type": "person", "owner_user": USER}, ("person", None, USER)),
        (_owned("team", team=TEAM), {"owner_team": OTHER}, ("team", OTHER, None)),
        (_owned("person", user=USER), {"owner_user": OTHER}, ("person", None, OTHER)),
        # an explicit owner that does not fit the level is kept, for check_owner to refuse by name
        (_owned("team", team=TEAM), {"owner_type": "team", "owner_user": USER}, ("team", TEAM, USER)),
        (_owned("company"), {"owner_type": "team"}, ("team", None, None)),
    ],
)
def test_owner_after_a_partial_change(current, change, expected):
    assert owner_after_change(current, **change) == expected


@pytest.mark.django_db
def test_owner_ids_of_another_organisation_are_a_404(world_a, world_b):
    with pytest.raises(Http404):
        owner_from_ids(world_a.org, owner_type="team", owner_team=world_b.team.pk, owner_user=None)
    with pytest.raises(Http404):
        owner_from_ids(world_a.org, owner_type="person", owner_team=None, owner_user=world_b.member.pk)
    with pytest.raises(Http404):
        member_or_404(world_a.org, world_b.admin.pk)
    assert owner_from_ids(world_a.org, owner_type="team", owner_team=world_a.team.pk, owner_user=7) == (
        "team",
        world_a.team,
        None,
    )
    assert member_or_404(world_a.org, world_a.member.pk) == world_a.member
