"""Idempotency keys and spent form tokens last 24 hours; beat's hourly prune deletes the
expired ones of everyone, not only of the person who next sends a key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from core import idempotency
from core.models import IdempotencyKey
from okrkpi.celery import app
from okrkpi.schedules import BEAT_SCHEDULE
from tests.kpis.kpi_factories import make_kpi

URL = "/api/v1/orgs/alpha/measurements/"
ENTRY = "prune-idempotency-keys"


def _run_scheduled() -> None:
    """What beat does with the entry: send its task, with its options, to a worker
    (eager in tests)."""
    app.loader.import_default_modules()
    entry = BEAT_SCHEDULE[ENTRY]
    app.tasks[entry["task"]].apply_async(**entry.get("options", {}))


@pytest.mark.django_db
def test_the_hourly_prune_deletes_expired_keys_and_keeps_fresh_ones(world_a, world_b, api):
    kpi = make_kpi(world_a.org, owner_type="team", team=world_a.team)
    client = api(world_a.manager)
    for n, period in enumerate(("2026-09-01", "2026-10-01")):
        body = {"kpi": kpi.pk, "period": period, "value": 80, "note": "ok"}
        assert client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=f"k-{n}").status_code == 201
    for world in (world_a, world_b):
        idempotency.form_token_spend(
            org_id=world.org.pk, user_id=world.member.pk, scope="check-ins", token=idempotency.form_token_new()
        )
    assert IdempotencyKey.objects.count() == 4
    # One API key and beta's form token are past their 24 hours; nobody sends a key again.
    now = timezone.now()
    old = idempotency.TTL + timedelta(minutes=1)
    expired = [
        IdempotencyKey.objects.get(key="k-0").pk,
        IdempotencyKey.objects.get(organization_id=world_b.org.pk).pk,
    ]
    IdempotencyKey.objects.filter(pk__in=expired).update(created_at=now - old)
    # One just inside its 24 hours stays.
    IdempotencyKey.objects.filter(key="k-1").update(created_at=now - idempotency.TTL + timedelta(minutes=5))
    kept = set(IdempotencyKey.objects.exclude(pk__in=expired).values_list("pk", flat=True))

    _run_scheduled()

    assert set(IdempotencyKey.objects.values_list("pk", flat=True)) == kept
    # The kept API key still answers a retry with the first answer.
    body = {"kpi": kpi.pk, "period": "2026-10-01", "value": 80, "note": "ok"}
    retry = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert retry.status_code == 201 and retry["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_the_prune_deletes_in_batches(world_a, monkeypatch):
    monkeypatch.setattr(idempotency, "PRUNE_BATCH", 3)
    stamp = timezone.now() - idempotency.TTL - timedelta(hours=1)
    IdempotencyKey.objects.bulk_create(
        IdempotencyKey(
            organization_id=world_a.org.pk,
            user_id=world_a.member.pk,
            key=f"old-{n}",
            fingerprint="",
            status_code=201,
            response={},
            created_at=stamp,
        )
        for n in range(8)
    )
    assert idempotency.idempotency_keys_prune() == 8
    assert not IdempotencyKey.objects.exists()


def test_the_prune_is_scheduled_hourly_on_a_declared_queue():
    app.loader.import_default_modules()
    entry = BEAT_SCHEDULE[ENTRY]
    assert entry["task"] in app.tasks
    assert entry["options"]["queue"] in settings.CELERY_QUEUE_NAMES
    assert app.amqp.router.route({}, entry["task"])["queue"].name == entry["options"]["queue"]
    assert len(entry["schedule"].hour) == 24 and len(entry["schedule"].minute) == 1
