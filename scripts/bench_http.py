"""The benchmark's figures under load: the check-in, the cascade and the dashboard against
gunicorn with the production settings and a real Celery worker (wrk), and the check-in
with the broker hung.

Imported by ``scripts/benchmark.py`` once Django is set up; the processes, ports and wrk's
output are ``scripts/load.py``'s. Here: the credentials the load uses, the database's
state before it (vacuum, checkpoint, commit latency), the host's CPU steal during it,
a broker that hangs, and the repair after it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import load
from bench_report import commits_text
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from cycles.models import Cycle
from objectives import reconcile, rollup
from objectives.models import KeyResult, Objective
from orgs.models import Organization


def bench_credentials(org: Organization) -> tuple[str, str, str]:
    """An API token and a session cookie for the organisation's admin (seed_large's users cannot log in)."""
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


def latest_cycle(org: Organization) -> Cycle | None:
    return Cycle.objects.filter(organization=org).order_by("-start_date").first()


def sample_key_results(org: Organization, cycle: Cycle | None) -> list[int]:
    """500 key results of the cycle, in random order: what the check-ins of the load go to."""
    return list(
        KeyResult.objects.filter(organization=org, objective__cycle=cycle)
        .order_by("?")
        .values_list("id", flat=True)[:500]
    )


def check_in_body(kr_ids: list[int]) -> bytes:
    return f'{{"key_result": {kr_ids[0]}, "value": 1, "confidence": 5}}'.encode()


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


def production_env() -> dict[str, str]:
    """The environment of the production processes the load runs against, static files collected."""
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


def roll_up_outbox() -> None:
    """Roll up the outbox: rollups an interrupted run left there (its messages are gone with its worker)."""
    from objectives.models import RollupPending

    for org_id in RollupPending.objects.values_list("organization_id", flat=True).distinct():
        rollup.rollup_pending(org_id=org_id)


def repair_after_load(org: Organization) -> None:
    """What the worker and the repair sweep would do after a load without them: roll up the
    outbox and reconcile an organisation marked dirty."""
    roll_up_outbox()
    for dirty in Organization.objects.filter(rollup_dirty_since__isnull=False):
        reconcile.reconcile_organization(org=dirty)
        Organization.objects.filter(pk=dirty.pk).update(rollup_dirty_since=None)


# --- check-ins with the broker hung --------------------------------------------------------


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
    cycle = latest_cycle(org)
    token, _session, _email = bench_credentials(org)
    kr_ids = sample_key_results(org, cycle)
    wrk = load.ensure_wrk()
    repair_after_load(org)
    env = production_env()
    run = {
        "path": f"/api/v1/orgs/{org.slug}/check-ins/",
        "auth": {"Authorization": f"Token {token}", "Host": "127.0.0.1"},
        "kr_ids": kr_ids,
        "wrk": wrk,
        "seconds": seconds,
        "connections": connections,
        "server": {"workers": workers, "worker_class": worker_class, "threads": threads},
    }
    results: dict[str, dict] = {}
    broker = HungBroker()
    broker.start()
    try:
        for name, broker_env, with_worker in (
            ("healthy", {}, True),
            # The one Redis of docker-compose.yml, cache and broker, hangs; no worker could use it.
            ("hung", {"REDIS_URL": broker.url, "CELERY_BROKER_URL": broker.url}, False),
        ):
            results[name] = _check_in_load(name, env={**env, **broker_env}, with_worker=with_worker, **run)
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


def _check_in_load(
    name: str,
    *,
    env: dict[str, str],
    with_worker: bool,
    path: str,
    auth: dict[str, str],
    kr_ids: list[int],
    wrk: str,
    seconds: int,
    connections: int,
    server: dict,
) -> dict:
    """The check-in load against a server of its own, with the broker ``name`` says."""
    web = load.Server(env=env, celery_worker=with_worker, **server)
    web.start()
    try:
        url = f"{web.base}{path}"
        status = load.probe(url, headers=auth, body=check_in_body(kr_ids))
        if status != 201:
            raise SystemExit(f"check-in ({name} broker): {url} answered {status}; see {web.logdir}")
        load.run_wrk(wrk, url, headers=auth, seconds=3, connections=connections, post_ids=kr_ids)  # warm-up
        r = load.run_wrk(wrk, url, headers=auth, seconds=seconds, connections=connections, post_ids=kr_ids)
        if with_worker:
            wait_for_queue(settings.CELERY_BROKER_URL)
    finally:
        web.stop()
    print(
        f"  check-in, broker {name:7} {r.rps:8.1f} req/s  p50 {r.p50_ms:7.1f} ms  "
        f"p99 {r.p99_ms:7.1f} ms  errors {r.errors}",
        flush=True,
    )
    return r.__dict__


# --- the check-in, the cascade and the dashboard under load --------------------------------


def http_figures(
    figures: dict, *, org: Organization, seconds: int, connections: int, workers: int, worker_class: str, threads: int
) -> None:
    cycle = latest_cycle(org)
    token, session, _email = bench_credentials(org)
    kr_ids = sample_key_results(org, cycle)
    wrk = load.ensure_wrk()
    env, commits = _before_the_load()
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
            results[name] = _endpoint_load(
                name, url, headers, post_ids, wrk=wrk, seconds=seconds, connections=connections, logdir=server.logdir
            )
        rss = server.peak_rss_mb()
        wait_for_queue(settings.CELERY_BROKER_URL)
    finally:
        server.stop()
    base = results["cheapest_get"]["rps"]
    for name in ("check_in", "cascade", "dashboard"):
        results[name]["ratio"] = results[name]["rps"] / base
    figures["http"] = {
        "organisation_objectives": Objective.objects.filter(organization=org).count(),
        "connections": connections,
        "gunicorn": f"{workers} × {worker_class}" + (f" ({threads} threads)" if worker_class == "gthread" else ""),
        **results,
        "web_worker_peak_rss_mb": rss,
        "commit_latency": commits,
    }
    drift = reconcile.reconcile_organization(org=Organization.objects.get(pk=org.pk)).repaired
    figures["drift_after_load"] = drift


def _before_the_load() -> tuple[dict[str, str], dict | None]:
    """The outbox rolled up, the churned tables vacuumed, the production environment with
    its static files, and the database's commit latency before the load."""
    roll_up_outbox()
    autovacuum = vacuum_churned()
    if autovacuum == "off":
        print("  note: this PostgreSQL runs without autovacuum; the benchmark vacuums what it churns", flush=True)
    env = production_env()
    commits = commit_latency()
    if commits:
        print(f"  database commits (WAL flush) before the load: {commits_text(commits)}", flush=True)
    return env, commits


def _endpoint_load(
    name: str,
    url: str,
    headers: dict[str, str],
    post_ids: list[int] | None,
    *,
    wrk: str,
    seconds: int,
    connections: int,
    logdir: Path,
) -> dict:
    """One endpoint under load, with the database's commits and the host's CPU steal meanwhile."""
    body = check_in_body(post_ids) if post_ids else None
    status = load.probe(url, headers=headers, body=body)
    if status != (201 if post_ids else 200):
        raise SystemExit(f"{name}: {url} answered {status}; see {logdir}")
    load.run_wrk(wrk, url, headers=headers, seconds=5, connections=connections, post_ids=post_ids)  # warm-up
    probe = CommitProbe(seconds)
    probe.start()
    cpu_before = cpu_times()
    r = load.run_wrk(wrk, url, headers=headers, seconds=seconds, connections=connections, post_ids=post_ids)
    stolen = stolen_share(cpu_before, cpu_times())
    probe.join()
    # The next figure starts once the worker has caught up (on the filesystem broker, draining
    # a check-in burst takes a while, and each rollup makes the next document a new one).
    wait_for_queue(settings.CELERY_BROKER_URL)
    print(
        f"  {name:13} {r.rps:8.1f} req/s  p50 {r.p50_ms:7.1f} ms  p99 {r.p99_ms:7.1f} ms  errors {r.errors}"
        + (f"  CPU stolen {stolen:.0%}" if stolen is not None else "")
        + (f"  (database commits meanwhile: {commits_text(probe.result)})" if probe.result else ""),
        flush=True,
    )
    return {**r.__dict__, "commits": probe.result, "cpu_stolen": stolen}
