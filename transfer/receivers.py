"""How imports show on the floors below (connected in ``TransferConfig.ready()``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from orgs import permissions
from transfer.models import ImportedKey, ImportKind, ImportRun

OBJECTIVE_LABEL = "objectives.objective"


def imported_from(*, org_id: int, model: str, object_id: int) -> ImportRun | None:
    """The import an object came from: the run its external key was kept by (the first
    such key, when more than one import made or matched it). One query."""
    known = (
        ImportedKey.objects.filter(organization_id=org_id, model=model, object_id=object_id, run__isnull=False)
        .select_related("run")
        .order_by("id")
        .first()
    )
    return known.run if known is not None else None


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
        "on": run.applied_at or run.created_at,
        "link": link,
    }
