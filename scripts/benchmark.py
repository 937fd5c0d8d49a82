#!/usr/bin/env python
"""The benchmark of DESIGN §7, in one command, on the current database.

Loads ``seed_large`` when it is missing (20 organisations × 1,000 objectives ×
5 key results, trees 12 levels deep, plus one 2,000-objective organisation and
one with 10,000 KPIs), then prints, measured in one run, as ratios against a
lower bound measured in the same run:

  * the full reconcile of every organisation ÷ one aggregate scan of the
    key-result table (target ≤ 5), on its trees and again once they are graphs
    (``bench_graph``: one objective in ten also contributes to another tree's top);
  * the SQL statements of one check-in's rollup at depths 1, 6 and 12
    (target ≤ depth + 3);
  * under 16 connections (wrk) against gunicorn with the production settings
    and a real Celery worker: the check-in POST, the cascade and the dashboard,
    each as throughput ÷ the cheapest tenant GET (target ≥ 0.2) and p50/p99
    (check-in p99 target ≤ 100 ms);
  * the peak RSS of a web worker after serving the largest cascade;
  * the forecasts of the 2,000-objective organisation ÷ its cascade document, both built
    after a check-in (the forecasts keep each key result's check-in summary, so only that
    key result's check-ins are read again) and both from the cache (target ≤ 1 each);
  * a reminder sweep over 10,000 KPIs: its time, its statements, and that a
    second run sends nothing;
  * the drift after the load: what a reconcile repairs once the worker has
    drained its queue (target 0);
  * the check-in POST with the broker hung (a listener that accepts and never
    answers) as a ratio to the same load with it healthy (target ≥ 0.5).

It writes the figures as JSON too (``--json``, default
``var/benchmark-<vendor>.json``) for comparison between commits.

    .venv/bin/python scripts/benchmark.py                       # embedded SQLite
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/okrkpi_bench \
      REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python scripts/benchmark.py
    .venv/bin/python scripts/benchmark.py --only-hung-broker   # that ratio alone, in about a minute
    .venv/bin/python scripts/benchmark.py --only-progress      # reconcile and rollup, tree and graph

Here: the data, the figures measured in this process, and the command. The figures under
load are ``scripts/bench_http.py``'s (its processes and wrk ``scripts/load.py``'s); the
table and the growth chart ``scripts/bench_report.py``'s (the SVG ``scripts/plot.py``'s).
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrkpi.settings.dev")
os.environ.setdefault("DEBUG", "false")  # no query log growing in memory while we measure
# The server signs sessions with it: the benchmark makes the executive's session cookie with the same key.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))

import django  # noqa: E402

django.setup()

# The figures under load (scripts/bench_http.py), once Django is set up; what is printed and drawn.
from bench_forecast import forecast_figures  # noqa: E402
from bench_graph import graph_reconcile, graph_rollup_statements  # noqa: E402
from bench_http import http_figures, hung_broker_figures  # noqa: E402
from bench_report import report, write_plot  # noqa: E402
from django.core.serializers.json import DjangoJSONEncoder  # noqa: E402
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


HTTP_ORG_OBJECTIVES = 2000  # the organisation the load runs against (10,000 key results)
# Organisations of 1k, 10k and 100k key results (5 per objective), for how the costs grow.
GROWTH_OBJECTIVES = (200, HTTP_ORG_OBJECTIVES, 20_000)


def ensure_data() -> None:
    """Migrations, then seed_large when missing: organisations of 200, 2,000 and 20,000
    objectives, and a 10,000-KPI one."""
    from django.core.management import call_command

    # A database fresh from createdb gets its tables first; one already migrated costs a check.
    call_command("migrate", interactive=False, verbosity=0)
    if not Organization.objects.filter(slug__startswith="large-").exists():
        print("loading seed_large (20 organisations × 1,000 objectives) ...", flush=True)
        call_command("seed_large", verbosity=0)
    sizes = orgs_by_size()
    for n in GROWTH_OBJECTIVES:
        if n not in sizes:
            print(f"adding a {n:,}-objective organisation ...", flush=True)
            call_command("seed_large", orgs=1, objectives=n, verbosity=0)
    ensure_kpi_org()


def orgs_by_size() -> dict[int, Organization]:
    """The first organisation of each objective count."""
    from django.db.models import Count

    rows = Objective.objects.values("organization_id").annotate(n=Count("id")).order_by("organization_id")
    first: dict[int, int] = {}
    for row in rows:
        first.setdefault(row["n"], row["organization_id"])
    orgs = Organization.objects.in_bulk(list(first.values()))
    return {n: orgs[org_id] for n, org_id in first.items()}


def http_org() -> Organization:
    return orgs_by_size()[HTTP_ORG_OBJECTIVES]


def ensure_small_org() -> Organization:
    """The smallest growth organisation (200 objectives), seeded alone when missing: enough
    for the hung-broker figure without loading the whole seed."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    n = GROWTH_OBJECTIVES[0]
    if n not in orgs_by_size():
        print(f"adding a {n:,}-objective organisation ...", flush=True)
        call_command("seed_large", orgs=1, objectives=n, verbosity=0)
    return orgs_by_size()[n]


KPI_ORG = "bench-kpis"


def ensure_kpi_org() -> Organization:
    """10,000 monthly KPIs owned by 200 people, none measured: every one of them is due."""
    from datetime import date, timedelta

    from django.contrib.auth.hashers import make_password

    from kpis.models import Kpi
    from orgs.models import Membership, Role, User

    org, created = Organization.objects.get_or_create(slug=KPI_ORG, defaults={"name": "Benchmark KPIs"})
    if not created and Kpi.objects.filter(organization=org).count() >= 10_000:
        return org
    print("adding an organisation with 10,000 KPIs ...", flush=True)
    password = make_password(None)
    users = User.objects.bulk_create(
        [User(email=f"k{i}@bench.okrkpi.test", name=f"Owner {i}", password=password) for i in range(200)],
        ignore_conflicts=True,
    )
    users = list(User.objects.filter(email__endswith="@bench.okrkpi.test").order_by("id"))
    Membership.objects.bulk_create(
        [Membership(organization=org, user=u, role=Role.MEMBER) for u in users], ignore_conflicts=True
    )
    since = (date.today() - timedelta(days=120)).replace(day=1)  # noqa: DTZ011 — synthetic data
    Kpi.objects.bulk_create(
        [
            Kpi(
                organization=org,
                name=f"KPI {i}",
                owner_type="person",
                owner_user=users[i % len(users)],
                direction="higher_is_better",
                target=100,
                frequency="monthly",
                perspective="financial",
                tracking_since=since,
            )
            for i in range(10_000)
        ],
        batch_size=2000,
    )
    return org


def progress_figures(figures: dict) -> None:
    orgs = list(Organization.objects.order_by("slug"))
    figures["data"] = {
        "organisations": len(orgs),
        "objectives": Objective.objects.count(),
        "key_results": KeyResult.objects.count(),
    }
    # Twice, the best kept as for the scan: the first also repairs what an interrupted run left.
    started = time.perf_counter()
    repaired = sum(reconcile.reconcile_organization(org=org).repaired for org in orgs)
    total = time.perf_counter() - started
    total = min(total, best_of(1, lambda: [reconcile.reconcile_organization(org=org) for org in orgs]))
    scan = aggregate_scan()
    figures["reconcile"] = {"seconds": total, "scan_seconds": scan, "ratio": total / scan, "repaired": repaired}
    figures["reconcile_graph"] = graph_reconcile(orgs, scan, best_of)
    org = http_org()
    by_depth = objectives_by_depth(org)
    figures["rollup_statements"] = {}
    for depth in (1, 6, 12):
        oid = by_depth.get(depth)
        if oid is not None:
            figures["rollup_statements"][str(depth)] = measure_rollup(org, oid)[0]
    figures["rollup_statements_graph"] = graph_rollup_statements(org, by_depth)


def objectives_by_depth(org: Organization) -> dict[int, int]:
    """One objective id at each depth of the organisation's trees."""
    parents = dict(Objective.objects.filter(organization=org).values_list("id", "parent_id"))
    by_depth: dict[int, int] = {}
    for oid in parents:
        by_depth.setdefault(depth_of(parents, oid), oid)
    return by_depth


def measure_rollup(org: Organization, oid: int) -> tuple[int, float]:
    """The statements and seconds of one check-in's rollup at ``oid``, rolled back afterwards."""
    with transaction.atomic():
        # A check-in that moves the leaf: flip one key result so the whole path has to change.
        kr = KeyResult.objects.filter(objective_id=oid).order_by("id").first()
        if kr is not None:
            KeyResult.objects.filter(pk=kr.pk).update(progress=1.0 if kr.progress < 0.5 else 0.0)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            rollup.rollup_objective(org_id=org.pk, objective_id=oid)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)  # measure without changing the data
    statements = [q for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))]
    return len(statements), seconds


def best_of(runs: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def growth_figures(figures: dict) -> None:
    """How the main costs grow with an organisation's size: 1k, 10k and 100k key results."""
    import json

    from cycles.models import Cycle
    from scorecards.cascade import cascade

    table = KeyResult._meta.db_table
    sql = (
        f"SELECT objective_id, SUM(weight * progress), SUM(weight), MIN(confidence) "  # noqa: S608
        f"FROM {table} WHERE organization_id = %s GROUP BY objective_id"
    )
    sizes = orgs_by_size()
    rows = []
    for n in GROWTH_OBJECTIVES:
        org = sizes[n]
        cycle = Cycle.objects.filter(organization=org).order_by("-start_date").first()

        def scan(org: Organization = org) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql, [org.pk])
                cursor.fetchall()

        def build(org: Organization = org, cycle: Cycle | None = cycle) -> bytes:
            return json.dumps(cascade(org=org, cycle=cycle), cls=DjangoJSONEncoder, separators=(",", ":")).encode()

        by_depth = objectives_by_depth(org)
        statements, rollup_seconds = measure_rollup(org, by_depth[max(by_depth)])
        rows.append(
            {
                "objectives": n,
                "key_results": KeyResult.objects.filter(organization=org).count(),
                "reconcile_seconds": best_of(3, lambda org=org: reconcile.reconcile_organization(org=org)),
                "scan_seconds": best_of(3, scan),
                "cascade_build_seconds": best_of(2, build),
                "cascade_bytes": len(build()),
                "rollup_depth": max(by_depth),
                "rollup_statements": statements,
                "rollup_seconds": rollup_seconds,
            }
        )
        print(f"  {rows[-1]['key_results']:>7,} key results measured", flush=True)
    figures["growth"] = rows


def reminder_figures(figures: dict) -> None:
    from datetime import datetime, timedelta

    from django.test.utils import override_settings
    from django.utils import timezone

    from notifications.models import Notification, ReminderClaim
    from reminders.sweep import sweep_organization

    org = Organization.objects.get(slug=KPI_ORG)
    ReminderClaim.objects.filter(organization=org).delete()
    Notification.objects.filter(organization=org).delete()
    local = timezone.localtime(timezone.now(), org.tzinfo)
    now = datetime.combine(local.date(), datetime.min.time(), tzinfo=org.tzinfo) + timedelta(
        hours=org.reminder_hour, minutes=5
    )
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            first = sweep_organization(org=org, now=now)
        seconds = time.perf_counter() - started
        second = sweep_organization(org=org, now=now)
    figures["reminders"] = {
        "kpis": 10_000,
        "seconds": seconds,
        "statements": len(ctx.captured_queries),
        "sent": first.sent,
        "second_run_sent": second.sent,
    }


def only_forecast(figures: dict) -> None:
    """The forecasts ÷ cascade figure alone, on a 2,000-objective organisation (seeded when missing)."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if HTTP_ORG_OBJECTIVES not in orgs_by_size():
        print(f"adding a {HTTP_ORG_OBJECTIVES:,}-objective organisation ...", flush=True)
        call_command("seed_large", orgs=1, objectives=HTTP_ORG_OBJECTIVES, verbosity=0)
    forecast_figures(figures, org=http_org())
    report(figures)


def only_progress(figures: dict) -> None:
    """The reconcile ÷ scan ratio on trees and on graphs, and the rollup's statements per
    check-in on a tree and on a graph, on the organisations seeded (a 2,000-objective one
    added when missing): minutes, not the hour of the whole benchmark."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if HTTP_ORG_OBJECTIVES not in orgs_by_size():
        print(f"adding a {HTTP_ORG_OBJECTIVES:,}-objective organisation ...", flush=True)
        call_command("seed_large", orgs=1, objectives=HTTP_ORG_OBJECTIVES, verbosity=0)
    progress_figures(figures)
    report(figures)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    # The defaults are the deployment's (Dockerfile, docker-compose.yml): chosen by this benchmark.
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--skip-http", action="store_true", help="only the in-process figures")
    parser.add_argument(
        "--only-hung-broker",
        action="store_true",
        help="only check-in throughput with the broker hung ÷ healthy, on a 200-objective organisation",
    )
    parser.add_argument(
        "--only-forecast", action="store_true", help="only the forecasts ÷ cascade figure, on a 2,000-objective org"
    )
    parser.add_argument(
        "--only-progress",
        action="store_true",
        help="only the reconcile (tree and graph) and the rollup's statements (tree and graph), on what is seeded",
    )
    parser.add_argument("--json", help="where to write the figures (default var/benchmark-<vendor>.json)")
    parser.add_argument("--plot", help="where to draw the growth chart (default docs/performance-growth-<vendor>.svg)")
    return parser.parse_args()


def main() -> None:
    import json

    args = _arguments()
    started = time.perf_counter()
    figures: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "database": connection.vendor,
    }
    print(f"okrkpi benchmark on {connection.vendor}; {figures['machine']}", flush=True)
    load_options = {
        "seconds": args.seconds,
        "connections": args.connections,
        "workers": args.workers,
        "worker_class": args.worker_class,
        "threads": args.threads,
    }
    if args.only_forecast:
        only_forecast(figures)
        return
    if args.only_progress:
        only_progress(figures)
        return
    if args.only_hung_broker:
        print("check-ins with the broker healthy, then hung (wrk) ...", flush=True)
        hung_broker_figures(figures, org=ensure_small_org(), **load_options)
        report(figures)
        return
    ensure_data()
    progress_figures(figures)
    print("growth (1k, 10k, 100k key results) ...", flush=True)
    growth_figures(figures)
    reminder_figures(figures)
    print("forecasts of the 2,000-objective organisation ...", flush=True)
    forecast_figures(figures, org=http_org())
    if not args.skip_http:
        print("load (wrk, 16 connections) ...", flush=True)
        http_figures(figures, org=http_org(), **load_options)
        print("check-ins with the broker hung (wrk) ...", flush=True)
        hung_broker_figures(figures, org=http_org(), **load_options)
    figures["seconds"] = time.perf_counter() - started
    report(figures)
    from django.conf import settings

    out = Path(args.json or Path(settings.VAR_DIR) / f"benchmark-{connection.vendor}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    docs = Path(__file__).resolve().parent.parent / "docs"
    plot = Path(args.plot or docs / f"performance-growth-{connection.vendor}.svg")
    write_plot(figures, plot)
    print(f"\nfigures written to {out}, the growth chart to {plot} ({figures['seconds']:.0f} s in all)")


if __name__ == "__main__":
    main()
