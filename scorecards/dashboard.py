"""The organisation's home page: how the company is doing at a glance."""

from __future__ import annotations

from collections import Counter
from typing import Any

from cycles.selectors import default_cycle
from kpis.selectors import kpi_list
from objectives import progress as math
from objectives.models import KeyResult, Objective, ObjectiveStatus
from orgs.models import Membership, Organization, User
from orgs.ownership import OwnerType
from orgs.tenancy import scoped


def dashboard_summary(*, org: Organization, user: User) -> dict[str, Any]:
    """A handful of queries whatever the size of the organisation."""
    cycle = default_cycle(org=org)
    summary: dict[str, Any] = {"cycle": cycle}
    if cycle is not None:
        rows = list(
            scoped(Objective, org)
            .filter(cycle=cycle)
            .exclude(status__in=[ObjectiveStatus.CANCELLED, ObjectiveStatus.DRAFT])
            .select_related("owner_team", "owner_user", "cycle")
            .order_by("progress")
        )
        today = org.today()
        expected = math.expected_progress(start=cycle.start_date, end=cycle.end_date, on=today)
        health = Counter()
        at_risk = []
        for o in rows:
            h = math.health(progress=o.progress, expected=expected, confidence=o.confidence).value
            o.health_value = h  # type: ignore[attr-defined]
            health[h] += 1
            if h != "on_track":
                at_risk.append(o)
        company = [o.progress for o in rows if o.owner_type == OwnerType.COMPANY]
        summary.update(
            company_progress=sum(company) / len(company) if company else None,
            expected=expected,
            health=health,
            objective_count=len(rows),
            at_risk=at_risk[:8],
        )
        summary["my_key_results"] = KeyResult.objects.filter(
            organization=org, owner=user, objective__cycle=cycle, objective__status=ObjectiveStatus.ACTIVE
        ).count()
    statuses = Counter(k.status for k in kpi_list(org=org, active=True, history=1))
    summary["kpi_status"] = {
        "green": statuses.get("green", 0),
        "amber": statuses.get("amber", 0),
        "red": statuses.get("red", 0),
        "none": statuses.get(None, 0),
    }
    summary["kpi_count"] = sum(statuses.values())
    summary["member_count"] = scoped(Membership, org).count()
    return summary
