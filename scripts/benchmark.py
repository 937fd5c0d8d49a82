#!/usr/bin/env python
"""The benchmark of DESIGN §7, in one command, on the current database.

Loads ``seed_large`` when it is missing (20 organisations × 1,000 objectives ×
5 key results, trees 12 levels deep, plus one 2,000-objective organisation and
one with 10,000 KPIs), then prints, measured in one run, as ratios against a
lower bound measured in the same run:

  * the full reconcile of every organisation ÷ one aggregate scan of the
    key-result table (target ≤ 5);
  * the SQL statements of one check-in's rollup at depths 1, 6 and 12
    (target ≤ depth + 3);
  * under 16 connections (wrk) against gunicorn with the production settings
    and a real Celery worker: the check-in POST, the cascade and the dashboard,
    each as throughput ÷ the cheapest tenant GET (target ≥ 0.2) and p50/p99
    (check-in p99 target ≤ 100 ms);
  * the peak RSS of a web worker after serving the largest cascade;
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
"""

from __future__ import annotations

import os
import platform
import secrets
import subprocess
import sys
import threading
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

from django.core.serializers.json import DjangoJSONEncoder  # noqa: E402
from django.db import DatabaseError, connection, transaction  # noqa: E402
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
    org = http_org()
    by_depth = objectives_by_depth(org)
    figures["rollup_statements"] = {}
    for depth in (1, 6, 12):
        oid = by_depth.get(depth)
        if oid is not None:
            figures["rollup_statements"][str(depth)] = measure_rollup(org, oid)[0]


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


def bench_credentials(org: Organization) -> tuple[str, str, str]:
    """An API token and a session cookie for the organisation's admin (seed_large's users cannot log in)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework.authtoken.models import Token

    from orgs.models import Membership, Role

    admin = Membership.objects.filter(organization=org, role=Role.ADMIN).select_related("user").first().user  # type: ignore[union-attr]
    token, _created = Token.objects.get_or_create(user=admin)
    session = SessionStore()
    session[SESSION_KEY] = str(admin.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = admin.get_session_auth_hash()
    session.create()
    return token.key, session.session_key, admin.email


def wait_for_queue(broker_url: str, timeout: float = 300) -> None:
    """Until the worker has taken and finished every queued rollup, and the outbox is empty."""
    from objectives.models import RollupPending

    deadline = time.monotonic() + timeout
    while RollupPending.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.3)
    if broker_url.startswith("redis"):
        import redis

        client = redis.Redis.from_url(broker_url)
        while time.monotonic() < deadline:
            if client.llen("rollups") == 0 and client.llen("celery") == 0 and client.hlen("unacked") == 0:
                return
            time.sleep(0.5)
    else:
        from django.conf import settings

        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        while time.monotonic() < deadline:
            if not any(folder.glob("*")):
                time.sleep(2)  # the last taken message may still be running
                return
            time.sleep(0.5)
    raise SystemExit("the worker did not drain its queue in time")


CHURNED = ("objectives_keyresult", "objectives_objective", "objectives_rolluppending", "orgs_organization")


def vacuum_churned() -> str | None:
    """PostgreSQL: vacuum the tables the load rewrites, so every run starts from the same
    state. Production databases have autovacuum for this; some machines (this one's
    PostgreSQL among them) turn it off, and then each run's dead rows slow the next.

    Then a checkpoint, so that the load does not pay for the writes the seeding and the
    vacuum left behind: the checkpoint that would flush them runs for minutes, and on this
    machine's disk a WAL flush behind it took 100 ms to 1 s, every commit waiting for it
    (docs/performance.md). A checkpoint also restarts ``checkpoint_timeout``, so none
    starts during the load."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(CHURNED)}")
        try:
            cursor.execute("CHECKPOINT")
        except DatabaseError as exc:  # needs a superuser or pg_checkpoint
            print(f"  note: no checkpoint before the load ({str(exc).strip()})", flush=True)
    return autovacuum


def commit_latency(seconds: float = 5.0, pause: float = 0.005) -> dict | None:
    """PostgreSQL: how long a commit of one tiny WAL record takes on this database (a
    transactional logical message: it touches no table, and its commit waits for the WAL
    flush like a check-in's). The floor under every write's latency, and the disk's
    stalls: a slow flush holds up every commit behind it, which is how a check-in's p99 can
    jump while its median does not move."""
    if connection.vendor != "postgresql":
        return None
    times: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_logical_emit_message(true, 'okrkpi-benchmark', '')")
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(pause)
    times.sort()
    n = len(times)
    return {
        "commits": n,
        "p50_ms": times[n // 2],
        "p99_ms": times[int(n * 0.99)],
        "max_ms": times[-1],
        "over_50_ms": sum(t > 50 for t in times),
    }


def cpu_times() -> list[int] | None:
    """The machine's CPU counters (``/proc/stat``: user … steal), or None off Linux."""
    try:
        with open("/proc/stat") as f:
            return [int(x) for x in f.readline().split()[1:9]]
    except OSError:
        return None


def stolen_share(before: list[int] | None, after: list[int] | None) -> float | None:
    """The share of the machine's CPU time the hypervisor gave to other machines between
    two readings: a shared host's neighbours slow every figure of the run alike."""
    if not before or not after:
        return None
    delta = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(delta)
    return delta[7] / total if total else None


class CommitProbe(threading.Thread):
    """``commit_latency`` in a thread of its own (its own connection) while a load runs:
    fifty empty commits a second, next to hundreds of check-ins."""

    def __init__(self, seconds: float) -> None:
        super().__init__(daemon=True)
        self.seconds = seconds
        self.result: dict | None = None

    def run(self) -> None:
        try:
            self.result = commit_latency(self.seconds, pause=0.02)
        finally:
            connection.close()


def _commits_text(c: dict) -> str:
    return (
        f"p50 {c['p50_ms']:.1f} ms, p99 {c['p99_ms']:.1f} ms, max {c['max_ms']:.0f} ms, "
        f"{c['over_50_ms']} of {c['commits']} over 50 ms"
    )


def production_env() -> dict[str, str]:
    """The environment of the production processes the load runs against, static files collected."""
    import load
    from django.conf import settings

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "okrkpi.settings.production",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "OKRKPI_VAR_DIR": str(settings.VAR_DIR),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=load.ROOT, env=env, check=True
    )
    return env


class HungBroker(threading.Thread):
    """A broker that hangs: a TCP listener on a port of its own that accepts every
    connection and never answers (what a Redis stuck on a full disk, or SIGSTOPped,
    looks like to a client: the connection opens, the commands time out)."""

    def __init__(self) -> None:
        import socket

        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted: list = []
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(conn)

    def stop(self) -> None:
        self.stopping.set()
        self.join(2)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


def repair_after_load(org: Organization) -> None:
    """What the worker and the repair sweep would do after a load without them: roll up the
    outbox and reconcile an organisation marked dirty."""
    from objectives.models import RollupPending

    for org_id in RollupPending.objects.values_list("organization_id", flat=True).distinct():
        rollup.rollup_pending(org_id=org_id)
    for dirty in Organization.objects.filter(rollup_dirty_since__isnull=False):
        reconcile.reconcile_organization(org=dirty)
        Organization.objects.filter(pk=dirty.pk).update(rollup_dirty_since=None)


def hung_broker_figures(
    figures: dict, *, org: Organization, seconds: int, connections: int, workers: int, worker_class: str, threads: int
) -> None:
    """Check-in throughput with the broker hung, as a ratio to the same load with it
    healthy (target ≥ 0.5). Each publish to a hung broker waits for its time-out (about a
    second); after one, a web process leaves the broker alone for a while
    (``BROKER_PUBLISH_BACKOFF_SECONDS``) and check-ins go to the outbox and the dirty
    mark. The Redis that hangs is the cache's too (``REDIS_URL``), as in docker-compose.yml:
    with the cache up, its "batch queued" flag would spare most check-ins the publish and
    hide the cost."""
    import load
    from django.conf import settings

    from cycles.models import Cycle

    cycle = Cycle.objects.filter(organization=org).order_by("-start_date").first()
    token, _session, _email = bench_credentials(org)
    kr_ids = list(
        KeyResult.objects.filter(organization=org, objective__cycle=cycle)
        .order_by("?")
        .values_list("id", flat=True)[:500]
    )
    wrk = load.ensure_wrk()
    repair_after_load(org)
    env = production_env()
    auth = {"Authorization": f"Token {token}", "Host": "127.0.0.1"}
    body = f'{{"key_result": {kr_ids[0]}, "value": 1, "confidence": 5}}'.encode()
    results: dict[str, dict] = {}
    broker = HungBroker()
    broker.start()
    try:
        for name, broker_env, with_worker in (
            ("healthy", {}, True),
            # The one Redis of docker-compose.yml, cache and broker, hangs; no worker could use it.
            ("hung", {"REDIS_URL": broker.url, "CELERY_BROKER_URL": broker.url}, False),
        ):
            server = load.Server(
                env={**env, **broker_env},
                workers=workers,
                worker_class=worker_class,
                threads=threads,
                celery_worker=with_worker,
            )
            server.start()
            try:
                url = f"{server.base}/api/v1/orgs/{org.slug}/check-ins/"
                status = load.probe(url, headers=auth, body=body)
                if status != 201:
                    raise SystemExit(f"check-in ({name} broker): {url} answered {status}; see {server.logdir}")
                load.run_wrk(wrk, url, headers=auth, seconds=3, connections=connections, post_ids=kr_ids)  # warm-up
                r = load.run_wrk(wrk, url, headers=auth, seconds=seconds, connections=connections, post_ids=kr_ids)
                if with_worker:
                    wait_for_queue(settings.CELERY_BROKER_URL)
            finally:
                server.stop()
            results[name] = r.__dict__
            print(
                f"  check-in, broker {name:7} {r.rps:8.1f} req/s  p50 {r.p50_ms:7.1f} ms  "
                f"p99 {r.p99_ms:7.1f} ms  errors {r.errors}",
                flush=True,
            )
    finally:
        broker.stop()
        repair_after_load(org)
    figures["hung_broker"] = {
        "organisation": org.slug,
        "connections": connections,
        "backoff_seconds": settings.BROKER_PUBLISH_BACKOFF_SECONDS,
        "broker_connections_while_hung": len(broker.accepted),
        **results,
        "ratio": results["hung"]["rps"] / results["healthy"]["rps"],
    }


def http_figures(
    figures: dict, *, seconds: int, connections: int, workers: int, worker_class: str, threads: int
) -> None:
    import load
    from django.conf import settings

    from cycles.models import Cycle

    org, size = http_org(), HTTP_ORG_OBJECTIVES
    cycle = Cycle.objects.filter(organization=org).order_by("-start_date").first()
    token, session, _email = bench_credentials(org)
    kr_ids = list(
        KeyResult.objects.filter(organization=org, objective__cycle=cycle)
        .order_by("?")
        .values_list("id", flat=True)[:500]
    )
    wrk = load.ensure_wrk()
    # Rollups an interrupted run left in the outbox (its messages are gone with its worker).
    from objectives.models import RollupPending

    for org_id in RollupPending.objects.values_list("organization_id", flat=True).distinct():
        rollup.rollup_pending(org_id=org_id)
    autovacuum = vacuum_churned()
    if autovacuum == "off":
        print("  note: this PostgreSQL runs without autovacuum; the benchmark vacuums what it churns", flush=True)
    env = production_env()
    commits = commit_latency()
    if commits:
        print(f"  database commits (WAL flush) before the load: {_commits_text(commits)}", flush=True)
    server = load.Server(env=env, workers=workers, worker_class=worker_class, threads=threads)
    server.start()
    wait_for_queue(settings.CELERY_BROKER_URL)  # rollups left by an earlier, interrupted run go first
    api = f"{server.base}/api/v1/orgs/{org.slug}"
    auth = {"Authorization": f"Token {token}", "Host": "127.0.0.1"}
    cookie = {"Cookie": f"sessionid={session}", "Host": "127.0.0.1"}
    runs = {
        "cheapest_get": (f"{api}/cycles/", auth, None),
        "check_in": (f"{api}/check-ins/", auth, kr_ids),
        "cascade": (f"{api}/cascade/?cycle={cycle.pk}", auth, None),  # type: ignore[union-attr]
        "dashboard": (f"{server.base}/o/{org.slug}/", cookie, None),
    }
    results: dict[str, dict] = {}
    try:
        for name, (url, headers, post_ids) in runs.items():
            body = f'{{"key_result": {post_ids[0]}, "value": 1, "confidence": 5}}'.encode() if post_ids else None
            status = load.probe(url, headers=headers, body=body)
            if status != (201 if post_ids else 200):
                raise SystemExit(f"{name}: {url} answered {status}; see {server.logdir}")
            load.run_wrk(wrk, url, headers=headers, seconds=5, connections=connections, post_ids=post_ids)  # warm-up
            probe = CommitProbe(seconds)
            probe.start()
            cpu_before = cpu_times()
            r = load.run_wrk(wrk, url, headers=headers, seconds=seconds, connections=connections, post_ids=post_ids)
            stolen = stolen_share(cpu_before, cpu_times())
            probe.join()
            results[name] = {**r.__dict__, "commits": probe.result, "cpu_stolen": stolen}
            # The next figure starts once the worker has caught up (on the filesystem broker, draining
            # a check-in burst takes a while, and each rollup makes the next document a new one).
            wait_for_queue(settings.CELERY_BROKER_URL)
            print(
                f"  {name:13} {r.rps:8.1f} req/s  p50 {r.p50_ms:7.1f} ms  p99 {r.p99_ms:7.1f} ms  errors {r.errors}"
                + (f"  CPU stolen {stolen:.0%}" if stolen is not None else "")
                + (f"  (database commits meanwhile: {_commits_text(probe.result)})" if probe.result else ""),
                flush=True,
            )
        rss = server.peak_rss_mb()
        wait_for_queue(settings.CELERY_BROKER_URL)
    finally:
        server.stop()
    base = results["cheapest_get"]["rps"]
    for name in ("check_in", "cascade", "dashboard"):
        results[name]["ratio"] = results[name]["rps"] / base
    figures["http"] = {
        "organisation_objectives": size,
        "connections": connections,
        "gunicorn": f"{workers} × {worker_class}" + (f" ({threads} threads)" if worker_class == "gthread" else ""),
        **results,
        "web_worker_peak_rss_mb": rss,
        "commit_latency": commits,
    }
    drift = reconcile.reconcile_organization(org=Organization.objects.get(pk=org.pk)).repaired
    figures["drift_after_load"] = drift


def hung_broker_row(figures: dict) -> tuple[str, str, str] | None:
    b = figures.get("hung_broker")
    if not b:
        return None
    return (
        "check-in, broker hung ÷ healthy",
        f"{b['ratio']:.2f}× ({b['hung']['rps']:.0f} ÷ {b['healthy']['rps']:.0f} req/s, "
        f"p99 hung {b['hung']['p99_ms']:.0f} ms, errors {b['hung']['errors']}, "
        f"{b['broker_connections_while_hung']} connections to the hung broker)",
        "≥ 0.5",
    )


def report(figures: dict) -> None:
    rows: list[tuple[str, str, str]] = []
    d = figures.get("data")
    if d:
        rows.append(
            ("data", f"{d['organisations']} orgs, {d['objectives']:,} objectives, {d['key_results']:,} KRs", "")
        )
    r = figures.get("reconcile")
    if r:
        rows.append(
            (
                "full reconcile ÷ aggregate scan",
                f"{r['ratio']:.2f}× ({r['seconds']:.2f} s ÷ {r['scan_seconds']:.3f} s)",
                "≤ 5",
            )
        )
    for depth, n in figures.get("rollup_statements", {}).items():
        rows.append((f"rollup statements, depth {depth}", str(n), f"≤ {int(depth) + 3}"))
    h = figures.get("http")
    if h:
        rows.append(
            (
                "cheapest tenant GET",
                f"{h['cheapest_get']['rps']:.0f} req/s, p99 {h['cheapest_get']['p99_ms']:.0f} ms",
                "baseline",
            )
        )
        for name, target in (("check_in", "≥ 0.2, p99 ≤ 100 ms"), ("cascade", "≥ 0.2"), ("dashboard", "≥ 0.2")):
            x = h[name]
            rows.append(
                (
                    f"{name.replace('_', '-')} ÷ cheapest GET",
                    f"{x['ratio']:.2f}× ({x['rps']:.0f} req/s, p50 {x['p50_ms']:.0f} ms, "
                    f"p99 {x['p99_ms']:.0f} ms, errors {x['errors']})",
                    target,
                )
            )
        # Every write waits for its commit's WAL flush: a disk whose flushes stall shows in
        # the check-in's tail first (docs/performance.md, "The disk").
        for label, c in (
            ("database commits, idle", h.get("commit_latency")),
            ("database commits, check-in load", h["check_in"].get("commits")),
        ):
            if c:
                rows.append((label, _commits_text(c), ""))
        stolen = [(n, h[n].get("cpu_stolen")) for n in ("cheapest_get", "check_in", "cascade", "dashboard")]
        if all(v is not None for _n, v in stolen):
            # A share of a shared host's CPU went to its other machines: every figure of the
            # load is slower by about as much (docs/performance.md, "The machine").
            rows.append(
                (
                    "CPU stolen by the host (GET, check-in, cascade, dashboard)",
                    ", ".join(f"{v:.0%}" for _n, v in stolen),
                    "",
                )
            )
        rows.append(("web worker peak RSS after cascade", f"{h['web_worker_peak_rss_mb']:.0f} MB", ""))
        rows.append(("drift after the load", str(figures["drift_after_load"]), "0"))
    hung = hung_broker_row(figures)
    if hung:
        rows.append(hung)
    m = figures.get("reminders")
    if m:
        rows.append(
            ("reminder sweep, 10,000 KPIs", f"{m['seconds']:.2f} s, {m['statements']} statements, sent {m['sent']}", "")
        )
        rows.append(("reminder sweep, second run", f"sent {m['second_run_sent']}", "0"))
    width = max(len(a) for a, _b, _c in rows)
    print()
    for a, b, c in rows:
        print(f"{a:<{width}}  {b}{'   (target ' + c + ')' if c and c != 'baseline' else ''}")
    growth = figures.get("growth")
    if growth:
        print("\nhow the costs grow with an organisation's size")
        print(
            f"{'key results':>11}  {'reconcile':>10}  {'agg. scan':>10}  {'ratio':>5}  "
            f"{'cascade build':>13}  {'cascade JSON':>12}  {'rollup (depth)':>16}"
        )
        for g in growth:
            ms = {k: v * 1000 for k, v in g.items() if k.endswith("_seconds")}
            print(
                f"{g['key_results']:>11,}  {ms['reconcile_seconds']:>7.1f} ms  {ms['scan_seconds']:>7.1f} ms  "
                f"{g['reconcile_seconds'] / g['scan_seconds']:>5.1f}  {ms['cascade_build_seconds']:>10.1f} ms  "
                f"{g['cascade_bytes'] / 1024:>9.0f} KB  {g['rollup_statements']} st. {ms['rollup_seconds']:5.1f} ms "
                f"({g['rollup_depth']})"
            )


def write_plot(figures: dict, path: Path) -> None:
    from plot import loglog_svg

    growth = figures["growth"]
    svg = loglog_svg(
        title=f"How the costs grow ({figures['database']}, {figures['machine'].split(',')[1].strip()})",
        xs=[g["key_results"] for g in growth],
        series={
            "full reconcile": [g["reconcile_seconds"] for g in growth],
            "aggregate scan": [g["scan_seconds"] for g in growth],
            "cascade build": [g["cascade_build_seconds"] for g in growth],
            "one rollup": [g["rollup_seconds"] for g in growth],
        },
        x_label="key results in the organisation",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg)


def main() -> None:
    import argparse
    import json

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
    parser.add_argument("--json", help="where to write the figures (default var/benchmark-<vendor>.json)")
    parser.add_argument("--plot", help="where to draw the growth chart (default docs/performance-growth-<vendor>.svg)")
    args = parser.parse_args()
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
    if not args.skip_http:
        print("load (wrk, 16 connections) ...", flush=True)
        http_figures(figures, **load_options)
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
