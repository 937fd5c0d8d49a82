#!/usr/bin/env python
"""Progress benchmark on the current database (DESIGN §7).

Prints, measured in one run:
  * the full reconcile time of every organisation and their total;
  * one aggregate scan of the key-result table (the lower bound a set-based
    reconcile cannot beat), best of three;
  * their ratio (target: ≤ 5×);
  * the SQL statements of one check-in's rollup at depths 1, 6 and 12
    (target: ≤ depth + 3).

Usage (after `manage.py seed_large`):
    .venv/bin/python scripts/benchmark.py                # embedded SQLite
    DATABASE_URL=postgresql://... .venv/bin/python scripts/benchmark.py
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrkpi.settings.dev")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from objectives import reconcile, rollup  # noqa: E402
from objectives.models import KeyResult, Objective  # noqa: E402
from orgs.models import Organization  # noqa: E402


def aggregate_scan() -> float:
    table = KeyResult._meta.db_table
    sql = (
        f"SELECT objective_id, SUM(weight * progress), SUM(weight), MIN(confidence) "  # noqa: S608
        f"FROM {table} GROUP BY objective_id"
    )
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()
        best = min(best, time.perf_counter() - started)
    return best


def depth_of(parents: dict[int, int | None], oid: int) -> int:
    depth, node = 0, parents.get(oid)
    while node is not None and depth < 100:
        depth, node = depth + 1, parents.get(node)
    return depth


def main() -> None:
    orgs = list(Organization.objects.order_by("slug"))
    krs = KeyResult.objects.count()
    objectives = Objective.objects.count()
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else ''}".rstrip()
    )
    print(f"data: {len(orgs)} organisations, {objectives} objectives, {krs} key results")
    started = time.perf_counter()
    repaired = 0
    for org in orgs:
        repaired += reconcile.reconcile_organization(org=org).repaired
    total = time.perf_counter() - started
    scan = aggregate_scan()
    print(f"full reconcile, every organisation: {total:.3f} s (repaired {repaired})")
    print(f"aggregate scan of the key-result table: {scan:.3f} s")
    print(f"ratio reconcile / scan: {total / scan:.2f}  (target <= 5)")
    # The deepest organisation: rollup statements at depths 1, 6 and 12.
    org = max(orgs, key=lambda o: Objective.objects.filter(organization=o).count(), default=None)
    if org is None:
        return
    parents = dict(Objective.objects.filter(organization=org).values_list("id", "parent_id"))
    by_depth: dict[int, int] = {}
    for oid in parents:
        by_depth.setdefault(depth_of(parents, oid), oid)
    for depth in (1, 6, 12):
        oid = by_depth.get(depth)
        if oid is None:
            print(f"depth {depth}: no objective that deep in {org.slug}")
            continue
        with transaction.atomic():
            # A check-in that moves the leaf: flip one key result so the whole path has to change.
            kr = KeyResult.objects.filter(objective_id=oid).order_by("id").first()
            if kr is not None:
                KeyResult.objects.filter(pk=kr.pk).update(progress=1.0 if kr.progress < 0.5 else 0.0)
            with CaptureQueriesContext(connection) as ctx:
                changed = rollup.rollup_objective(org_id=org.pk, objective_id=oid)
            transaction.set_rollback(True)  # measure without changing the data
        statements = [
            q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))
        ]
        print(
            f"rollup at depth {depth}: {len(statements)} statements for {changed} changed objectives "
            f"(target <= {depth + 3})"
        )
        for sql in statements:
            print("    " + " ".join(sql.split())[:160])


if __name__ == "__main__":
    main()
