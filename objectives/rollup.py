"""Recomputing stored progress from stored values (DESIGN §4, §5), on the alignment graph.

``rollup_objectives`` recomputes objectives and everything they feed: their primary
parents, the objectives they contribute to and the ``aligned`` key results they
contribute to (with those key results' objectives), transitively — every node reached
once. It locks the objectives reached in one global order, by id (``SELECT … ORDER BY id
FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transactions already serialise writers),
so two bursts over crossing paths never wait on each other in a circle; reads the
aggregates of what lies below them in one statement; computes the reached nodes in
topological order (``objectives.graph.solve``: a node reached twice is computed once,
after all its inputs); and writes only the rows whose values changed — three statements
whatever the depth and however many objectives a batch holds, a fourth when an aligned
key result moved (``rollup_pending``: what check-ins queued, DESIGN §5).

The reference full recompute, which the tests compare this against, is
``objectives.reconcile.compute``.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from cycles.models import Cycle, CycleStatus
from objectives import graph as graph_math
from objectives import progress as progress_math
from objectives.models import Contribution, KeyResult, KeyResultKind, Objective, RollupPending
from orgs.models import Organization
from orgs.versions import bump_data_version, bump_data_version_now

log = logging.getLogger(__name__)

# Children of these statuses (cancelled, draft) do not count in their parent (DESIGN §4).
_LEFT_OUT = sorted(progress_math.LEFT_OUT_OF_PARENT)
MAX_DEPTH = 64  # far beyond any real cascade

# The alignment graph loops (validation prevents it; corrupted data must not hang a task).
CycleInTreeError = graph_math.LoopError


@dataclass
class _Node:
    id: int
    parent_id: int | None
    progress: float
    confidence: int | None
    weight: float
    status: str
    frozen: bool = False  # in a closed cycle: its stored progress is final (DESIGN §4)


def _in(column: str, ids: list[int], *, negate: bool = False) -> tuple[str, list[Any]]:
    """``column IN (ids)`` as SQL and parameters: one array parameter on PostgreSQL, a list
    of marks on SQLite (whose statements take at most 32,766 parameters)."""
    if connection.vendor == "postgresql":
        return (f"{column} <> ALL(%s)" if negate else f"{column} = ANY(%s)"), [ids]
    marks = ", ".join(["%s"] * len(ids))
    return f"{column} {'NOT IN' if negate else 'IN'} ({marks})", list(ids)


def _reach_sql() -> str:
    """The recursive step from ``reach.id`` to everything it feeds: its primary parent, the
    objectives it contributes to, the objectives of the aligned key results it contributes to."""
    o, c, k = Objective._meta.db_table, Contribution._meta.db_table, KeyResult._meta.db_table
    if connection.vendor == "postgresql":
        return f"""
            SELECT nxt.dst FROM reach CROSS JOIN LATERAL (
                SELECT parent_id AS dst FROM {o} WHERE id = reach.id AND parent_id IS NOT NULL
                UNION ALL
                SELECT parent_id FROM {c} WHERE organization_id = %s AND child_id = reach.id
                AND parent_id IS NOT NULL
                UNION ALL
                SELECT k.objective_id FROM {c} l JOIN {k} k ON k.id = l.key_result_id
                WHERE l.organization_id = %s AND l.child_id = reach.id
            ) nxt
        """  # noqa: S608 — table names from model metadata
    if sqlite3.sqlite_version_info >= (3, 34, 0):  # several recursive arms, each by an index
        return f"""
            SELECT o.parent_id FROM {o} o JOIN reach ON o.id = reach.id WHERE o.parent_id IS NOT NULL
            UNION
            SELECT l.parent_id FROM {c} l JOIN reach ON l.child_id = reach.id
            WHERE l.organization_id = %s AND l.parent_id IS NOT NULL
            UNION
            SELECT k.objective_id FROM {c} l JOIN reach ON l.child_id = reach.id JOIN {k} k ON k.id = l.key_result_id
            WHERE l.organization_id = %s
        """  # noqa: S608
    return f"""
        SELECT e.dst FROM reach JOIN (
            SELECT id AS src, parent_id AS dst FROM {o} WHERE organization_id = %s AND parent_id IS NOT NULL
            UNION ALL
            SELECT child_id, parent_id FROM {c} WHERE organization_id = %s AND parent_id IS NOT NULL
            UNION ALL
            SELECT l.child_id, k.objective_id FROM {c} l JOIN {k} k ON k.id = l.key_result_id
            WHERE l.organization_id = %s
        ) e ON e.src = reach.id
    """  # noqa: S608


def _reach_params(org_id: int) -> list[Any]:
    """The parameters of ``_reach_sql``'s step."""
    if connection.vendor == "postgresql" or sqlite3.sqlite_version_info >= (3, 34, 0):
        return [org_id, org_id]
    return [org_id] * 3


def _reached(org_id: int, objective_ids: list[int]) -> tuple[list[_Node], bool]:
    """The objectives and everything they feed, each once, locked in the order of their ids
    (one order for every rollup, so two that share objectives never deadlock), and the
    organisation's children-contribute setting, in one statement."""
    o, org_table, cycle_table = Objective._meta.db_table, Organization._meta.db_table, Cycle._meta.db_table
    lock = " FOR UPDATE OF o" if connection.vendor == "postgresql" else ""
    start, start_params = _in("id", objective_ids)
    step_params = _reach_params(org_id)
    sql = f"""
        WITH RECURSIVE reach(id) AS (
            SELECT id FROM {o} WHERE {start} AND organization_id = %s
            UNION
            {_reach_sql()}
        )
        SELECT o.id, o.parent_id, o.progress, o.confidence, o.weight, o.status, org.children_contribute,
               EXISTS (SELECT 1 FROM {cycle_table} c WHERE c.id = o.cycle_id AND c.status = %s)
        FROM {o} o JOIN {org_table} org ON org.id = o.organization_id
        WHERE o.organization_id = %s AND o.id IN (SELECT id FROM reach)
        ORDER BY o.id{lock}
    """  # noqa: S608 — table names come from model metadata, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*start_params, org_id, *step_params, CycleStatus.CLOSED, org_id])
        rows = cursor.fetchall()
    nodes = [_Node(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[7])) for r in rows]
    return nodes, bool(rows[0][6]) if rows else True


@dataclass
class _Inputs:
    """What the reached objectives are computed from, as one statement read it."""

    key_results: dict[int, tuple[float, float, int | None]]  # objective → Σ w·p, Σ w, min confidence
    aligned: dict[int, list[tuple[int, float, float]]]  # objective → its aligned key results (id, w, p)
    outside: dict[tuple[str, int], tuple[float, float]]  # target → Σ w·p, Σ w of contributors not reached
    edges: list[graph_math.Edge]  # contribution links from reached objectives


def _inputs(org_id: int, ids: list[int]) -> _Inputs:
    """Ordinary key-result sums, aligned key results, the sums of children and contributors
    that were not reached (not cancelled, not drafts), and the links out of the reached
    objectives, in one statement."""
    k, o, c = KeyResult._meta.db_table, Objective._meta.db_table, Contribution._meta.db_table
    left_out = ", ".join(["%s"] * len(_LEFT_OUT))
    kr_in, kr_p = _in("objective_id", ids)
    par_in, par_p = _in("parent_id", ids)
    ch_out, ch_p = _in("id", ids, negate=True)
    lp_in, lp_p = _in("l.parent_id", ids)
    lc_out, lc_p = _in("l.child_id", ids, negate=True)
    ko_in, ko_p = _in("k.objective_id", ids)
    lc_in, lc_in_p = _in("child_id", ids)
    aligned = KeyResultKind.ALIGNED.value
    sql = f"""
        SELECT 'k', objective_id, NULL, SUM(weight * progress), SUM(weight), MIN(confidence)
        FROM {k} WHERE organization_id = %s AND {kr_in} AND kind <> %s GROUP BY objective_id
        UNION ALL
        SELECT 'a', objective_id, id, weight, progress, NULL FROM {k}
        WHERE organization_id = %s AND {kr_in} AND kind = %s
        UNION ALL
        SELECT 'o', parent_id, NULL, SUM(weight * progress), SUM(weight), NULL FROM {o}
        WHERE organization_id = %s AND {par_in} AND {ch_out} AND status NOT IN ({left_out}) GROUP BY parent_id
        UNION ALL
        SELECT 'o', l.parent_id, NULL, SUM(l.weight * ch.progress), SUM(l.weight), NULL
        FROM {c} l JOIN {o} ch ON ch.id = l.child_id
        WHERE l.organization_id = %s AND {lp_in} AND {lc_out} AND ch.status NOT IN ({left_out}) GROUP BY l.parent_id
        UNION ALL
        SELECT 'q', l.key_result_id, NULL, SUM(l.weight * ch.progress), SUM(l.weight), NULL
        FROM {c} l JOIN {o} ch ON ch.id = l.child_id JOIN {k} k ON k.id = l.key_result_id
        WHERE l.organization_id = %s AND {ko_in} AND {lc_out} AND ch.status NOT IN ({left_out})
        GROUP BY l.key_result_id
        UNION ALL
        SELECT 'e', child_id, COALESCE(parent_id, key_result_id), weight, NULL,
               CASE WHEN parent_id IS NULL THEN 1 ELSE 0 END
        FROM {c} WHERE organization_id = %s AND {lc_in}
    """  # noqa: S608 — table names from model metadata
    params: list[Any] = [org_id, *kr_p, aligned, org_id, *kr_p, aligned]
    params += [org_id, *par_p, *ch_p, *_LEFT_OUT, org_id, *lp_p, *lc_p, *_LEFT_OUT]
    params += [org_id, *ko_p, *lc_p, *_LEFT_OUT, org_id, *lc_in_p]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = _Inputs({}, {}, {}, [])
    for tag, a, b, x, y, z in rows:
        if tag == "q":  # contributors of an aligned key result, not reached
            found.outside[(graph_math.TO_KEY_RESULT, a)] = (float(x or 0.0), float(y or 0.0))
        elif tag == "k":
            found.key_results[a] = (float(x or 0.0), float(y or 0.0), z)
        elif tag == "a":
            found.aligned.setdefault(a, []).append((b, float(x), float(y)))
        elif tag == "o":
            num, den = found.outside.get((graph_math.TO_OBJECTIVE, a), (0.0, 0.0))
            found.outside[(graph_math.TO_OBJECTIVE, a)] = (num + float(x or 0.0), den + float(y or 0.0))
        else:
            kind = graph_math.TO_KEY_RESULT if z == 1 else graph_math.TO_OBJECTIVE
            found.edges.append(graph_math.Edge(a, kind, b, float(x)))
    return found


def _graph(nodes: list[_Node], found: _Inputs, children_contribute: bool) -> graph_math.Graph:
    """The reached objectives as ``graph_math.solve`` takes them."""
    reached = {n.id for n in nodes}
    aligned_ids = {kid for krs in found.aligned.values() for kid, _w, _p in krs}
    base: dict[int, tuple[float, float]] = {}
    for n in nodes:
        num, den, _conf = found.key_results.get(n.id, (0.0, 0.0, None))
        if children_contribute:
            c_num, c_den = found.outside.get((graph_math.TO_OBJECTIVE, n.id), (0.0, 0.0))
            num, den = num + c_num, den + c_den
        base[n.id] = (num, den)
    edges = [
        graph_math.Edge(n.id, graph_math.TO_OBJECTIVE, n.parent_id, n.weight) for n in nodes if n.parent_id in reached
    ]
    edges += [
        e
        for e in found.edges
        if (e.target in reached if e.kind == graph_math.TO_OBJECTIVE else e.target in aligned_ids)
        and e.child in reached
    ]
    frozen_objectives = {n.id for n in nodes if n.frozen}
    return graph_math.Graph(
        base=base,
        aligned_base={key[1]: sums for key, sums in found.outside.items() if key[0] == graph_math.TO_KEY_RESULT},
        aligned={oid: [(kid, w) for kid, w, _p in krs] for oid, krs in found.aligned.items()},
        edges=edges,
        counts={n.id: progress_math.counts_in_parent(n.status) for n in nodes},
        frozen={n.id: n.progress for n in nodes if n.frozen},
        frozen_key_results={
            kid: p for oid, krs in found.aligned.items() if oid in frozen_objectives for kid, _w, p in krs
        },
        children_contribute=children_contribute,
    )


def _write(table: str, rows: list[tuple[int, float, Any]], second: str, cast: str) -> None:
    """One UPDATE of ``progress`` and ``second`` for the rows given as (id, progress, second)."""
    if not rows:
        return
    cast_sql = f"CAST(%s AS {cast})" if connection.vendor == "postgresql" else "%s"
    progress_case = " ".join("WHEN %s THEN %s" for _ in rows)
    second_case = " ".join(f"WHEN %s THEN {cast_sql}" for _ in rows)
    marks = ", ".join(["%s"] * len(rows))
    sql = (
        f"UPDATE {table} SET progress = CASE id {progress_case} END, "  # noqa: S608
        f"{second} = CASE id {second_case} END WHERE id IN ({marks})"
    )
    params: list[Any] = []
    for rid, prog, _other in rows:
        params += [rid, prog]
    for rid, _prog, other in rows:
        params += [rid, other]
    params += [row[0] for row in rows]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def rollup_objective(*, org_id: int, objective_id: int, bump_version: bool = True) -> int:
    """Recompute ``objective_id`` and everything it feeds from stored values (``rollup_objectives``)."""
    return rollup_objectives(org_id=org_id, objective_ids=[objective_id], bump_version=bump_version)


def rollup_objectives(*, org_id: int, objective_ids: list[int], bump_version: bool = True) -> int:
    """Recompute the objectives and everything they feed, transitively, from stored values.

    Three statements whatever the depth and however many objectives (a fourth when an
    aligned key result moved): the reached objectives, locked by id; their inputs; one
    UPDATE of the objectives that changed. Returns how many objectives changed. Must run
    inside a transaction (the locks last until it commits). When something changed, the
    organisation's data version is bumped after the commit (``bump_version=False``: the
    caller bumps it). ``CycleInTreeError`` when the graph loops."""
    nodes, children_contribute = _reached(org_id, sorted(set(objective_ids)))
    if not nodes:
        log.info(
            "rollup: objective %s of organisation %s no longer exists",
            ", ".join(map(str, objective_ids[:5])),
            org_id,
        )
        return 0
    found = _inputs(org_id, [n.id for n in nodes])
    progress, aligned = graph_math.solve(_graph(nodes, found, children_contribute))
    changes: list[tuple[int, float, Any]] = []
    for n in nodes:
        conf = n.confidence if n.frozen else found.key_results.get(n.id, (0.0, 0.0, None))[2]
        if abs(progress[n.id] - n.progress) > 1e-12 or conf != n.confidence:
            changes.append((n.id, progress[n.id], conf))
    kr_changes = [
        (kid, aligned[kid], aligned[kid])
        for krs in found.aligned.values()
        for kid, _w, stored in krs
        if abs(aligned[kid] - stored) > 1e-12
    ]
    _write(Objective._meta.db_table, changes, "confidence", "smallint")
    _write(KeyResult._meta.db_table, kr_changes, "current_value", "double precision")
    if (changes or kr_changes) and bump_version:
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
