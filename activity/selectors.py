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
