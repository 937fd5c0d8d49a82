"""Recomputing stored progress from stored values (DESIGN §4, §5).

``rollup_objective`` walks from one objective up to its root: it locks the
ancestor path root-first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's
IMMEDIATE transactions already serialise writers), reads the key-result and
child aggregates of the whole path in two statements, and writes only the
objectives whose values changed — about depth + 3 statements in all.

``recompute_all`` is the reference full recompute (bottom-up, in memory) that
reconcile and the tests compare against.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import connection, transaction

from objectives import progress as math
from objectives.models import KeyResult, Objective, ObjectiveStatus
from orgs.models import Organization

log = logging.getLogger(__name__)

MAX_DEPTH = 64  # far beyond any real cascade; stops a corrupted parent loop from running forever


class CycleInTreeError(RuntimeError):
    """The parent chain loops (validation prevents it; corrupted data must not hang a task)."""


@dataclass
class _PathNode:
    id: int
    parent_id: int | None
    progress: float
    confidence: int | None
    weight: float
    status: str


def _path(org_id: int, objective_id: int) -> list[_PathNode]:
    """The objective and its ancestors, leaf first, locked root-first on PostgreSQL."""
    o = Objective._meta.db_table
    lock = " FOR UPDATE OF o" if connection.vendor == "postgresql" else ""
    sql = f"""
        WITH RECURSIVE path(id, parent_id, depth) AS (
            SELECT id, parent_id, 0 FROM {o} WHERE id = %s AND organization_id = %s
            UNION ALL
            SELECT p.id, p.parent_id, path.depth + 1 FROM {o} p JOIN path ON p.id = path.parent_id
            WHERE path.depth < %s AND p.organization_id = %s
        )
        SELECT o.id, o.parent_id, o.progress, o.confidence, o.weight, o.status, path.depth
        FROM {o} o JOIN path ON o.id = path.id
        ORDER BY path.depth DESC{lock}
    """  # noqa: S608 — table names come from model metadata, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [objective_id, org_id, MAX_DEPTH, org_id])
        rows = cursor.fetchall()
    rows.reverse()  # leaf first
    seen: set[int] = set()
    nodes: list[_PathNode] = []
    for oid, parent_id, prog, conf, weight, status, _depth in rows:
        if oid in seen:
            raise CycleInTreeError(f"objective {objective_id}: parent chain loops at {oid}")
        seen.add(oid)
        nodes.append(_PathNode(oid, parent_id, prog, conf, weight, status))
    if len(rows) > MAX_DEPTH:
        raise CycleInTreeError(f"objective {objective_id}: parent chain deeper than {MAX_DEPTH}")
    return nodes


def _sums(rows) -> dict[int, tuple[float, float, int | None]]:  # type: ignore[no-untyped-def]
    return {r[0]: (float(r[1] or 0.0), float(r[2] or 0.0), r[3] if len(r) > 3 else None) for r in rows}


def rollup_objective(*, org_id: int, objective_id: int, children_contribute: bool | None = None) -> int:
    """Recompute ``objective_id`` and every ancestor from stored values.
    Returns how many objectives changed. Must run inside a transaction."""
    path = _path(org_id, objective_id)
    if not path:
        log.info("rollup: objective %s of organisation %s no longer exists", objective_id, org_id)
        return 0
    if children_contribute is None:
        children_contribute = (
            Organization.objects.filter(pk=org_id).values_list("children_contribute", flat=True).first()
        )
        if children_contribute is None:
            return 0
    ids = [n.id for n in path]
    k = KeyResult._meta.db_table
    o = Objective._meta.db_table
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        # Key results of every objective on the path, in one aggregate.
        cursor.execute(
            f"""SELECT objective_id,
                       SUM(CASE WHEN weight > 0 THEN weight * (CASE WHEN progress > 1 THEN 1
                           WHEN progress < 0 THEN 0 ELSE progress END) ELSE 0 END),
                       SUM(CASE WHEN weight > 0 THEN weight ELSE 0 END),
                       MIN(confidence)
                FROM {k} WHERE organization_id = %s AND objective_id IN ({placeholders})
                GROUP BY objective_id""",  # noqa: S608
            [org_id, *ids],
        )
        kr = _sums(cursor.fetchall())
        child: dict[int, tuple[float, float, int | None]] = {}
        if children_contribute and len(ids) > 0:
            # Children of the path's objectives that are not themselves on the path
            # (those get their fresh value from this walk).
            cursor.execute(
                f"""SELECT parent_id,
                           SUM(CASE WHEN weight > 0 THEN weight * progress ELSE 0 END),
                           SUM(CASE WHEN weight > 0 THEN weight ELSE 0 END)
                    FROM {o} WHERE organization_id = %s AND parent_id IN ({placeholders})
                      AND id NOT IN ({placeholders}) AND status <> %s
                    GROUP BY parent_id""",  # noqa: S608
                [org_id, *ids, *ids, ObjectiveStatus.CANCELLED],
            )
            child = _sums(cursor.fetchall())
    changed = 0
    below: _PathNode | None = None
    for node in path:
        num, den, conf = kr.get(node.id, (0.0, 0.0, None))
        c_num, c_den, _ = child.get(node.id, (0.0, 0.0, None))
        num, den = num + c_num, den + c_den
        if children_contribute and below is not None and below.status != ObjectiveStatus.CANCELLED and below.weight > 0:
            num += below.weight * below.progress
            den += below.weight
        new = math.clamp01(num / den) if den > 0 else 0.0
        if new != node.progress or conf != node.confidence:
            Objective.objects.filter(pk=node.id).update(progress=new, confidence=conf)
            node.progress, node.confidence = new, conf
            changed += 1
        below = node
    return changed


def rollup_objective_atomic(*, org_id: int, objective_id: int) -> int:
    with transaction.atomic():
        return rollup_objective(org_id=org_id, objective_id=objective_id)


def recompute_all(*, org: Organization, cycle_id: int | None = None) -> dict[int, tuple[float, int | None]]:
    """Full recompute of every objective of the organisation (optionally one
    cycle's tree and whatever it aligns to), bottom-up in memory, from key
    results. Returns {objective id: (progress, confidence)}; writes nothing."""
    objectives = list(Objective.objects.filter(organization=org).values_list("id", "parent_id", "weight", "status"))
    krs = KeyResult.objects.filter(organization=org).values_list("objective_id", "progress", "weight", "confidence")
    kr_items: dict[int, list[math.Contribution]] = {}
    conf: dict[int, int | None] = {}
    for oid, prog, weight, c in krs:
        kr_items.setdefault(oid, []).append(math.Contribution(value=prog, weight=weight))
        if c is not None:
            conf[oid] = c if conf.get(oid) is None else min(conf[oid], c)  # type: ignore[type-var]
    children: dict[int, list[tuple[int, float, str]]] = {}
    for oid, parent_id, weight, status in objectives:
        if parent_id is not None:
            children.setdefault(parent_id, []).append((oid, weight, status))
    result: dict[int, tuple[float, int | None]] = {}

    def compute(oid: int, trail: frozenset[int]) -> float:
        if oid in result:
            return result[oid][0]
        if oid in trail or len(trail) > MAX_DEPTH:
            raise CycleInTreeError(f"objective {oid}: parent chain loops")
        items = list(kr_items.get(oid, []))
        if org.children_contribute:
            for cid, weight, status in children.get(oid, []):
                if status != ObjectiveStatus.CANCELLED:
                    items.append(math.Contribution(value=compute(cid, trail | {oid}), weight=weight))
        value = math.weighted_mean(items)
        result[oid] = (value, conf.get(oid))
        return value

    for oid, *_rest in objectives:
        compute(oid, frozenset())
    return result
