"""A closed cycle holds (DESIGN §4).

- No check-in (API or page), no measurement that a key result follows, no grade and no
  edit of a key result commits into a closed cycle, even when the key results were graded before the close (then the
  close itself writes no key-result row a check-in could wait on).
- The close includes every rollup still waiting in the outbox: a check-in just before it
  is in the final snapshot and the grades, and no worker changes the cycle's stored
  progress afterwards.

The races run on PostgreSQL with real connections in threads; SQLite's in-memory test
database is not shared across threads, and its IMMEDIATE transactions serialise every
writer anyway (the single-threaded tests run there too).
"""

from __future__ import annotations

import random
import threading
import time
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from cycles import services as cycle_services
from cycles.models import Cycle, CycleStatus
from cycles.signals import cycle_closing
from objectives import queue, reconcile, rollup, services
from objectives.models import CheckIn, KeyResult, Objective, ObjectiveSnapshot
from objectives.services import check_ins, key_results
from orgs.models import Membership
from rituals import services as ritual_services
from rituals.services import grades as grade_services
from tests.concurrency import require_shared_database
from tests.kpis.kpi_factories import make_kpi, record
from tests.objectives.okr_factories import make_cycle, make_objective


def _active_objective(world, cycle: Cycle, title: str, *, parent: Objective | None = None) -> Objective:
    objective = make_objective(world.org, cycle, title=title, krs=2, kr_owner=world.member, parent=parent)
    return services.objective_set_status(objective=objective, actor=world.admin, status="active")


def _use_the_outbox(settings, monkeypatch) -> None:
    """Rollups wait in the outbox for a worker (production), and no broker is asked."""
    settings.ROLLUP_INLINE = False
    monkeypatch.setattr(queue, "publish_rollups", lambda *, org_id: True)


def _membership(world, user) -> Membership:
    return Membership.objects.select_related("organization", "user").get(organization=world.org, user=user)


def _final_snapshot(cycle: Cycle) -> dict[int, float]:
    day = cycle.organization.today()
    return dict(ObjectiveSnapshot.objects.filter(cycle=cycle, date=day).values_list("objective_id", "progress"))


def _stored(cycle: Cycle) -> dict[int, float]:
    return dict(Objective.objects.filter(cycle=cycle).values_list("id", "progress"))


def _expected(cycle: Cycle) -> dict[int, float]:
    """Each objective's progress from its key results' stored progress (equal weights, no children)."""
    sums: dict[int, list[float]] = {}
    for objective_id, progress in KeyResult.objects.filter(objective__cycle=cycle).values_list(
        "objective_id", "progress"
    ):
        sums.setdefault(objective_id, []).append(progress)
    return {oid: sum(values) / len(values) for oid, values in sums.items()}


# --- the close waits for pending rollups ------------------------------------------------------


def test_a_check_in_just_before_the_close_is_in_the_final_snapshot_and_nothing_moves_it_after(
    world_a, api, settings, monkeypatch
):
    """The check-in commits, its rollup waits in the outbox (the worker has not run yet), an
    admin closes the cycle: the final snapshot and the grade count the check-in, and the
    worker that runs later leaves the closed cycle's progress as it was frozen."""
    cycle = make_cycle(world_a.org)
    objective = _active_objective(world_a, cycle, "Win the market")
    kr = objective.key_results.order_by("position").first()
    _use_the_outbox(settings, monkeypatch)
    client = api(world_a.member)
    r = client.post(
        f"/api/v1/orgs/{world_a.org.slug}/check-ins/", {"key_result": kr.pk, "value": 5, "confidence": 7}, format="json"
    )
    assert r.status_code == 201, r.content
    r = api(world_a.admin).post(
        f"/api/v1/orgs/{world_a.org.slug}/cycles/{cycle.pk}/close/", {"force": True}, format="json"
    )
    assert r.status_code == 200, r.content
    assert _final_snapshot(cycle) == {objective.pk: pytest.approx(0.25)}  # (0.5 + 0) / 2
    objective.refresh_from_db()
    assert objective.progress == pytest.approx(0.25)
    assert objective.grade == pytest.approx(0.25)  # (grade 0.5 + grade 0.0) / 2
    rollup.rollup_pending(org_id=world_a.org.pk)  # the worker, afterwards
    assert _stored(cycle) == {objective.pk: pytest.approx(0.25)}


def test_a_rollup_from_an_open_cycle_leaves_a_closed_parent_as_it_was_frozen(world_a, api):
    """A quarter's objective aligned to the year's: the year closes while the quarter runs on.
    A check-in in the quarter rolls up to its own objective but not into the closed year's,
    and the reconcile does not count that as drift to repair."""
    year = make_cycle(world_a.org, name="2026", start=date(2026, 1, 1), days=365)
    quarter = make_cycle(world_a.org, name="Q4 2026")
    parent = _active_objective(world_a, year, "The year")
    child = _active_objective(world_a, quarter, "The quarter", parent=parent)
    cycle_services.cycle_update(cycle=year, actor=world_a.admin, status=CycleStatus.CLOSED)
    frozen = _stored(year)
    kr = child.key_results.order_by("position").first()
    r = api(world_a.member).post(
        f"/api/v1/orgs/{world_a.org.slug}/check-ins/",
        {"key_result": kr.pk, "value": 10, "confidence": 7},
        format="json",
    )
    assert r.status_code == 201, r.content
    child.refresh_from_db()
    assert child.progress == pytest.approx(0.5)  # the open quarter moves
    assert _stored(year) == frozen == _final_snapshot(year)  # the closed year does not
    # Nor does the reconcile repair it as drift: it is final, not stale.
    assert reconcile.compute(world_a.org)[0][parent.pk][0] == pytest.approx(frozen[parent.pk])
    reconcile.reconcile_organization(org=world_a.org)
    assert _stored(year) == frozen


# --- a check-in racing the close ---------------------------------------------------------------


def _close_in_another_thread(cycle: Cycle, actor) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            ritual_services.cycle_close(cycle=Cycle.objects.get(pk=cycle.pk), actor=actor, force=True)
        except BaseException as exc:  # noqa: BLE001 — re-raised by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _closed_or_waiting(thread: threading.Thread, deadline: float = 10.0) -> None:
    """Until the close has committed, or waits for a lock this test's check-in holds."""
    end = time.monotonic() + deadline
    while thread.is_alive() and time.monotonic() < end:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # a transaction reads one snapshot otherwise
            cursor.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        thread.join(0.01)
    assert time.monotonic() < end, "the close neither finished nor waited"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("way", ["api", "page"])
def test_a_check_in_that_read_the_cycle_open_never_commits_after_its_close(world_a, settings, monkeypatch, way):
    """The check-in reads its key result while the cycle is open; an admin closes the cycle
    (its key results graded beforehand, as the ritual goes) before the check-in writes.
    Either the close waits and then counts the check-in, or the check-in is refused: no
    check-in is stored that the frozen snapshot and grades do not include."""
    require_shared_database()
    _use_the_outbox(settings, monkeypatch)
    cycle = make_cycle(world_a.org)
    objective = _active_objective(world_a, cycle, "Race the close")
    krs = list(objective.key_results.order_by("position"))
    for kr in krs:
        ritual_services.key_result_grade(key_result=kr, actor=world_a.admin, grade=0.0, note="graded early")
    read = check_ins._read_for_check_in
    here = threading.get_ident()
    closes: list[tuple[threading.Thread, list[BaseException]]] = []

    def read_then_the_close_comes(**kwargs):
        found = read(**kwargs)
        if threading.get_ident() == here and not closes:
            closes.append(_close_in_another_thread(cycle, world_a.admin))
            _closed_or_waiting(closes[0][0])
        return found

    monkeypatch.setattr(check_ins, "_read_for_check_in", read_then_the_close_comes)
    try:
        if way == "api":
            services.key_result_check_in_by_id(
                membership=_membership(world_a, world_a.member), key_result_id=krs[0].pk, value=8, confidence=6
            )
        else:
            services.key_result_check_in(key_result=krs[0], actor=world_a.member, value=8, confidence=6)
        accepted = True
    except ValidationError as exc:
        assert "closed" in str(exc)
        accepted = False
    thread, errors = closes[0]
    thread.join(30)
    assert not thread.is_alive() and not errors, errors
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.CLOSED
    stored = KeyResult.objects.get(pk=krs[0].pk)
    assert CheckIn.objects.filter(key_result=krs[0]).count() == (1 if accepted else 0)
    assert stored.current_value == (8.0 if accepted else 0.0)
    # Whatever was stored is what the close froze.
    assert _final_snapshot(cycle) == {objective.pk: pytest.approx(0.4 if accepted else 0.0)}


@pytest.mark.django_db(transaction=True)
def test_a_grade_given_while_the_cycle_closes_is_in_the_objectives_grade_or_refused(world_a, monkeypatch):
    """A key result is re-graded while an admin closes the cycle: either the close waits and
    the objective's frozen grade counts the new grade, or the grade is refused; never a key
    result's grade that changed after its objective's grade was frozen."""
    require_shared_database()
    cycle = make_cycle(world_a.org)
    objective = _active_objective(world_a, cycle, "Grade the close")
    krs = list(objective.key_results.order_by("position"))
    for kr in krs:
        ritual_services.key_result_grade(key_result=kr, actor=world_a.admin, grade=0.0, note="first look")
    clean = grade_services.clean_grade
    closes: list[tuple[threading.Thread, list[BaseException]]] = []

    def read_then_the_close_comes(value):
        if not closes:
            closes.append(_close_in_another_thread(cycle, world_a.admin))
            _closed_or_waiting(closes[0][0])
        return clean(value)

    monkeypatch.setattr(grade_services, "clean_grade", read_then_the_close_comes)
    try:
        ritual_services.key_result_grade(key_result=krs[0], actor=world_a.admin, grade=1.0, note="on reflection")
        accepted = True
    except ValidationError as exc:
        assert "closed" in str(exc)
        accepted = False
    thread, errors = closes[0]
    thread.join(30)
    assert not thread.is_alive() and not errors, errors
    grades = [KeyResult.objects.get(pk=kr.pk).grade for kr in krs]
    assert grades == ([1.0, 0.0] if accepted else [0.0, 0.0])
    objective.refresh_from_db()
    assert objective.grade == pytest.approx(sum(grades) / 2)


@pytest.mark.django_db(transaction=True)
def test_a_key_result_edited_while_the_cycle_closes_is_frozen_as_edited_or_refused(world_a, monkeypatch):
    """Halving a key result's target moves its objective's progress. Edited while an admin
    closes the cycle, either the close waits and freezes the edited figures, or the edit is
    refused: the key results and the objective stored afterwards are what the close froze."""
    require_shared_database()
    cycle = make_cycle(world_a.org)
    objective = _active_objective(world_a, cycle, "Edit the close")
    krs = list(objective.key_results.order_by("position"))
    services.key_result_check_in(key_result=krs[0], actor=world_a.member, value=5, confidence=6)
    for kr in krs:
        ritual_services.key_result_grade(key_result=kr, actor=world_a.admin, grade=0.5, note="graded early")
    check = key_results.check_version
    closes: list[tuple[threading.Thread, list[BaseException]]] = []

    def read_then_the_close_comes(*args, **kwargs):
        if not closes:
            closes.append(_close_in_another_thread(cycle, world_a.admin))
            _closed_or_waiting(closes[0][0])
        return check(*args, **kwargs)

    monkeypatch.setattr(key_results, "check_version", read_then_the_close_comes)
    try:
        services.key_result_update(key_result=krs[0], actor=world_a.admin, target_value=5)
        accepted = True
    except ValidationError as exc:
        assert "closed" in str(exc)
        accepted = False
    thread, errors = closes[0]
    thread.join(30)
    assert not thread.is_alive() and not errors, errors
    assert KeyResult.objects.get(pk=krs[0].pk).target_value == (5.0 if accepted else 10.0)
    expected = {objective.pk: pytest.approx(0.5 if accepted else 0.25)}  # (1.0 + 0) / 2, or (0.5 + 0) / 2
    assert _expected(cycle) == expected and _stored(cycle) == expected and _final_snapshot(cycle) == expected


# --- under load: close and re-open again and again -------------------------------------------


ROUNDS = 30


@pytest.mark.django_db(transaction=True)
def test_check_ins_and_measurements_under_load_never_commit_into_a_closed_cycle(world_a, settings, monkeypatch):
    """Check-ins through the API and the page path, KPI measurements that a key result
    follows, and a rollup worker, all at once, while an admin grades, closes and re-opens
    the cycle ``ROUNDS`` times. Checked at every round:

    - while the cycle is closed nothing commits into it: the check-ins, key-result values
      and stored progress read under the re-open's lock are those the close froze;
    - what the close froze includes everything accepted before it: its snapshot is each
      objective's progress computed from its key results at that moment;

    and at the end, once the worker has taken what the last close left, the stored progress
    is still the final snapshot."""
    require_shared_database()
    _use_the_outbox(settings, monkeypatch)
    cycle = make_cycle(world_a.org)
    objectives = [_active_objective(world_a, cycle, f"Objective {i}") for i in range(3)]
    kpi = make_kpi(world_a.org, name="Qualified leads", target=100)
    linked = services.key_result_create(
        objective=objectives[0], actor=world_a.admin, title="Leads", owner=world_a.member, target_value=100, kpi=kpi
    )
    krs = list(KeyResult.objects.filter(objective__cycle=cycle).exclude(pk=linked.pk))
    admin = _membership(world_a, world_a.admin)
    stop = threading.Event()
    accepted: list[int] = []
    refused = [0]
    errors: list[BaseException] = []

    def check_ins(i: int) -> None:
        rng = random.Random(i)
        while not stop.is_set():
            kr = rng.choice(krs)
            try:
                if i % 2:
                    check_in = services.key_result_check_in_by_id(
                        membership=admin, key_result_id=kr.pk, value=rng.randint(0, 10), confidence=5
                    )
                else:
                    check_in = services.key_result_check_in(
                        key_result=kr, actor=world_a.admin, value=rng.randint(0, 10), confidence=5
                    )
                accepted.append(check_in.pk)
            except ValidationError:
                refused[0] += 1

    def measurements(i: int) -> None:
        rng = random.Random(100 + i)
        while not stop.is_set():
            record(kpi, "2026-11-01", rng.randint(0, 100))

    def worker(_i: int) -> None:
        while not stop.is_set():
            rollup.rollup_pending(org_id=world_a.org.pk)
            stop.wait(0.005)

    frozen: list[dict] = []

    def on_close(*, cycle: Cycle, **_kwargs) -> None:  # after the freeze, in the close's transaction
        frozen.append(
            {
                "check_ins": set(
                    CheckIn.objects.filter(key_result__objective__cycle=cycle).values_list("pk", flat=True)
                ),
                "values": dict(KeyResult.objects.filter(objective__cycle=cycle).values_list("pk", "current_value")),
                "expected": _expected(cycle),
                "snapshot": _final_snapshot(cycle),
            }
        )

    def run(target, i: int) -> threading.Thread:
        def body() -> None:
            try:
                target(i)
            except BaseException as exc:  # noqa: BLE001 — re-raised by the test
                errors.append(exc)
                stop.set()
            finally:
                connection.close()

        thread = threading.Thread(target=body)
        thread.start()
        return thread

    def until(condition, seconds: float = 20.0) -> None:
        end = time.monotonic() + seconds
        while not condition() and not stop.is_set():
            assert time.monotonic() < end, "the load stalled"
            stop.wait(0.002)

    cycle_closing.connect(on_close, dispatch_uid="test_close_holds")
    threads = [run(check_ins, i) for i in range(4)] + [run(measurements, 0), run(worker, 0)]
    seen_closed: list[tuple[set, dict, dict]] = []
    try:
        for _round in range(ROUNDS):
            before = len(accepted)
            until(lambda before=before: len(accepted) >= before + 3)
            for kr in [*krs, linked]:  # the ritual: the key results are graded before the close
                ritual_services.key_result_grade(key_result=kr, actor=world_a.admin, grade=0.5, note="graded")
            ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
            tried = refused[0]
            until(lambda tried=tried: refused[0] >= tried + 3)  # check-ins keep knocking meanwhile
            with transaction.atomic():
                Cycle.objects.select_for_update().get(pk=cycle.pk)  # what has committed, and no more
                seen_closed.append(
                    (
                        set(CheckIn.objects.filter(key_result__objective__cycle=cycle).values_list("pk", flat=True)),
                        dict(KeyResult.objects.filter(objective__cycle=cycle).values_list("pk", "current_value")),
                        _stored(cycle),
                    )
                )
                cycle_services.cycle_update(cycle=cycle, actor=world_a.admin, status=CycleStatus.ACTIVE)
            if errors:
                break
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
        cycle_closing.disconnect(dispatch_uid="test_close_holds")
    assert not errors, errors
    assert len(frozen) == len(seen_closed) == ROUNDS
    late = [
        n
        for n, (froze, (check_ins, values, _progress)) in enumerate(zip(frozen, seen_closed, strict=True))
        if check_ins != froze["check_ins"] or values != froze["values"]
    ]
    assert not late, f"rounds {late} of {ROUNDS}: something committed into the closed cycle"
    stale = [n for n, froze in enumerate(frozen) if froze["snapshot"] != pytest.approx(froze["expected"])]
    assert not stale, f"rounds {stale} of {ROUNDS}: the final snapshot missed a check-in"
    moved = [
        n for n, (froze, (_c, _v, progress)) in enumerate(zip(frozen, seen_closed, strict=True))
        if progress != pytest.approx(froze["snapshot"])
    ]  # fmt: skip
    assert not moved, f"rounds {moved} of {ROUNDS}: stored progress moved while the cycle was closed"
    # Every accepted check-in was frozen by a close; the last close, then the worker.
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    assert set(accepted) <= set(CheckIn.objects.filter(key_result__objective__cycle=cycle).values_list("pk", flat=True))
    final = _final_snapshot(cycle)
    rollup.rollup_pending(org_id=world_a.org.pk)
    assert final == pytest.approx(_expected(cycle)) and _stored(cycle) == pytest.approx(final)
