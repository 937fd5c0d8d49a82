"""Big files in the background: thin tasks taking ids, each calling one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.exceptions import ValidationError

from orgs.models import User
from transfer import services
from transfer.models import ImportRun

log = logging.getLogger(__name__)


def _run(org_id: int, run_id: int) -> ImportRun | None:
    return ImportRun.objects.filter(organization_id=org_id, pk=run_id).select_related("organization").first()


@shared_task(name="transfer.import_check", ignore_result=True)
def import_check(org_id: int, run_id: int) -> None:
    """The dry run of a big file; its progress is written on the run as it goes."""
    run = _run(org_id, run_id)
    if run is not None:
        services.import_run_check(run=run)


@shared_task(name="transfer.import_apply", ignore_result=True)
def import_apply(org_id: int, run_id: int, actor_id: int | None, only_valid: bool) -> None:
    """Apply a big file; a refusal is kept on the run for the page to show."""
    run = _run(org_id, run_id)
    if run is None:
        return
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    try:
        services.import_run_apply(run=run, actor=actor, only_valid=only_valid, background=False)
    except ValidationError as exc:
        log.info("import %s refused: %s", run_id, exc.messages)
        services.import_run_fail(run_id=run.pk, message=" ".join(exc.messages))


@shared_task(name="transfer.export_prepare", ignore_result=True)
def export_prepare(org_id: int, name: str) -> None:
    """Write an organisation's export for its expiring link (``transfer.exporting``)."""
    from orgs.models import Organization
    from transfer.exporting import export_write

    org = Organization.objects.filter(pk=org_id).first()
    if org is not None:
        export_write(org=org, name=name)
