"""Rollups through the outbox, in batches (DESIGN §5: a burst of check-ins must not cause
a storm of duplicate work), and the Redis hints of the check-in's hot path."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import fastcache
from notifications import channels
from notifications.models import Channel, ChannelEvent
from objectives import queue, reconcile, rollup, services
from objectives.models import KeyResult, Objective, RollupPending
from objectives.tasks import repair_dirty_task, rollup_pending_task
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective, set_status


def _forest(org, *, n: int = 80, seed: int = 5) -> list[Objective]:
    rng = random.Random(seed)
    cycle = make_cycle(org)
    made: list[Objective] = []
    for i in range(n):
        parent = rng.choice(made) if made and rng.random() < 0.85 else None
        o = make_objective(org, cycle, title=f"O{i}", parent=parent, weight=rng.choice([0.25, 1, 2.5]))
        if i % 4:  # the others stay drafts, which do not count in their parents
            set_status(o, "active")
        made.append(o)
        for _ in range(rng.randint(0, 3)):
            make_kr(o, target=rng.choice([10, 50, 100]))
    return made


def _scramble(org, rng: random.Random) -> list[int]:
    """Move many key results without rolling up, as check-ins waiting for their batch do."""
    moved = []
    for kr in KeyResult.objects.filter(organization=org):
        if rng.random() < 0.6:
            KeyResult.objects.filter(pk=kr.pk).update(progress=rng.random(), confidence=rng.randint(1, 10))
            moved.append(kr.objective_id)
    return moved


def _drift(org) -> list[int]:
    expected = reconcile.compute(org)[0]
    stored = dict(Objective.objects.filter(organization=org).values_list("id", "progress"))
    return [oid for oid, (p, _c) in expected.items() if abs(stored[oid] - p) > 1e-9]


def test_one_batch_of_many_objectives_equals_a_full_recompute_in_three_statements(world_a):
    _forest(world_a.org)
    moved = _scramble(world_a.org, random.Random(8))
    assert len(set(moved)) > 20 and _drift(world_a.org)  # stale before
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        rollup.rollup_objectives(org_id=world_a.org.pk, objective_ids=moved, bump_version=False)
    statements = [q for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN"))]
    assert len(statements) == 3, [q["sql"][:80] for q in statements]
    assert _drift(world_a.org) == []


def test_the_outbox_is_taken_in_batches_and_a_second_run_finds_nothing(world_a):
    from orgs.versions import data_version

    _forest(world_a.org, n=40, seed=9)
    moved = _scramble(world_a.org, random.Random(2))
    RollupPending.objects.bulk_create(
        [RollupPending(organization=world_a.org, objective_id=oid) for oid in moved + moved[:10]]  # repeats fold
    )
    version = data_version(world_a.org.pk)
    assert rollup.rollup_pending(org_id=world_a.org.pk, batch=7) > 0
    assert not RollupPending.objects.exists()
    assert _drift(world_a.org) == []
    batches = -(-(len(moved) + 10) // 7)
    assert data_version(world_a.org.pk) == version + batches  # one bump per batch
    assert rollup.rollup_pending(org_id=world_a.org.pk) == 0
    assert data_version(world_a.org.pk) == version + batches


def test_a_looping_objective_is_dropped_and_the_rest_of_its_batch_still_rolls_up(world_a, caplog):
    cycle = make_cycle(world_a.org)
    a = make_objective(world_a.org, cycle, title="A")
    b = make_objective(world_a.org, cycle, title="B", parent=a)
    Objective.objects.filter(pk=a.pk).update(parent=b)  # corrupted: A → B → A
    good = make_objective(world_a.org, cycle, title="Good")
    kr = make_kr(good, target=10)
    KeyResult.objects.filter(pk=kr.pk).update(progress=0.5)
    RollupPending.objects.bulk_create(
        [RollupPending(organization=world_a.org, objective_id=oid) for oid in (b.pk, good.pk)]
    )
    assert rollup.rollup_pending(org_id=world_a.org.pk) == 1
    assert Objective.objects.get(pk=good.pk).progress == pytest.approx(0.5)
    assert "loops" in caplog.text
    assert not RollupPending.objects.exists()


def test_the_outbox_of_another_organisation_is_left_alone(world_a, world_b):
    RollupPending.objects.create(organization=world_b.org, objective_id=1)
    assert rollup.rollup_pending(org_id=world_a.org.pk) == 0
    assert RollupPending.objects.filter(organization=world_b.org).count() == 1


@override_settings(ROLLUP_INLINE=False)
def test_a_batch_whose_message_was_lost_is_taken_by_the_repair_sweep(world_a, monkeypatch):
    monkeypatch.setattr(queue, "publish_rollups", lambda *, org_id: True)  # queued, then lost
    cycle = make_cycle(world_a.org)
    o = make_objective(world_a.org, cycle, title="Lost")
    kr = make_kr(o, owner=world_a.member, target=10)
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=5, confidence=6)
    assert Objective.objects.get(pk=o.pk).progress == 0.0
    assert repair_dirty_task.apply().get() == 0  # too young: its batch may still be on its way
    RollupPending.objects.update(queued_at=timezone.now() - timedelta(seconds=queue.QUEUED_SECONDS + 1))
    assert repair_dirty_task.apply().get() == 1
    assert Objective.objects.get(pk=o.pk).progress == pytest.approx(0.5)
    assert not RollupPending.objects.exists()


# --- the Redis hints -----------------------------------------------------------------------------


@pytest.fixture
def fast(redis_url, settings):
    """The default cache on a real Redis, under a prefix of this test's own."""
    import redis

    prefix = f"test:{uuid.uuid4().hex}:"
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url},
    }
    settings.FASTCACHE_PREFIX = prefix
    assert fastcache.available()
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def test_without_redis_there_is_no_fast_cache_and_every_commit_queues(world_a):
    assert not fastcache.available()
    assert fastcache.add("x", 1, 5) is None and fastcache.get("x") is None
    assert queue.claim_queued(world_a.org.pk) and queue.claim_queued(world_a.org.pk)


def test_fast_cache_add_get_delete_and_a_redis_that_is_down(fast, settings):
    assert fastcache.add("k", [1, ["a"]], 5) is True
    assert fastcache.add("k", 2, 5) is False
    assert fastcache.get("k") == [1, ["a"]]
    fastcache.delete("k")
    assert fastcache.get("k") is None
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    }
    assert fastcache.get("k") is None and fastcache.add("k", 1, 5) is None  # down: no answer, no error
    fastcache.set("k", 1, 5)
    fastcache.delete("k")


@pytest.mark.django_db(transaction=True)
@override_settings(ROLLUP_INLINE=False)
def test_a_burst_of_check_ins_queues_one_batch_until_it_starts(world_a, fast, monkeypatch):
    from objectives.tasks import rollup_pending_task as task

    cycle = make_cycle(world_a.org)
    company = make_objective(world_a.org, cycle, title="Company")
    objectives = [make_objective(world_a.org, cycle, title=f"T{i}", parent=company, status="active") for i in range(3)]
    krs = [make_kr(o, owner=world_a.member, target=10) for o in objectives]
    RollupPending.objects.all().delete()
    fastcache.delete(f"rollup:queued:{world_a.org.pk}")
    sent: list[list[int]] = []
    monkeypatch.setattr(task, "apply_async", lambda args, **kw: sent.append(args))
    for i, kr in enumerate(krs * 3):
        services.key_result_check_in(key_result=kr, actor=world_a.member, value=i, confidence=5)
    assert sent == [[world_a.org.pk]]  # nine commits, one batch queued
    assert RollupPending.objects.count() == 9
    assert task.run(world_a.org.pk) == 4  # the three objectives and the company
    assert not RollupPending.objects.exists()
    assert _drift(world_a.org) == []
    # The batch has started: the next commit queues the next one.
    services.key_result_check_in(key_result=krs[0], actor=world_a.member, value=10, confidence=5)
    assert sent == [[world_a.org.pk], [world_a.org.pk]]


@pytest.mark.django_db(transaction=True)
@override_settings(ROLLUP_INLINE=False)
def test_a_batch_that_cannot_be_queued_is_not_left_marked(world_a, fast, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("broker down")

    monkeypatch.setattr(rollup_pending_task, "apply_async", refuse)
    assert queue.publish_rollups(org_id=world_a.org.pk) is False
    assert fastcache.get(f"rollup:queued:{world_a.org.pk}") is None  # the next commit tries again
    from orgs.models import Organization

    assert Organization.objects.get(pk=world_a.org.pk).rollup_dirty_since is not None


@pytest.mark.django_db(transaction=True)
def test_the_channels_a_check_in_goes_to_are_cached_and_forgotten_on_any_change(world_a, fast, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    org_id = world_a.org.pk

    def carrying() -> list[int]:
        return [pk for pk, _name in channels.carrying_channels(org_id, ChannelEvent.CHECK_IN)]

    assert carrying() == []
    assert fastcache.get(f"channels:active:v3:{org_id}") == []  # remembered: no query next time
    channel = channels.channel_create(
        org=world_a.org,
        actor=world_a.admin,
        kind="webhook",
        name="Hook",
        url="http://127.0.0.1:9/hook",
        events=[ChannelEvent.CHECK_IN],
    )
    assert fastcache.get(f"channels:active:v3:{org_id}") is None  # forgotten with the commit
    assert carrying() == [channel.pk]
    channels.channel_update(channel=channel, actor=world_a.admin, active=False)
    assert carrying() == []
    Channel.objects.filter(pk=channel.pk).update(active=True)  # a queryset update sends no signal ...
    channels.forget_channels(org_id)  # ... so the code that makes one forgets explicitly
    assert carrying() == [channel.pk]
    Channel.objects.get(pk=channel.pk).delete()
    assert carrying() == []


def test_a_redis_that_hangs_costs_one_short_time_out_then_is_left_alone(fast, settings, monkeypatch):
    import socket
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections and never answers
    try:
        settings.CACHES = {
            **settings.CACHES,
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{silent.getsockname()[1]}/0",
            },
        }
        monkeypatch.setattr(fastcache, "_down_until", 0.0)
        started = time.monotonic()
        assert fastcache.add("k", 1, 5) is None  # no answer: the caller acts as if added
        first = time.monotonic() - started
        started = time.monotonic()
        for _ in range(20):
            assert fastcache.get("k") is None and fastcache.add("k", 1, 5) is None
        rest = time.monotonic() - started
    finally:
        silent.close()
    assert first < 3, f"one call took {first:.1f} s (no retries, a short time-out)"
    assert rest < 0.5, f"40 calls after the failure took {rest:.1f} s: Redis was not left alone"


@pytest.mark.django_db
def test_a_process_that_knows_a_batch_is_queued_does_not_ask_redis_until_it_may_start(
    world_a, fast, settings, monkeypatch
):
    """The flag holds when the queued batch starts; until shortly before then a commit in
    a process that set it, or read it, needs no round trip to Redis."""
    settings.ROLLUP_BATCH_WAIT_MS = 250
    monkeypatch.setattr(queue, "_queued_until", {})
    now = [1_000_000.0]
    monkeypatch.setattr(queue, "_clock", lambda: now[0])
    asked: list[str] = []
    add_or_get = fastcache.add_or_get
    monkeypatch.setattr(fastcache, "add_or_get", lambda *a: asked.append(a[0]) or add_or_get(*a))
    org_id = world_a.org.pk
    fastcache.delete(f"rollup:queued:{org_id}")

    assert queue.claim_queued(org_id) is True and len(asked) == 1  # this process queues the batch
    now[0] += 0.05
    assert queue.claim_queued(org_id) is False and len(asked) == 1  # known: no round trip
    queue._queued_until.clear()  # another process, which has not heard of it
    assert queue.claim_queued(org_id) is False and len(asked) == 2  # reads when it starts ...
    now[0] += 0.05
    assert queue.claim_queued(org_id) is False and len(asked) == 2  # ... and remembers it
    now[0] += 0.1  # within the margin before the start: ask again
    assert queue.claim_queued(org_id) is False and len(asked) == 3
    queue.release_queued(org_id)  # the batch starts
    assert queue.claim_queued(org_id) is True and len(asked) == 4


@pytest.mark.django_db
def test_without_a_batch_wait_nothing_is_remembered(world_a, fast, settings, monkeypatch):
    settings.ROLLUP_BATCH_WAIT_MS = 0
    monkeypatch.setattr(queue, "_queued_until", {})
    fastcache.delete(f"rollup:queued:{world_a.org.pk}")
    assert queue.claim_queued(world_a.org.pk) is True
    assert queue._queued_until == {}
    assert queue.claim_queued(world_a.org.pk) is False  # the flag in Redis still answers
