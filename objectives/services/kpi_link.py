"""Key results that follow a KPI: they take its latest measurement."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cycles.models import CycleStatus
from objectives.models import (
    KeyResult,
    KeyResultKind,
    ObjectiveStatus,
)
from objectives.queue import schedule_rollup
from orgs.models import Organization

# --- key results that follow a KPI ------------------------------------------------------------


def check_kpi_link(org: Organization, kind: str, kpi: Any) -> Any:
    if kpi is None:
        return None
    if kpi.organization_id != org.pk:
        raise ValidationError({"kpi": _("Unknown KPI.")})
    if kind == KeyResultKind.MILESTONE:
        raise ValidationError({"kpi": _("A milestone cannot follow a KPI; measure it as a number instead.")})
    return kpi


def latest_kpi_value(kpi_id: int, *, default: float) -> float:
    from kpis.models import Measurement

    value = Measurement.objects.filter(kpi_id=kpi_id).order_by("-period").values_list("value", flat=True).first()
    return default if value is None else value


@transaction.atomic
def key_results_follow_kpis(*, org_id: int, kpi_ids: Any) -> int:
    """Set every open key result linked to these KPIs to the KPI's latest
    measurement and queue the rollups. Called by the KPI services after a
    measurement is recorded, corrected, imported or deleted. Returns how many
    key results changed."""
    from django.db.models import OuterRef, Subquery

    from kpis.models import Measurement

    kpi_ids = list(kpi_ids)
    if not kpi_ids:
        return 0
    latest = Measurement.objects.filter(kpi_id=OuterRef("kpi_id")).order_by("-period").values("value")[:1]
    krs = list(
        KeyResult.objects.select_for_update(of=("self",))
        .filter(
            organization_id=org_id,
            kpi_id__in=kpi_ids,
            objective__status__in=[ObjectiveStatus.DRAFT, ObjectiveStatus.ACTIVE],
        )
        .exclude(objective__cycle__status=CycleStatus.CLOSED)
        .annotate(latest_value=Subquery(latest))
    )
    changed = 0
    for kr in krs:
        if kr.latest_value is None or kr.latest_value == kr.current_value:
            continue
        kr.current_value = kr.latest_value
        kr.progress = kr.progress_value()
        kr.save(update_fields=["current_value", "progress", "updated_at"])
        schedule_rollup(org_id=org_id, objective_id=kr.objective_id)
        changed += 1
    return changed
