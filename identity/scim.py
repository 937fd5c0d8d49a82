"""SCIM 2.0 endpoints (RFC 7644) at ``/scim/v2/orgs/<org_slug>/``: ``Users`` and ``Groups``
with the organisation's bearer token, plus the discovery documents directories read first
(``ServiceProviderConfig``, ``ResourceTypes``, ``Schemas``).

A token opens its own organisation only: any other slug is a 401, as is a revoked token.
A user id of another organisation is a 404, like one that does not exist. Groups are the
organisation's teams; a group whose name the single sign-on mapping names also gives its
members that role."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from identity.models import ScimToken, ScimUser
from identity.scim_groups import groups_view
from identity.services.scim import (
    ScimError,
    scim_token_check,
    scim_user_create,
    scim_user_delete,
    scim_user_update,
)

CONTENT_TYPE = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
FILTER = re.compile(r'^\s*userName\s+eq\s+"([^"]*)"\s*$', re.IGNORECASE)
IMMUTABLE = {"id", "meta", "schemas", "groups"}


def scim_response(body: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)


def scim_error(status: int, detail: str, scim_type: str | None = None) -> HttpResponse:
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return scim_response(body, status)


def scim_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Bearer token of this organisation, else 401; ``ScimError`` becomes its RFC 7644 body."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, org_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        auth = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, key = auth.partition(" ")
        token = scim_token_check(key=key.strip(), org_slug=org_slug) if scheme.lower() == "bearer" else None
        if token is None:
            response = scim_error(401, "A valid bearer token of this organisation is required.")
            response["WWW-Authenticate"] = 'Bearer realm="scim"'
            return response
        try:
            return view(request, token, *args, **kwargs)
        except ScimError as exc:
            return scim_error(exc.status, exc.detail, exc.scim_type)

    return wrapper


def read_body(request: HttpRequest, *, schema: str | None) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise ScimError(400, "The body is not JSON.", "invalidSyntax") from None
    if not isinstance(body, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    if schema is not None:
        schemas = body.get("schemas")
        allowed = {schema, ENTERPRISE_SCHEMA} if schema == USER_SCHEMA else {schema}
        if not isinstance(schemas, list) or schema not in schemas or set(schemas) - allowed:
            raise ScimError(400, f"schemas must name {schema} (and no unknown schema).", "invalidValue")
    return body


def user_resource(request: HttpRequest, row: ScimUser) -> dict[str, Any]:
    user = row.user
    given, _, family = (user.name or "").partition(" ")
    location = request.build_absolute_uri(f"/scim/v2/orgs/{row.organization.slug}/Users/{user.pk}")
    return {
        "schemas": [USER_SCHEMA],
        "id": str(user.pk),
        "externalId": row.external_id or None,
        "userName": user.email,
        "name": {"formatted": user.name, "givenName": given, "familyName": family},
        "displayName": user.display_name,
        "emails": [{"value": user.email, "type": "work", "primary": True}],
        "active": row.active,
        "meta": {
            "resourceType": "User",
            "created": row.created_at.isoformat(),
            "lastModified": row.updated_at.isoformat(),
            "location": location,
        },
    }


def list_response(resources: list[dict[str, Any]], *, total: int, start: int) -> HttpResponse:
    return scim_response(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(resources),
            "Resources": resources,
        }
    )


def paging(request: HttpRequest) -> tuple[int, int]:
    try:
        start = max(1, int(request.GET.get("startIndex", 1)))
        count = min(200, max(0, int(request.GET.get("count", 100))))
    except ValueError:
        raise ScimError(400, "startIndex and count must be integers.", "invalidValue") from None
    return start, count


def _user_row(token: ScimToken, user_id: str) -> ScimUser:
    if not user_id.isdigit():
        raise ScimError(404, "No such user.")
    row = (
        ScimUser.objects.filter(organization=token.organization, user_id=int(user_id))
        .select_related("user", "organization")
        .first()
    )
    if row is None:
        raise ScimError(404, "No such user.")
    return row


def _name_of(body: dict[str, Any]) -> str:
    raw = body.get("name")
    name: dict[str, Any] = raw if isinstance(raw, dict) else {}
    formatted = str(name.get("formatted") or "").strip()
    if not formatted:
        formatted = " ".join(str(name.get(k) or "").strip() for k in ("givenName", "familyName")).strip()
    return formatted or str(body.get("displayName") or "").strip()


def _email_of(body: dict[str, Any]) -> str:
    return str(body.get("userName") or "").strip()


@scim_view
def users(request: HttpRequest, token: ScimToken) -> HttpResponse:
    org = token.organization
    if request.method == "POST":
        body = read_body(request, schema=USER_SCHEMA)
        row = scim_user_create(
            org=org,
            token=token,
            email=_email_of(body),
            name=_name_of(body),
            external_id=str(body.get("externalId") or ""),
            active=body.get("active", True) is not False,
        )
        return scim_response(user_resource(request, row), 201)
    if request.method != "GET":
        raise ScimError(405, "Use GET or POST.")
    rows = ScimUser.objects.filter(organization=org).select_related("user", "organization").order_by("user_id")
    flt = request.GET.get("filter")
    if flt:
        match = FILTER.match(flt)
        if match is None:
            raise ScimError(400, 'Only userName eq "…" is supported as a filter.', "invalidFilter")
        rows = rows.filter(user__email__iexact=match.group(1))
    start, count = paging(request)
    total = rows.count()
    page = list(rows[start - 1 : start - 1 + count])
    return list_response([user_resource(request, r) for r in page], total=total, start=start)


@scim_view
def user_detail(request: HttpRequest, token: ScimToken, user_id: str) -> HttpResponse:
    row = _user_row(token, user_id)
    if request.method == "GET":
        return scim_response(user_resource(request, row))
    if request.method == "DELETE":
        scim_user_delete(scim_user=row, token=token)
        return HttpResponse(status=204)
    if request.method == "PUT":
        body = read_body(request, schema=USER_SCHEMA)
        if "id" in body and str(body["id"]) != str(row.user_id):
            raise ScimError(400, "id is immutable.", "mutability")
        changes = {"userName": _email_of(body), "name": _name_of(body), "externalId": body.get("externalId") or ""}
        changes["active"] = body.get("active", True) is not False
        scim_user_update(scim_user=row, token=token, changes=changes)
        return scim_response(user_resource(request, _user_row(token, user_id)))
    if request.method == "PATCH":
        body = read_body(request, schema=PATCH_SCHEMA)
        changes = patch_changes(body, current_name=row.user.name or "")
        scim_user_update(scim_user=row, token=token, changes=changes)
        return scim_response(user_resource(request, _user_row(token, user_id)))
    raise ScimError(405, "Use GET, PUT, PATCH or DELETE.")


PATCH_PATHS = {
    "active": "active",
    "username": "userName",
    "externalid": "externalId",
    "displayname": "name",
    "name.formatted": "name",
    'emails[type eq "work"].value': "userName",
    "emails": "userName",
}
# Attributes a ``remove`` empties; the required ones (active, userName and the e-mail it is)
# cannot be removed: a 400 ``mutability``, as RFC 7644 §3.5.2.2 asks.
REMOVABLE = {"externalid": "externalId", "displayname": "name", "name.formatted": "name", "name": "name"}
NAME_PARTS = ("name.givenname", "name.familyname")


def patch_changes(body: dict[str, Any], *, current_name: str = "") -> dict[str, Any]:
    """The changes a PatchOp asks for (``add``/``replace``/``remove`` of active, names, e-mails,
    userName). A part of the name changes that part only: the other is kept from ``current_name``."""
    operations = body.get("Operations")
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "Operations must be a non-empty list.", "invalidSyntax")
    changes: dict[str, Any] = {}
    parts: dict[str, str] = {}
    for op in operations:
        kind = str(op.get("op", "")).lower() if isinstance(op, dict) else ""
        if kind not in ("add", "replace", "remove"):
            raise ScimError(400, "Only add, replace and remove operations are supported.", "invalidValue")
        path, value = op.get("path"), op.get("value")
        if kind == "remove":
            _remove_one(changes, parts, str(path or ""))
            continue
        items = value.items() if path is None and isinstance(value, dict) else [(path, value)]
        for key, item in items:
            _patch_one(changes, parts, str(key or ""), item)
    if parts:
        given, _, family = current_name.partition(" ")
        name = {NAME_PARTS[0]: given, NAME_PARTS[1]: family, **parts}
        changes["name"] = f"{name[NAME_PARTS[0]]} {name[NAME_PARTS[1]]}".strip()
    return changes


def _remove_one(changes: dict[str, Any], parts: dict[str, str], path: str) -> None:
    lowered = path.strip().lower()
    if not lowered:
        raise ScimError(400, "A remove operation needs a path.", "noTarget")
    if lowered in NAME_PARTS:
        parts[lowered] = ""
    elif lowered in REMOVABLE:
        changes[REMOVABLE[lowered]] = ""
    elif lowered in IMMUTABLE or lowered.startswith("meta.") or lowered in PATCH_PATHS:
        raise ScimError(400, f"{path} is required and cannot be removed.", "mutability")
    else:
        raise ScimError(400, f"{path} cannot be changed here.", "noTarget")


def _patch_one(changes: dict[str, Any], parts: dict[str, str], path: str, value: Any) -> None:
    lowered = path.strip().lower()
    if lowered in IMMUTABLE or lowered.startswith("meta."):
        raise ScimError(400, f"{path} is immutable.", "mutability")
    if lowered == "name" and isinstance(value, dict):
        given, family = str(value.get("givenName") or ""), str(value.get("familyName") or "")
        changes["name"] = str(value.get("formatted") or f"{given} {family}").strip()
    elif lowered in NAME_PARTS:
        parts[lowered] = str(value or "")
    elif lowered in PATCH_PATHS:
        if lowered == "emails" and isinstance(value, list):
            value = next((e.get("value") for e in value if isinstance(e, dict) and e.get("value")), "")
        if lowered == "active" and isinstance(value, str):
            value = value.lower() == "true"
        changes[PATCH_PATHS[lowered]] = value
    else:
        raise ScimError(400, f"{path} cannot be changed here.", "noTarget")


@scim_view
def groups(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return groups_view(request, token)


@scim_view
def group_detail(request: HttpRequest, token: ScimToken, group_id: str) -> HttpResponse:
    return groups_view(request, token, group_id)
