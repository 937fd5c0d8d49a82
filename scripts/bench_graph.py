"""The rollup's statements on an alignment graph (DESIGN §7: ≤ ancestors reached + 3), and the
full reconcile on a graph (DESIGN §7: ≤ 5× one aggregate scan of the key-result table).

In a transaction rolled back afterwards: the deepest objective of the organisation gets
further parents (one objective at each of a few depths of another tree) and contributes to
an aligned key result of a company objective, then one of its key results moves; the figure
is the statements of that rollup and the objectives it reached.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from objectives import reconcile, rollup
from objectives.alignment import neighbourhood
from objectives.models import Contribution, KeyResult, KeyResultKind, Objective
from orgs.models import Organization


def graph_rollup_statements(org: Organization, by_depth: dict[int, int]) -> dict[str, int] | None:
    """{"statements", "reached"} of one check-in's rollup on a graph, or None without a deep tree."""
    if not by_depth:
        return None
    leaf = by_depth[max(by_depth)]
    others = [oid for depth, oid in sorted(by_depth.items()) if oid != leaf and depth % 3 == 0][:4]
    with transaction.atomic():
        leaf_ancestors = neighbourhood(org.pk, leaf)[0]
        links = [
            Contribution(organization=org, child_id=leaf, parent_id=oid, weight=1.5)
            for oid in others
            if oid not in leaf_ancestors
        ]
        top = Objective.objects.filter(organization=org, parent__isnull=True).exclude(pk__in=leaf_ancestors).first()
        owner = KeyResult.objects.filter(organization=org).values_list("owner_id", flat=True).first()
        if top is not None and owner is not None:
            aligned = KeyResult.objects.create(
                organization=org,
                objective=top,
                title="Aligned (benchmark)",
                owner_id=owner,
                kind=KeyResultKind.ALIGNED,
                start_value=0,
                target_value=1,
                current_value=0,
            )
            links.append(Contribution(organization=org, child_id=leaf, key_result=aligned, weight=2))
        Contribution.objects.bulk_create(links)
        kr = KeyResult.objects.filter(objective_id=leaf).order_by("id").first()
        if kr is not None:
            KeyResult.objects.filter(pk=kr.pk).update(progress=1.0 if kr.progress < 0.5 else 0.0)
        reached = len(neighbourhood(org.pk, leaf)[0]) + 1
        with CaptureQueriesContext(connection) as ctx:
            rollup.rollup_objective(org_id=org.pk, objective_id=leaf)
        transaction.set_rollback(True)  # measure without changing the data
    skipped = ("SAVEPOINT", "RELEASE", "ROLLBACK")
    statements = [q for q in ctx.captured_queries if not q["sql"].startswith(skipped)]
    return {"statements": len(statements), "reached": reached}


# One objective in this many (below the top) contributes to the top objective of another tree;
# one in twice as many also feeds an aligned key result there.
GRAPH_SHARE = 10


def _root(parents: Mapping[int, int | None], oid: int) -> int:
    node = oid
    for _step in range(100):
        parent = parents.get(node)
        if parent is None:
            break
        node = parent
    return node


def add_graph_links(org: Organization) -> int:
    """Make the organisation's trees a graph: every ``GRAPH_SHARE``-th objective below the top
    contributes to the top objective of another tree (weight 1.5), every second one of those
    also to an aligned key result of a third. Links only ever go to top objectives, which feed
    nothing, so no loop. Returns the links made (0 with fewer than three trees)."""
    parents = dict(Objective.objects.filter(organization=org).values_list("id", "parent_id"))
    roots = sorted(oid for oid, pid in parents.items() if pid is None)
    owner = KeyResult.objects.filter(organization=org).values_list("owner_id", flat=True).first()
    if len(roots) < 3 or owner is None:
        return 0
    aligned = KeyResult.objects.bulk_create(
        KeyResult(
            organization=org,
            objective_id=root,
            title="Aligned (benchmark)",
            owner_id=owner,
            kind=KeyResultKind.ALIGNED,
            start_value=0,
            target_value=1,
            current_value=0,
            position=99,
        )
        for root in roots
    )
    aligned_of = {kr.objective_id: kr for kr in aligned}
    links = []
    for n, oid in enumerate(sorted(oid for oid, pid in parents.items() if pid is not None)):
        if n % GRAPH_SHARE:
            continue
        at = roots.index(_root(parents, oid))
        other, third = roots[(at + 1) % len(roots)], roots[(at + 2) % len(roots)]
        links.append(Contribution(organization=org, child_id=oid, parent_id=other, weight=1.5))
        if n % (2 * GRAPH_SHARE) == 0:
            links.append(Contribution(organization=org, child_id=oid, key_result=aligned_of[third], weight=2))
    Contribution.objects.bulk_create(links, batch_size=1000)
    return len(links)


def graph_reconcile(orgs: list[Organization], scan_seconds: float, best_of: Callable[..., float]) -> dict[str, float]:
    """The full reconcile of these organisations once their trees are graphs (``add_graph_links``),
    ÷ the aggregate scan measured in the same run: {"links", "seconds", "ratio", "repaired",
    "repaired_again"}. In a transaction rolled back afterwards. The first reconcile after the
    links were added repairs what they moved; the measured ones find nothing left."""
    with transaction.atomic():
        links = sum(add_graph_links(org) for org in orgs)
        started = time.perf_counter()
        repaired = sum(reconcile.reconcile_organization(org=org).repaired for org in orgs)
        first = time.perf_counter() - started
        again = [0]

        def run() -> None:
            again[0] = sum(reconcile.reconcile_organization(org=org).repaired for org in orgs)

        seconds = min(first, best_of(2, run))
        transaction.set_rollback(True)  # measure without changing the data
    return {
        "links": links,
        "seconds": seconds,
        "scan_seconds": scan_seconds,
        "ratio": seconds / scan_seconds,
        "repaired": repaired,
        "repaired_again": again[0],
    }
