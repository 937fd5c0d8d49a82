"""Team membership and management follow the rule of member changes (issue 13,
finding 2): a manager moves only people already in teams they manage and never
grants or takes away management. Otherwise a manager could pull anyone (an
admin, a person of another team) into their team and from then on create,
edit and delete that person's objectives and KPIs."""

from __future__ import annotations

import pytest

from orgs.models import Membership, TeamMember
from tests.factories import MembershipFactory, UserFactory, place

KPI = {
    "name": "Calls",
    "direction": "higher_is_better",
    "target": 10,
    "frequency": "monthly",
    "perspective": "customer",
}


@pytest.fixture
def finance_person(world_a):
    """Someone in Finance, a team the fixture's manager does not manage."""
    user = UserFactory(email="fin@alpha.test", name="Fin Person")
    MembershipFactory(organization=world_a.org, user=user, role="member")
    place(world_a.other_team, user)
    return user


def _people(team) -> dict[int, bool]:
    return dict(TeamMember.objects.filter(team=team).values_list("user_id", "is_manager"))


@pytest.mark.django_db
@pytest.mark.parametrize("outsider", ["admin", "finance_person", "viewer"])
def test_manager_cannot_pull_people_from_outside_their_teams_into_a_team_via_the_api(
    world_a, api, finance_person, outsider
):
    target = finance_person if outsider == "finance_person" else getattr(world_a, outsider)
    client = api(world_a.manager)
    before = _people(world_a.team)
    r = client.patch(
        f"/api/v1/orgs/alpha/teams/{world_a.team.pk}/",
        {"members": [world_a.manager.pk, world_a.member.pk, target.pk]},
        format="json",
    )
    assert r.status_code == 403, r.json()
    assert _people(world_a.team) == before
    # ... and so cannot take over that person's KPIs.
    r = client.post("/api/v1/orgs/alpha/kpis/", {**KPI, "owner_type": "person", "owner_user": target.pk}, format="json")
    assert r.status_code == 403


@pytest.mark.django_db
def test_manager_cannot_pull_outsiders_into_a_sub_team_nor_create_a_team_with_them(world_a, api, finance_person):
    client = api(world_a.manager)
    r = client.patch(f"/api/v1/orgs/alpha/teams/{world_a.sub_team.pk}/", {"members": [world_a.admin.pk]}, format="json")
    assert r.status_code == 403
    r = client.post(
        "/api/v1/orgs/alpha/teams/",
        {"name": "Raid", "parent": world_a.team.pk, "members": [finance_person.pk]},
        format="json",
    )
    assert r.status_code == 403
    assert not TeamMember.objects.filter(user__in=[world_a.admin, finance_person], team__parent=world_a.team).exists()


@pytest.mark.django_db
def test_manager_cannot_grant_or_take_away_management(world_a, api):
    client = api(world_a.manager)
    r = client.patch(
        f"/api/v1/orgs/alpha/teams/{world_a.team.pk}/",
        {"managers": [world_a.manager.pk, world_a.member.pk]},
        format="json",
    )
    assert r.status_code == 403
    assert not TeamMember.objects.get(team=world_a.team, user=world_a.member).is_manager
    r = client.patch(
        f"/api/v1/orgs/alpha/teams/{world_a.sub_team.pk}/", {"managers": [world_a.member.pk]}, format="json"
    )
    assert r.status_code == 403
    r = client.post(
        "/api/v1/orgs/alpha/teams/",
        {"name": "SEO", "parent": world_a.team.pk, "managers": [world_a.member.pk]},
        format="json",
    )
    assert r.status_code == 403
    co_manager = UserFactory(email="co@alpha.test")
    MembershipFactory(organization=world_a.org, user=co_manager, role="manager")
    place(world_a.team, co_manager, manager=True)
    r = client.patch(f"/api/v1/orgs/alpha/teams/{world_a.team.pk}/", {"managers": [world_a.manager.pk]}, format="json")
    assert r.status_code == 403
    assert TeamMember.objects.get(team=world_a.team, user=co_manager).is_manager


@pytest.mark.django_db
def test_manager_still_moves_their_people_within_their_teams(world_a, api):
    client = api(world_a.manager)
    r = client.patch(
        f"/api/v1/orgs/alpha/teams/{world_a.sub_team.pk}/", {"members": [world_a.member.pk]}, format="json"
    )
    assert r.status_code == 200, r.json()
    r = client.post(
        "/api/v1/orgs/alpha/teams/",
        {"name": "SEO", "parent": world_a.team.pk, "members": [world_a.member.pk]},
        format="json",
    )
    assert r.status_code == 201, r.json()
    # Unchanged managers may be sent back as they are.
    r = client.patch(
        f"/api/v1/orgs/alpha/teams/{world_a.team.pk}/",
        {"managers": [world_a.manager.pk], "members": [world_a.manager.pk]},
        format="json",
    )
    assert r.status_code == 200, r.json()
    assert _people(world_a.team) == {world_a.manager.pk: True}


@pytest.mark.django_db
def test_admin_sets_managers_and_members_freely(world_a, api, finance_person):
    r = api(world_a.admin).patch(
        f"/api/v1/orgs/alpha/teams/{world_a.team.pk}/",
        {"managers": [world_a.member.pk], "members": [finance_person.pk]},
        format="json",
    )
    assert r.status_code == 200, r.json()
    assert _people(world_a.team) == {world_a.member.pk: True, finance_person.pk: False}


@pytest.mark.django_db
def test_manager_cannot_pull_anyone_in_through_the_team_form(world_a, web, finance_person):
    c = web(world_a.manager)
    url = f"/o/alpha/teams/{world_a.team.pk}/edit/"
    before = _people(world_a.team)
    form = {"name": "Marketing", "parent": "", "managers": [world_a.manager.pk]}
    for extra in (world_a.admin, finance_person):
        r = c.post(url, {**form, "members": [world_a.manager.pk, world_a.member.pk, extra.pk]})
        assert r.status_code == 403
    r = c.post(url, {**form, "managers": [world_a.manager.pk, world_a.member.pk], "members": [world_a.member.pk]})
    assert r.status_code == 403
    assert _people(world_a.team) == before
    r = c.post(
        "/o/alpha/teams/new/",
        {"name": "Raid", "parent": world_a.team.pk, "managers": [world_a.member.pk], "members": [world_a.admin.pk]},
    )
    assert r.status_code == 403
    assert not TeamMember.objects.filter(team__name="Raid").exists()
    # The form as the page fills it in still saves.
    r = c.post(url, {**form, "name": "Brand", "members": [world_a.manager.pk, world_a.member.pk]})
    assert r.status_code == 302
    assert _people(world_a.team) == before
    assert Membership.objects.get(organization=world_a.org, user=world_a.admin).role == "admin"
