"""The rollup's statements on an alignment graph (DESIGN §7: ≤ ancestors reached + 3).

In a transaction rolled back afterwards: the deepest objective of the organisation gets
further parents (one objective at each of a few depths of another tree) and contributes to
an aligned key result of a company objective, then one of its key results moves; the figure
is the statements of that rollup and the objectives it reached.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from objectives import rollup
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
