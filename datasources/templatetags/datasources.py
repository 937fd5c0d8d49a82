"""``{% kpi_pulls kpi %}`` on a KPI's page: the pulls waiting for its owner (a failure, or a
value that disagrees with the one a person typed), each with what can be done about it.
A tag, so the KPI room's page shows this room's rows without importing it."""

from __future__ import annotations

from typing import Any

from django import template

from datasources.models import PullStatus, SourcePull

register = template.Library()


@register.inclusion_tag("datasources/_kpi_pulls.html", takes_context=True)
def kpi_pulls(context: dict[str, Any], kpi: Any) -> dict[str, Any]:
    pulls = list(
        SourcePull.objects.filter(
            organization_id=kpi.organization_id, kpi=kpi, status__in=[PullStatus.FAILED, PullStatus.CONFLICT]
        ).order_by("-period")[:12]
    )
    return {
        "pulls": pulls,
        "kpi": kpi,
        "can_record": context.get("can_record"),
        "current_org": context.get("current_org"),
        "csrf_token": context.get("csrf_token"),
    }
