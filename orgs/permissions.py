"""Who may do what — the one permission module for HTML views and the API.

Defaults (DESIGN §3): admins do everything in their organisation; managers
edit what belongs to the teams they manage (and those teams' subtrees and
people); members edit their own things; viewers read. Everyone in an
organisation reads everything in it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from orgs.models import Membership, Role, Team, TeamMember, User

WRITE_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.MEMBER})
PLANNER_ROLES = frozenset({Role.ADMIN, Role.MANAGER})


def is_admin(m: Membership) -> bool:
    return m.role == Role.ADMIN


def can_write(m: Membership) -> bool:
    """Anyone but a viewer may write something (what exactly is checked per object)."""
    return m.role in WRITE_ROLES


def can_plan(m: Membership) -> bool:
    """Admins and managers: plan teams and team OKRs."""
    return m.role in PLANNER_ROLES


def can_manage_cycles(m: Membership) -> bool:
    """Cycles belong to the whole organisation: only admins open, start, edit, close and
    re-open them (DESIGN §3), whichever team a manager manages."""
    return is_admin(m)


def managed_team_ids(m: Membership) -> frozenset[int]:
    """Teams the member manages, with every team below them. Cached on the
    membership object, which lives for one request only."""
    cached = getattr(m, "_managed_team_ids", None)
    if cached is not None:
        return cached
    if m.role not in PLANNER_ROLES:
        result: frozenset[int] = frozenset()
    else:
        roots = set(
            TeamMember.objects.filter(
                organization_id=m.organization_id, user_id=m.user_id, is_manager=True
            ).values_list("team_id", flat=True)
        )
        result = frozenset(_with_descendants(m.organization_id, roots))
    m._managed_team_ids = result  # type: ignore[attr-defined]
    return result


def _with_descendants(org_id: int, roots: set[int]) -> set[int]:
    if not roots:
        return set()
    return with_descendants(roots, dict(Team.objects.filter(organization_id=org_id).values_list("id", "parent_id")))


def with_descendants(roots: Iterable[int], parent_of: dict[int, int | None]) -> set[int]:
    """The teams ``roots`` with every team below them, from the tree's (team → parent) edges."""
    children: dict[int | None, list[int]] = {}
    for team_id, parent_id in parent_of.items():
        children.setdefault(parent_id, []).append(team_id)
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        tid = stack.pop()
        if tid in seen:
            continue
        seen.add(tid)
        stack.extend(children.get(tid, []))
    return seen


def people_with_a_manager(org_id: int) -> set[int]:
    """Users of the organisation who have a manager other than themselves: an admin or manager
    who manages a team they are in, or a team above it (``managed_team_ids`` seen from below).
    Everyone else answers to the organisation, that is to its admins. Three queries."""
    parent_of = dict(Team.objects.filter(organization_id=org_id).values_list("id", "parent_id"))
    planners = set(
        Membership.objects.filter(organization_id=org_id, role__in=PLANNER_ROLES).values_list("user_id", flat=True)
    )
    rows = list(TeamMember.objects.filter(organization_id=org_id).values_list("team_id", "user_id", "is_manager"))
    managers_of: dict[int, set[int]] = {}
    for team_id, user_id, is_manager in rows:
        if is_manager and user_id in planners:
            managers_of.setdefault(team_id, set()).add(user_id)
    result: set[int] = set()
    for team_id, user_id, _is_manager in rows:
        team: int | None = team_id
        seen: set[int] = set()
        while team is not None and team not in seen and user_id not in result:
            seen.add(team)
            if managers_of.get(team, set()) - {user_id}:
                result.add(user_id)
            team = parent_of.get(team)
    return result


def can_manage_team(m: Membership, team: Team | int | None) -> bool:
    """Admins manage every team; managers the teams they manage and below.
    ``None`` (the organisation root) is admin-only."""
    if is_admin(m):
        return True
    if team is None:
        return False
    team_id = team if isinstance(team, int) else team.pk
    return team_id in managed_team_ids(m)


def can_manage_person(m: Membership, user_id: int) -> bool:
    """Admins manage everyone; managers the people in the teams they manage."""
    if is_admin(m):
        return True
    if user_id == m.user_id:
        return False
    teams = managed_team_ids(m)
    if not teams:
        return False
    return TeamMember.objects.filter(organization_id=m.organization_id, user_id=user_id, team_id__in=teams).exists()


def _ids(users: Iterable[User | int]) -> set[int]:
    return {u if isinstance(u, int) else u.pk for u in users}


def team_people_problem(
    m: Membership,
    *,
    team: Team | None,
    managers: Iterable[User | int] | None,
    members: Iterable[User | int] | None,
) -> str | None:
    """Why the caller may not set these managers / members on ``team`` (None: a
    new team), or None when they may. ``None`` lists leave that side as it is.

    Team changes follow the rule of member changes: admins do anything; a
    manager only moves people who are already in teams they manage (into or
    out of a team they manage, which the caller checks), and never grants or
    takes away management, which would hand them (or someone else) other
    people's OKRs and KPIs."""
    if is_admin(m):
        return None
    current = dict(TeamMember.objects.filter(team=team).values_list("user_id", "is_manager")) if team else {}
    current_managers = {uid for uid, is_manager in current.items() if is_manager}
    new_managers = _ids(managers) if managers is not None else current_managers
    new_members = _ids(members) if members is not None else set(current)
    if new_managers != current_managers:
        return _("Only admins can make someone a team manager or take that away.")
    changed = (new_members | new_managers) ^ set(current)
    if not changed:
        return None
    teams = managed_team_ids(m)
    movable = set(
        TeamMember.objects.filter(organization_id=m.organization_id, user_id__in=changed, team_id__in=teams)
        .exclude(user_id=m.user_id)
        .values_list("user_id", flat=True)
    )
    if changed - movable:
        return _("You can only move people who are in teams you manage.")
    return None


def require(allowed: bool, message: str = "") -> None:
    """Raise 403 unless ``allowed``. The caller is a member (non-members got a 404 earlier)."""
    if not allowed:
        raise PermissionDenied(message or "You do not have permission to do this.")


# --- OKRs and KPIs: who may edit what an owner owns -------------------------------------


def can_edit_owned(m: Membership, *, owner_type: str, owner_team_id: int | None, owner_user_id: int | None) -> bool:
    """Edit an objective (or KPI) owned by the company, a team or a person.

    Company level: admins. Team level: admins and managers of that team (or a
    team above it). Person level: admins, the person themself (unless a
    viewer) and managers of a team the person is in.
    """
    if not can_write(m):
        return False
    if is_admin(m):
        return True
    if owner_type == "team":
        return owner_team_id is not None and owner_team_id in managed_team_ids(m)
    if owner_type == "person":
        if owner_user_id == m.user_id:
            return True
        return owner_user_id is not None and can_manage_person(m, owner_user_id)
    return False


def can_create_owned(m: Membership, *, owner_type: str, owner_team_id: int | None, owner_user_id: int | None) -> bool:
    """Creating follows editing: you may create what you would be allowed to edit."""
    return can_edit_owned(m, owner_type=owner_type, owner_team_id=owner_team_id, owner_user_id=owner_user_id)


def can_check_in(m: Membership, *, key_result_owner_id: int, objective_editable: bool) -> bool:
    """The key result's owner checks in; so does anyone who may edit its objective."""
    if not can_write(m):
        return False
    return key_result_owner_id == m.user_id or objective_editable
