"""Helpers to build OKR data through the services, as the app does."""

from __future__ import annotations

from datetime import date, timedelta

from cycles import services as cycle_services
from cycles.models import Cycle
from objectives import services
from objectives.models import KeyResult, Objective
from orgs.models import Organization, User


def make_cycle(
    org: Organization,
    *,
    name: str = "Q4 2026",
    start: date | None = None,
    days: int = 91,
    status: str = "active",
    approvals_required: bool = False,
) -> Cycle:
    start = start or date(2026, 10, 1)
    return cycle_services.cycle_create(
        org=org,
        actor=None,
        name=name,
        start_date=start,
        end_date=start + timedelta(days=days - 1),
        status=status,
        approvals_required=approvals_required,
    )


def make_objective(
    org: Organization,
    cycle: Cycle,
    *,
    title: str = "Delight customers",
    owner_type: str = "company",
    team=None,
    user: User | None = None,
    parent: Objective | None = None,
    weight: float = 1.0,
    krs: int = 0,
    kr_owner: User | None = None,
    status: str | None = None,
) -> Objective:
    """An objective through the service (a draft). ``status`` sets another status directly,
    without the service's rules (an active objective needs two key results): for trees whose
    children must count in their parents, which drafts do not."""
    objective = services.objective_create(
        org=org,
        actor=None,
        cycle=cycle,
        title=title,
        owner_type=owner_type,
        owner_team=team,
        owner_user=user,
        parent=parent,
        weight=weight,
    )
    if status is not None:
        set_status(objective, status)
    for i in range(krs):
        make_kr(objective, title=f"KR {i + 1}", owner=kr_owner or user)
    return objective


def set_status(objective: Objective, status: str) -> Objective:
    """Set an objective's status directly, without the service's rules (test data only)."""
    Objective.objects.filter(pk=objective.pk).update(status=status)
    objective.status = status
    return objective


def make_kr(
    objective: Objective,
    *,
    title: str = "Raise NPS",
    owner: User | None = None,
    start: float = 0,
    target: float = 10,
    kind: str = "number",
    weight: float = 1.0,
) -> KeyResult:
    if owner is None:
        from orgs.models import Membership

        owner = Membership.objects.filter(organization_id=objective.organization_id).first().user
    return services.key_result_create(
        objective=objective,
        actor=None,
        title=title,
        owner=owner,
        kind=kind,
        start_value=start,
        target_value=target,
        weight=weight,
    )
