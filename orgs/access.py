"""Access helpers for teams (Zulip's ``access_*``/``check_*``): who may create, change or
delete a team is decided here, from ``orgs.permissions``' rules, for the pages and the API
alike. Each ``check_*`` raises ``PermissionDenied`` (a 403 page, a 403 from the API)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from orgs import permissions
from orgs.models import Membership, Team, User


def _check_people(
    m: Membership, team: Team | None, managers: Iterable[User] | None, members: Iterable[User] | None
) -> None:
    problem = permissions.team_people_problem(m, team=team, managers=managers, members=members)
    permissions.require(problem is None, problem or "")


def check_team_create(
    m: Membership, *, parent: Team | None, managers: Iterable[User] | None, members: Iterable[User] | None
) -> None:
    """A team goes where the caller manages (admins: anywhere, the top level too), with people
    they may move (``team_people_problem``)."""
    permissions.require(
        permissions.can_manage_team(m, parent),
        _("Only admins, or managers of the parent team, can create teams there."),
    )
    _check_people(m, None, managers, members)


def check_team_update(
    m: Membership,
    team: Team,
    *,
    parent: Team | None,
    managers: Iterable[User] | None,
    members: Iterable[User] | None,
) -> None:
    """The caller manages the team; moving it (``parent`` other than its own) needs the new
    parent managed too; its people change as ``team_people_problem`` allows. ``None`` lists
    leave that side as it is."""
    permissions.require(permissions.can_manage_team(m, team), _("You can only change teams you manage."))
    if (parent.pk if parent else None) != team.parent_id:
        permissions.require(
            permissions.can_manage_team(m, parent), _("You can only move a team under a team you manage.")
        )
    _check_people(m, team, managers, members)


def check_team_delete(m: Membership, team: Team) -> None:
    """Deleting a team is for whoever manages the team above it (admins at the top level)."""
    permissions.require(
        permissions.can_manage_team(m, team.parent_id),
        _("Only admins, or managers of the parent team, can delete this team."),
    )
