from __future__ import annotations

import socket

import pytest
from django.test import override_settings

from okrkpi.core.tasks import heartbeat


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
