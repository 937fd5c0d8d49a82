"""The reconcile and the dirty-organisation repair never undo a rollup (DESIGN §5).

Their reads take no lock, so a rollup may commit between the read and the write. These
tests put one there deterministically: ``reconcile.compute`` (the read) is wrapped so that,
once it has read, another thread — its own database connection, as a worker or a request
would be — checks in and rolls up, and commits, before the reconcile goes on to write.
Only on PostgreSQL: SQLite's IMMEDIATE transactions serialise writers (no interleaving),
and its in-memory test database is not shared across threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from objectives import reconcile, services
from objectives.models import Objective, RollupPending
from objectives.tasks import repair_dirty_task, rollup_pending_task
from orgs.models import Organization
from tests.concurrency import require_shared_database
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


def _in_another_connection(fn: Callable[[], None]) -> None:
    """Run ``fn`` in a thread with its own database connection, to its commit, and wait."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 — re-raised in the test's thread below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the interleaved check-in did not finish (blocked by the reconcile?)"
    if errors:
        raise errors[0]


def _between_read_and_write(monkeypatch, fn: Callable[[], None]) -> list[int]:
    """Make ``fn`` commit right after the reconcile's read; returns a list counting the reads."""
    real = reconcile.compute
    reads: list[int] = []

    def compute_then_interleave(org):
        read = real(org)
        reads.append(org.pk)
        if len(reads) == 1:
            _in_another_connection(fn)
        return read

    monkeypatch.setattr(reconcile, "compute", compute_then_interleave)
    return reads


@pytest.fixture
def drifted(world_a):
    """A company objective whose only input is a person's objective; a lost rollup left the
    company at 0.3 while the truth (from the key result) is 0."""
    require_shared_database()
    cycle = make_cycle(world_a.org)
    company = make_objective(world_a.org, cycle, title="Company")
    person = make_objective(
        world_a.org, cycle, title="Person", owner_type="person", user=world_a.member, parent=company, status="active"
    )
    kr = make_kr(person, owner=world_a.member, target=10)
    Objective.objects.filter(pk=company.pk).update(progress=0.3)
    return company, person, kr


def _repair() -> int:
    """The repair sweep, as a worker runs it. (Celery's "no result.get() within a task" flag is
    process-wide: threads running eager tasks at once elsewhere may leave it set.)"""
    return repair_dirty_task.apply().get(disable_sync_subtasks=False)


def _progress(*objectives: Objective) -> list[float]:
    return [Objective.objects.get(pk=o.pk).progress for o in objectives]


@pytest.mark.django_db(transaction=True)
def test_reconcile_keeps_the_value_of_a_rollup_committed_between_its_read_and_its_write(
    world_a, drifted, monkeypatch, capsys
):
    company, person, kr = drifted

    def check_in() -> None:  # a check-in and its (inline) rollup: person and company go to 0.8
        services.key_result_check_in(key_result=kr, actor=world_a.member, value=8, confidence=7)

    reads = _between_read_and_write(monkeypatch, check_in)
    call_command("rollup", "--org", "alpha")  # the operator's full reconcile
    assert reads == [world_a.org.pk]
    # The reconcile read the company at 0.3 and computed 0.0 from the key result as it was;
    # the rollup since set it to 0.8 from the new value. Writing 0.0 would undo it.
    assert _progress(person, company) == pytest.approx([0.8, 0.8])
    out = capsys.readouterr().out
    assert "alpha: 2 objectives, 0 repaired, 1 changed by a rollup meanwhile" in out
    # Nothing left to repair: the rollup's values are the truth.
    monkeypatch.undo()
    assert reconcile.reconcile_organization(org=world_a.org).repaired == 0


@pytest.mark.django_db(transaction=True)
def test_reconcile_still_repairs_the_rows_nobody_touched_meanwhile(world_a, drifted, monkeypatch):
    company, person, kr = drifted
    other = make_objective(world_a.org, company.cycle, title="Other", status="active")
    other_kr = make_kr(other, owner=world_a.member, target=10)
    services.key_result_check_in(key_result=other_kr, actor=world_a.member, value=5, confidence=7)
    Objective.objects.filter(pk=other.pk).update(progress=0.9)  # drifted too, and left alone below

    def check_in() -> None:
        services.key_result_check_in(key_result=kr, actor=world_a.member, value=8, confidence=7)

    _between_read_and_write(monkeypatch, check_in)
    result = reconcile.reconcile_organization(org=world_a.org)
    assert (result.repaired, result.skipped) == (1, 1)
    assert _progress(person, company, other) == pytest.approx([0.8, 0.8, 0.5])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("interleaved", ["rollup", "failed publish"])
def test_dirty_repair_never_undoes_a_rollup_nor_drops_a_newer_mark(world_a, drifted, monkeypatch, interleaved):
    """The repair sweep reconciles an organisation marked dirty and clears the mark. A rollup
    committed while it runs keeps its value; a check-in whose rollup could not be queued
    while it runs keeps the organisation marked, so the next sweep repairs it."""
    company, person, kr = drifted
    Organization.objects.filter(pk=world_a.org.pk).update(rollup_dirty_since="2026-12-01T08:00:00Z")

    def check_in() -> None:
        if interleaved == "rollup":
            services.key_result_check_in(key_result=kr, actor=world_a.member, value=8, confidence=7)
            return

        def broker_down(*args, **kwargs):
            raise OSError("broker down")

        # Through the outbox; the publish fails, so the request marks the organisation dirty.
        with override_settings(ROLLUP_INLINE=False), monkeypatch.context() as m:
            m.setattr(rollup_pending_task, "apply_async", broker_down)
            services.key_result_check_in(key_result=kr, actor=world_a.member, value=8, confidence=7)

    _between_read_and_write(monkeypatch, check_in)
    _repair()
    monkeypatch.undo()
    dirty_since = Organization.objects.get(pk=world_a.org.pk).rollup_dirty_since
    if interleaved == "rollup":
        assert _progress(person, company) == pytest.approx([0.8, 0.8])
        assert dirty_since is None
        return
    # The repair read before the check-in: the company is repaired to 0.0, the check-in's
    # rollup waits in the outbox, and the organisation is still marked.
    assert RollupPending.objects.filter(objective_id=person.pk).exists()
    assert dirty_since is not None
    assert _progress(person, company) == pytest.approx([0.0, 0.0])
    _repair()  # the next sweep
    assert _progress(person, company) == pytest.approx([0.8, 0.8])
    assert Organization.objects.get(pk=world_a.org.pk).rollup_dirty_since is None


@pytest.mark.django_db
def test_dirty_mark_is_put_back_when_the_repair_fails(world_a, monkeypatch):
    Organization.objects.filter(pk=world_a.org.pk).update(rollup_dirty_since="2026-12-01T08:00:00Z")

    def broken(org):
        raise reconcile.CycleInTreeError("objective 1: parent chain loops")

    monkeypatch.setattr(reconcile, "compute", broken)
    call_command("rollup", "--org", "alpha")
    assert Organization.objects.get(pk=world_a.org.pk).rollup_dirty_since is not None
