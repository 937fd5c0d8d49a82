"""Reads of the data sources shared with the rooms above (the To do inbox)."""

from __future__ import annotations

from django.db.models import Q

from datasources.models import PullStatus, SourcePull
from orgs import permissions
from orgs.models import Membership, TeamMember
from orgs.ownership import OwnerType


def pulls_for_owner(*, membership: Membership) -> list[SourcePull]:
    """Failed pulls and conflicts with a person's value, on the KPIs this member answers for:
    their own, their managed teams', and (admins) the company's. One query."""
    org = membership.organization
    managed = TeamMember.objects.filter(organization=org, user=membership.user, is_manager=True).values("team_id")
    mine = Q(kpi__owner_user=membership.user) | Q(kpi__owner_team__in=managed)
    if permissions.is_admin(membership):
        mine |= Q(kpi__owner_type=OwnerType.COMPANY)
    return list(
        SourcePull.objects.filter(organization=org, status__in=[PullStatus.FAILED, PullStatus.CONFLICT])
        .filter(mine)
        .select_related("kpi", "source")
        .order_by("-period", "kpi__name")[:50]
    )
