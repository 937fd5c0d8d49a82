"""Reconcile: a set-based full recompute of an organisation's stored progress.

``compute`` is the reference full recompute of objective progress (DESIGN §4,
through the pure ``progress.progress_from_sums``, which the incremental rollup
uses too): the rollup is tested against it, and it against hand-computed trees.

Two reads (one aggregate over the key-result table, one scan of the
objectives), a bottom-up pass in memory, and batched writes of only the rows
that changed. It repairs whatever a lost or failed rollup left stale and
reports how many rows that was (the drift). Safe to run at any time and
idempotent: a second run changes nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from cycles.models import Cycle, CycleStatus
from objectives import progress as progress_math
from objectives.models import KeyResult, Objective
from objectives.rollup import MAX_DEPTH, CycleInTreeError
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
    """Every objective of the organisation with its key-result sums, in one statement.
    Stored progress is in [0, 1] and weights are >= 0 (database constraints), so
    plain sums give the weighted mean of DESIGN §4."""
    k = KeyResult._meta.db_table
    o = Objective._meta.db_table
    c = Cycle._meta.db_table
    sql = f"""
        SELECT o.id, o.parent_id, o.weight, o.status, o.progress, o.confidence, k.num, k.den, k.conf,
               EXISTS (SELECT 1 FROM {c} c WHERE c.id = o.cycle_id AND c.status = %s)
        FROM {o} o LEFT JOIN (
            SELECT objective_id, SUM(weight * progress) AS num, SUM(weight) AS den, MIN(confidence) AS conf
            FROM {k} WHERE organization_id = %s GROUP BY objective_id
        ) k ON k.objective_id = o.id
        WHERE o.organization_id = %s
    """  # noqa: S608 — table names from model metadata
    with connection.cursor() as cursor:
        cursor.execute(sql, [CycleStatus.CLOSED, org_id, org_id])
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def compute(org: Organization) -> tuple[dict[int, tuple[float, int | None]], dict[int, tuple[float, int | None]]]:
    """(fresh values, stored values) for every objective of the organisation, keyed by id."""
    raw = _rows(org.pk)
    kr = {r[0]: (float(r[6] or 0.0), float(r[7] or 0.0), r[8]) for r in raw}
    frozen = {r[0] for r in raw if r[9]}  # closed with their cycle: their stored progress is final
    rows = [r[:6] for r in raw]
    children: dict[int, list[int]] = {}
    info: dict[int, tuple[float, str]] = {}
    stored: dict[int, tuple[float, int | None]] = {}
    for oid, parent_id, weight, status, prog, conf in rows:
        info[oid] = (weight, status)
        stored[oid] = (prog, conf)
        if parent_id is not None:
            children.setdefault(parent_id, []).append(oid)
    fresh: dict[int, tuple[float, int | None]] = {}
    contribute = org.children_contribute
    # Iterative post-order walk: children before parents, loops detected.
    state: dict[int, int] = {}  # 1 = on the stack, 2 = done
    for root in stored:
        if state.get(root) == 2:
            continue
        stack: list[tuple[int, int]] = [(root, 0)]
        while stack:
            oid, depth = stack[-1]
            if depth > MAX_DEPTH * 1000:
                raise CycleInTreeError(f"objective {oid}: tree too deep")
            if state.get(oid) is None:
                state[oid] = 1
                for child in children.get(oid, []) if contribute else []:
                    if state.get(child) == 1:
                        raise CycleInTreeError(f"objective {child}: parent chain loops")
                    if state.get(child) is None:
                        stack.append((child, depth + 1))
                continue
            stack.pop()
            if state[oid] == 2:
                continue
            num, den, conf = kr.get(oid, (0.0, 0.0, None))
            if contribute:
                for child in children.get(oid, []):
                    weight, status = info[child]
                    if progress_math.counts_in_parent(status) and weight > 0:
                        num += weight * fresh[child][0]
                        den += weight
            fresh[oid] = stored[oid] if oid in frozen else (progress_math.progress_from_sums(num, den), conf)
            state[oid] = 2
    if not contribute:
        # Loops still matter when children do not count: check the parent chains once.
        parents = {oid: pid for oid, pid, *_ in rows}
        for start in parents:
            seen: set[int] = set()
            node: int | None = start
            while node is not None:
                if node in seen:
                    raise CycleInTreeError(f"objective {start}: parent chain loops")
                seen.add(node)
                node = parents.get(node)
    return fresh, stored


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


def reconcile_organization(*, org: Organization, cycle_id: int | None = None) -> ReconcileResult:
    """Recompute every objective of ``org`` and write the ones that drifted
    (only those of ``cycle_id`` when given). Runs in one transaction.

    Never undoes a rollup: the reads take no lock, so a rollup may commit between the
    read and the write; each row is written only if it still holds what was read
    (``_write``), and the rows a rollup changed meanwhile are skipped and counted
    (``skipped``) — their rollup computed them from newer values."""
    started = time.perf_counter()
    with transaction.atomic():
        fresh, stored = compute(org)
        if cycle_id is not None:
            in_cycle = set(Objective.objects.filter(organization=org, cycle_id=cycle_id).values_list("id", flat=True))
        changes: list[_Change] = [
            (oid, prog, conf, *stored[oid])
            for oid, (prog, conf) in fresh.items()
            if (abs(stored[oid][0] - prog) > 1e-12 or stored[oid][1] != conf) and (cycle_id is None or oid in in_cycle)
        ]
        written = _write(changes)
        if written:
            bump_data_version(org.pk)
    skipped = len(changes) - written
    if changes:
        log.info(
            "reconcile %s: repaired %d of %d objectives; %d changed by a rollup meanwhile, left as they are",
            org.slug,
            written,
            len(fresh),
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
