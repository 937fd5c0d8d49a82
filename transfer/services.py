"""Import runs and the organisation export.

An import is two steps, the same on the page and in the API: ``import_run_create``
keeps the file and checks it (the dry run: what would be created, updated and left
unchanged, and every row that cannot be imported); ``import_run_apply`` checks it
again against the data as it now is and writes it in one transaction — all or nothing,
or only the valid rows when asked. A file past ``INLINE_ROWS`` rows is checked and
applied by a Celery task (``transfer.tasks``) that reports its progress on the run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from activity.services import activity_record
from core import fastcache
from orgs.models import Invitation, Membership, Organization, Role, User
from orgs.services import invitation_create
from orgs.versions import bump_data_version
from transfer.archive import document_zip, stream_json
from transfer.document import organization_document
from transfer.kinds.base import Context, Report
from transfer.kinds.registry import run_kind
from transfer.models import ImportKind, ImportRun, ImportStatus
from transfer.reading import check_size, read_table
from transfer.run_messages import APPLY_STALE, CHECK_STALE, run_message

# Files with more data rows than this are checked and applied in the background.
INLINE_ROWS = 2000


def export_response(*, org: Organization, fmt: str) -> HttpResponseBase:
    """The organisation as a download: the JSON document streamed as it is read, or the ZIP."""
    response: HttpResponseBase
    if fmt == "zip":
        response = HttpResponse(document_zip(organization_export(org=org)), content_type="application/zip")
    else:
        response = StreamingHttpResponse(stream_json(org, exported_at=timezone.now()), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(org, fmt)}"'
    return response


def organization_export(*, org: Organization, now: datetime | None = None) -> dict[str, Any]:
    """The whole organisation as one versioned document (``docs/export-format.md``)."""
    return organization_document(org=org, exported_at=now or timezone.now())


check_upload_size = check_size


def export_filename(org: Organization, fmt: str) -> str:
    return f"{slugify(org.slug) or 'organization'}-export.{fmt}"


def _count_rows(data: bytes, filename: str, kind: str) -> int:
    if kind == ImportKind.ORGANIZATION:
        return 0
    try:
        return len(read_table(data, filename).rows)
    except ValidationError:
        return 0  # the check reports it


@transaction.atomic
def import_run_create(
    *,
    org: Organization,
    actor: User | None,
    kind: str,
    data: bytes,
    filename: str,
    mapping: dict[str, str] | None = None,
    options: dict[str, Any] | None = None,
    background: bool | None = None,
) -> ImportRun:
    """Keep the file and check it. A big file is checked by a task after the commit
    (``background`` forces the choice); a small one here, so the run comes back checked."""
    if kind not in ImportKind.values:
        raise ValidationError({"kind": _("Choose what the file holds.")})
    check_size(len(data))
    run = ImportRun.objects.create(
        organization=org,
        kind=kind,
        filename=(filename or "")[:255],
        data=data,
        size=len(data),
        # Options come from the caller (the page, the API, a command), never from the file's mapping.
        mapping={**{k: v for k, v in (mapping or {}).items() if k != "__options__"}, "__options__": options or {}},
        created_by=actor,
    )
    run.rows_total = _count_rows(data, filename, kind)
    run.save(update_fields=["rows_total"])
    if background if background is not None else run.rows_total > INLINE_ROWS:
        from transfer import tasks

        transaction.on_commit(lambda: tasks.import_check.delay(org_id=org.pk, run_id=run.pk))
        return run
    import_run_check(run=run)
    return run


def progress_key(run_id: int) -> str:
    return f"import-progress:{run_id}"


# How long past its task's hard time limit a run may still say it is at work before it is
# taken for one whose worker died (a worker's clock and the web's may differ a little).
STALE_GRACE_SECONDS = 300


def import_run_progress(run: ImportRun) -> ImportRun:
    """The run with ``rows_done`` as far as its task got (the hint its task leaves). A run
    still checking or applying after its task's hard time limit lost its worker (killed,
    out of memory: nothing could mark it): it is marked failed, with nothing imported (its
    transaction died with the worker), and can be applied again."""
    if _stale(run):
        _fail_stale(run)
        run.refresh_from_db()
        return run
    done = fastcache.get(progress_key(run.pk))
    if isinstance(done, int) and run.status in (ImportStatus.CHECKING, ImportStatus.APPLYING):
        run.rows_done = min(done, run.rows_total)
    return run


def _stale(run: ImportRun) -> bool:
    from transfer import tasks

    limits: dict[str, int] = {
        ImportStatus.CHECKING: tasks.CHECK_HARD_LIMIT,
        ImportStatus.APPLYING: tasks.APPLY_HARD_LIMIT,
    }
    limit = limits.get(str(run.status))
    if limit is None or run.started_at is None:
        return False
    return (timezone.now() - run.started_at).total_seconds() > limit + STALE_GRACE_SECONDS


def _fail_stale(run: ImportRun) -> None:
    # Kept as a code for each reader's language; the words in the organisation's, not
    # in that of whoever happened to open the run first.
    with translation.override(run.organization.language):
        if run.status == ImportStatus.CHECKING:
            import_run_fail(run_id=run.pk, **run_message(CHECK_STALE))
        else:
            import_run_stopped(run_id=run.pk, **run_message(APPLY_STALE))


def _context(run: ImportRun, *, write: bool, only_valid: bool = False, actor: User | None = None) -> Context:
    def progress(done: int) -> None:
        # A hint in Redis, outside the run's transaction, so the page sees it move (nothing
        # without Redis: the page then shows the status alone until the run is done).
        fastcache.set(progress_key(run.pk), done, 3600)

    mapping = dict(run.mapping or {})
    options = dict(mapping.pop("__options__", None) or {})
    options["mapping"] = mapping
    return Context(
        org=run.organization,
        actor=actor or run.created_by,
        run=run,
        write=write,
        only_valid=only_valid,
        progress=progress,
        options=options,
    )


def _file_report(exc: ValidationError) -> Report:
    report = Report()
    report.error_from(0, "file", exc)
    return report


def import_run_check(*, run: ImportRun) -> ImportRun:
    """The dry run: nothing is written but the run's report."""
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.CHECKING, started_at=timezone.now())
    try:
        with transaction.atomic():
            report = run_kind(run.kind, _context(run, write=False), bytes(run.data), run.filename)
            transaction.set_rollback(True)  # a check never writes, whatever a kind did
    except ValidationError as exc:
        report = _file_report(exc)
    run.dry_run = report.as_json()
    run.status = ImportStatus.CHECKED
    run.rows_done = run.rows_total
    run.save(update_fields=["dry_run", "status", "rows_done"])
    return run


class RunNotReady(ValidationError):
    """By the time its lock was taken, the run was applied, was being applied, or (for
    its task) was no longer waiting for it: nothing was written and the run was left as
    it was (a task's duplicate or late delivery ends here quietly)."""


def _not_ready(run: ImportRun) -> RunNotReady:
    return RunNotReady(
        {"status": _("This import is not ready to apply (it is %(status)s).") % {"status": run.get_status_display()}}
    )


def import_run_apply(
    *, run: ImportRun, actor: User | None, only_valid: bool = False, background: bool | None = None
) -> ImportRun:
    """Apply a checked run in one transaction. With rows in error, nothing is written
    (``ValidationError`` on ``rows``) unless ``only_valid``. Applying a file again finds
    its rows by their external keys and changes nothing that did not change. A big file
    is applied by a task (the run says ``applying`` until it is done). A run whose status
    changed since the caller read it (applied by another request or a duplicate task, given
    up on while its task waited) is refused once its lock is taken (``RunNotReady``)."""
    ready = (ImportStatus.CHECKED, ImportStatus.FAILED, *((ImportStatus.APPLYING,) if background is False else ()))
    if run.status not in ready:
        raise _not_ready(run)
    if run.dry_run.get("errors") and not only_valid:
        raise ValidationError(
            {"rows": _("Rows have errors, so nothing was imported. Fix them, or import only the valid rows.")}
        )
    if background if background is not None else run.rows_total > INLINE_ROWS:
        return _apply_later(run, actor, only_valid)
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        # Still as the caller saw it: not applied meanwhile by another request or a
        # duplicate task, nor given up on while its task waited for the lock.
        if locked.status != run.status:
            raise _not_ready(locked)
        return _apply_locked(locked, actor, only_valid)


def _apply_later(run: ImportRun, actor: User | None, only_valid: bool) -> ImportRun:
    """Hand the run to a task: taken from checked or failed to applying in one statement,
    so two quick requests send one task."""
    waiting = (ImportStatus.CHECKED, ImportStatus.FAILED)
    taken = ImportRun.objects.filter(pk=run.pk, status__in=waiting).update(
        status=ImportStatus.APPLYING, rows_done=0, started_at=timezone.now()
    )
    if not taken:
        raise _not_ready(ImportRun.objects.get(pk=run.pk))
    from transfer import tasks

    run.status = ImportStatus.APPLYING
    org_id, run_id, actor_id = run.organization_id, run.pk, actor.pk if actor else None
    transaction.on_commit(lambda: tasks.import_apply.delay(org_id, run_id, actor_id, only_valid))
    return run


def _apply_locked(locked: ImportRun, actor: User | None, only_valid: bool) -> ImportRun:
    data = bytes(locked.data)
    invited = _invite_unknown(locked, actor)
    check = run_kind(locked.kind, _context(locked, write=False, actor=actor), data, locked.filename)
    if check.error_count and not only_valid:
        raise ValidationError(
            {
                "rows": _("%(n)d rows have errors, so nothing was imported. Fix them, or import only the valid rows.")
                % {"n": len(check.bad_rows) or check.error_count}
            }
        )
    result = run_kind(
        locked.kind, _context(locked, write=True, only_valid=only_valid, actor=actor), data, locked.filename
    )
    activity_record(
        org=locked.organization,
        actor=actor,
        verb="import.applied",
        target=locked,
        after={"import": locked.pk, "kind": locked.kind, "file": locked.filename[:100], **_counts(result)},
    )
    if result.error_count and not only_valid:
        raise ValidationError({"rows": [e["message"] for e in result.errors[:20]]})
    locked.result = {**result.as_json(), "skipped": len(check.bad_rows), "invited": invited}
    locked.status = ImportStatus.APPLIED
    locked.applied_at = timezone.now()
    locked.rows_done = locked.rows_total
    locked.save(update_fields=["result", "status", "applied_at", "rows_done"])
    bump_data_version(locked.organization_id)
    return locked


def import_run_fail(*, run_id: int, message: str, code: str = "", params: dict[str, Any] | None = None) -> None:
    """The file was refused: ``message`` in place of its dry run (never on an applied run);
    with ``code`` (``transfer.run_messages``) it is shown in each reader's language."""
    error: dict[str, Any] = {"row": 0, "field": "file", "message": message}
    if code:
        error.update(code=code, params=params or {})
    ImportRun.objects.filter(pk=run_id).exclude(status=ImportStatus.APPLIED).update(
        status=ImportStatus.FAILED,
        dry_run={"create": 0, "update": 0, "unchanged": 0, "errors": [error]},
    )


def import_run_started(*, run_id: int) -> bool:
    """The apply's task begins (it may have waited in the queue): the clock of its time
    limit. False when the run no longer waits for it (applied, or given up on as stopped
    while the task waited: it stays as it is, and the task does nothing)."""
    return bool(ImportRun.objects.filter(pk=run_id, status=ImportStatus.APPLYING).update(started_at=timezone.now()))


def import_run_stopped(*, run_id: int, message: str, code: str = "", params: dict[str, Any] | None = None) -> None:
    """The apply could not finish (out of time, an unexpected error, a dead worker): nothing
    was written, the run is failed with ``message`` first among its dry run's notes (which
    the page shows; with ``code``, in each reader's language), and its dry run is kept, so
    that it can be applied again."""
    run = ImportRun.objects.filter(pk=run_id).exclude(status=ImportStatus.APPLIED).first()
    if run is None:
        return
    dry_run = dict(run.dry_run or {})
    notes = [n for n in dry_run.get("notes") or [] if n != dry_run.get("stopped")]
    dry_run.update(stopped=message, notes=[message, *notes])
    dry_run.pop("stopped_code", None)
    if code:
        dry_run["stopped_code"] = {"code": code, "params": params or {}}
    ImportRun.objects.filter(pk=run_id).exclude(status=ImportStatus.APPLIED).update(
        status=ImportStatus.FAILED, dry_run=dry_run
    )


def _counts(report: Report) -> dict[str, int]:
    return {"created": report.create, "updated": report.update, "unchanged": report.unchanged}


def import_run_remap(*, run: ImportRun, mapping: dict[str, str]) -> ImportRun:
    """The person's mapping of the file's columns; the run is checked again with it."""
    options = (run.mapping or {}).get("__options__")
    run.mapping = {**mapping, **({"__options__": options} if options else {})}
    run.save(update_fields=["mapping"])
    return import_run_check(run=run)


def import_run_confirm_unusual(*, run: ImportRun) -> ImportRun:
    """The person says the values that look unusual are right: the run is checked again
    with them taken as they are (the ``measurements`` kind's ``confirm_unusual``)."""
    if run.status not in (ImportStatus.CHECKED, ImportStatus.FAILED):
        return run
    options = {**_options(run), "confirm_unusual": True}
    mapping = {k: v for k, v in (run.mapping or {}).items() if k != "__options__"}
    run.mapping = {**mapping, "__options__": options}
    run.save(update_fields=["mapping"])
    return import_run_check(run=run)


def _options(run: ImportRun) -> dict[str, Any]:
    return dict((run.mapping or {}).get("__options__") or {})


def import_run_set_people(*, run: ImportRun, owners: dict[str, int], invite: bool) -> ImportRun:
    """The person's answer for the people the file names who are not members: each name
    or address mapped to a member (``owners``), and with ``invite`` the addresses left
    unmapped invited when the run is applied. The run is checked again with them."""
    members = set(Membership.objects.filter(organization=run.organization).values_list("user_id", flat=True))
    if any(user_id not in members for user_id in owners.values()):
        raise ValidationError({"owners": _("Choose members of the organisation.")})
    options = {**_options(run), "owners": owners, "invite": bool(invite)}
    mapping = {k: v for k, v in (run.mapping or {}).items() if k != "__options__"}
    run.mapping = {**mapping, "__options__": options}
    run.save(update_fields=["mapping"])
    return import_run_check(run=run)


def _invite_unknown(run: ImportRun, actor: User | None) -> int:
    """Invite the addresses the file names that are neither members nor mapped to one."""
    options = _options(run)
    if not options.get("invite") or actor is None:
        return 0
    org = run.organization
    mapped = set(options.get("owners") or {})
    members = {e.casefold() for e in Membership.objects.filter(organization=org).values_list("user__email", flat=True)}
    pending = {
        e.casefold()
        for e in Invitation.objects.filter(organization=org, accepted_at=None, revoked_at=None).values_list(
            "email", flat=True
        )
    }
    sent = 0
    for text in run.dry_run.get("unknown_people") or []:
        address = text.strip().casefold()
        if "@" not in address or text in mapped or address in members or address in pending:
            continue
        try:
            validate_email(address)
        except ValidationError:
            continue
        invitation_create(
            org=org, actor=actor, email=address, role=Role.MEMBER, base_url=str(options.get("base_url") or "/")
        )
        sent += 1
    return sent
