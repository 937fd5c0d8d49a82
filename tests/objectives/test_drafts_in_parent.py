"""A draft objective does not count in its parent's progress (DESIGN §4): not in the rollup
of a check-in, not in the reconcile, not in an in-memory recompute (the demo's snapshot
history). A draft is not a commitment yet; its 0 % would drag the parent down."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command

from objectives import progress, services
from objectives.demo import seed_snapshot_history
from objectives.models import Objective, ObjectiveSnapshot, ObjectiveStatus
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

CI_URL = "/api/v1/orgs/alpha/check-ins/"


@pytest.fixture
def family(world_a):
    """A company objective (no key results of its own) with an active team objective and a
    draft one, each with a key result at 0 out of 10."""
    cycle = make_cycle(world_a.org, start=date(2026, 11, 1))
    parent = make_objective(world_a.org, cycle, title="Company", status="active")
    active = make_objective(
        world_a.org, cycle, title="Active", owner_type="team", team=world_a.team, parent=parent, status="active"
    )
    draft = make_objective(world_a.org, cycle, title="Draft", owner_type="team", team=world_a.team, parent=parent)
    assert draft.status == ObjectiveStatus.DRAFT
    krs = [make_kr(o, owner=world_a.member, target=10) for o in (active, draft)]
    return parent, active, draft, krs


def _progress(o: Objective) -> float:
    return Objective.objects.get(pk=o.pk).progress


@pytest.mark.django_db
def test_a_check_in_rolls_up_without_the_draft_child(world_a, family, api):
    parent, active, _draft, (active_kr, _draft_kr) = family
    r = api(world_a.member).post(CI_URL, {"key_result": active_kr.pk, "value": 8, "confidence": 7}, format="json")
    assert r.status_code == 201, r.content
    assert _progress(active) == pytest.approx(0.8)
    assert _progress(parent) == pytest.approx(0.8)  # not (0.8 + 0) / 2
    body = api(world_a.admin).get(f"/api/v1/orgs/alpha/objectives/{parent.pk}/").json()
    assert body["progress"] == pytest.approx(0.8)


@pytest.mark.django_db
def test_the_reconcile_leaves_the_draft_child_out(world_a, family, capsys):
    parent, active, _draft, (active_kr, _draft_kr) = family
    services.key_result_check_in(key_result=active_kr, actor=world_a.member, value=8, confidence=7)
    Objective.objects.filter(pk=parent.pk).update(progress=0.4)  # what counting the draft gives
    call_command("rollup", "--org", "alpha")
    assert "alpha: 3 objectives, 1 repaired" in capsys.readouterr().out
    assert _progress(parent) == pytest.approx(0.8)


@pytest.mark.django_db
def test_activating_or_cancelling_a_child_rolls_its_parent_up(world_a, family):
    parent, _active, draft, (active_kr, draft_kr) = family
    services.key_result_check_in(key_result=active_kr, actor=world_a.member, value=8, confidence=7)
    make_kr(draft, owner=world_a.member, target=10, title="Second")  # two to become active
    services.key_result_check_in(key_result=draft_kr, actor=world_a.member, value=4, confidence=7)
    assert _progress(parent) == pytest.approx(0.8)  # the draft's check-in does not move it
    services.objective_set_status(objective=draft, actor=world_a.admin, status="active")
    assert _progress(parent) == pytest.approx((0.8 + 0.2) / 2)
    services.objective_set_status(objective=draft, actor=world_a.admin, status="cancelled")
    assert _progress(parent) == pytest.approx(0.8)


@pytest.mark.django_db
def test_the_demo_snapshot_history_leaves_the_draft_child_out(world_a, family):
    parent, _active, _draft, (active_kr, _draft_kr) = family
    at = datetime(2026, 11, 3, 9, tzinfo=UTC)
    services.key_result_check_in(key_result=active_kr, actor=world_a.member, value=8, confidence=7, at=at)
    ObjectiveSnapshot.objects.all().delete()
    seed_snapshot_history(org=world_a.org, cycle=parent.cycle, today=date(2026, 11, 6))
    day = date(2026, 11, 5)
    snapshot = ObjectiveSnapshot.objects.get(objective=parent, date=day)
    assert snapshot.progress == pytest.approx(0.8)
    assert ObjectiveSnapshot.objects.get(objective=parent, date=day - timedelta(days=3)).progress == 0


def test_the_statuses_left_out_are_the_model_s_draft_and_cancelled():
    assert {ObjectiveStatus.DRAFT, ObjectiveStatus.CANCELLED} == progress.LEFT_OUT_OF_PARENT
    assert not progress.counts_in_parent(ObjectiveStatus.DRAFT)
    assert progress.counts_in_parent(ObjectiveStatus.ACTIVE)
    assert progress.counts_in_parent(ObjectiveStatus.CLOSED)
