"""Daily progress snapshots of objectives and teams (for trends and "as of" views)."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from cycles.models import Cycle, CycleStatus
from objectives.models import Objective, ObjectiveSnapshot, TeamSnapshot
from objectives.tree import objective_rows, team_progress
from orgs.models import Organization, Team, TeamMember
from orgs.versions import bump_data_version


@transaction.atomic
def snapshot_organization(*, org: Organization, day: date | None = None) -> int:
    """Record today's progress of every objective and team in the organisation's
    active cycles. Idempotent: a second run the same day replaces the rows."""
    day = day or org.today()
    cycles = list(Cycle.objects.filter(organization=org, status=CycleStatus.ACTIVE))
    if not cycles:
        return 0
    ObjectiveSnapshot.objects.filter(organization=org, date=day, cycle__in=cycles).delete()
    TeamSnapshot.objects.filter(organization=org, date=day, cycle__in=cycles).delete()
    rows = [
        ObjectiveSnapshot(organization=org, objective_id=oid, cycle_id=cid, date=day, progress=p, confidence=c)
        for oid, cid, p, c in Objective.objects.filter(organization=org, cycle__in=cycles).values_list(
            "id", "cycle_id", "progress", "confidence"
        )
    ]
    ObjectiveSnapshot.objects.bulk_create(rows, batch_size=1000)
    teams = list(Team.objects.filter(organization=org).values_list("id", "parent_id", "name"))
    people = list(TeamMember.objects.filter(organization=org).values_list("team_id", "user_id"))
    team_rows = []
    for cycle in cycles:
        values = team_progress(objectives=objective_rows(org=org, cycle=cycle), teams=teams, people=people)
        team_rows += [
            TeamSnapshot(organization=org, team_id=tid, cycle=cycle, date=day, progress=p, subtree_progress=s)
            for tid, (p, s) in values.items()
        ]
    TeamSnapshot.objects.bulk_create(team_rows, batch_size=1000)
    bump_data_version(org.pk)
    return len(rows) + len(team_rows)
