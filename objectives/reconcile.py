"""Reconcile: a set-based full recompute of an organisation's stored progress.

``compute`` is the reference full recompute of objective progress (DESIGN §4,
through the pure ``progress.progress_from_sums``, which the incremental rollup
uses too): the rollup is tested against it, and it against hand-computed trees.

Four reads (one aggregate over the key-result table with one scan of the
objectives, the aligned key results, the contribution links), a pass in memory in
topological order of the alignment graph (``objectives.graph``: every input before
what it feeds), and batched writes of only the rows that changed. It repairs
whatever a lost or failed rollup left stale and reports how many rows that was
(the drift). Safe to run at any time and
idempotent: a second run changes nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection, transaction

from cycles.models import Cycle, CycleStatus
from objectives import graph as graph_math
from objectives import progress as progress_math
from objectives.models import Contribution, KeyResult, KeyResultKind, Objective
from objectives.rollup import CycleInTreeError as CycleInTreeError  # raised by compute on a loop
from orgs.models import Organization
from orgs.versions import bump_data_version

log = logging.getLogger(__name__)
WRITE_BATCH = 500


@dataclass(frozen=True)
class ReconcileResult:
    objectives: int
    repaired: int
    seconds: float
    skipped: int = 0  # drifted rows a rollup changed between the read and the write: left as they are


def _rows(org_id: int) -> list[tuple[Any, ...]]:
    """Every objective of the organisation with the sums of its ordinary key results, in one
    statement. Stored progress is in [0, 1] and weights are >= 0 (database constraints), so
    plain sums give the weighted mean of DESIGN §4."""
    k = KeyResult._meta.db_table
    o = Objective._meta.db_table
    c = Cycle._meta.db_table
    sql = f"""
        SELECT o.id, o.parent_id, o.weight, o.status, o.progress, o.confidence, k.num, k.den, k.conf,
               EXISTS (SELECT 1 FROM {c} c WHERE c.id = o.cycle_id AND c.status = %s)
        FROM {o} o LEFT JOIN (
            SELECT objective_id, SUM(weight * progress) AS num, SUM(weight) AS den, MIN(confidence) AS conf
            FROM {k} WHERE organization_id = %s AND kind <> %s GROUP BY objective_id
        ) k ON k.objective_id = o.id
        WHERE o.organization_id = %s
    """  # noqa: S608 — table names from model metadata
    with connection.cursor() as cursor:
        cursor.execute(sql, [CycleStatus.CLOSED, org_id, KeyResultKind.ALIGNED.value, org_id])
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


class Computed(NamedTuple):
    """A full recompute: {objective id: (fresh progress, fresh confidence)}, the same stored,
    and {aligned key result id: (fresh progress, stored progress, its objective's id)}."""

    fresh: dict[int, tuple[float, int | None]]
    stored: dict[int, tuple[float, int | None]]
    key_results: dict[int, tuple[float, float, int]]


def _aligned_and_links(
    org_id: int,
) -> tuple[list[tuple[int, int, float, float]], list[tuple[int, int | None, int | None, float]]]:
    """The aligned key results (id, objective, weight, progress) and every contribution link
    (child, parent, key result, weight) of the organisation: two statements."""
    aligned = list(
        KeyResult.objects.filter(organization_id=org_id, kind=KeyResultKind.ALIGNED).values_list(
            "id", "objective_id", "weight", "progress"
        )
    )
    links: list[tuple[int, int | None, int | None, float]] = [
        (child, parent, kr, weight)
        for child, parent, kr, weight in Contribution.objects.filter(organization_id=org_id).values_list(
            "child_id", "parent_id", "key_result_id", "weight"
        )
    ]
    return aligned, links


def compute(org: Organization) -> Computed:
    """The full recompute of every objective and aligned key result of the organisation, in
    topological order of its alignment graph (``objectives.graph``)."""
    raw = _rows(org.pk)
    aligned_rows, links = _aligned_and_links(org.pk)
    stored = {r[0]: (r[4], r[5]) for r in raw}
    frozen = {r[0] for r in raw if r[9]}  # closed with their cycle: their stored progress is final
    aligned_ids = {kid for kid, *_ in aligned_rows}
    edges = [graph_math.Edge(r[0], graph_math.TO_OBJECTIVE, r[1], r[2]) for r in raw if r[1] in stored]
    for child, parent, kr, weight in links:
        if child not in stored:
            continue
        if parent is not None and parent in stored:
            edges.append(graph_math.Edge(child, graph_math.TO_OBJECTIVE, parent, weight))
        elif kr is not None and kr in aligned_ids:
            edges.append(graph_math.Edge(child, graph_math.TO_KEY_RESULT, kr, weight))
    aligned: dict[int, list[tuple[int, float]]] = {}
    for kid, oid, weight, _p in aligned_rows:
        aligned.setdefault(oid, []).append((kid, weight))
    graph = graph_math.Graph(
        base={r[0]: (float(r[6] or 0.0), float(r[7] or 0.0)) for r in raw},
        aligned=aligned,
        edges=edges,
        counts={r[0]: progress_math.counts_in_parent(r[3]) for r in raw},
        frozen={oid: stored[oid][0] for oid in frozen},
        frozen_key_results={kid: p for kid, oid, _w, p in aligned_rows if oid in frozen},
        children_contribute=org.children_contribute,
    )
    progress, kr_progress = graph_math.solve(graph)
    fresh = {r[0]: stored[r[0]] if r[0] in frozen else (progress[r[0]], r[8]) for r in raw}
    key_results = {kid: (kr_progress[kid], p, oid) for kid, oid, _w, p in aligned_rows}
    return Computed(fresh, stored, key_results)


# (id, fresh progress, fresh confidence, stored progress read, stored confidence read)
_Change = tuple[int, float, int | None, float, int | None]


def _write(changes: list[_Change]) -> int:
    """Compare-and-set: write each row only where it still holds the values the reconcile
    read. A row that changed since was written by a rollup that read newer key results
    (PostgreSQL re-checks the condition on the row's newest version, after waiting for a
    writer that holds it), so it is left as it is. Returns how many rows were written."""
    o = Objective._meta.db_table
    pg = connection.vendor == "postgresql"
    row = (
        "(CAST(%s AS bigint), CAST(%s AS double precision), CAST(%s AS smallint), "
        "CAST(%s AS double precision), CAST(%s AS smallint))"
        if pg
        else "(%s, %s, %s, %s, %s)"
    )
    # Exact equality on purpose: the stored value is compared with itself, as read.
    same_confidence = "IS NOT DISTINCT FROM" if pg else "IS"
    written = 0
    with connection.cursor() as cursor:
        for i in range(0, len(changes), WRITE_BATCH):
            batch = changes[i : i + WRITE_BATCH]
            values = ", ".join([row] * len(batch))
            sql = (
                f"WITH v(id, p, c, was_p, was_c) AS (VALUES {values}) "  # noqa: S608
                f"UPDATE {o} SET progress = v.p, confidence = v.c FROM v WHERE {o}.id = v.id "
                f"AND {o}.progress = v.was_p AND {o}.confidence {same_confidence} v.was_c RETURNING {o}.id"
            )
            params: list[Any] = []
            for change in batch:
                params += change
            cursor.execute(sql, params)
            written += len(cursor.fetchall())  # SQLite's rowcount is -1 for a statement starting WITH
    return written


def _write_key_results(changes: list[tuple[int, float, float]]) -> int:
    """Compare-and-set, as ``_write``: an aligned key result's progress and value, only where it
    still holds the progress the reconcile read. Returns how many rows were written."""
    written = 0
    for kid, fresh, was in changes:  # a handful per organisation
        written += KeyResult.objects.filter(pk=kid, progress=was).update(progress=fresh, current_value=fresh)
    return written


def reconcile_organization(*, org: Organization, cycle_id: int | None = None) -> ReconcileResult:
    """Recompute every objective of ``org`` and write the ones that drifted
    (only those of ``cycle_id`` when given). Runs in one transaction.

    Never undoes a rollup: the reads take no lock, so a rollup may commit between the
    read and the write; each row is written only if it still holds what was read
    (``_write``), and the rows a rollup changed meanwhile are skipped and counted
    (``skipped``) — their rollup computed them from newer values."""
    started = time.perf_counter()
    with transaction.atomic():
        fresh, stored, key_results = compute(org)
        in_cycle: set[int] = set()
        if cycle_id is not None:
            in_cycle = set(Objective.objects.filter(organization=org, cycle_id=cycle_id).values_list("id", flat=True))
        changes: list[_Change] = [
            (oid, prog, conf, *stored[oid])
            for oid, (prog, conf) in fresh.items()
            if (abs(stored[oid][0] - prog) > 1e-12 or stored[oid][1] != conf) and (cycle_id is None or oid in in_cycle)
        ]
        kr_changes = [
            (kid, prog, was)
            for kid, (prog, was, oid) in key_results.items()
            if abs(prog - was) > 1e-12 and (cycle_id is None or oid in in_cycle)
        ]
        # Aligned key results first: an objective fed by one was computed from its fresh value.
        kr_written = _write_key_results(kr_changes)
        written = _write(changes)
        if written or kr_written:
            bump_data_version(org.pk)
    skipped = len(changes) - written + len(kr_changes) - kr_written
    written += kr_written
    if changes:
        log.info(
            "reconcile %s: repaired %d of %d objectives and aligned key results; %d changed by a rollup "
            "meanwhile, left as they are",
            org.slug,
            written,
            len(fresh) + len(key_results),
            skipped,
        )
    return ReconcileResult(
        objectives=len(fresh), repaired=written, seconds=time.perf_counter() - started, skipped=skipped
    )


def reconcile_dirty(*, org: Organization) -> ReconcileResult:
    """The repair of an organisation marked dirty (its rollups could not be queued).

    The mark is cleared first, and only if it still holds the time read with ``org``
    (compare-and-set), so that a publish that fails while the reconcile runs marks the
    organisation again (``queue.mark_dirty`` sets an empty mark only) instead of being
    wiped by a clear after it; the reconcile itself never undoes a rollup. If the
    reconcile fails, the mark is put back."""
    since = org.rollup_dirty_since
    if since is not None:
        Organization.objects.filter(pk=org.pk, rollup_dirty_since=since).update(rollup_dirty_since=None)
    try:
        return reconcile_organization(org=org)
    except BaseException:
        if since is not None:
            Organization.objects.filter(pk=org.pk, rollup_dirty_since__isnull=True).update(rollup_dirty_since=since)
        raise
