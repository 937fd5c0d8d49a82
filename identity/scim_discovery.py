"""SCIM discovery (RFC 7644 §4): ``ServiceProviderConfig``, ``ResourceTypes`` and ``Schemas``,
static documents of what these endpoints support, behind the organisation's bearer token like
the rest (``identity.scim.scim_view``). Directories such as Okta's and Entra's read them first."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from identity.models import ScimToken
from identity.scim import (
    ENTERPRISE_SCHEMA,
    GROUP_SCHEMA,
    USER_SCHEMA,
    ScimError,
    list_response,
    scim_response,
    scim_view,
)

CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
MAX_RESULTS = 200  # identity.scim.paging's largest count


def _attr(
    name: str, *, kind: str = "string", required: bool = False, mutability: str = "readWrite", **extra: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "multiValued": False,
        "required": required,
        "caseExact": False,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": "none",
        **extra,
    }


USER_ATTRIBUTES = [
    _attr("userName", required=True, uniqueness="server", description="The person's e-mail address."),
    _attr(
        "name",
        kind="complex",
        subAttributes=[_attr("formatted"), _attr("givenName"), _attr("familyName")],
    ),
    _attr("displayName", mutability="readOnly"),
    _attr("externalId", caseExact=True),
    _attr("active", kind="boolean"),
    _attr(
        "emails",
        kind="complex",
        multiValued=True,
        subAttributes=[_attr("value"), _attr("type"), _attr("primary", kind="boolean")],
    ),
]
GROUP_ATTRIBUTES = [
    _attr("displayName", required=True, uniqueness="server"),
    _attr(
        "members",
        kind="complex",
        multiValued=True,
        subAttributes=[_attr("value", mutability="immutable"), _attr("display", mutability="readOnly")],
    ),
]
SCHEMAS = {
    USER_SCHEMA: {"name": "User", "description": "A member of the organisation.", "attributes": USER_ATTRIBUTES},
    GROUP_SCHEMA: {"name": "Group", "description": "A team of the organisation.", "attributes": GROUP_ATTRIBUTES},
}
RESOURCE_TYPES = {
    "User": {"endpoint": "/Users", "description": "Members", "schema": USER_SCHEMA},
    "Group": {"endpoint": "/Groups", "description": "Teams", "schema": GROUP_SCHEMA},
}


def _base(request: HttpRequest, token: ScimToken) -> str:
    return request.build_absolute_uri(f"/scim/v2/orgs/{token.organization.slug}")


@scim_view
def service_provider_config(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return scim_response(
        {
            "schemas": [CONFIG_SCHEMA],
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": MAX_RESULTS},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": False},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "OAuth Bearer Token",
                    "description": "The organisation's SCIM token, sent as Authorization: Bearer.",
                    "primary": True,
                }
            ],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": f"{_base(request, token)}/ServiceProviderConfig",
            },
        }
    )


def _resource_type(request: HttpRequest, token: ScimToken, name: str) -> dict[str, Any]:
    doc = RESOURCE_TYPES[name]
    extensions = [{"schema": ENTERPRISE_SCHEMA, "required": False}] if name == "User" else []
    return {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": name,
        "name": name,
        **doc,
        "schemaExtensions": extensions,
        "meta": {"resourceType": "ResourceType", "location": f"{_base(request, token)}/ResourceTypes/{name}"},
    }


def _schema(request: HttpRequest, token: ScimToken, urn: str) -> dict[str, Any]:
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": urn,
        **SCHEMAS[urn],
        "meta": {"resourceType": "Schema", "location": f"{_base(request, token)}/Schemas/{urn}"},
    }


def _listing(request: HttpRequest, token: ScimToken, one: str | None, names: list[str], build: Any) -> HttpResponse:
    if request.method != "GET":
        raise ScimError(405, "Use GET.")
    if one is not None:
        if one not in names:
            raise ScimError(404, "No such resource.")
        return scim_response(build(request, token, one))
    return list_response([build(request, token, n) for n in names], total=len(names), start=1)


@scim_view
def resource_types(request: HttpRequest, token: ScimToken, name: str | None = None) -> HttpResponse:
    return _listing(request, token, name, list(RESOURCE_TYPES), _resource_type)


@scim_view
def schemas(request: HttpRequest, token: ScimToken, urn: str | None = None) -> HttpResponse:
    return _listing(request, token, urn, list(SCHEMAS), _schema)
