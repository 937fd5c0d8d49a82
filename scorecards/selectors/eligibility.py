"""What may go on a scorecard and its strategy map: the KPIs its owner may hold, the
library's KPIs, the objectives a map may link."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from kpis.models import Kpi
from objectives.models import Objective
from orgs.models import Organization, Team, TeamMember
from orgs.ownership import OwnerType
from scorecards.models import Scorecard


def _subtree(org: Organization, team_id: int) -> set[int]:
    """The team and every team below it (one query)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in Team.objects.filter(organization=org).values_list("id", "parent_id"):
        children[parent].append(pk)
    seen: set[int] = set()
    stack = [team_id]
    while stack:
        tid = stack.pop()
        if tid not in seen:
            seen.add(tid)
            stack.extend(children.get(tid, []))
    return seen


def eligible_kpis(
    *, scorecard: Scorecard | None = None, org: Organization | None = None, owner_team_id: int | None = None
) -> QuerySet[Kpi]:
    """KPIs that may be placed on a scorecard (given, or by its organisation and owner team):
    any of the organisation's for the company's scorecard; for a team's, those owned by the
    team, a team below it, or a person in one of those teams. Anything else — another
    organisation's KPI included — is not found."""
    if scorecard is not None:
        org, owner_team_id = scorecard.organization, scorecard.owner_team_id
    if org is None:
        raise TypeError("eligible_kpis needs a scorecard or an organisation")
    qs = Kpi.objects.filter(organization=org)
    if owner_team_id is None:
        return qs
    teams = _subtree(org, owner_team_id)
    people = TeamMember.objects.filter(organization=org, team_id__in=teams).values("user_id")
    return qs.filter(owner_team_id__in=teams) | qs.filter(owner_user_id__in=people)


def library_kpis(*, org: Organization, owner_team: Team | None) -> QuerySet[Kpi]:
    """The KPIs a scorecard created from the library starts with: every active KPI of
    its owner (company-level KPIs for the company, the team's own KPIs for a team)."""
    qs = Kpi.objects.filter(organization=org, active=True).order_by("name", "id")
    if owner_team is None:
        return qs.filter(owner_type=OwnerType.COMPANY)
    return qs.filter(owner_type=OwnerType.TEAM, owner_team=owner_team)


def map_objectives(*, scorecard: Scorecard) -> QuerySet[Objective]:
    """Objectives that may be nodes of the scorecard's map: its owner's, with a perspective."""
    qs = Objective.objects.filter(organization_id=scorecard.organization_id).exclude(perspective="")
    if scorecard.owner_team_id is None:
        return qs.filter(owner_type=OwnerType.COMPANY)
    return qs.filter(owner_type=OwnerType.TEAM, owner_team_id=scorecard.owner_team_id)
