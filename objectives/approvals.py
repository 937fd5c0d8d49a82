"""Who reviews an objective when its cycle asks for approval (DESIGN §3), written once for the
services, the pages, the API, the inbox and the reminders.

- A person's objective: a manager of a team the owner belongs to, or of a team above it
  (``orgs.permissions.can_manage_person``), never the owner themself.
- A team's objective: a manager of a team above the owning team (its own managers wrote it).
- A company objective: admins.
- Admins may always review; nobody else approves their own objective.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q

from objectives.models import ApprovalStatus, Objective, ObjectiveReview
from orgs import permissions
from orgs.models import Membership, Team, TeamMember


def approvals_on(objective: Objective) -> bool:
    """Whether the objective's cycle asks for approval (a backlog draft never does)."""
    return objective.cycle is not None and objective.cycle.approvals_required


def is_own(m: Membership, objective: Objective) -> bool:
    """The objective is the member's own work: theirs as a person, or of a team they manage directly."""
    if objective.owner_type == "person":
        return objective.owner_user_id == m.user_id
    if objective.owner_type == "team" and objective.owner_team_id is not None:
        return TeamMember.objects.filter(
            organization_id=m.organization_id, team_id=objective.owner_team_id, user_id=m.user_id, is_manager=True
        ).exists()
    return False


def may_review(m: Membership, objective: Objective) -> bool:
    """Whether ``m`` approves or requests changes on ``objective`` (the rule above)."""
    if not permissions.can_write(m):
        return False
    if permissions.is_admin(m):
        return True
    if objective.owner_type == "person" and objective.owner_user_id is not None:
        return objective.owner_user_id != m.user_id and permissions.can_manage_person(m, objective.owner_user_id)
    if objective.owner_type == "team" and objective.owner_team_id is not None:
        parent_id = Team.objects.filter(pk=objective.owner_team_id).values_list("parent_id", flat=True).first()
        return parent_id is not None and parent_id in permissions.managed_team_ids(m)
    return False


def reviewable_q(m: Membership) -> Q:
    """The objectives ``m`` may review, as a filter (the inbox reads them in one query)."""
    if not permissions.can_write(m):
        return Q(pk__in=[])
    if permissions.is_admin(m):
        return Q()
    teams = permissions.managed_team_ids(m)
    people = set(
        TeamMember.objects.filter(organization_id=m.organization_id, team_id__in=teams)
        .exclude(user_id=m.user_id)
        .values_list("user_id", flat=True)
    )
    return Q(owner_type="person", owner_user_id__in=people) | Q(owner_type="team", owner_team__parent_id__in=teams)


def waiting_for_review(org_id: int) -> Q:
    """Objectives in review in open cycles that ask for approval."""
    return Q(
        organization_id=org_id,
        approval_status=ApprovalStatus.IN_REVIEW,
        cycle__approvals_required=True,
        cycle__status__in=("planning", "active"),
    )


def nearest_managers(
    team_ids: Iterable[int], managers_of: dict[int, set[int]], parent_of: dict[int, int | None], *, exclude: int | None
) -> set[int]:
    """The managers closest above the given teams (the teams themselves included): a team
    without a manager other than ``exclude`` passes the question to its parent."""
    found: set[int] = set()
    for team_id in team_ids:
        team: int | None = team_id
        seen: set[int] = set()
        while team is not None and team not in seen:
            seen.add(team)
            managers = managers_of.get(team, set()) - {exclude}
            if managers:
                found |= managers
                break
            team = parent_of.get(team)
    return found


def approval_panel(m: Membership, objective: Objective) -> dict[str, Any] | None:
    """What the objective page shows of its review (None when its cycle asks for none): the
    state, the log (newest first) and which buttons ``m`` gets. Two queries."""
    if not approvals_on(objective):
        return None
    status = objective.approval_status
    reviews = list(ObjectiveReview.objects.filter(objective=objective).select_related("actor").order_by("-id")[:10])
    editable = objective.editable_by(m)
    return {
        "status": status,
        "label": ApprovalStatus(status).label,
        "reviews": reviews,
        "can_submit": editable and status in (ApprovalStatus.DRAFT, ApprovalStatus.CHANGES_REQUESTED),
        "can_review": status == ApprovalStatus.IN_REVIEW and may_review(m, objective),
        "needs_reason": editable and status == ApprovalStatus.APPROVED,
    }


def approval_counts(cycle_id: int, org_id: int) -> dict[str, int]:
    """How many of a cycle's objectives (cancelled ones aside) stand at each approval status."""
    counts = dict.fromkeys(ApprovalStatus.values, 0)
    rows = (
        Objective.objects.filter(organization_id=org_id, cycle_id=cycle_id)
        .exclude(status="cancelled")
        .values_list("approval_status")
        .annotate(n=Count("id"))
    )
    for status, n in rows:
        counts[status] = n
    return counts
