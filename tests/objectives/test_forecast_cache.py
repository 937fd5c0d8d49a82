"""The forecasts keep each key result's check-in summary between builds (objectives.forecast_cache):
a build after one check-in reads that key result's check-ins only, and never answers with a
summary the new check-in made stale."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from objectives import forecast_cache, forecasts
from objectives import services as okr_services
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective, set_status

NOW = datetime(2026, 11, 15, 10, tzinfo=UTC)
Q4 = date(2026, 10, 1)


def _at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 10, 1, hour, tzinfo=UTC) + timedelta(days=day)


def _check_in(kr, actor, day, value, hour=9):
    okr_services.key_result_check_in(key_result=kr, actor=actor, value=value, confidence=7, at=_at(day, hour))


@pytest.fixture
def kept(settings):
    """The documents cache on (as in production), so the summaries are kept in this process."""
    settings.CACHES = {
        **settings.CACHES,
        "documents": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "forecast-cache"},
    }
    forecast_cache.clear()
    yield
    forecast_cache.clear()


@pytest.fixture
def cycle_krs(world_a, pin_now, kept):
    pin_now(NOW)
    cycle = make_cycle(world_a.org, start=Q4, days=91)
    objective = make_objective(world_a.org, cycle, title="Grow")
    krs = [make_kr(objective, title=f"KR {i}", target=100, owner=world_a.member) for i in range(4)]
    set_status(objective, "active")
    for i, kr in enumerate(krs):
        for week in range(1, 5):
            _check_in(kr, world_a.member, 7 * week, 5 * week + i)
    for kr in krs:
        kr.refresh_from_db()
    return cycle, krs


def _check_in_reads(monkeypatch):
    """Every key result whose check-ins a build reads, call by call."""
    reads: list[set[int]] = []
    real = forecasts._check_in_points

    def spy(check_ins, **kwargs):
        points = real(check_ins, **kwargs)
        reads.append(set(points))
        return points

    monkeypatch.setattr(forecasts, "_check_in_points", spy)
    return reads


def test_a_build_after_one_check_in_reads_that_key_results_check_ins_only(world_a, cycle_krs, monkeypatch):
    cycle, krs = cycle_krs
    reads = _check_in_reads(monkeypatch)
    first = forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle)
    assert reads == [{kr.pk for kr in krs}]

    with CaptureQueriesContext(connection) as unchanged:
        again = forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle)
    assert len(unchanged.captured_queries) == 1  # the key results; no check-in read
    assert reads[1:] == [] and again.key_results == first.key_results

    _check_in(krs[2], world_a.member, 35, 40)
    with CaptureQueriesContext(connection) as after:
        forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle)
    assert len(after.captured_queries) == 2  # the key results, then one key result's check-ins
    assert reads[1:] == [{krs[2].pk}]
    assert "objectives_checkin" in after.captured_queries[1]["sql"]


def test_a_new_check_in_is_never_answered_with_the_kept_trend(world_a, cycle_krs):
    cycle, krs = cycle_krs
    before = forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle).key_results[krs[0].pk]
    assert before.method == "trend" and before.points == 4

    _check_in(krs[0], world_a.member, 35, 90)  # a leap: the robust line holds, its band widens
    live = forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle).key_results[krs[0].pk]
    # The same moment read without any kept summary (a build as of a moment reads every check-in).
    fresh = forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle, on=NOW).key_results[krs[0].pk]
    assert live == fresh
    assert live.points == 5 and live.high > before.high + 100


def test_a_back_dated_check_in_is_seen_too(world_a, cycle_krs):
    cycle, krs = cycle_krs
    forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle)
    _check_in(krs[1], world_a.member, 3, 60)  # before the latest: the last check-in's moment stays
    live = forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle).key_results[krs[1].pk]
    fresh = forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle, on=NOW).key_results[krs[1].pk]
    assert live == fresh and live.points == 5


def test_a_check_in_still_to_come_is_not_kept(world_a, cycle_krs, pin_now, monkeypatch):
    """A check-in dated after now is left out of today's forecast and counted once its moment
    comes, with no other change to the key result."""
    cycle, krs = cycle_krs
    pin_now(_at(21, 12))  # before the fourth week's check-in (day 28)
    early = forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle).key_results[krs[0].pk]
    assert early.points == 3
    pin_now(NOW)
    reads = _check_in_reads(monkeypatch)
    later = forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle).key_results[krs[0].pk]
    assert later.points == 4 and reads == [{kr.pk for kr in krs}]


def test_nothing_is_kept_where_the_documents_cache_is_off(world_a, pin_now, monkeypatch):
    pin_now(NOW)
    cycle = make_cycle(world_a.org, start=Q4, days=91)
    objective = make_objective(world_a.org, cycle, title="Grow")
    kr = make_kr(objective, title="Signups", target=100, owner=world_a.member)
    _check_in(kr, world_a.member, 7, 10)
    forecast_cache.clear()
    reads = _check_in_reads(monkeypatch)
    forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle)
    forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle)
    assert reads == [{kr.pk}, {kr.pk}]


@pytest.fixture
def fast(redis_url, settings):
    """The fast cache on a real Redis, under a prefix of this test's own."""
    import uuid

    import redis

    from core import fastcache

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


def test_another_worker_reads_the_summaries_from_the_fast_cache(world_a, cycle_krs, fast, monkeypatch):
    cycle, krs = cycle_krs
    first = forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle)
    forecast_cache.clear()  # another process: nothing in memory, the summaries in Redis
    reads = _check_in_reads(monkeypatch)
    assert forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle).key_results == first.key_results
    assert reads == []
    _check_in(krs[3], world_a.member, 35, 50)
    forecast_cache.clear()
    live = forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle).key_results[krs[3].pk]
    assert reads == [{krs[3].pk}] and live.points == 5
