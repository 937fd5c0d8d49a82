"""Teams: create, rename or move, set their people, delete."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from orgs.audit import audit
from orgs.models import Membership, Organization, Team, TeamMember, User


def _check_parent(org: Organization, team: Team | None, parent: Team | None) -> None:
    if parent is None:
        return
    if parent.organization_id != org.pk:
        raise ValidationError({"parent": _("Unknown team.")})
    if team is None or team.pk is None:
        return
    # Walk up from the new parent; meeting the team itself means a loop.
    parents = dict(Team.objects.filter(organization=org).values_list("id", "parent_id"))
    node: int | None = parent.pk
    for _step in range(len(parents) + 1):
        if node is None:
            return
        if node == team.pk:
            raise ValidationError({"parent": _("A team cannot be placed under itself or one of its sub-teams.")})
        node = parents.get(node)
    raise ValidationError({"parent": _("The team tree has a loop.")})


def _check_name(org: Organization, name: str, parent: Team | None, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("A name is required.")})
    if len(name) > 120:
        raise ValidationError({"name": _("Use at most 120 characters.")})
    clash = Team.objects.filter(organization=org, parent=parent, name__iexact=name)
    if exclude:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError({"name": _("A team with this name already exists here.")})
    return name


def _members_of(org: Organization, users: Iterable[User], field: str) -> list[User]:
    users = list(users)
    ids = {u.pk for u in users}
    found = set(Membership.objects.filter(organization=org, user_id__in=ids).values_list("user_id", flat=True))
    if ids - found:
        raise ValidationError({field: _("Only members of the organisation can be placed in a team.")})
    return users


def _set_people(org: Organization, team: Team, managers: list[User] | None, members: list[User] | None) -> None:
    if managers is None and members is None:
        return
    current = {tm.user_id: tm for tm in TeamMember.objects.filter(team=team)}
    manager_ids = (
        {u.pk for u in managers} if managers is not None else {uid for uid, tm in current.items() if tm.is_manager}
    )
    member_ids = {u.pk for u in members} if members is not None else set(current)
    wanted = member_ids | manager_ids  # a manager is also a member of the team
    TeamMember.objects.filter(team=team).exclude(user_id__in=wanted).delete()
    for uid in wanted:
        tm = current.get(uid)
        if tm is None:
            TeamMember.objects.create(organization=org, team=team, user_id=uid, is_manager=uid in manager_ids)
        elif tm.is_manager != (uid in manager_ids):
            tm.is_manager = uid in manager_ids
            tm.save(update_fields=["is_manager"])
    Membership.objects.filter(organization=org, user_id__in=wanted, primary_team__isnull=True).update(primary_team=team)
    Membership.objects.filter(organization=org, primary_team=team).exclude(user_id__in=wanted).update(primary_team=None)


@transaction.atomic
def team_create(
    *,
    org: Organization,
    actor: User | None,
    name: str,
    parent: Team | None = None,
    managers: Iterable[User] = (),
    members: Iterable[User] = (),
) -> Team:
    _check_parent(org, None, parent)
    name = _check_name(org, name, parent)
    managers = _members_of(org, managers, "managers")
    members = _members_of(org, members, "members")
    team = Team.objects.create(organization=org, name=name, parent=parent)
    _set_people(org, team, managers, members)
    audit(
        org=org,
        actor=actor,
        verb="team.created",
        target=team,
        after={
            "name": name,
            "parent": parent.pk if parent else None,
            "managers": [u.pk for u in managers],
            "members": [u.pk for u in members],
        },
    )
    return team


_UNSET = object()


@transaction.atomic
def team_update(
    *,
    team: Team,
    actor: User,
    name: str | None = None,
    parent: Team | None | object = _UNSET,
    managers: Iterable[User] | None = None,
    members: Iterable[User] | None = None,
) -> Team:
    """Rename, move (no loops) and/or set the people of a team."""
    org = team.organization
    before = {"name": team.name, "parent": team.parent_id}
    new_parent = team.parent if parent is _UNSET else parent
    _check_parent(org, team, new_parent)  # type: ignore[arg-type]
    new_name = _check_name(org, team.name if name is None else name, new_parent, exclude=team.pk)  # type: ignore[arg-type]
    team.name, team.parent = new_name, new_parent  # type: ignore[assignment]
    team.save(update_fields=["name", "parent"])
    mgr = _members_of(org, managers, "managers") if managers is not None else None
    mem = _members_of(org, members, "members") if members is not None else None
    _set_people(org, team, mgr, mem)
    after: dict[str, Any] = {"name": team.name, "parent": team.parent_id}
    if mgr is not None:
        after["managers"] = [u.pk for u in mgr]
    if mem is not None:
        after["members"] = [u.pk for u in mem]
    audit(org=org, actor=actor, verb="team.updated", target=team, before=before, after=after)
    return team


@transaction.atomic
def team_delete(*, team: Team, actor: User) -> None:
    """Delete a team; its sub-teams move up to its parent, its people stay in the organisation."""
    org = team.organization
    for child in Team.objects.filter(organization=org, parent=team):
        if Team.objects.filter(organization=org, parent=team.parent, name__iexact=child.name).exists():
            raise ValidationError(
                {
                    "name": _("Moving sub-team %(name)s up would clash with a team of the same name; rename it first.")
                    % {"name": child.name}
                }
            )
    Team.objects.filter(organization=org, parent=team).update(parent=team.parent)
    audit(
        org=org,
        actor=actor,
        verb="team.deleted",
        target=team,
        before={"name": team.name, "parent": team.parent_id},
    )
    try:
        with transaction.atomic():
            team.delete()
    except ProtectedError:
        raise ValidationError(
            {
                "team": _(
                    "This team still owns objectives or KPIs; give them to another owner (or delete them) "
                    "before deleting the team."
                )
            }
        ) from None
