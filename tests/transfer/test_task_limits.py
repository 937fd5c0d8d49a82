"""The import and export tasks fit the promised 20,000-row files, and a task that runs out of
time, fails, or loses its worker leaves its run failed with a message, nothing half imported,
and the run able to be applied again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings as django_settings

from activity.models import ActivityEntry
from objectives.models import CheckIn, KeyResult, Objective
from tests.objectives.okr_factories import make_cycle
from tests.transfer.helpers import csv_bytes
from transfer import exporting, services, tasks
from transfer.kinds import okrs_bulk, okrs_plan, okrs_write
from transfer.models import ImportedKey, ImportRun, ImportStatus

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
HEADER = ["Objective", "Owner", "Status", "Key result", "Target", "Current", "Confidence"]


@pytest.fixture
def cycle(world_a, pin_now):
    pin_now(NOW)
    return make_cycle(world_a.org)


def _checked(world, *, per_row: bool = True) -> ImportRun:
    m = world.member.email
    data = csv_bytes(
        [
            HEADER,
            ["Grow", m, "Active", "Revenue", 100, 40, 7],
            ["Grow", m, "Active", "Margin", 20, 15, 6],
            ["Hire", m, "", "People", 10, 2, ""],
            ["Hire", m, "", "Offers", 5, 1, ""],
        ]
    )
    run = services.import_run_create(
        org=world.org,
        actor=world.admin,
        kind="okrs",
        data=data,
        filename="okrs.csv",
        options={"per_row": per_row},
        background=False,
    )
    assert run.status == ImportStatus.CHECKED and run.dry_run["errors"] == [] and run.dry_run["create"] == 6
    return run


def _nothing_written(world) -> None:
    org = world.org
    assert not Objective.objects.filter(organization=org).exists()
    assert not KeyResult.objects.filter(organization=org).exists()
    assert not CheckIn.objects.filter(key_result__organization=org).exists()
    assert not ImportedKey.objects.filter(organization=org).exists()
    assert not ActivityEntry.objects.filter(organization=org, target_type__startswith="objectives.").exists()


def _fail_on_second_key_result(monkeypatch, error: BaseException, *, per_row: bool = True) -> None:
    """The row step raises half way: row by row, after the first key result (and its
    check-in) was written; in bulk, after the first batch was written."""
    real = okrs_write._write_key_result if per_row else okrs_bulk.write_new
    calls = []

    def step(*args, **kwargs):
        calls.append(1)
        if not per_row:
            real(*args, **kwargs)
            assert CheckIn.objects.exists()  # something was written before the stop
            raise error
        if len(calls) == 2:
            assert KeyResult.objects.exists()  # something was written before the stop
            raise error
        return real(*args, **kwargs)

    if per_row:
        monkeypatch.setattr(okrs_write, "_write_key_result", step)
    else:
        monkeypatch.setattr(okrs_write, "write_new", step)


def _apply_task(world, run: ImportRun) -> None:
    tasks.import_apply.apply(args=(world.org.pk, run.pk, world.admin.pk, False))


def test_the_tasks_declare_limits_that_fit_the_promised_files():
    visibility = django_settings.REDIS_TRANSPORT_OPTIONS["visibility_timeout"]
    for task in (tasks.import_check, tasks.import_apply, tasks.export_prepare):
        assert task.soft_time_limit < task.time_limit < visibility  # never handed to a second worker
        assert task.soft_time_limit > django_settings.CELERY_TASK_SOFT_TIME_LIMIT
    # 20,000 round-trip rows measured ~1,400 s row by row: the apply leaves room for it.
    assert tasks.import_apply.soft_time_limit >= 1.5 * 1400


@pytest.mark.parametrize("per_row", [True, False])
def test_an_apply_out_of_time_fails_its_run_and_writes_nothing(world_a, cycle, monkeypatch, client, per_row):
    run = _checked(world_a, per_row=per_row)
    _fail_on_second_key_result(monkeypatch, SoftTimeLimitExceeded(), per_row=per_row)
    _apply_task(world_a, run)
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    message = run.dry_run["notes"][0]
    assert "stopped after 45 minutes" in message and "nothing was imported" in message
    assert run.dry_run["create"] == 6  # the dry run is kept
    _nothing_written(world_a)
    client.force_login(world_a.admin)
    page = client.get(f"/o/{world_a.org.slug}/settings/import/{run.pk}/").content.decode()
    assert "stopped after 45 minutes" in page and "Failed" in page
    # Applied again (in time), it imports the file once.
    monkeypatch.undo()
    pin_now_again(monkeypatch)
    _apply_task(world_a, run)
    run.refresh_from_db()
    assert run.status == ImportStatus.APPLIED and run.result["create"] == 6
    assert Objective.objects.filter(organization=world_a.org).count() == 2
    assert CheckIn.objects.filter(key_result__organization=world_a.org).count() == 2


def pin_now_again(monkeypatch) -> None:
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)


def test_an_unexpected_failure_fails_its_run_and_writes_nothing(world_a, cycle, monkeypatch):
    run = _checked(world_a)
    _fail_on_second_key_result(monkeypatch, RuntimeError("boom"))
    with pytest.raises(RuntimeError):  # still raised, for the worker's log
        _apply_task(world_a, run)
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert "failed unexpectedly" in run.dry_run["notes"][0]
    _nothing_written(world_a)


def test_a_check_out_of_time_fails_its_run(world_a, cycle, monkeypatch):
    run = _checked(world_a)

    def stop(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(okrs_plan.Plan, "_key_result", stop)
    tasks.import_check.apply(args=(world_a.org.pk, run.pk))
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert "check was stopped after 10 minutes" in run.dry_run["errors"][0]["message"]


def test_a_run_left_running_by_a_dead_worker_is_shown_failed_and_can_be_applied_again(world_a, cycle, pin_now, client):
    run = _checked(world_a)
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.APPLYING, started_at=NOW)  # then the worker died
    client.force_login(world_a.admin)
    url = f"/o/{world_a.org.slug}/settings/import/{run.pk}/"
    pin_now(NOW + timedelta(seconds=tasks.APPLY_HARD_LIMIT))  # it could still be at work
    assert "Being applied" in client.get(url).content.decode()
    assert ImportRun.objects.get(pk=run.pk).status == ImportStatus.APPLYING
    pin_now(NOW + timedelta(seconds=tasks.APPLY_HARD_LIMIT + services.STALE_GRACE_SECONDS + 1))
    page = client.get(url).content.decode()
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED and "stopped before it finished" in page
    _nothing_written(world_a)
    client.post(f"{url}apply/", {})
    run.refresh_from_db()
    assert run.status == ImportStatus.APPLIED and run.result["create"] == 6
    assert Objective.objects.filter(organization=world_a.org).count() == 2


def test_a_check_left_running_is_shown_failed_through_the_api(world_a, cycle, pin_now, api):
    run = _checked(world_a)
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.CHECKING, started_at=NOW)
    pin_now(NOW + timedelta(seconds=tasks.CHECK_HARD_LIMIT + services.STALE_GRACE_SECONDS + 1))
    body = api(world_a.admin).get(f"/api/v1/orgs/{world_a.org.slug}/imports/{run.pk}/").json()
    assert body["status"] == "failed" and "check stopped" in body["dry_run"]["errors"][0]["message"]


def test_a_second_apply_task_does_not_fail_an_applied_run(world_a, cycle):
    run = _checked(world_a)
    _apply_task(world_a, run)
    _apply_task(world_a, run)  # a duplicate message
    run.refresh_from_db()
    assert run.status == ImportStatus.APPLIED and run.result["create"] == 6
    assert Objective.objects.filter(organization=world_a.org).count() == 2


def test_an_export_out_of_time_leaves_no_half_file(world_a, settings, tmp_path, monkeypatch):
    settings.TRANSFER_EXPORT_DIR = tmp_path

    def stream(org, exported_at):
        yield b'{"format": '
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(exporting, "stream_json", stream)
    with pytest.raises(SoftTimeLimitExceeded):
        tasks.export_prepare.apply(args=(world_a.org.pk, "abc.json"))
    assert list((tmp_path / str(world_a.org.pk)).iterdir()) == []
