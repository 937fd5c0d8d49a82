"""The OKR access helpers, one test per rule: they fetch through the organisation (another
organisation's objective, key result or initiative is a 404, like a missing one) and
authorise through orgs.permissions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from objectives import services
from objectives.access import (
    access_initiative_for_delete,
    access_initiative_for_edit,
    access_key_result,
    access_key_result_for_check_in,
    access_key_result_for_edit,
    access_objective,
    access_objective_for_edit,
    check_objective_create,
    check_objective_owner_change,
)
from orgs.models import Membership, Role
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

pytestmark = pytest.mark.django_db


def _m(world, user) -> Membership:
    return Membership.objects.select_related("organization").get(organization=world.org, user=user)


def _initiative(objective, owner):
    return services.initiative_create(actor=None, objective=objective, key_result=None, title="Call 20", owner=owner)


def test_another_organisations_okrs_are_a_404_like_missing_ones(world_a, world_b):
    theirs = make_objective(world_b.org, make_cycle(world_b.org), title="Theirs")
    kr = make_kr(theirs, owner=world_b.member)
    initiative = _initiative(theirs, world_b.member)
    admin = _m(world_a, world_a.admin)
    for helper, pk in (
        (access_objective, theirs.pk),
        (access_objective_for_edit, theirs.pk),
        (access_key_result, kr.pk),
        (access_key_result_for_edit, kr.pk),
        (access_key_result_for_check_in, kr.pk),
        (access_initiative_for_edit, initiative.pk),
        (access_initiative_for_delete, initiative.pk),
    ):
        with pytest.raises(Http404):
            helper(admin, pk)
        with pytest.raises(Http404):
            helper(admin, 987654321)


def test_a_team_objective_is_edited_by_admins_and_the_teams_managers_only(world_a):
    objective = make_objective(world_a.org, make_cycle(world_a.org), owner_type="team", team=world_a.team)
    kr = make_kr(objective, owner=world_a.manager)
    for user in (world_a.admin, world_a.manager, world_a.member, world_a.viewer):
        assert access_objective(_m(world_a, user), objective.pk) == objective
        assert access_key_result(_m(world_a, user), kr.pk) == kr
    for user in (world_a.admin, world_a.manager):
        assert access_objective_for_edit(_m(world_a, user), objective.pk) == objective
        assert access_key_result_for_edit(_m(world_a, user), kr.pk).objective == objective
    for user in (world_a.member, world_a.viewer):
        with pytest.raises(PermissionDenied):
            access_objective_for_edit(_m(world_a, user), objective.pk)
        with pytest.raises(PermissionDenied):
            access_key_result_for_edit(_m(world_a, user), kr.pk)


def test_a_key_results_owner_checks_in_without_the_right_to_edit_its_objective(world_a):
    objective = make_objective(world_a.org, make_cycle(world_a.org), owner_type="team", team=world_a.team)
    mine = make_kr(objective, owner=world_a.member)
    theirs = make_kr(objective, owner=world_a.manager, title="Theirs")
    member = _m(world_a, world_a.member)
    assert access_key_result_for_check_in(member, mine.pk) == mine
    with pytest.raises(PermissionDenied):
        access_key_result_for_check_in(member, theirs.pk)
    assert access_key_result_for_check_in(_m(world_a, world_a.manager), mine.pk) == mine  # edits the objective


def test_an_initiatives_owner_changes_it_but_only_the_objectives_editors_delete_it(world_a):
    objective = make_objective(world_a.org, make_cycle(world_a.org), owner_type="team", team=world_a.team)
    initiative = _initiative(objective, world_a.member)
    member = _m(world_a, world_a.member)
    assert access_initiative_for_edit(member, initiative.pk) == initiative
    with pytest.raises(PermissionDenied):
        access_initiative_for_delete(member, initiative.pk)
    assert access_initiative_for_delete(_m(world_a, world_a.manager), initiative.pk) == initiative


def test_a_member_demoted_to_viewer_reads_what_they_still_own_and_nothing_else(world_a):
    objective = make_objective(world_a.org, make_cycle(world_a.org), owner_type="person", user=world_a.member)
    kr = make_kr(objective, owner=world_a.member)
    initiative = _initiative(objective, world_a.member)
    member = _m(world_a, world_a.member)
    assert access_objective_for_edit(member, objective.pk) == objective  # while a member: all theirs
    assert access_key_result_for_check_in(member, kr.pk) == kr
    Membership.objects.filter(pk=member.pk).update(role=Role.VIEWER)
    demoted = _m(world_a, world_a.member)
    assert access_objective(demoted, objective.pk) == objective
    assert access_key_result(demoted, kr.pk) == kr
    for helper, pk in (
        (access_objective_for_edit, objective.pk),
        (access_key_result_for_edit, kr.pk),
        (access_key_result_for_check_in, kr.pk),
        (access_initiative_for_edit, initiative.pk),
        (access_initiative_for_delete, initiative.pk),
    ):
        with pytest.raises(PermissionDenied):
            helper(demoted, pk)
    with pytest.raises(PermissionDenied):
        check_objective_create(demoted, ("person", None, world_a.member))


def test_handing_an_objective_on_needs_the_right_to_own_at_the_new_level(world_a):
    objective = make_objective(world_a.org, make_cycle(world_a.org), owner_type="person", user=world_a.member)
    member = _m(world_a, world_a.member)
    check_objective_owner_change(member, objective, ("person", None, world_a.member))  # kept: nothing to check
    with pytest.raises(PermissionDenied):
        check_objective_owner_change(member, objective, ("team", world_a.team, None))
    manager = _m(world_a, world_a.manager)
    check_objective_owner_change(manager, objective, ("team", world_a.sub_team, None))
    with pytest.raises(PermissionDenied):
        check_objective_owner_change(manager, objective, ("company", None, None))
