"""Celery is configured as DESIGN §5 says, and every scheduled job names a real task."""

from __future__ import annotations

import pytest
from django.conf import settings

from okrkpi.celery import app
from okrkpi.schedules import BEAT_SCHEDULE


def test_reliability_settings():
    conf = app.conf
    assert conf.task_acks_late is True and conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_soft_time_limit and conf.task_time_limit > conf.task_soft_time_limit
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.broker_connection_timeout <= 1


def test_redis_publishing_gives_up_fast():
    options = settings.REDIS_TRANSPORT_OPTIONS
    assert options["socket_connect_timeout"] <= 1 and options["socket_timeout"] <= 1
    assert options["max_retries"] == 0


def test_progress_tasks_retry_transient_database_errors_with_backoff_and_jitter():
    from objectives.tasks import rollup_objective_task

    assert rollup_objective_task.acks_late is True
    assert rollup_objective_task.retry_backoff and rollup_objective_task.retry_jitter
    assert rollup_objective_task.max_retries >= 3
    assert rollup_objective_task.autoretry_for


def test_every_scheduled_job_is_a_registered_task():
    app.loader.import_default_modules()
    assert {"repair-dirty-rollups", "reconcile-all", "snapshot-progress", "send-reminders"} <= set(BEAT_SCHEDULE)
    for entry in BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_broker_follows_the_environment(settings):
    """With REDIS_URL (CI's PostgreSQL run) Redis with the short timeouts; without it
    (the embedded default) kombu's filesystem broker under var/."""
    if not settings.BROKER_IS_EMBEDDED:
        assert settings.CELERY_BROKER_URL.startswith("redis")
        assert settings.CELERY_BROKER_TRANSPORT_OPTIONS == settings.REDIS_TRANSPORT_OPTIONS
        return
    assert settings.CELERY_BROKER_URL == "filesystem://"
    folders = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert all(str(settings.VAR_DIR) in folders[k] for k in ("data_folder_in", "processed_folder", "control_folder"))


def test_the_embedded_broker_waits_briefly_so_ctrl_c_stops_the_worker_at_once(monkeypatch):
    """Celery's worker loop waits two seconds for a message before it looks for a shutdown
    request, and once more after it; the embedded transport caps each wait, so `make run`'s
    worker starts its warm shutdown within a quarter of a second of Ctrl-C."""
    from kombu import Connection
    from kombu.transport import filesystem

    from core import embedded_broker

    asked: list[float | None] = []
    monkeypatch.setattr(filesystem.Transport, "drain_events", lambda self, conn, timeout=None: asked.append(timeout))
    with Connection("filesystem://") as conn:  # the scheme alone picks the capped transport
        assert isinstance(conn.transport, embedded_broker.Transport)
        conn.transport.drain_events(conn.connection, timeout=2.0)  # what celery.worker.loops.synloop asks
        conn.transport.drain_events(conn.connection, timeout=0.1)
        conn.transport.drain_events(conn.connection)  # a blocking wait stays blocking
    assert asked == [embedded_broker.MAX_WAIT, 0.1, None]


def _queues_of(command: str) -> set[str]:
    import re

    found = re.search(r"(?:--queues|-Q)[= ](\S+)", command)
    return set(found.group(1).split(",")) if found else set(app.amqp.queues)


def test_workers_and_beat_retry_the_broker_forever():
    """A Redis restart must not end a worker (it exited for good with a limit of 0);
    only web-side publishing gives up fast, through the transport's own options."""
    conf = app.conf
    assert conf.broker_connection_retry is True and conf.broker_connection_retry_on_startup is True
    assert conf.broker_connection_max_retries is None


def test_a_worker_started_without_queues_consumes_every_queue():
    """`celery -A okrkpi worker` without --queues consumes the declared queues: every one
    a task is routed to, not only the default queue."""
    app.loader.import_default_modules()
    declared = set(app.amqp.queues)
    assert declared == set(settings.CELERY_QUEUE_NAMES)
    routed = {app.amqp.router.route({}, name)["queue"].name for name in app.tasks if not name.startswith("celery.")}
    assert routed <= declared, routed - declared
    # --queues specialises: the worker consumes exactly those.
    selected = app.amqp.Queues(app.conf.task_queues)
    selected.select(["rollups", "celery"])
    assert set(selected.consume_from) == {"rollups", "celery"}


def test_tasks_go_to_their_own_queues():
    """A reminder or digest storm, or an export, never sits in front of rollups."""
    app.loader.import_default_modules()
    route = app.amqp.router.route
    assert route({}, "objectives.rollup_objective")["queue"].name == "rollups"
    assert route({}, "objectives.reconcile_all")["queue"].name == "rollups"
    assert route({}, "notifications.send_reminders")["queue"].name == "reminders"
    assert route({}, "reminders.send_digests")["queue"].name == "reminders"
    assert route({}, "objectives.export_cycle")["queue"].name == "exports"
    assert route({}, "core.tasks.heartbeat")["queue"].name == "celery"


def test_every_task_is_consumed_by_a_worker_in_each_deployment():
    """docker-compose's workers together, and the embedded worker alone, consume every queue
    a registered task is routed to."""
    from pathlib import Path

    import yaml

    app.loader.import_default_modules()
    root = Path(__file__).resolve().parents[2]
    services = yaml.safe_load((root / "docker-compose.yml").read_text())["services"]
    compose = set().union(*(_queues_of(s["command"]) for n, s in services.items() if n.startswith("worker")))
    procfile = next(line for line in (root / "Procfile.dev").read_text().splitlines() if line.startswith("worker:"))
    embedded = _queues_of(procfile)
    rollups_worker = _queues_of(services["worker"]["command"])
    assert "reminders" not in rollups_worker and "exports" not in rollups_worker
    for name in app.tasks:
        if name.startswith("celery."):
            continue
        queue = app.amqp.router.route({}, name)["queue"].name
        assert queue in compose, (name, queue)
        assert queue in embedded, (name, queue)


def test_the_worker_keeps_its_database_connection_between_tasks():
    """Celery's Django fixup closes every connection around every task unless
    ``CELERY_DB_REUSE_MAX`` is set; it is, and the fixup reads it."""
    from celery.fixups.django import DjangoWorkerFixup

    assert settings.CELERY_DB_REUSE_MAX >= 100
    assert DjangoWorkerFixup(app).db_reuse_max == settings.CELERY_DB_REUSE_MAX


def _connected(signal: object, receiver: object) -> bool:
    import weakref

    found = [r() if isinstance(r, weakref.ReferenceType) else r for _key, r in signal.receivers]
    return receiver in found


@pytest.mark.django_db(transaction=True)
def test_around_a_task_a_sound_connection_is_kept_and_an_old_one_closed():
    """Django's request rules around each task: CONN_MAX_AGE and errors decide, not the task."""
    from celery.signals import task_postrun, task_prerun
    from django.db import connection

    from okrkpi.celery import _recycle_connections

    assert _connected(task_prerun, _recycle_connections) and _connected(task_postrun, _recycle_connections)
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory test database ignores closing (Django keeps it alive)")
    task = type("Task", (), {"request": type("Request", (), {"is_eager": False})()})()
    connection.close()  # a fresh connection, whatever earlier tests left
    connection.ensure_connection()
    raw = connection.connection
    _recycle_connections(task=task)
    _recycle_connections(task=task)
    assert connection.connection is raw  # kept, with whatever it has prepared
    connection.close_at = 0  # past CONN_MAX_AGE
    _recycle_connections(task=task)
    assert connection.connection is None


@pytest.mark.django_db
def test_an_eager_task_leaves_its_callers_connection_alone():
    """Tests and inline runs call tasks eagerly inside the caller's transaction."""
    from django.db import connection

    from okrkpi.celery import _recycle_connections

    task = type("Task", (), {"request": type("Request", (), {"is_eager": True})()})()
    connection.ensure_connection()
    raw = connection.connection
    connection.close_at = 0
    _recycle_connections(task=task)
    assert connection.connection is raw
