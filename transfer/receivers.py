"""How imports show on the floors below (connected in ``TransferConfig.ready()``)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from objectives.extensions import ImportOrigin
from orgs import permissions
from transfer.models import ImportedKey, ImportKind, ImportRun

OBJECTIVE_LABEL = "objectives.objective"


def imports_of(*, org_id: int, model: str, object_ids: Collection[int]) -> dict[int, ImportRun]:
    """The import each object came from: the run its external key was kept by (the first
    such key, when more than one import made or matched it). Objects no import made or
    matched are left out. One query for any number of objects."""
    keys = (
        ImportedKey.objects.filter(organization_id=org_id, model=model, object_id__in=object_ids, run__isnull=False)
        .select_related("run")
        .defer("run__data", "run__mapping", "run__dry_run", "run__result")  # the file and its reports: unused
        .order_by("id")
    )
    out: dict[int, ImportRun] = {}
    for key in keys:
        if key.run is not None:
            out.setdefault(key.object_id, key.run)
    return out


def imported_from(*, org_id: int, model: str, object_id: int) -> ImportRun | None:
    """The import one object came from (``imports_of``), or None."""
    return imports_of(org_id=org_id, model=model, object_ids=[object_id]).get(object_id)


def imported_on(run: ImportRun) -> datetime:
    """The date an import is known by: when it was applied (made, for an older run)."""
    return run.applied_at or run.created_at


def objective_import_origins(org_id: int, objective_ids: Collection[int]) -> dict[int, ImportOrigin]:
    """``objectives.extensions.register_import_origins``: the objectives' imports for the API,
    the same runs the page names (``imports_of``). One query."""
    runs = imports_of(org_id=org_id, model=OBJECTIVE_LABEL, object_ids=objective_ids)
    return {pk: ImportOrigin(kind=run.kind, run=run.pk, imported_at=imported_on(run)) for pk, run in runs.items()}


def source_name(run: ImportRun) -> str:
    if run.kind == ImportKind.VIVA_GOALS:
        return "Viva Goals"
    return run.filename or _("a file")


def add_import_to_objective_page(*, request: Any, objective: Any, context: dict[str, Any], **_: Any) -> None:
    """``objectives.extensions.objective_detail_context``: "Imported from Viva Goals, run
    #N, <date>" on an imported objective's page, linking to the run for an admin (the one
    who may open it)."""
    run = imported_from(org_id=objective.organization_id, model=OBJECTIVE_LABEL, object_id=objective.pk)
    if run is None:
        return
    link = ""
    if permissions.is_admin(request.membership):
        link = reverse("transfer:import_run", args=[request.org.slug, run.pk])
    context["imported_from"] = {
        "run": run,
        "source": source_name(run),
        "on": imported_on(run),
        "link": link,
    }
