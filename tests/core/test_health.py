from __future__ import annotations

import socket

import pytest
from django.test import override_settings

from core.tasks import heartbeat


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert "ok" in body["broker"]


@pytest.mark.django_db
def test_healthz_with_a_real_redis(client, redis_url):
    with override_settings(CELERY_BROKER_URL=redis_url):
        body = client.get("/healthz").json()
    assert body["broker"] == {"ok": True, "kind": "redis"}


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.django_db
def test_broker_down_is_reported_but_not_fatal(client):
    with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{_closed_port()}/0"):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"]["ok"] is False


@pytest.mark.django_db
def test_heartbeat_task_is_shown(client):
    heartbeat.apply()
    assert client.get("/healthz").json()["worker_heartbeat"] is not None


def _beat(name: str, seconds_ago: float) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from core.models import Heartbeat

    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now() - timedelta(seconds=seconds_ago)})


def _all_queues_beat(seconds_ago: float) -> None:
    from django.conf import settings

    _beat("worker", seconds_ago)
    for queue in settings.CELERY_QUEUE_NAMES:
        _beat(f"queue:{queue}", seconds_ago)


@pytest.mark.django_db
def test_healthz_reports_heartbeat_age_outbox_dirty_organisations_and_idle_queues(client, world_a):
    from datetime import timedelta

    from django.utils import timezone

    from objectives.models import RollupPending
    from orgs.models import Organization

    _beat("worker", 30)
    _beat("queue:rollups", 30)
    _beat("queue:celery", 30)
    # objective_id is a plain column: the health page only counts and dates the rows.
    RollupPending.objects.create(
        organization=world_a.org, objective_id=1, queued_at=timezone.now() - timedelta(seconds=90)
    )
    RollupPending.objects.create(organization=world_a.org, objective_id=1)
    Organization.objects.filter(pk=world_a.org.pk).update(rollup_dirty_since=timezone.now() - timedelta(seconds=40))

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert 29 <= body["worker_heartbeat_age_seconds"] <= 60
    assert body["rollup_outbox"]["depth"] == 2
    assert 89 <= body["rollup_outbox"]["oldest_age_seconds"] <= 120
    assert body["dirty_organisations"]["count"] == 1
    assert 39 <= body["dirty_organisations"]["oldest_age_seconds"] <= 70
    assert body["queues_without_worker"] == ["reminders", "exports", "pulls"]
    assert "queues no worker consumes: reminders, exports, pulls" in body["problems"]
    # Public page: counts and ages, never which organisation.
    assert world_a.org.slug not in response.content.decode()
    assert world_a.org.name not in response.content.decode()


@pytest.mark.django_db
def test_strict_healthz_is_503_with_the_reason_when_the_heartbeat_is_old(client):
    """A worker gone for 17 minutes: the liveness check stays 200, the monitoring one is 503."""
    _all_queues_beat(17 * 60)

    assert client.get("/healthz").status_code == 200
    response = client.get("/healthz?strict=1")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert any(p.startswith("worker heartbeat 1020 s old") for p in body["problems"]), body["problems"]


@pytest.mark.django_db
def test_strict_healthz_is_503_when_the_rollup_outbox_is_stuck(client, world_a):
    from datetime import timedelta

    from django.utils import timezone

    from objectives.models import RollupPending

    _all_queues_beat(20)
    assert client.get("/healthz?strict=1").status_code == 200
    RollupPending.objects.create(
        organization=world_a.org, objective_id=1, queued_at=timezone.now() - timedelta(minutes=10)
    )

    response = client.get("/healthz?strict=1")

    assert response.status_code == 503
    assert any(p.startswith("rollup outbox stuck: 1 waiting") for p in response.json()["problems"])


@pytest.mark.django_db
def test_strict_healthz_is_503_when_an_organisation_waits_for_repair_too_long(client, world_a):
    from datetime import timedelta

    from django.utils import timezone

    from orgs.models import Organization

    _all_queues_beat(20)
    Organization.objects.filter(pk=world_a.org.pk).update(rollup_dirty_since=timezone.now() - timedelta(minutes=10))

    response = client.get("/healthz?strict=1")

    assert response.status_code == 503
    assert any("wait for repair" in p for p in response.json()["problems"])


@pytest.mark.django_db
def test_strict_healthz_is_503_when_no_worker_consumes_a_queue(client):
    _all_queues_beat(20)
    _beat("queue:reminders", 20 * 60)

    response = client.get("/healthz?strict=1")

    assert response.status_code == 503
    assert response.json()["queues_without_worker"] == ["reminders"]


def test_beat_sends_a_heartbeat_to_every_queue():
    from django.conf import settings

    from okrkpi.schedules import BEAT_SCHEDULE

    queues = {entry["options"]["queue"] for entry in BEAT_SCHEDULE.values() if entry["task"] == "core.tasks.heartbeat"}
    assert queues == set(settings.CELERY_QUEUE_NAMES)


@pytest.mark.django_db
def test_a_queue_heartbeat_is_recorded_under_its_queue(client):
    heartbeat.apply(args=["reminders"])
    body = client.get("/healthz").json()
    assert body["queue_heartbeat_age_seconds"]["reminders"] is not None
    assert "reminders" not in body["queues_without_worker"]
