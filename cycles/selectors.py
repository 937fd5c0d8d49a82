from __future__ import annotations

from django.db.models import QuerySet

from cycles.models import Cycle, CycleStatus
from orgs.models import Organization


def cycle_list(*, org: Organization) -> QuerySet[Cycle]:
    return Cycle.objects.filter(organization=org).order_by("-start_date", "end_date", "name")


def default_cycle(*, org: Organization) -> Cycle | None:
    """The cycle a page shows when none is chosen: the active one that started
    last; else the cycle closed last, whose results stay on show until the next
    cycle becomes active (not an empty planning cycle claiming all is on track);
    else the soonest planning one."""
    cycles = cycle_list(org=org)
    return (
        cycles.filter(status=CycleStatus.ACTIVE).first()
        or cycles.filter(status=CycleStatus.CLOSED).order_by("-end_date", "-closed_at").first()
        or cycles.filter(status=CycleStatus.PLANNING).order_by("start_date").first()
    )
