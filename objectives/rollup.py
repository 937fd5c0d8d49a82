"""Recomputing stored progress from stored values (DESIGN §4, §5).

``rollup_objectives`` walks from objectives up to their roots: it locks the
union of their ancestor paths root-first (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's IMMEDIATE transactions already serialise writers), reads
the key-result and child aggregates of all of it in two statements, and writes
only the objectives whose values changed — three statements whatever the depth
and however many objectives a batch holds (``rollup_pending``: what check-ins
queued, DESIGN §5).

The reference full recompute, which the tests compare this against, is
``objectives.reconcile.compute``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from cycles.models import Cycle, CycleStatus
from objectives import progress as progress_math
from objectives.models import KeyResult, Objective, RollupPending
from orgs.models import Organization
from orgs.versions import bump_data_version, bump_data_version_now

log = logging.getLogger(__name__)

# Children of these statuses (cancelled, draft) do not count in their parent (DESIGN §4).
_LEFT_OUT = sorted(progress_math.LEFT_OUT_OF_PARENT)
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
    level: int  # distance from the root
    frozen: bool = False  # in a closed cycle: its stored progress is final (DESIGN §4)


def _paths(org_id: int, objective_ids: list[int]) -> tuple[list[_PathNode], bool]:
    """The objectives and all their ancestors (the union of their paths to the root),
    deepest first — locked root-first on PostgreSQL, by distance from the root and then
    id, one order for every rollup, so two that share ancestors never deadlock — and the
    organisation's children-contribute setting, in one statement."""
    o = Objective._meta.db_table
    org_table = Organization._meta.db_table
    cycle_table = Cycle._meta.db_table
    lock = " FOR UPDATE OF o" if connection.vendor == "postgresql" else ""
    marks = ", ".join(["%s"] * len(objective_ids))
    sql = f"""
        WITH RECURSIVE path(id, parent_id, leaf, depth) AS (
            SELECT id, parent_id, id, 0 FROM {o} WHERE id IN ({marks}) AND organization_id = %s
            UNION ALL
            SELECT p.id, p.parent_id, path.leaf, path.depth + 1 FROM {o} p JOIN path ON p.id = path.parent_id
            WHERE path.depth < %s AND p.organization_id = %s
        ),
        ranked(id, level, deepest) AS (
            SELECT id, MAX(depth) OVER (PARTITION BY leaf) - depth, MAX(depth) OVER () FROM path
        ),
        nodes(id, level, deepest) AS (
            SELECT id, MIN(level), MAX(deepest) FROM ranked GROUP BY id
        )
        SELECT o.id, o.parent_id, o.progress, o.confidence, o.weight, o.status,
               nodes.level, nodes.deepest, org.children_contribute,
               EXISTS (SELECT 1 FROM {cycle_table} c WHERE c.id = o.cycle_id AND c.status = %s)
        FROM {o} o JOIN nodes ON o.id = nodes.id JOIN {org_table} org ON org.id = o.organization_id
        ORDER BY nodes.level, o.id{lock}
    """  # noqa: S608 — table names come from model metadata, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*objective_ids, org_id, MAX_DEPTH, org_id, CycleStatus.CLOSED])
        rows = cursor.fetchall()
    nodes: list[_PathNode] = []
    for oid, parent_id, prog, conf, weight, status, level, deepest, _contribute, frozen in rows:
        if deepest >= MAX_DEPTH:  # a loop in the parent chain runs the walk this far
            raise CycleInTreeError(f"objectives {objective_ids[:5]}: the parent chain loops at {oid}")
        nodes.append(_PathNode(oid, parent_id, prog, conf, weight, status, level, bool(frozen)))
    nodes.reverse()  # deepest first: children are computed before their parents
    return nodes, bool(rows[0][8]) if rows else True


def _aggregates(
    org_id: int, ids: list[int], children_contribute: bool
) -> tuple[dict[int, tuple[float, float, int | None]], dict[int, tuple[float, float]]]:
    """Key-result sums of every path objective and child sums (children not on
    the path, not cancelled), in one statement."""
    k = KeyResult._meta.db_table
    o = Objective._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    # Stored progress is in [0, 1] and weights are >= 0 (both are database
    # constraints), so plain sums give the weighted mean of DESIGN §4.
    sql = f"""
        SELECT 'k', objective_id, SUM(weight * progress), SUM(weight), MIN(confidence)
        FROM {k} WHERE organization_id = %s AND objective_id IN ({marks}) GROUP BY objective_id
    """  # noqa: S608
    params: list[Any] = [org_id, *ids]
    left_out = ", ".join(["%s"] * len(_LEFT_OUT))
    if children_contribute:
        sql += f"""
        UNION ALL
        SELECT 'c', parent_id, SUM(weight * progress), SUM(weight), NULL
        FROM {o} WHERE organization_id = %s AND parent_id IN ({marks}) AND id NOT IN ({marks})
        AND status NOT IN ({left_out})
        GROUP BY parent_id
        """  # noqa: S608
        params += [org_id, *ids, *ids, *_LEFT_OUT]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    kr: dict[int, tuple[float, float, int | None]] = {}
    child: dict[int, tuple[float, float]] = {}
    for kind, oid, num, den, conf in rows:
        if kind == "k":
            kr[oid] = (float(num or 0.0), float(den or 0.0), conf)
        else:
            child[oid] = (float(num or 0.0), float(den or 0.0))
    return kr, child


def _write(changes: list[_PathNode]) -> None:
    """One UPDATE for every changed objective on the path (a handful of rows)."""
    if not changes:
        return
    o = Objective._meta.db_table
    progress_case = " ".join("WHEN %s THEN %s" for _ in changes)
    marks = ", ".join(["%s"] * len(changes))
    cast = "CAST(%s AS smallint)" if connection.vendor == "postgresql" else "%s"
    confidence_case = " ".join(f"WHEN %s THEN {cast}" for _ in changes)
    sql = (
        f"UPDATE {o} SET progress = CASE id {progress_case} END, "  # noqa: S608
        f"confidence = CASE id {confidence_case} END WHERE id IN ({marks})"
    )
    params: list[Any] = []
    for n in changes:
        params += [n.id, n.progress]
    for n in changes:
        params += [n.id, n.confidence]
    params += [n.id for n in changes]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def rollup_objective(*, org_id: int, objective_id: int, bump_version: bool = True) -> int:
    """Recompute ``objective_id`` and every ancestor from stored values (``rollup_objectives``)."""
    return rollup_objectives(org_id=org_id, objective_ids=[objective_id], bump_version=bump_version)


def rollup_objectives(*, org_id: int, objective_ids: list[int], bump_version: bool = True) -> int:
    """Recompute the objectives and every ancestor of theirs from stored values.

    Three statements whatever the depth and however many objectives: the locked
    union of their paths, the aggregates, one UPDATE of the rows that changed.
    Returns how many objectives changed. Must run inside a transaction (the path
    locks last until it commits). When something changed, the organisation's data
    version is bumped after the commit (``bump_version=False``: the caller bumps it).
    """
    nodes, children_contribute = _paths(org_id, sorted(set(objective_ids)))
    if not nodes:
        log.info(
            "rollup: objective %s of organisation %s no longer exists",
            ", ".join(map(str, objective_ids[:5])),
            org_id,
        )
        return 0
    kr, child = _aggregates(org_id, [n.id for n in nodes], children_contribute)
    on_path: dict[int, list[_PathNode]] = {}  # parent id → its children among the nodes
    changes: list[_PathNode] = []
    for node in nodes:  # deepest first
        num, den, conf = kr.get(node.id, (0.0, 0.0, None))
        c_num, c_den = child.get(node.id, (0.0, 0.0))
        num, den = num + c_num, den + c_den
        if children_contribute:
            for below in on_path.get(node.id, ()):
                if progress_math.counts_in_parent(below.status) and below.weight > 0:
                    num += below.weight * below.progress
                    den += below.weight
        new = progress_math.progress_from_sums(num, den)
        if node.frozen:  # closed with its cycle: it counts in its parent as it was frozen
            new, conf = node.progress, node.confidence
        if abs(new - node.progress) > 1e-12 or conf != node.confidence:
            node.progress, node.confidence = new, conf
            changes.append(node)
        if node.parent_id is not None:
            on_path.setdefault(node.parent_id, []).append(node)
    _write(changes)
    if changes and bump_version:
        bump_data_version(org_id)
    return len(changes)


def rollup_objective_atomic(*, org_id: int, objective_id: int) -> int:
    """The worker's rollup: one transaction that also bumps the organisation's data
    version, whether or not a progress changed, because the change that queued the
    rollup (a check-in's value, confidence or date) may show in the documents and
    left the bump to it (``orgs.versions``). One commit for both."""
    with transaction.atomic():
        changed = rollup_objective(org_id=org_id, objective_id=objective_id, bump_version=False)
        bump_data_version_now(org_id)
        return changed


# A batch's outbox rows: their paths' union is at most BATCH × depth objectives, each id
# three times in the aggregate statement — within SQLite's 32,766 parameters for trees up
# to 50 levels deep (real cascades have a handful).
BATCH = 200


def _take_pending(org_id: int, limit: int) -> tuple[list[int], int]:
    """Remove up to ``limit`` rows of the organisation's outbox and return their objectives,
    each once; on PostgreSQL rows another batch holds are skipped, not waited for."""
    t = RollupPending._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"DELETE FROM {t} WHERE id IN (SELECT id FROM {t} WHERE organization_id = %s "  # noqa: S608
                "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING objective_id",
                [org_id, limit],
            )
            rows = cursor.fetchall()
            return sorted({row[0] for row in rows}), len(rows)
        # SQLite's IMMEDIATE transactions serialise writers: read, then delete what was read.
        sql = f"SELECT id, objective_id FROM {t} WHERE organization_id = %s ORDER BY id LIMIT %s"  # noqa: S608
        cursor.execute(sql, [org_id, limit])
        rows = cursor.fetchall()
        if rows:
            marks = ", ".join(["%s"] * len(rows))
            cursor.execute(f"DELETE FROM {t} WHERE id IN ({marks})", [row[0] for row in rows])  # noqa: S608
        return sorted({row[1] for row in rows}), len(rows)


def rollup_pending(*, org_id: int, batch: int = BATCH) -> int:
    """The worker's rollup: every objective waiting in the organisation's outbox, a batch
    at a time, each batch one transaction that takes its objectives, recomputes the union
    of their paths and bumps the organisation's data version — whether or not a progress
    changed, because the change that queued it (a check-in's value, confidence or date)
    may show in the documents and left the bump to it (``orgs.versions``). One commit for
    all. An objective whose parent chain loops is logged and dropped, the rest of its
    batch still rolls up. Returns how many objectives changed."""
    changed = 0
    while True:
        with transaction.atomic():
            ids, taken = _take_pending(org_id, batch)
            if not ids:
                return changed
            try:
                with transaction.atomic():
                    changed += rollup_objectives(org_id=org_id, objective_ids=ids, bump_version=False)
            except CycleInTreeError:
                for oid in ids:
                    try:
                        with transaction.atomic():
                            changed += rollup_objectives(org_id=org_id, objective_ids=[oid], bump_version=False)
                    except CycleInTreeError as exc:
                        log.error("rollup skipped: %s", exc)
            bump_data_version_now(org_id)
        if taken < batch:
            return changed
