"""Progress on the alignment graph (DESIGN §4): objectives counting in several parents and in
``aligned`` key results, kept exact by the rollup under concurrent check-ins and by the
reconcile, with no deadlock between crossing bursts.

The expected values come from ``design_progress`` below, written from DESIGN §4's words and
not from the code: P(o) is the weighted mean over o's key results (weight = the key
result's weight) and the objectives aligned to it that count (not cancelled, not drafts) —
through ``parent`` (weight = the child's weight) or a contribution (weight = the link's
weight), value P(child); an ``aligned`` key result is the weighted mean of P over the
objectives contributing to it, 0 with none; nothing at all gives 0.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from django.db import connection
from django.db.models import F
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from objectives import reconcile, rollup, services
from objectives.models import Contribution, KeyResult, Objective
from tests.concurrency import at_once, require_shared_database
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective, set_status

LEFT_OUT = {"draft", "cancelled"}


@pytest.fixture(autouse=True)
def _eager_tasks_leave_no_flag():
    """Eager tasks run at once in several threads can leave Celery's process-wide "inside a
    task" flag set, which makes a later test's ``result.get()`` refuse: clear it after each."""
    from celery._state import _set_task_join_will_block

    yield
    _set_task_join_will_block(False)


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def design_progress(org) -> tuple[dict[int, float], dict[int, float]]:
    """DESIGN §4 by recursion, from the rows as they are (key results from their values)."""
    objectives = {o.id: o for o in Objective.objects.filter(organization=org)}
    krs = list(KeyResult.objects.filter(organization=org))
    links = list(Contribution.objects.filter(organization=org))
    memo: dict[int, float] = {}
    kr_memo: dict[int, float] = {}

    def mean(terms: list[tuple[float, float]]) -> float:
        total = sum(w for _v, w in terms)
        return _clamp(sum(v * w for v, w in terms) / total) if total > 0 else 0.0

    def kr_value(kr: KeyResult) -> float:
        if kr.kind == "aligned":
            if kr.id not in kr_memo:
                kr_memo[kr.id] = mean(
                    [
                        (p(link.child_id), link.weight)
                        for link in links
                        if link.key_result_id == kr.id and objectives[link.child_id].status not in LEFT_OUT
                    ]
                )
            return kr_memo[kr.id]
        return _clamp((kr.current_value - kr.start_value) / (kr.target_value - kr.start_value))

    def p(oid: int) -> float:
        if oid not in memo:
            terms = [(kr_value(kr), kr.weight) for kr in krs if kr.objective_id == oid]
            terms += [
                (p(c.id), c.weight) for c in objectives.values() if c.parent_id == oid and c.status not in LEFT_OUT
            ]
            terms += [
                (p(link.child_id), link.weight)
                for link in links
                if link.parent_id == oid and objectives[link.child_id].status not in LEFT_OUT
            ]
            memo[oid] = mean(terms)
        return memo[oid]

    return {oid: p(oid) for oid in objectives}, {kr.id: kr_value(kr) for kr in krs if kr.kind == "aligned"}


@dataclass
class Dag:
    objectives: list[Objective]
    leaf_krs: list[KeyResult]
    aligned: list[KeyResult]


def random_dag(world, *, n: int, seed: int) -> Dag:
    """``n`` objectives; every edge goes from a later objective to an earlier one (so no loop):
    a primary parent, up to three further parents and up to two aligned key results."""
    rng = random.Random(seed)
    org = world.org
    cycle = make_cycle(org)
    made: list[Objective] = []
    ordinary: list[KeyResult] = []
    aligned: list[KeyResult] = []
    aligned_of: dict[int, KeyResult] = {}
    for i in range(n):
        parent = rng.choice(made) if made and rng.random() < 0.7 else None
        o = make_objective(org, cycle, title=f"O{i}", parent=parent, weight=rng.choice([0.25, 0.5, 1, 2, 3]))
        if i % 7 != 3:  # the others stay drafts, which count nowhere
            set_status(o, "active")
        for j in range(rng.randint(0, 2)):
            kr = make_kr(o, title=f"KR{i}.{j}", owner=world.member, target=rng.choice([10, 50, 100]))
            KeyResult.objects.filter(pk=kr.pk).update(weight=rng.choice([0.5, 1, 2]))
            ordinary.append(kr)
        if i % 5 == 1:
            kr = services.key_result_create(
                objective=o, actor=None, owner=world.member, title=f"A{i}", kind="aligned", weight=2
            )
            aligned.append(kr)
            aligned_of[o.pk] = kr
        earlier = [m for m in made if m.pk != (parent.pk if parent else None)]
        for target in rng.sample(earlier, min(len(earlier), rng.randint(0, 3))):
            services.contribution_create(child=o, actor=None, parent=target, weight=rng.choice([0.5, 1, 1.5, 4]))
        targets = [aligned_of[m.pk] for m in made if m.pk in aligned_of]
        for kr in rng.sample(targets, min(len(targets), rng.randint(0, 2))):
            services.contribution_create(child=o, actor=None, key_result=kr, weight=rng.choice([1, 2.5]))
        made.append(o)
    return Dag(made, ordinary, aligned)


def assert_exact(org) -> None:
    expected, expected_krs = design_progress(org)
    stored = dict(Objective.objects.filter(organization=org).values_list("id", "progress"))
    assert {oid: v for oid, v in stored.items() if abs(v - expected[oid]) > 1e-9} == {}
    stored_krs = dict(KeyResult.objects.filter(organization=org, kind="aligned").values_list("id", "progress"))
    assert {k: v for k, v in stored_krs.items() if abs(v - expected_krs[k]) > 1e-9} == {}
    values = dict(KeyResult.objects.filter(organization=org, kind="aligned").values_list("id", "current_value"))
    assert values == stored_krs  # an aligned key result's value is its progress
    assert reconcile.reconcile_organization(org=org).repaired == 0


def _check_ins(dag: Dag, world, rng: random.Random, count: int) -> None:
    for _ in range(count):
        kr = rng.choice(dag.leaf_krs)
        services.key_result_check_in(
            key_result=kr, actor=world.member, value=rng.uniform(-5, 120), confidence=rng.randint(1, 10)
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_inline_rollups_on_a_random_graph_equal_the_design_math(world_a, seed):
    dag = random_dag(world_a, n=40, seed=seed)
    assert Contribution.objects.filter(organization=world_a.org).count() > 20
    assert any(Contribution.objects.filter(key_result=kr).exists() for kr in dag.aligned)
    _check_ins(dag, world_a, random.Random(seed), 30)
    assert_exact(world_a.org)


def test_a_stale_graph_is_repaired_by_the_reconcile_and_then_exact(world_a):
    dag = random_dag(world_a, n=30, seed=11)
    KeyResult.objects.filter(pk__in=[kr.pk for kr in dag.leaf_krs[::2]]).update(
        current_value=F("target_value") * 0.7, progress=0.7
    )
    Objective.objects.filter(organization=world_a.org).update(progress=0.5)
    KeyResult.objects.filter(pk__in=[kr.pk for kr in dag.aligned]).update(progress=0.25, current_value=0.25)
    assert reconcile.reconcile_organization(org=world_a.org).repaired > 0
    assert_exact(world_a.org)


def test_one_rollup_on_a_graph_takes_a_fixed_number_of_statements(world_a):
    """Reached objectives (locked), their inputs, one UPDATE of objectives, one of aligned key
    results: however many ancestors are reached, within DESIGN §7's "ancestors reached + 3"."""
    dag = random_dag(world_a, n=40, seed=5)
    leaf = dag.objectives[-1]
    kr = make_kr(leaf, owner=world_a.member, target=10)
    KeyResult.objects.filter(pk=kr.pk).update(current_value=9, progress=0.9)
    with CaptureQueriesContext(connection) as ctx:
        rollup.rollup_objective(org_id=world_a.org.pk, objective_id=leaf.pk)
    statements = [q for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) <= 4, [q["sql"][:60] for q in statements]
    assert_exact(world_a.org)


@pytest.mark.django_db(transaction=True)
@override_settings(ROLLUP_INLINE=False)
@pytest.mark.parametrize("seed", [21, 22])
def test_concurrent_check_ins_on_a_random_graph_with_the_worker_stay_exact(world_a, seed):
    """Eight threads check in at once on a graph of 60 objectives; each commit queues the
    organisation's batch, which the worker task runs after it (eager, in that thread, on its
    own connection): the rollups cross and share ancestors. Stored progress then equals the
    design's math to 1e-9 and the reconcile repairs nothing."""
    require_shared_database()
    dag = random_dag(world_a, n=60, seed=seed)

    def burst(i: int) -> None:
        _check_ins(dag, world_a, random.Random(seed * 100 + i), 6)

    at_once(burst, 8)
    assert_exact(world_a.org)


def _deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
@override_settings(ROLLUP_INLINE=False)
def test_two_bursts_over_crossing_paths_finish_without_a_deadlock(world_a, monkeypatch):
    """Left feeds A then B, Right feeds B then A (as primary parent and contribution, each the
    other way round): rollups of the two lock {Left or Right, A, B} at once. In one global
    order (by id) they wait for each other and never deadlock."""
    require_shared_database()
    cycle = make_cycle(world_a.org)
    a = make_objective(world_a.org, cycle, title="A", status="active")
    b = make_objective(world_a.org, cycle, title="B", status="active")
    sides = []
    for title, first, second in (("Left", a, b), ("Right", b, a)):
        side = make_objective(world_a.org, cycle, title=title, parent=first, status="active")
        services.contribution_create(child=side, actor=None, parent=second, weight=2)
        sides.append(make_kr(side, owner=world_a.member, target=100))
    failures: list[BaseException] = []
    real = rollup.rollup_objectives

    def watched(**kwargs):
        try:
            return real(**kwargs)
        except Exception as exc:
            failures.append(exc)
            raise

    monkeypatch.setattr(rollup, "rollup_objectives", watched)
    before = _deadlocks()

    def burst(i: int) -> None:
        for step in range(15):
            services.key_result_check_in(
                key_result=sides[i % 2], actor=world_a.member, value=(i * 13 + step * 7) % 101, confidence=5
            )

    at_once(burst, 6)
    assert failures == []
    assert _deadlocks() == before
    assert_exact(world_a.org)


def test_the_benchmark_counts_a_graph_rollup_within_ancestors_reached_plus_3(world_a):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "bench_graph.py"
    spec = importlib.util.spec_from_file_location("bench_graph", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    cycle = make_cycle(world_a.org)
    by_depth: dict[int, int] = {}
    for tree in range(2):
        parent = None
        for depth in range(1, 8):
            o = make_objective(world_a.org, cycle, title=f"T{tree}-{depth}", parent=parent, status="active")
            make_kr(o, owner=world_a.member, target=10)
            if tree == 0:
                by_depth[depth] = o.pk
            parent = o
    other_tree = list(Objective.objects.filter(title__startswith="T1-").order_by("id").values_list("pk", flat=True))
    by_depth.update({10 + i: oid for i, oid in enumerate(other_tree)})
    found = bench.graph_rollup_statements(world_a.org, by_depth)
    assert found["reached"] > 7  # the tree's own path and the other tree through the contributions
    assert found["statements"] <= found["reached"] + 3
    assert not Contribution.objects.exists()  # measured, then rolled back


def test_a_sqlite_without_several_recursive_arms_walks_the_graph_the_same_way(world_a, monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("the walk for SQLite before 3.34")
    monkeypatch.setattr(rollup.sqlite3, "sqlite_version_info", (3, 31, 0))
    dag = random_dag(world_a, n=30, seed=4)
    _check_ins(dag, world_a, random.Random(4), 20)
    assert_exact(world_a.org)
