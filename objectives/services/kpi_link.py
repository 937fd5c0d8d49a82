"""Key results that follow a KPI: they take its latest measurement."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from cycles.models import Cycle, CycleStatus
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
    if kind == KeyResultKind.ALIGNED:
        raise ValidationError({"kpi": _("An aligned key result follows the objectives contributing to it, not a KPI.")})
    return kpi


def latest_kpi_value(kpi_id: int, *, default: float) -> float:
    from kpis.models import Measurement

    value = Measurement.objects.filter(kpi_id=kpi_id).order_by("-period").values_list("value", flat=True).first()
    return default if value is None else value


def _share_lock_open_cycles(org_id: int, key_results: QuerySet[KeyResult]) -> list[int]:
    """The ids of the open cycles holding these key results, locked ``FOR SHARE`` on
    PostgreSQL until the transaction ends (SQLite's IMMEDIATE transactions already keep
    a close out). Written in SQL: the ORM locks only for update."""
    cycle_ids = Cycle.objects.filter(organization_id=org_id, pk__in=key_results.values("objective__cycle_id")).exclude(
        status=CycleStatus.CLOSED
    )
    if connection.vendor != "postgresql":
        return list(cycle_ids.values_list("pk", flat=True))
    sql, params = cycle_ids.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ORDER BY 1 FOR SHARE", params)
        return [row[0] for row in cursor.fetchall()]


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
    linked = KeyResult.objects.filter(
        organization_id=org_id,
        kpi_id__in=kpi_ids,
        objective__status__in=[ObjectiveStatus.DRAFT, ObjectiveStatus.ACTIVE],
    )
    # The open cycles of those key results, share-locked before the key results (the order
    # a check-in and the close take them): a close waits for this transaction, or this one
    # waits for the close and then leaves its key results alone.
    open_cycles = _share_lock_open_cycles(org_id, linked)
    krs = list(
        linked.select_for_update(of=("self",))
        .filter(Q(objective__cycle__isnull=True) | Q(objective__cycle_id__in=open_cycles))
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
