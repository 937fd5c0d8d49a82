"""Per-event channel posts (check-ins, comments) go through the outbox: a row committed with
the event, delivered after the commit, retried by the sweep. A broker that is down loses no
post, and a hung one is tried once per back-off window by the whole process (rollups and
posts alike), not once per check-in."""

from __future__ import annotations

import json
import socket
import time

import pytest
from django.test import override_settings

from notifications import channels, outbox
from notifications.models import OutboxMessage
from okrkpi.celery import app as celery_app
from tests.objectives.test_publish_backoff import HungBroker, _reset_pools


def _closed_port() -> int:
    """A loopback port nobody listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Broker:
    """Points Celery at ``url`` (not eager), as a web process publishes; ``restore`` undoes it."""

    def __init__(self, settings, url: str) -> None:
        conf = celery_app.conf
        self.saved = (conf.broker_url, conf.task_always_eager, dict(conf.broker_transport_options or {}))
        conf.broker_url = url
        conf.task_always_eager = False
        conf.broker_transport_options = settings.REDIS_TRANSPORT_OPTIONS
        _reset_pools()

    def restore(self) -> None:
        conf = celery_app.conf
        conf.broker_url, conf.task_always_eager, conf.broker_transport_options = self.saved
        _reset_pools()


@pytest.fixture
def broker_down(settings):
    broker = _Broker(settings, f"redis://127.0.0.1:{_closed_port()}/0")
    yield broker
    broker.restore()


@pytest.fixture
def broker_hung(settings):
    listener = HungBroker()
    broker = _Broker(settings, f"redis://127.0.0.1:{listener.port}/0")
    broker.listener = listener
    yield broker
    broker.restore()
    listener.close()


def _check_in(api, user, kr, value: float) -> float:
    started = time.monotonic()
    response = api(user).post(
        "/api/v1/orgs/alpha/check-ins/", {"key_result": kr.pk, "value": value, "confidence": 7}, format="json"
    )
    assert response.status_code == 201, response.content
    return time.monotonic() - started


def _hook_channel(world_a, hook):
    return channels.channel_create(
        org=world_a.org, actor=world_a.admin, kind="webhook", name="relay", url=hook.url, events=["check_in"]
    )


@pytest.mark.django_db(transaction=True)
def test_a_check_in_posted_while_the_broker_is_down_arrives_once_after_the_sweep(
    world_a, thread, hook, private_ok, api, broker_down
):
    channel = _hook_channel(world_a, hook)

    _check_in(api, thread.sam, thread.kr, 6)

    assert hook.requests == []  # the broker refused the delivery task
    [row] = OutboxMessage.objects.filter(channel=channel)
    assert row.status == "pending" and row.topic == "check_in"
    broker_down.restore()  # the worker's sweep runs once the broker is back
    outbox.outbox_sweep()
    outbox.outbox_sweep()  # a second sweep finds nothing left to send

    [(headers, body)] = hook.requests
    payload = json.loads(body)
    assert payload["event"] == "check_in" and "6 (confidence 7/10)" in payload["text"]
    assert payload["delivery_id"] == headers["X-Okrkpi-Delivery-Id"] == str(row.delivery_id)
    assert OutboxMessage.objects.get(pk=row.pk).status == "sent"


@pytest.mark.django_db(transaction=True)
@override_settings(ROLLUP_INLINE=False, BROKER_PUBLISH_BACKOFF_SECONDS=60)
def test_a_hung_broker_is_tried_once_per_window_by_check_ins_with_a_channel(
    world_a, thread, hook, private_ok, api, broker_hung
):
    _hook_channel(world_a, hook)
    _check_in(api, thread.sam, thread.kr, 4)  # pays the broker's time-out once
    tried = len(broker_hung.listener.accepted)
    assert tried >= 1

    took = [_check_in(api, thread.sam, thread.kr, value) for value in (5, 6, 7, 8)]

    # Without one back-off for the whole process, each post's publish waited about a
    # second on the hung broker, after the rollup's had given up.
    assert len(broker_hung.listener.accepted) == tried, "the broker was tried again inside the back-off window"
    assert sum(took) < 2.0, took
    # Every post waits in the outbox; once the broker is back the sweep sends each once.
    assert OutboxMessage.objects.filter(topic="check_in", status="pending").count() == 5
    broker_hung.restore()
    outbox.outbox_sweep()
    outbox.outbox_sweep()
    ids = [json.loads(body)["delivery_id"] for _headers, body in hook.requests]
    assert len(ids) == 5 and len(set(ids)) == 5
    values = sorted(json.loads(body)["text"].split(": ")[-1] for _headers, body in hook.requests)
    assert values == [f"{v} (confidence 7/10)" for v in (4, 5, 6, 7, 8)]
