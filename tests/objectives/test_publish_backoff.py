"""A hung broker must not cut web capacity (DESIGN §5): after one failed publish a web
process leaves the broker alone for a short window, and check-ins in it go straight to
the outbox and the dirty mark. ``scripts/benchmark.py --hung-broker`` measures the
throughput; these tests show the behaviour through the API."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from django.test import override_settings

from core import broker
from objectives.models import KeyResult, Objective, RollupPending
from objectives.tasks import repair_dirty_task
from okrkpi.celery import app as celery_app
from orgs.models import Organization
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


class HungBroker:
    """A TCP listener that accepts connections and never answers, and counts them."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(conn)

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(2)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


def _reset_pools() -> None:
    from kombu import pools

    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def hung_broker(settings):
    """Celery pointed at a hung broker with the production time-outs, as a web process is."""
    broker = HungBroker()
    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager, dict(conf.broker_transport_options or {}))
    conf.broker_url = f"redis://127.0.0.1:{broker.port}/0"
    conf.task_always_eager = False
    conf.broker_transport_options = settings.REDIS_TRANSPORT_OPTIONS
    _reset_pools()
    try:
        yield broker
    finally:
        conf.broker_url, conf.task_always_eager, conf.broker_transport_options = saved
        _reset_pools()
        broker.close()


@pytest.fixture
def key_results(world_a):
    cycle = make_cycle(world_a.org)
    company = make_objective(world_a.org, cycle, title="Company")
    team = make_objective(
        world_a.org, cycle, title="Team", owner_type="team", team=world_a.team, parent=company, status="active"
    )
    return team, [make_kr(team, owner=world_a.member, target=10, title=f"KR {i}") for i in range(5)]


def _check_in(api, user, kr: KeyResult, value: float) -> float:
    started = time.monotonic()
    response = api(user).post(
        "/api/v1/orgs/alpha/check-ins/", {"key_result": kr.pk, "value": value, "confidence": 7}, format="json"
    )
    assert response.status_code == 201, response.content
    return time.monotonic() - started


@pytest.mark.django_db(transaction=True)
@override_settings(ROLLUP_INLINE=False, BROKER_PUBLISH_BACKOFF_SECONDS=60)
def test_after_one_failed_publish_check_ins_go_straight_to_the_outbox(world_a, api, hung_broker, key_results):
    team, krs = key_results
    _check_in(api, world_a.member, krs[0], 5)  # pays the broker's time-out once
    tried = len(hung_broker.accepted)
    assert tried >= 1

    took = [_check_in(api, world_a.member, kr, 10) for kr in krs[1:]]

    # Without the back-off each of these waited about a second on the hung broker.
    assert len(hung_broker.accepted) == tried, "the broker was tried again inside the back-off window"
    assert sum(took) < 2.0, took
    # Nothing typed is lost: every value is stored, the outbox holds them, the mark is set.
    assert list(
        KeyResult.objects.filter(pk__in=[k.pk for k in krs]).order_by("pk").values_list("current_value", flat=True)
    ) == [5, 10, 10, 10, 10]
    assert RollupPending.objects.filter(organization=world_a.org).exists()
    assert Organization.objects.get(pk=world_a.org.pk).rollup_dirty_since is not None
    # The repair sweep, once a worker runs, rolls everything up.
    repair_dirty_task.apply()
    assert Objective.objects.get(pk=team.pk).progress == pytest.approx((0.5 + 4 * 1.0) / 5)


@pytest.mark.django_db(transaction=True)
@override_settings(ROLLUP_INLINE=False, BROKER_PUBLISH_BACKOFF_SECONDS=5)
def test_after_the_window_the_broker_is_tried_again(world_a, api, hung_broker, key_results, monkeypatch):
    _team, krs = key_results
    _check_in(api, world_a.member, krs[0], 5)
    tried = len(hung_broker.accepted)
    _check_in(api, world_a.member, krs[1], 5)
    assert len(hung_broker.accepted) == tried

    now = time.monotonic()
    monkeypatch.setattr(broker, "_monotonic", lambda: now + 6)
    _check_in(api, world_a.member, krs[2], 5)

    assert len(hung_broker.accepted) > tried  # a broker that came back is used again
