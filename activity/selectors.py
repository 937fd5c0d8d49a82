from __future__ import annotations

from django.db.models import QuerySet

from activity.models import ActivityEntry
from orgs.models import Organization


def activity_for(
    *, org: Organization, target_type: str | None = None, target_id: int | None = None, limit: int = 50
) -> QuerySet[ActivityEntry]:
    qs = ActivityEntry.objects.filter(organization=org).select_related("actor")
    if target_type:
        qs = qs.filter(target_type=target_type)
    if target_id is not None:
        qs = qs.filter(target_id=target_id)
    return qs[:limit]


def activity_for_objective(
    *, org: Organization, objective_id: int, key_result_ids: list[int], limit: int = 50
) -> QuerySet[ActivityEntry]:
    """What happened to an objective and to its key results, newest first."""
    from django.db.models import Q

    return (
        ActivityEntry.objects.filter(organization=org)
        .filter(
            Q(target_type="objectives.objective", target_id=objective_id)
            | Q(target_type="objectives.keyresult", target_id__in=key_result_ids)
            | Q(target_type="objectives.initiative", after__objective=objective_id)
        )
        .select_related("actor")[:limit]
    )
