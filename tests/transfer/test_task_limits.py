"""The import and export tasks fit the promised 20,000-row files, and a task that runs out of
time, fails, or loses its worker leaves its run failed with a message, nothing half imported,
and the run able to be applied again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from activity.models import ActivityEntry
from objectives.models import CheckIn, KeyResult, Objective
from orgs.models import Organization, User
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
    """Apply the run in the background as the page does (the run waits for its task), then
    deliver the task's message."""
    run.refresh_from_db()
    services.import_run_apply(run=run, actor=world.admin, background=True)  # its on_commit never fires here
    _deliver(world, run)


def _deliver(world, run: ImportRun) -> None:
    """The apply task's message reaches a worker (again, or late)."""
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

    monkeypatch.setattr(okrs_plan.Plan, "_key_result", _stop)
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


def _applied_entries(world) -> int:
    return ActivityEntry.objects.filter(organization=world.org, verb="import.applied").count()


def test_a_second_apply_task_does_not_fail_an_applied_run(world_a, cycle):
    run = _checked(world_a)
    _apply_task(world_a, run)
    run.refresh_from_db()
    applied_at, result = run.applied_at, run.result
    _deliver(world_a, run)  # a duplicate message
    run.refresh_from_db()
    assert run.status == ImportStatus.APPLIED and run.result == result and run.applied_at == applied_at
    assert Objective.objects.filter(organization=world_a.org).count() == 2
    assert _applied_entries(world_a) == 1  # applied once


def test_a_duplicate_task_that_reaches_the_lock_after_the_first_apply_writes_nothing(world_a, cycle):
    """Both deliveries took the run (it said applying for both); the second waited for the
    first's lock: once it has it, the run is applied, and it leaves it so."""
    run = _checked(world_a)
    services.import_run_apply(run=run, actor=world_a.admin, background=True)
    waiting = ImportRun.objects.get(pk=run.pk)  # what the second delivery read before the lock
    assert waiting.status == ImportStatus.APPLYING
    _deliver(world_a, run)
    with pytest.raises(services.RunNotReady):
        services.import_run_apply(run=waiting, actor=world_a.admin, background=False)
    run.refresh_from_db()
    assert run.status == ImportStatus.APPLIED and run.result["create"] == 6
    assert _applied_entries(world_a) == 1


def test_a_second_apply_of_an_applied_run_is_refused_and_writes_nothing(world_a, cycle, client, api):
    run = _checked(world_a)
    stale = ImportRun.objects.get(pk=run.pk)  # a second tab, opened before the first apply
    services.import_run_apply(run=run, actor=world_a.admin)
    with pytest.raises(services.RunNotReady):
        services.import_run_apply(run=stale, actor=world_a.admin)
    with pytest.raises(services.RunNotReady):  # nor sent to a task
        services.import_run_apply(run=stale, actor=world_a.admin, background=True)
    client.force_login(world_a.admin)
    url = f"/o/{world_a.org.slug}/settings/import/{run.pk}/"
    page = client.post(f"{url}apply/", {}, follow=True).content.decode()
    assert "not ready to apply" in page
    body = api(world_a.admin).post(f"/api/v1/orgs/{world_a.org.slug}/imports/{run.pk}/apply/", {}, format="json")
    assert body.status_code == 400
    run.refresh_from_db()
    assert run.status == ImportStatus.APPLIED and run.result["create"] == 6
    assert Objective.objects.filter(organization=world_a.org).count() == 2
    assert _applied_entries(world_a) == 1


def test_a_task_delivered_after_its_run_was_given_up_leaves_it_failed_and_writes_nothing(
    world_a, cycle, pin_now, client
):
    """Waiting in the queue past its hard limit, the run was shown failed ("nothing was
    imported"); its task then arrives: it leaves the run as the page said, with nothing
    written. Applied again, the run is applied once, whichever delivery comes first."""
    run = _checked(world_a)
    services.import_run_apply(run=run, actor=world_a.admin, background=True)
    pin_now(NOW + timedelta(seconds=tasks.APPLY_HARD_LIMIT + services.STALE_GRACE_SECONDS + 1))
    client.force_login(world_a.admin)
    url = f"/o/{world_a.org.slug}/settings/import/{run.pk}/"
    assert "stopped before it finished" in client.get(url).content.decode()
    _deliver(world_a, run)  # the original message, at last
    run.refresh_from_db()
    page = client.get(url).content.decode()
    assert run.status == ImportStatus.FAILED and "Failed" in page and "stopped before it finished" in page
    _nothing_written(world_a)
    # Applied again: the late original and the new message both arrive; one applies.
    services.import_run_apply(run=run, actor=world_a.admin, background=True)
    _deliver(world_a, run)
    _deliver(world_a, run)
    run.refresh_from_db()
    assert run.status == ImportStatus.APPLIED and run.result["create"] == 6
    assert "Applied" in client.get(url).content.decode()
    assert Objective.objects.filter(organization=world_a.org).count() == 2
    assert _applied_entries(world_a) == 1


def test_an_export_out_of_time_leaves_no_half_file(world_a, settings, tmp_path, monkeypatch):
    settings.TRANSFER_EXPORT_DIR = tmp_path

    def stream(org, exported_at):
        yield b'{"format": '
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(exporting, "stream_json", stream)
    with pytest.raises(SoftTimeLimitExceeded):
        tasks.export_prepare.apply(args=(world_a.org.pk, "abc.json"))
    assert list((tmp_path / str(world_a.org.pk)).iterdir()) == []


def _read(client, world, run: ImportRun, language: str) -> str:
    User.objects.filter(pk=world.admin.pk).update(language=language)
    return client.get(f"/o/{world.org.slug}/settings/import/{run.pk}/").content.decode()


def test_a_message_written_in_the_worker_is_read_in_each_readers_language(world_a, cycle, monkeypatch, client, api):
    run = _checked(world_a)
    _fail_on_second_key_result(monkeypatch, SoftTimeLimitExceeded())
    _apply_task(world_a, run)  # the worker: no reader, no language of theirs
    client.force_login(world_a.admin)
    vietnamese = "Việc nhập đã bị dừng sau 45 phút, trước khi xong"
    page = _read(client, world_a, run, "vi")
    assert vietnamese in page and "stopped after 45 minutes" not in page
    page = _read(client, world_a, run, "en")
    assert "stopped after 45 minutes" in page and vietnamese not in page
    # A check stopped in the worker, through the API, in the language the reader asks for.
    monkeypatch.setattr(okrs_plan.Plan, "_key_result", _stop)
    tasks.import_check.apply(args=(world_a.org.pk, run.pk))
    url = f"/api/v1/orgs/{world_a.org.slug}/imports/{run.pk}/"
    User.objects.filter(pk=world_a.admin.pk).update(language="")
    message = api(world_a.admin).get(url, HTTP_ACCEPT_LANGUAGE="vi").json()["dry_run"]["errors"][0]["message"]
    assert message.startswith("Việc kiểm tra đã bị dừng sau 10 phút")
    message = api(world_a.admin).get(url, HTTP_ACCEPT_LANGUAGE="en").json()["dry_run"]["errors"][0]["message"]
    assert message.startswith("The check was stopped after 10 minutes")


def _stop(*args, **kwargs):
    raise SoftTimeLimitExceeded()


def test_a_stale_runs_message_is_not_kept_in_its_first_readers_language(world_a, cycle, pin_now, client):
    run = _checked(world_a)
    services.import_run_apply(run=run, actor=world_a.admin, background=True)
    pin_now(NOW + timedelta(seconds=tasks.APPLY_HARD_LIMIT + services.STALE_GRACE_SECONDS + 1))
    client.force_login(world_a.admin)
    vietnamese = "Việc nhập đã dừng trước khi xong"
    assert vietnamese in _read(client, world_a, run, "vi")  # the first to open it reads Vietnamese
    page = _read(client, world_a, run, "en")  # the next, English
    assert "stopped before it finished" in page and vietnamese not in page
    run.refresh_from_db()  # kept in the organisation's language, beside its code
    assert run.dry_run["stopped"].startswith("The import stopped") and run.dry_run["stopped_code"]["code"]


def test_what_a_task_writes_without_a_code_is_in_the_organisations_language(world_a, cycle, monkeypatch):
    Organization.objects.filter(pk=world_a.org.pk).update(language="vi")
    run = _checked(world_a)

    def refuse(*args, **kwargs):
        raise ValidationError(_("Rows have errors, so nothing was imported. Fix them, or import only the valid rows."))

    monkeypatch.setattr(services, "_apply_locked", refuse)
    _apply_task(world_a, run)
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert run.dry_run["errors"][0]["message"].startswith("Có dòng bị lỗi")
