"""Rules of the rollup and the check-in that no other fixture builds: each test here was seen
failing with the line it guards broken (the line is named in each test's docstring)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from objectives import services
from objectives.models import KeyResult, Objective
from objectives.rollup import rollup_objectives
from tests.kpis.kpi_factories import make_kpi, record
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective, set_status

pytestmark = pytest.mark.django_db


def test_a_check_in_under_a_cancelled_parent_does_not_reach_the_grandparent(world_a):
    """A cancelled objective does not count in its parent, even when a check-in below it
    walks the path through it (``counts_in_parent(below.status)`` in ``rollup_objectives``)."""
    cycle = make_cycle(world_a.org)
    grandparent = make_objective(world_a.org, cycle, title="Grow", status="active")
    own = make_kr(grandparent, owner=world_a.member, target=10)
    parent = make_objective(world_a.org, cycle, title="Old plan", parent=grandparent, status="active")
    child = make_objective(world_a.org, cycle, title="Still running", parent=parent, status="active")
    kr = make_kr(child, owner=world_a.member, target=10)
    services.key_result_check_in(key_result=own, actor=world_a.member, value=4, confidence=7)
    set_status(parent, "cancelled")
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=10, confidence=9)
    child.refresh_from_db()
    grandparent.refresh_from_db()
    assert child.progress == pytest.approx(1.0)  # the check-in rolled up where it counts
    assert grandparent.progress == pytest.approx(0.4)  # its own key result only


def test_a_check_in_that_changes_only_the_confidence_changes_the_health(world_a, pin_now):
    """The same value with a lower confidence is a change the rollup writes
    (``conf != node.confidence`` in ``rollup_objectives``), so the health moves."""
    pin_now(datetime(2026, 11, 15, 10, tzinfo=UTC))
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, status="active")
    kr = make_kr(objective, owner=world_a.member, target=10)
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=6, confidence=9)
    objective.refresh_from_db()
    confident = objective.health(date(2026, 11, 15), org=world_a.org)
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=6, confidence=1)
    objective.refresh_from_db()
    assert objective.confidence == 1
    assert objective.health(date(2026, 11, 15), org=world_a.org) != confident
    assert confident == "on_track"


def test_a_cancelled_objectives_key_result_does_not_follow_its_kpi(world_a):
    """Only the key results of draft and active objectives follow their KPI
    (``objective__status__in`` in ``key_results_follow_kpis``): a cancelled objective keeps
    the value it was cancelled with."""
    kpi = make_kpi(world_a.org, name="Qualified leads", target=90)
    record(kpi, "2026-09-01", 30)
    objective = make_objective(world_a.org, make_cycle(world_a.org))
    kr = services.key_result_create(
        objective=objective, actor=world_a.admin, title="Leads", owner=world_a.member, target_value=60, kpi=kpi
    )
    assert kr.current_value == 30
    set_status(objective, "cancelled")
    record(kpi, "2026-10-01", 50)
    assert KeyResult.objects.get(pk=kr.pk).current_value == 30


def test_a_rollup_for_one_organisation_never_touches_anothers_rows(world_a, world_b):
    """The rollup reads and writes only the organisation it was given: another organisation's
    objective id passed to it is not there (``organization_id = %s`` of the path in ``_paths``)."""
    theirs = make_objective(world_b.org, make_cycle(world_b.org), status="active")
    kr = make_kr(theirs, owner=world_b.member, target=10)
    services.key_result_check_in(key_result=kr, actor=world_b.member, value=5, confidence=7)
    before = Objective.objects.filter(pk=theirs.pk).values("progress", "confidence").get()
    KeyResult.objects.filter(pk=kr.pk).update(progress=0.9)  # a rollup of theirs would now write
    assert rollup_objectives(org_id=world_a.org.pk, objective_ids=[theirs.pk]) == 0
    assert Objective.objects.filter(pk=theirs.pk).values("progress", "confidence").get() == before
