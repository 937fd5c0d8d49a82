"""Rollup through Celery, reconcile, snapshots, the cascade and broker-down behaviour (DESIGN §4–§5)."""

from __future__ import annotations

import socket
import threading
import time
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from objectives import queue, reconcile, services, snapshots
from objectives.models import KeyResult, Objective, ObjectiveSnapshot, RollupPending, TeamSnapshot
from objectives.tasks import repair_dirty_task, rollup_objective_task, rollup_pending_task
from okrkpi.celery import app as celery_app
from orgs.models import Organization
from tests.concurrency import at_once
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective, set_status


@pytest.fixture
def tree(world_a):
    cycle = make_cycle(world_a.org)
    company = make_objective(world_a.org, cycle, title="Company")
    # Active: drafts do not count in their parents.
    team = make_objective(
        world_a.org, cycle, title="Team", owner_type="team", team=world_a.team, parent=company, status="active"
    )
    person = make_objective(
        world_a.org, cycle, title="Person", owner_type="person", user=world_a.member, parent=team, status="active"
    )
    krs = [make_kr(o, owner=world_a.member, target=10) for o in (company, team, person)]
    return cycle, (company, team, person), krs


@pytest.mark.django_db(transaction=True)
@override_settings(ROLLUP_INLINE=False)
def test_check_in_enqueues_one_rollup_on_commit_and_the_task_updates_the_tree(world_a, tree, monkeypatch):
    _cycle, (company, team, person), krs = tree
    sent: list[int] = []
    real = queue.publish_rollups

    def spy(*, org_id: int) -> bool:
        sent.append(org_id)
        return real(org_id=org_id)

    monkeypatch.setattr(queue, "publish_rollups", spy)
    from django.db import transaction

    with transaction.atomic():
        services.key_result_check_in(key_result=krs[2], actor=world_a.member, value=5, confidence=7)
        services.key_result_check_in(key_result=krs[2], actor=world_a.member, value=10, confidence=8)
        assert sent == []  # nothing leaves before the commit
    assert sent == [world_a.org.pk]  # two check-ins, one rollup
    assert not RollupPending.objects.exists()  # the (eager) task took the batch
    person.refresh_from_db()
    team.refresh_from_db()
    company.refresh_from_db()
    assert person.progress == 1.0
    assert team.progress == pytest.approx(0.5)
    assert company.progress == pytest.approx(0.25)


@pytest.mark.django_db(transaction=True)
@override_settings(ROLLUP_INLINE=False)
def test_a_check_in_request_commits_once_and_its_rollup_bumps_the_data_version(
    world_a, tree, monkeypatch, django_assert_max_num_queries
):
    """The request does not bump the organisation's version (a second commit per check-in);
    the rollup it queues does, in the worker's own transaction, so the documents show the
    check-in once its progress has rolled up."""
    from rest_framework.test import APIClient

    from orgs.versions import data_version

    _cycle, (company, team, person), krs = tree
    queued: list[int] = []
    monkeypatch.setattr(queue, "publish_rollups", lambda *, org_id: queued.append(org_id))
    start = data_version(world_a.org.pk)
    client = APIClient()
    client.force_authenticate(world_a.member)
    # membership, (BEGIN on SQLite), the locked read of the key result, check-in, key result,
    # activity, the rollup's outbox row, (COMMIT on SQLite), and after the commit the chat
    # channels (cached from then on): no version bump, no savepoint
    with django_assert_max_num_queries(9):
        response = client.post(
            f"/api/v1/orgs/{world_a.org.slug}/check-ins/",
            {"key_result": krs[2].pk, "value": 5, "confidence": 7},
            format="json",
        )
    assert response.status_code == 201, response.content
    assert queued == [world_a.org.pk]
    assert list(RollupPending.objects.values_list("objective_id", flat=True)) == [person.pk]
    assert data_version(world_a.org.pk) == start
    assert rollup_pending_task.apply(args=queued).get() == 3
    assert not RollupPending.objects.exists()
    assert data_version(world_a.org.pk) == start + 1
    assert Objective.objects.get(pk=company.pk).progress == pytest.approx(0.125)  # 0.5 halved at each level
    # A second run finds nothing waiting: nothing changes, nothing is bumped.
    assert rollup_pending_task.apply(args=queued).get() == 0
    assert data_version(world_a.org.pk) == start + 1
    # A rollup that changes nothing still bumps: the check-in's note or confidence may show.
    response = client.post(
        f"/api/v1/orgs/{world_a.org.slug}/check-ins/",
        {"key_result": krs[2].pk, "value": 5, "confidence": 7, "note": "Same value, new note"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert rollup_pending_task.apply(args=[world_a.org.pk]).get() == 0
    assert data_version(world_a.org.pk) == start + 2


@pytest.mark.django_db
def test_rollup_task_for_a_deleted_objective_or_organisation_ends_quietly(world_a, caplog):
    assert rollup_objective_task.apply(args=[world_a.org.pk, 424242]).get() == 0
    assert rollup_objective_task.apply(args=[999999, 1]).get() == 0
    assert "no longer exists" in caplog.text


@pytest.mark.django_db
def test_rollup_task_logs_a_loop_instead_of_hanging(world_a, caplog):
    cycle = make_cycle(world_a.org)
    a = make_objective(world_a.org, cycle, title="A")
    b = make_objective(world_a.org, cycle, title="B", parent=a)
    Objective.objects.filter(pk=a.pk).update(parent=b)
    assert rollup_objective_task.apply(args=[world_a.org.pk, b.pk]).get() == 0
    assert "loops" in caplog.text


@pytest.mark.django_db
def test_reconcile_repairs_drift_and_a_second_run_changes_nothing(world_a, tree, capsys):
    _cycle, objectives, krs = tree
    services.key_result_check_in(key_result=krs[2], actor=world_a.member, value=8, confidence=7)
    truth = {o.pk: Objective.objects.get(pk=o.pk).progress for o in objectives}
    Objective.objects.filter(pk__in=truth).update(progress=0.99, confidence=1)  # simulate lost rollups
    first = reconcile.reconcile_organization(org=world_a.org)
    assert first.repaired == 3 and first.objectives == 3
    assert {o.pk: Objective.objects.get(pk=o.pk).progress for o in objectives} == pytest.approx(truth)
    assert reconcile.reconcile_organization(org=world_a.org).repaired == 0
    call_command("rollup", "--org", "alpha")
    assert "repaired 0" in capsys.readouterr().out


@pytest.mark.django_db
def test_reconcile_matches_the_reference_full_recompute(world_a):
    import random

    cycle = make_cycle(world_a.org)
    rng = random.Random(3)
    made: list[Objective] = []
    for i in range(60):
        parent = rng.choice(made) if made and rng.random() < 0.85 else None
        o = make_objective(world_a.org, cycle, title=f"O{i}", parent=parent, weight=rng.choice([0.25, 1, 2.5]))
        if i % 4:  # the others stay drafts, which do not count in their parents
            set_status(o, "active")
        made.append(o)
        for _ in range(rng.randint(0, 3)):
            make_kr(o, owner=world_a.member, target=rng.choice([5, 20]), weight=rng.choice([0, 1, 3]))
    for kr in KeyResult.objects.filter(organization=world_a.org):
        KeyResult.objects.filter(pk=kr.pk).update(progress=rng.random(), confidence=rng.randint(1, 10))
    reconcile.reconcile_organization(org=world_a.org)
    expected = reconcile.compute(world_a.org)[0]
    stored = dict(Objective.objects.filter(organization=world_a.org).values_list("id", "progress"))
    assert all(abs(stored[k] - v[0]) <= 1e-9 for k, v in expected.items())


@pytest.mark.django_db
def test_rollup_command_rejects_an_unknown_org():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No organisation"):
        call_command("rollup", "--org", "nope")


# --- broker down ---------------------------------------------------------------------------------


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class _SilentServer:
    """Accepts TCP connections and never answers (a hung broker)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.conns.append(conn)
            except OSError:
                continue

    def close(self) -> None:
        self.stop = True
        self.thread.join(2)
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture
def broken_broker(settings):
    """Point Celery at a given broker URL for the test, restoring it afterwards."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager, dict(conf.broker_transport_options or {}))

    def point(url: str) -> None:
        conf.broker_url = url
        conf.task_always_eager = False
        conf.broker_transport_options = settings.REDIS_TRANSPORT_OPTIONS  # the production timeouts
        _reset_pools()

    yield point
    conf.broker_url, conf.task_always_eager, conf.broker_transport_options = saved
    _reset_pools()


def _reset_pools() -> None:
    """Drop pooled broker connections so the next publish uses the current broker URL."""
    from kombu import pools

    pools.reset()  # closes and forgets kombu's global connection and producer pools
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
@override_settings(ROLLUP_INLINE=False)
@pytest.mark.parametrize("kind", ["closed port", "silent port"])
def test_broker_down_request_succeeds_fast_org_marked_dirty_then_repaired(world_a, tree, api, broken_broker, kind):
    _cycle, (company, team, person), krs = tree
    server = _SilentServer() if kind == "silent port" else None
    port = server.port if server else _closed_port()
    broken_broker(f"redis://127.0.0.1:{port}/0")
    version = Organization.objects.get(pk=world_a.org.pk).data_version
    try:
        started = time.monotonic()
        r = api(world_a.member).post(
            "/api/v1/orgs/alpha/check-ins/", {"key_result": krs[2].pk, "value": 10, "confidence": 9}, format="json"
        )
        elapsed = time.monotonic() - started
    finally:
        if server:
            server.close()
    assert r.status_code == 201, r.content
    assert elapsed < 8, f"publishing hung for {elapsed:.1f}s"  # generous bound; the target (~1 s) is benchmarked
    kr = KeyResult.objects.get(pk=krs[2].pk)
    assert kr.current_value == 10  # nothing the user typed is lost
    assert Organization.objects.get(pk=world_a.org.pk).rollup_dirty_since is not None
    # No rollup will bump the version for the check-in, so the request did: the documents move on.
    assert Organization.objects.get(pk=world_a.org.pk).data_version == version + 1
    assert Objective.objects.get(pk=company.pk).progress == 0.0  # not rolled up yet
    assert repair_dirty_task.apply().get() == 3  # the sweep, once a worker runs
    assert Organization.objects.get(pk=world_a.org.pk).rollup_dirty_since is None
    assert Objective.objects.get(pk=company.pk).progress == pytest.approx(0.25)


# --- snapshots and the cascade --------------------------------------------------------------------


@pytest.mark.django_db
def test_snapshots_are_daily_and_idempotent(world_a, tree):
    _cycle, objectives, krs = tree
    day = date(2026, 11, 20)
    assert snapshots.snapshot_organization(org=world_a.org, day=day) > 0
    first = ObjectiveSnapshot.objects.count()
    snapshots.snapshot_organization(org=world_a.org, day=day)
    assert ObjectiveSnapshot.objects.count() == first == 3
    assert TeamSnapshot.objects.filter(date=day).count() == 3  # every team of the organisation


@pytest.mark.django_db
def test_cascade_api_shape_and_values(world_a, tree, api):
    cycle, (company, team, person), krs = tree
    services.key_result_check_in(key_result=krs[2], actor=world_a.member, value=10, confidence=8)
    body = api(world_a.viewer).get(f"/api/v1/orgs/alpha/cascade/?cycle={cycle.pk}").json()
    assert set(body) >= {"cycle", "progress", "objectives", "teams"}
    assert body["cycle"] == cycle.pk and body["progress"] == pytest.approx(0.25)
    root = body["objectives"][0]
    assert set(root) == {
        "id",
        "title",
        "owner_type",
        "owner_team",
        "owner_user",
        "progress",
        "health",
        "grade",  # a closed cycle's, shown live (none here)
        "forecast",  # where it will land at the cycle's end (objectives.forecasts)
        "key_results",
        "children",
        "restricted",  # hidden children as neutral rows (none here: everything is open)
    }
    assert root["grade"] is None and root["restricted"] in (None, [], {}) and body["closed"] is False
    assert root["id"] == company.pk and root["children"][0]["id"] == team.pk
    assert root["children"][0]["children"][0]["progress"] == 1.0
    assert root["key_results"] == [{"id": krs[0].pk, "title": "Raise NPS", "progress": 0.0}]
    teams = {t["name"]: t for t in body["teams"]}
    marketing = teams["Marketing"]
    assert set(marketing) == {"id", "name", "progress", "subtree_progress", "children"}
    assert marketing["progress"] == pytest.approx(0.5)  # the team objective
    assert marketing["subtree_progress"] == pytest.approx(0.75)  # plus the member's personal objective
    assert marketing["children"][0]["name"] == "Growth"
    assert teams["Finance"]["progress"] is None


@pytest.mark.django_db
def test_cascade_as_of_answers_from_snapshots(world_a, tree, api):
    cycle, (company, team, person), krs = tree
    snapshots.snapshot_organization(org=world_a.org, day=date(2026, 11, 1))
    services.key_result_check_in(key_result=krs[2], actor=world_a.member, value=10, confidence=8)
    client = api(world_a.viewer)
    then = client.get(f"/api/v1/orgs/alpha/cascade/?cycle={cycle.pk}&as_of=2026-11-15").json()
    now = client.get(f"/api/v1/orgs/alpha/cascade/?cycle={cycle.pk}").json()
    assert then["progress"] == 0.0 and now["progress"] == pytest.approx(0.25)
    assert then["as_of"] == "2026-11-15"
    before = client.get(f"/api/v1/orgs/alpha/cascade/?cycle={cycle.pk}&as_of=2026-10-15").json()
    assert before["objectives"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?cycle=abc", "?cycle=999999", "?cycle=1&as_of=yesterday"])
def test_cascade_bad_queries_are_400_naming_the_field(world_a, api, query):
    r = api(world_a.admin).get(f"/api/v1/orgs/alpha/cascade/{query}")
    assert r.status_code == 400
    assert set(r.json()["errors"]) & {"cycle", "as_of"}


@pytest.mark.django_db
def test_cascade_query_count_does_not_grow(world_a, api, django_assert_max_num_queries):
    cycle = make_cycle(world_a.org)
    client = api(world_a.admin)

    def grow(n: int) -> None:
        parents = list(Objective.objects.filter(organization=world_a.org))
        objs = Objective.objects.bulk_create(
            [
                Objective(
                    organization=world_a.org,
                    cycle=cycle,
                    title=f"O{i}",
                    owner_type="company",
                    parent=parents[i % len(parents)] if parents else None,
                )
                for i in range(n)
            ]
        )
        KeyResult.objects.bulk_create(
            [
                KeyResult(
                    organization=world_a.org,
                    objective=o,
                    title="k",
                    owner=world_a.member,
                    target_value=1,
                    current_value=0,
                )
                for o in objs
            ]
        )

    grow(20)
    with django_assert_max_num_queries(10) as small:
        client.get(f"/api/v1/orgs/alpha/cascade/?cycle={cycle.pk}")
    grow(400)
    with django_assert_max_num_queries(10) as large:
        r = client.get(f"/api/v1/orgs/alpha/cascade/?cycle={cycle.pk}")
    assert r.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


# --- concurrency ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@override_settings(ROLLUP_INLINE=False)
def test_zero_drift_after_16_concurrent_check_ins_on_a_deep_tree(world_a):
    """16 threads check in at once on leaves of one 12-level tree; every rollup
    runs (eager tasks after each commit); stored progress must equal a full
    recompute exactly. On SQLite, IMMEDIATE transactions serialise writers; on
    PostgreSQL the ancestor path is locked root-first."""
    if connection.vendor == "sqlite":
        pytest.skip("PostgreSQL-only: SQLite's in-memory test database is not shared across threads")
    cycle = make_cycle(world_a.org)
    levels: list[list[Objective]] = []
    parent_pool: list[Objective | None] = [None]
    for depth in range(12):
        level = [
            make_objective(
                world_a.org,
                cycle,
                title=f"L{depth}-{i}",
                parent=parent_pool[i % len(parent_pool)],
                weight=1 + (i % 3),
                status="active",
            )
            for i in range(2 if depth else 1)
        ]
        for o in level:
            make_kr(o, owner=world_a.member, target=10)
        levels.append(level)
        parent_pool = level
    leaves = [
        make_objective(world_a.org, cycle, title=f"Leaf {i}", parent=levels[-1][i % 2], status="active")
        for i in range(16)
    ]
    leaf_krs = [make_kr(o, owner=world_a.member, target=100) for o in leaves]

    def worker(i: int) -> None:
        for step in range(3):
            services.key_result_check_in(
                key_result=leaf_krs[i], actor=world_a.member, value=(i * 7 + step * 13) % 101, confidence=5
            )

    at_once(worker, 16)
    expected = reconcile.compute(world_a.org)[0]
    stored = dict(Objective.objects.filter(organization=world_a.org).values_list("id", "progress"))
    drift = [oid for oid, (p, _c) in expected.items() if abs(stored[oid] - p) > 1e-9]
    assert drift == []
    assert reconcile.reconcile_organization(org=world_a.org).repaired == 0


@pytest.mark.django_db
def test_objective_page_shows_progress_over_time_from_snapshots(world_a, tree, client):
    _cycle, (company, _team, _person), _krs = tree
    for offset in range(3):
        snapshots.snapshot_organization(org=world_a.org, day=date(2026, 11, 1) + timedelta(days=offset))
    client.force_login(world_a.viewer)
    html = client.get(f"/o/alpha/okrs/{company.pk}/").content.decode()
    assert "objective-trend-data" in html and "2026-11-03" in html
