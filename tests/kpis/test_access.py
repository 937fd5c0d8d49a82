"""The KPI access helpers, one test per rule: they fetch through the organisation (another
organisation's KPI is a 404, like a missing one) and authorise through orgs.permissions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from kpis.access import (
    access_kpi,
    access_kpi_for_edit,
    access_kpi_for_recording,
    check_kpi_create,
    check_kpi_owner_change,
)
from orgs.models import Membership, Role
from tests.kpis.kpi_factories import make_kpi

pytestmark = pytest.mark.django_db


def _m(world, user) -> Membership:
    return Membership.objects.select_related("organization").get(organization=world.org, user=user)


def test_another_organisations_kpi_is_a_404_like_a_missing_one(world_a, world_b):
    theirs = make_kpi(world_b.org)
    admin = _m(world_a, world_a.admin)
    for helper in (access_kpi, access_kpi_for_edit, access_kpi_for_recording):
        with pytest.raises(Http404):
            helper(admin, theirs.pk)
        with pytest.raises(Http404):
            helper(admin, 987654321)


def test_every_member_reads_and_only_the_owner_side_edits(world_a):
    kpi = make_kpi(world_a.org, owner_type="team", team=world_a.team)
    for user in (world_a.admin, world_a.manager, world_a.member, world_a.viewer):
        assert access_kpi(_m(world_a, user), kpi.pk) == kpi
    for user in (world_a.admin, world_a.manager):
        assert access_kpi_for_edit(_m(world_a, user), kpi.pk) == kpi
        assert access_kpi_for_recording(_m(world_a, user), kpi.pk) == kpi
    for user in (world_a.member, world_a.viewer):
        with pytest.raises(PermissionDenied):
            access_kpi_for_edit(_m(world_a, user), kpi.pk)
        with pytest.raises(PermissionDenied):
            access_kpi_for_recording(_m(world_a, user), kpi.pk)


def test_a_member_demoted_to_viewer_reads_the_kpi_they_still_own_and_nothing_else(world_a):
    kpi = make_kpi(world_a.org, owner_type="person", user=world_a.member)
    member = _m(world_a, world_a.member)
    assert access_kpi_for_edit(member, kpi.pk) == kpi  # while a member: theirs to edit
    Membership.objects.filter(pk=member.pk).update(role=Role.VIEWER)
    demoted = _m(world_a, world_a.member)
    assert access_kpi(demoted, kpi.pk) == kpi
    with pytest.raises(PermissionDenied):
        access_kpi_for_edit(demoted, kpi.pk)
    with pytest.raises(PermissionDenied):
        access_kpi_for_recording(demoted, kpi.pk)
    with pytest.raises(PermissionDenied):
        check_kpi_create(demoted, ("person", None, world_a.member))


def test_handing_a_kpi_on_needs_the_right_to_own_at_the_new_level(world_a):
    kpi = make_kpi(world_a.org, owner_type="person", user=world_a.member)
    member = _m(world_a, world_a.member)
    check_kpi_owner_change(member, kpi, ("person", None, world_a.member))  # keeping the owner: nothing to check
    with pytest.raises(PermissionDenied):
        check_kpi_owner_change(member, kpi, ("company", None, None))
    with pytest.raises(PermissionDenied):
        check_kpi_owner_change(member, kpi, ("team", world_a.team, None))
    manager = _m(world_a, world_a.manager)
    check_kpi_owner_change(manager, kpi, ("team", world_a.sub_team, None))
    with pytest.raises(PermissionDenied):
        check_kpi_owner_change(manager, kpi, ("team", world_a.other_team, None))
