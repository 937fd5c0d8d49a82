"""Stored progress equals a full recompute, in a few statements per rollup."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from objectives import reconcile, rollup, services
from objectives.models import KeyResult, Objective
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective, set_status


def build_chain(world, cycle, depth: int) -> list[Objective]:
    """A chain of depth+1 objectives (root … leaf), each with a key result and a side child."""
    chain: list[Objective] = []
    parent = None
    for level in range(depth + 1):
        o = make_objective(
            world.org, cycle, title=f"Level {level}", parent=parent, weight=1 + level % 3, status="active"
        )
        make_kr(o, owner=world.member, target=10, weight=1 + level % 2)
        side = make_objective(world.org, cycle, title=f"Side {level}", parent=o, status="active")
        make_kr(side, owner=world.member, target=4)
        chain.append(o)
        parent = o
    return chain


@pytest.mark.parametrize("depth", [1, 6, 11])
def test_rollup_of_one_check_in_takes_at_most_depth_plus_3_statements(world_a, depth):
    cycle = make_cycle(world_a.org)
    chain = build_chain(world_a, cycle, depth)
    leaf_kr = KeyResult.objects.filter(objective=chain[-1]).get()
    KeyResult.objects.filter(pk=leaf_kr.pk).update(current_value=7, progress=0.7)
    with CaptureQueriesContext(connection) as ctx:
        changed = rollup.rollup_objective(org_id=world_a.org.pk, objective_id=chain[-1].pk)
    statements = [q for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert changed == depth + 1  # the whole path moved
    assert len(statements) <= depth + 3
    assert len(statements) == 3  # path (locked), aggregates, one UPDATE


def test_stored_progress_equals_full_recompute_after_random_check_ins(world_a):
    cycle = make_cycle(world_a.org)
    rng = random.Random(7)
    objectives: list[Objective] = []
    for i in range(40):
        parent = rng.choice(objectives) if objectives and rng.random() < 0.8 else None
        o = make_objective(world_a.org, cycle, title=f"O{i}", parent=parent, weight=rng.choice([0.25, 0.5, 1, 2, 3]))
        if i % 4:  # the others stay drafts, which do not count in their parents
            set_status(o, "active")
        objectives.append(o)
        for j in range(rng.randint(0, 3)):
            make_kr(
                o,
                owner=world_a.member,
                title=f"KR{j}",
                start=rng.choice([0, 100]),
                target=rng.choice([10, 50]),
                weight=rng.choice([0, 1, 2]),
            )
    krs = list(KeyResult.objects.filter(organization=world_a.org))
    for _ in range(120):
        kr = rng.choice(krs)
        services.key_result_check_in(
            key_result=kr, actor=world_a.member, value=rng.uniform(-20, 150), confidence=rng.randint(1, 10)
        )
    for o in rng.sample(objectives, 5):
        services.objective_set_status(objective=o, actor=world_a.admin, status="cancelled")
    expected = reconcile.compute(world_a.org)[0]
    stored = dict(Objective.objects.filter(organization=world_a.org).values_list("id", "progress"))
    assert stored.keys() == expected.keys()
    drift = [oid for oid, (p, _c) in expected.items() if abs(stored[oid] - p) > 1e-9]
    assert drift == []
    assert all(0.0 <= p <= 1.0 for p in stored.values())


def test_rollup_for_a_missing_objective_ends_quietly(world_a, caplog):
    assert rollup.rollup_objective(org_id=world_a.org.pk, objective_id=987654) == 0
    assert "no longer exists" in caplog.text


def test_a_loop_in_the_parent_chain_is_detected_not_followed_forever(world_a):
    cycle = make_cycle(world_a.org)
    a = make_objective(world_a.org, cycle, title="A")
    b = make_objective(world_a.org, cycle, title="B", parent=a)
    Objective.objects.filter(pk=a.pk).update(parent=b)  # corrupt data, bypassing validation
    with pytest.raises(rollup.CycleInTreeError):
        rollup.rollup_objective(org_id=world_a.org.pk, objective_id=b.pk)
    with pytest.raises(rollup.CycleInTreeError):
        reconcile.compute(world_a.org)[0]


def test_rollup_never_crosses_organisations(world_a, world_b):
    cycle_a = make_cycle(world_a.org)
    o = make_objective(world_a.org, cycle_a)
    assert rollup.rollup_objective(org_id=world_b.org.pk, objective_id=o.pk) == 0
