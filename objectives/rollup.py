"""Recomputing stored progress from stored values (DESIGN §4, §5).

``rollup_objective`` walks from one objective up to its root: it locks the
ancestor path root-first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's
IMMEDIATE transactions already serialise writers), reads the key-result and
child aggregates of the whole path in two statements, and writes only the
objectives whose values changed — three statements whatever the depth.

The reference full recompute, which the tests compare this against, is
``objectives.reconcile.compute``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import connection, transaction

from objectives import progress as math
from objectives.models import KeyResult, Objective, ObjectiveStatus
from orgs.models import Organization
from orgs.versions import bump_data_version, bump_data_version_now

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


def _path(org_id: int, objective_id: int) -> tuple[list[_PathNode], bool]:
    """The objective and its ancestors, leaf first — locked root-first on
    PostgreSQL — and the organisation's children-contribute setting, in one
    statement."""
    o = Objective._meta.db_table
    org_table = Organization._meta.db_table
    lock = " FOR UPDATE OF o" if connection.vendor == "postgresql" else ""
    sql = f"""
        WITH RECURSIVE path(id, parent_id, depth) AS (
            SELECT id, parent_id, 0 FROM {o} WHERE id = %s AND organization_id = %s
            UNION ALL
            SELECT p.id, p.parent_id, path.depth + 1 FROM {o} p JOIN path ON p.id = path.parent_id
            WHERE path.depth < %s AND p.organization_id = %s
        )
        SELECT o.id, o.parent_id, o.progress, o.confidence, o.weight, o.status, path.depth, org.children_contribute
        FROM {o} o JOIN path ON o.id = path.id JOIN {org_table} org ON org.id = o.organization_id
        ORDER BY path.depth DESC{lock}
    """  # noqa: S608 — table names come from model metadata, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [objective_id, org_id, MAX_DEPTH, org_id])
        rows = cursor.fetchall()
    rows.reverse()  # leaf first
    seen: set[int] = set()
    nodes: list[_PathNode] = []
    for oid, parent_id, prog, conf, weight, status, _depth, _contribute in rows:
        if oid in seen:
            raise CycleInTreeError(f"objective {objective_id}: parent chain loops at {oid}")
        seen.add(oid)
        nodes.append(_PathNode(oid, parent_id, prog, conf, weight, status))
    if len(rows) > MAX_DEPTH:
        raise CycleInTreeError(f"objective {objective_id}: parent chain deeper than {MAX_DEPTH}")
    return nodes, bool(rows[0][7]) if rows else True


def _aggregates(org_id: int, ids: list[int], children_contribute: bool) -> tuple[dict, dict]:
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
    params: list = [org_id, *ids]
    if children_contribute:
        sql += f"""
        UNION ALL
        SELECT 'c', parent_id, SUM(weight * progress), SUM(weight), NULL
        FROM {o} WHERE organization_id = %s AND parent_id IN ({marks}) AND id NOT IN ({marks}) AND status <> %s
        GROUP BY parent_id
        """  # noqa: S608
        params += [org_id, *ids, *ids, ObjectiveStatus.CANCELLED]
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
    params: list = []
    for n in changes:
        params += [n.id, n.progress]
    for n in changes:
        params += [n.id, n.confidence]
    params += [n.id for n in changes]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def rollup_objective(*, org_id: int, objective_id: int, bump_version: bool = True) -> int:
    """Recompute ``objective_id`` and every ancestor from stored values.

    Three statements whatever the depth: the locked path, the aggregates,
    one UPDATE of the rows that changed. Returns how many objectives changed.
    Must run inside a transaction (the path lock lasts until it commits).
    When something changed, the organisation's data version is bumped after
    the commit (``bump_version=False``: the caller bumps it itself).
    """
    path, children_contribute = _path(org_id, objective_id)
    if not path:
        log.info("rollup: objective %s of organisation %s no longer exists", objective_id, org_id)
        return 0
    kr, child = _aggregates(org_id, [n.id for n in path], children_contribute)
    changes: list[_PathNode] = []
    below: _PathNode | None = None
    for node in path:
        num, den, conf = kr.get(node.id, (0.0, 0.0, None))
        c_num, c_den = child.get(node.id, (0.0, 0.0))
        num, den = num + c_num, den + c_den
        if children_contribute and below is not None and below.status != ObjectiveStatus.CANCELLED and below.weight > 0:
            num += below.weight * below.progress
            den += below.weight
        new = math.progress_from_sums(num, den)
        if abs(new - node.progress) > 1e-12 or conf != node.confidence:
            node.progress, node.confidence = new, conf
            changes.append(node)
        below = node
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
