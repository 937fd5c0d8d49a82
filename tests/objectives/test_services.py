"""The rules of the method, enforced by the services whoever calls them."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from activity.models import ActivityEntry
from objectives import services
from objectives.models import CheckIn, KeyResult, Objective
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


@pytest.fixture
def cycle(world_a):
    return make_cycle(world_a.org)


def test_activation_needs_two_key_results(world_a, cycle):
    objective = make_objective(world_a.org, cycle, krs=1, kr_owner=world_a.member)
    with pytest.raises(ValidationError, match="at least 2 key results"):
        services.objective_set_status(objective=objective, actor=world_a.admin, status="active")
    assert Objective.objects.get(pk=objective.pk).status == "draft"
    make_kr(objective, owner=world_a.member)
    services.objective_set_status(objective=objective, actor=world_a.admin, status="active")
    assert Objective.objects.get(pk=objective.pk).status == "active"


def test_a_sixth_key_result_is_refused_at_any_time(world_a, cycle):
    objective = make_objective(world_a.org, cycle, krs=5, kr_owner=world_a.member)
    with pytest.raises(ValidationError, match="at most 5"):
        make_kr(objective, owner=world_a.member)
    services.objective_set_status(objective=objective, actor=world_a.admin, status="active")
    with pytest.raises(ValidationError, match="at most 5"):
        make_kr(objective, owner=world_a.member)
    assert KeyResult.objects.filter(objective=objective).count() == 5


def test_an_active_objective_keeps_two_key_results(world_a, cycle):
    objective = make_objective(world_a.org, cycle, krs=2, kr_owner=world_a.member)
    services.objective_set_status(objective=objective, actor=world_a.admin, status="active")
    with pytest.raises(ValidationError, match="at least 2"):
        services.key_result_delete(key_result=objective.key_results.first(), actor=world_a.admin)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start_value": 5, "target_value": 5}, "target_value"),
        ({"start_value": 0, "target_value": "ten"}, "target_value"),
        ({"start_value": "x", "target_value": 10}, "start_value"),
        ({"start_value": 0, "target_value": float("nan")}, "target_value"),
        ({"start_value": 0, "target_value": 10, "weight": -1}, "weight"),
        ({"start_value": 0, "target_value": 10, "kind": "vibes"}, "kind"),
        ({"start_value": 0, "target_value": None}, "target_value"),
    ],
)
def test_bad_key_results_are_refused_and_nothing_saved(world_a, cycle, kwargs, field):
    objective = make_objective(world_a.org, cycle)
    with pytest.raises(ValidationError) as info:
        services.key_result_create(objective=objective, actor=world_a.admin, title="KR", owner=world_a.member, **kwargs)
    assert field in info.value.message_dict
    assert not KeyResult.objects.filter(objective=objective).exists()


def test_check_in_sets_value_confidence_progress_and_rolls_up(world_a, cycle):
    objective = make_objective(world_a.org, cycle)
    kr = make_kr(objective, owner=world_a.member, start=0, target=10)
    other = make_kr(objective, owner=world_a.member, start=100, target=50)  # a decrease
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=5, confidence=7, note="halfway")
    services.key_result_check_in(key_result=other, actor=world_a.member, value=75, confidence=4)
    kr.refresh_from_db()
    other.refresh_from_db()
    assert (kr.current_value, kr.confidence, kr.progress) == (5, 7, 0.5)
    assert other.progress == pytest.approx(0.5)
    objective.refresh_from_db()
    assert objective.progress == pytest.approx(0.5)
    assert objective.confidence == 4  # the weakest key result
    assert CheckIn.objects.filter(key_result=kr).get().note == "halfway"
    assert ActivityEntry.objects.filter(verb="key_result.checked_in", target_id=kr.pk).exists()


@pytest.mark.parametrize(
    ("value", "confidence", "field"),
    [
        ("abc", 5, "value"),
        ("", 5, "value"),
        (3, 0, "confidence"),
        (3, 11, "confidence"),
        (3, "high", "confidence"),
        (3, 7.5, "confidence"),
        (float("inf"), 5, "value"),
    ],
)
def test_bad_check_ins_are_refused_and_nothing_changes(world_a, cycle, value, confidence, field):
    objective = make_objective(world_a.org, cycle)
    kr = make_kr(objective, owner=world_a.member)
    with pytest.raises(ValidationError) as info:
        services.key_result_check_in(key_result=kr, actor=world_a.member, value=value, confidence=confidence)
    assert field in info.value.message_dict
    assert not CheckIn.objects.exists()
    kr.refresh_from_db()
    assert kr.current_value == 0 and kr.confidence is None


def test_no_check_in_in_a_closed_cycle(world_a, cycle):
    from cycles import services as cycle_services

    objective = make_objective(world_a.org, cycle)
    kr = make_kr(objective, owner=world_a.member)
    cycle_services.cycle_update(cycle=cycle, actor=world_a.admin, status="closed")
    kr.refresh_from_db()
    with pytest.raises(ValidationError, match="closed"):
        services.key_result_check_in(key_result=kr, actor=world_a.member, value=4, confidence=6)
    assert not CheckIn.objects.exists()


def test_milestone_check_ins_are_done_or_not(world_a, cycle):
    objective = make_objective(world_a.org, cycle)
    kr = services.key_result_create(
        objective=objective, actor=None, title="Launch", owner=world_a.member, kind="milestone"
    )
    with pytest.raises(ValidationError, match="milestone"):
        services.key_result_check_in(key_result=kr, actor=world_a.member, value=0.5, confidence=5)
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=1, confidence=9)
    kr.refresh_from_db()
    assert kr.progress == 1.0


def test_parent_must_be_same_org_no_loop_and_containing_cycle(world_a, world_b, cycle):
    parent = make_objective(world_a.org, cycle, title="Parent")
    child = make_objective(world_a.org, cycle, title="Child", parent=parent)
    grandchild = make_objective(world_a.org, cycle, title="Grandchild", parent=child)
    with pytest.raises(ValidationError, match="loop"):
        services.objective_update(objective=parent, actor=world_a.admin, parent=grandchild)
    with pytest.raises(ValidationError, match="loop"):
        services.objective_update(objective=parent, actor=world_a.admin, parent=parent)
    foreign = make_objective(world_b.org, make_cycle(world_b.org), title="Foreign")
    with pytest.raises(ValidationError) as info:
        services.objective_update(objective=child, actor=world_a.admin, parent=foreign)
    assert "parent" in info.value.message_dict
    # A yearly parent contains the quarter; another quarter does not.
    year = make_cycle(world_a.org, name="2026", start=date(2026, 1, 1), days=365)
    yearly = make_objective(world_a.org, year, title="Yearly")
    services.objective_update(objective=child, actor=world_a.admin, parent=yearly)
    next_quarter = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), days=90)
    later = make_objective(world_a.org, next_quarter, title="Later")
    with pytest.raises(ValidationError, match="longer cycle"):
        services.objective_update(objective=child, actor=world_a.admin, parent=later)
    assert Objective.objects.get(pk=child.pk).parent_id == yearly.pk


def test_owner_must_match_level(world_a, world_b, cycle):
    with pytest.raises(ValidationError) as info:
        services.objective_create(org=world_a.org, actor=None, cycle=cycle, title="T", owner_type="team")
    assert "owner_team" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.objective_create(
            org=world_a.org, actor=None, cycle=cycle, title="T", owner_type="team", owner_team=world_b.team
        )
    assert "owner_team" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.objective_create(
            org=world_a.org, actor=None, cycle=cycle, title="T", owner_type="person", owner_user=world_b.member
        )
    assert "owner_user" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.objective_create(org=world_a.org, actor=None, cycle=cycle, title="  ", owner_type="company")
    assert "title" in info.value.message_dict
    assert not Objective.objects.exists()


def test_cancel_and_delete_keep_the_tree_consistent(world_a, cycle):
    parent = make_objective(world_a.org, cycle, title="Parent")
    make_kr(parent, owner=world_a.member, target=10)  # stays at 0
    child = make_objective(world_a.org, cycle, title="Child", parent=parent, status="active")
    kr = make_kr(child, owner=world_a.member, target=10)
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=10, confidence=8)
    parent.refresh_from_db()
    assert parent.progress == pytest.approx(0.5)  # its own KR at 0, the child at 1
    services.objective_set_status(objective=child, actor=world_a.admin, status="cancelled")
    parent.refresh_from_db()
    assert parent.progress == 0.0
    services.objective_set_status(objective=child, actor=world_a.admin, status="draft")
    parent.refresh_from_db()
    assert parent.progress == 0.0  # a draft does not count in its parent either
    services.objective_delete(objective=parent, actor=world_a.admin)
    child.refresh_from_db()
    assert child.parent_id is None


def test_children_can_be_switched_off_per_organisation(world_a, cycle):
    world_a.org.children_contribute = False
    world_a.org.save()
    parent = make_objective(world_a.org, cycle, title="Parent")
    make_kr(parent, owner=world_a.member)
    child = make_objective(world_a.org, cycle, title="Child", parent=parent)
    kr = make_kr(child, owner=world_a.member, target=10)
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=10, confidence=8)
    parent.refresh_from_db()
    assert parent.progress == 0.0


def test_reparenting_and_weights_roll_up_both_trees(world_a, cycle):
    a = make_objective(world_a.org, cycle, title="A")
    b = make_objective(world_a.org, cycle, title="B")
    child = make_objective(world_a.org, cycle, title="Child", parent=a, status="active")
    kr = make_kr(child, owner=world_a.member, target=4)
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=2, confidence=8)
    a.refresh_from_db()
    assert a.progress == pytest.approx(0.5)
    services.objective_update(objective=child, actor=world_a.admin, parent=b)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.progress, b.progress) == (0.0, pytest.approx(0.5))
    make_kr(b, owner=world_a.member, target=10)  # b: own KR at 0 (weight 1) + child 0.5 (weight 1)
    services.objective_update(objective=child, actor=world_a.admin, weight=3)
    b.refresh_from_db()
    assert b.progress == pytest.approx(0.375)  # (0*1 + 0.5*3) / 4


def test_every_change_is_in_the_activity_log(world_a, cycle):
    objective = make_objective(world_a.org, cycle, krs=2, kr_owner=world_a.member)
    services.objective_update(objective=objective, actor=world_a.admin, title="New title")
    services.objective_set_status(objective=objective, actor=world_a.admin, status="active")
    verbs = list(
        ActivityEntry.objects.filter(target_type="objectives.objective", target_id=objective.pk).values_list(
            "verb", flat=True
        )
    )
    assert {"objective.created", "objective.updated", "objective.activated"} <= set(verbs)
    updated = ActivityEntry.objects.get(verb="objective.updated", target_id=objective.pk)
    assert updated.before["title"] == "Delight customers" and updated.after["title"] == "New title"
