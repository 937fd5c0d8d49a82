"""A real worker outlives a broker restart (DESIGN §5).

The test starts its own redis-server on a free port and a real ``celery -A okrkpi worker``
(started the usual way, without ``--queues``) against it and the test database, kills
Redis under the worker and starts it again, then shows the worker still running and
draining the rollup outbox. It never touches the shared Redis.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from objectives.models import KeyResult, Objective, RollupPending
from tests.conftest import services_required
from tests.objectives.okr_factories import make_cycle, make_objective

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
REDIS_SERVER = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, condition: Callable[[], bool], seconds: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    pytest.fail(f"timed out after {seconds} s waiting for {what}\n{tail}")


class RedisServer:
    """A redis-server of the test's own, without persistence: a restart loses every key."""

    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        self.folder = folder
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.proc = subprocess.Popen(  # noqa: S603 - the installed redis-server, loopback only
            [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2, socket_timeout=0.2)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        _wait("redis-server to answer", answers, 10)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if REDIS_SERVER is None:
        if services_required():
            pytest.fail("redis-server is required for the broker fault test")
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgresql://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(broker: str, folder: Path, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL")} | {
        "DJANGO_SETTINGS_MODULE": "okrkpi.settings.dev",
        "DEBUG": "false",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "OKRKPI_VAR_DIR": str(folder),
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("w") as out:
        # As an operator starts one: no --queues.
        return subprocess.Popen(  # noqa: S603 - our own worker
            [str(CELERY), "-A", "okrkpi", "worker", "--loglevel=INFO", "--pool=threads", "--concurrency=1"]
            + ["--without-mingle", "--without-gossip", "--hostname=fault@%h"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def _publish_rollups(broker: str, org_id: int) -> None:
    """What the web process does after a commit (``objectives.queue.publish_rollups``),
    through a Celery app of the test's own: the test settings run tasks eagerly."""
    from celery import Celery

    web = Celery("web", broker=broker, set_as_current=False)
    web.conf.update(
        task_routes=settings.CELERY_TASK_ROUTES,
        task_default_queue=settings.CELERY_TASK_DEFAULT_QUEUE,
        broker_transport_options=settings.REDIS_TRANSPORT_OPTIONS,
        task_serializer="json",
    )
    try:
        web.send_task("objectives.rollup_pending", args=[org_id], retry=False)
    finally:
        web.close()


def _check_in(objective: Objective, progress: float) -> None:
    """A check-in's writes as the worker sees them: the key result moved, the objective
    waiting in the outbox (the API's check-in writes both in one statement)."""
    KeyResult.objects.filter(objective=objective).update(progress=progress)
    RollupPending.objects.create(organization_id=objective.organization_id, objective_id=objective.pk)


def _progress(objective: Objective) -> float:
    return Objective.objects.values_list("progress", flat=True).get(pk=objective.pk)


@pytest.mark.django_db(transaction=True)
def test_a_worker_survives_a_broker_restart_and_drains_the_outbox_afterwards(world_a, redis_server, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process cannot see SQLite's in-memory test database (run with DATABASE_URL)")
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, krs=1)
    org_id = world_a.org.pk
    log = tmp_path / "worker.log"
    worker = _start_worker(redis_server.url, tmp_path, log)
    try:
        _wait("the worker to be ready", lambda: " ready." in log.read_text(errors="replace"), 40, log)

        # Started without --queues, it takes the rollups queue too.
        _check_in(objective, 0.3)
        _publish_rollups(redis_server.url, org_id)
        _wait("the first rollup", lambda: not RollupPending.objects.exists(), 20, log)
        assert _progress(objective) == pytest.approx(0.3)

        redis_server.kill()
        _wait("the worker to notice", lambda: "Connection to broker lost" in log.read_text(errors="replace"), 10, log)
        # Long enough for a worker that gives up to have given up (it did within a second).
        time.sleep(2)  # the broker stays down on purpose: nothing to poll for
        redis_server.start()

        # Written after the restart, while the worker may still be reconnecting.
        _check_in(objective, 0.8)
        _publish_rollups(redis_server.url, org_id)
        _wait(
            "the rollup after the restart (or the worker's exit)",
            lambda: not RollupPending.objects.exists() or worker.poll() is not None,
            40,
            log,
        )
        assert worker.poll() is None, log.read_text(errors="replace")[-4000:]

        assert _progress(objective) == pytest.approx(0.8)
    finally:
        _stop(worker)
