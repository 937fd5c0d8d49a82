"""SCIM ``Groups``: the organisation's teams. A group's members are the team's members; a
group whose name the single sign-on role mapping names also gives its members that role."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from identity.models import OidcProvider, ScimToken, ScimUser
from identity.services.scim import ScimError
from orgs import services as org_services
from orgs.models import Membership, Team, TeamMember, User

GROUP_FILTER = re.compile(r'^\s*displayName\s+eq\s+"([^"]*)"\s*$', re.IGNORECASE)


def _members(team: Team) -> list[User]:
    ids = TeamMember.objects.filter(organization=team.organization, team=team).values("user_id")
    return list(User.objects.filter(pk__in=ids).order_by("pk"))


def group_resource(request: HttpRequest, team: Team) -> dict[str, Any]:
    from identity.scim import GROUP_SCHEMA

    return {
        "schemas": [GROUP_SCHEMA],
        "id": str(team.pk),
        "displayName": team.name,
        "members": [{"value": str(u.pk), "display": u.email} for u in _members(team)],
        "meta": {
            "resourceType": "Group",
            "location": request.build_absolute_uri(f"/scim/v2/orgs/{team.organization.slug}/Groups/{team.pk}"),
        },
    }


def _people(token: ScimToken, values: Any) -> list[User]:
    """The provisioned people a member list names (another organisation's id: 404)."""
    if values in (None, ""):
        return []
    if not isinstance(values, list):
        raise ScimError(400, "members must be a list.", "invalidValue")
    ids = [str(v.get("value", "")) if isinstance(v, dict) else "" for v in values]
    if not all(i.isdigit() for i in ids):
        raise ScimError(400, "A member value must be a user id.", "invalidValue")
    found = {
        r.user_id: r.user
        for r in ScimUser.objects.filter(
            organization=token.organization, user_id__in=[int(i) for i in ids]
        ).select_related("user")
    }
    if len(found) != len(set(ids)):
        raise ScimError(404, "No such user.")
    return [found[int(i)] for i in ids]


def _apply_roles(token: ScimToken, team: Team, people: list[User]) -> None:
    provider = OidcProvider.objects.filter(organization=token.organization).first()
    role = provider.role_mapping.get(team.name) if provider else None
    if not role:
        return
    for m in Membership.objects.filter(organization=token.organization, user__in=people).select_related("organization"):
        try:
            org_services.member_set_role(membership=m, actor=token.created_by, role=role)  # type: ignore[arg-type]  # the token's admin may be gone: logged without actor
        except ValidationError:
            continue  # the last admin keeps the role


def _team(token: ScimToken, group_id: str) -> Team:
    team = (
        Team.objects.filter(organization=token.organization, pk=int(group_id)).first() if group_id.isdigit() else None
    )
    if team is None:
        raise ScimError(404, "No such group.")
    return team


def _save(token: ScimToken, team: Team | None, name: str, people: list[User]) -> Team:
    try:
        if team is None:
            team = org_services.team_create(org=token.organization, actor=token.created_by, name=name, members=people)
        else:
            org_services.team_update(team=team, actor=token.created_by, name=name, members=people)  # type: ignore[arg-type]  # idem
    except ValidationError as exc:
        status, kind = (409, "uniqueness") if "name" in getattr(exc, "message_dict", {}) else (400, "invalidValue")
        raise ScimError(status, "; ".join(exc.messages), kind) from None
    _apply_roles(token, team, people)
    return team


def _patch(token: ScimToken, team: Team, body: dict[str, Any]) -> Team:
    name, people = team.name, _members(team)
    operations = body.get("Operations")
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "Operations must be a non-empty list.", "invalidSyntax")
    for op in operations:
        kind = str(op.get("op", "")).lower() if isinstance(op, dict) else ""
        path = str(op.get("path") or "").lower() if isinstance(op, dict) else ""
        value = op.get("value") if isinstance(op, dict) else None
        if path == "displayname" or (not path and isinstance(value, dict) and "displayName" in value):
            name = str(value["displayName"] if isinstance(value, dict) else value)
        elif path.startswith("members") and kind in ("add", "replace"):
            added = _people(token, value)
            people = added if kind == "replace" else people + [u for u in added if u not in people]
        elif path.startswith("members") and kind == "remove":
            match = re.search(r'value eq "(\d+)"', path)
            gone = {int(match.group(1))} if match else {u.pk for u in _people(token, value)}
            people = [u for u in people if u.pk not in gone] if (match or value) else []
        elif path in ("id", "meta") or path.startswith("meta."):
            raise ScimError(400, f"{path} is immutable.", "mutability")
        else:
            raise ScimError(400, f"Unsupported operation {kind} {path}.", "invalidValue")
    return _save(token, team, name, people)


def groups_view(request: HttpRequest, token: ScimToken, group_id: str | None = None) -> HttpResponse:
    from identity.scim import GROUP_SCHEMA, PATCH_SCHEMA, list_response, paging, read_body, scim_response

    if group_id is None:
        if request.method == "POST":
            body = read_body(request, schema=GROUP_SCHEMA)
            team = _save(token, None, str(body.get("displayName") or "").strip(), _people(token, body.get("members")))
            return scim_response(group_resource(request, team), 201)
        teams = Team.objects.filter(organization=token.organization).select_related("organization").order_by("pk")
        flt = request.GET.get("filter")
        if flt:
            match = GROUP_FILTER.match(flt)
            if match is None:
                raise ScimError(400, 'Only displayName eq "…" is supported as a filter.', "invalidFilter")
            teams = teams.filter(name__iexact=match.group(1))
        start, count = paging(request)
        page = list(teams[start - 1 : start - 1 + count])
        return list_response([group_resource(request, t) for t in page], total=teams.count(), start=start)
    team = _team(token, group_id)
    if request.method == "GET":
        return scim_response(group_resource(request, team))
    if request.method == "DELETE":
        org_services.team_delete(team=team, actor=token.created_by)  # type: ignore[arg-type]  # idem
        return HttpResponse(status=204)
    if request.method == "PUT":
        body = read_body(request, schema=GROUP_SCHEMA)
        team = _save(token, team, str(body.get("displayName") or team.name), _people(token, body.get("members")))
    elif request.method == "PATCH":
        team = _patch(token, team, read_body(request, schema=PATCH_SCHEMA))
    else:
        raise ScimError(405, "Use GET, PUT, PATCH or DELETE.")
    return scim_response(group_resource(request, team))
