"""SCIM 2.0 at /scim/v2/orgs/<slug>/: the whole lifecycle, the error shapes of RFC 7644, and a
deactivation that ends a live session and an API token within one request."""

from __future__ import annotations

import json

import pytest
from rest_framework.authtoken.models import Token

from activity.models import ActivityEntry
from identity.models import ScimToken, ScimUser
from identity.services.scim import scim_token_create
from objectives.models import Objective
from orgs.models import Membership, Team, User
from tests.objectives.okr_factories import make_cycle, make_objective

pytestmark = pytest.mark.django_db

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def scim(world_a, client):
    _token, key = scim_token_create(org=world_a.org, actor=world_a.admin, name="Entra", request=None)

    def call(method, path, body=None, *, key=key, slug="alpha"):
        data = json.dumps(body) if body is not None else None
        response = getattr(client, method)(
            f"/scim/v2/orgs/{slug}/{path}",
            data=data,
            content_type="application/scim+json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        return response

    call.key = key
    return call


def _new_user(scim, email="dana@alpha.test", **extra):
    body = {
        "schemas": [USER],
        "userName": email,
        "name": {"givenName": "Dana", "familyName": "Le"},
        "externalId": "e-1",
        **extra,
    }
    return scim("post", "Users", body)


def test_the_whole_lifecycle(world_a, scim):
    r = _new_user(scim)
    assert r.status_code == 201 and r["Content-Type"] == "application/scim+json"
    user = r.json()
    assert user["userName"] == "dana@alpha.test" and user["active"] is True and user["name"]["formatted"] == "Dana Le"
    dana = User.objects.get(email="dana@alpha.test")
    assert Membership.objects.get(organization=world_a.org, user=dana).role == "member"
    assert scim("get", f"Users/{dana.pk}").json()["externalId"] == "e-1"
    found = scim("get", 'Users?filter=userName eq "DANA@alpha.test"').json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == str(dana.pk)
    assert scim("get", 'Users?filter=userName eq "nobody@alpha.test"').json()["totalResults"] == 0
    replaced = scim(
        "put",
        f"Users/{dana.pk}",
        {"schemas": [USER], "userName": "dana@alpha.test", "name": {"formatted": "Dana Lê"}, "active": True},
    )
    assert replaced.status_code == 200 and User.objects.get(pk=dana.pk).name == "Dana Lê"
    patched = scim(
        "patch", f"Users/{dana.pk}", {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
    )
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert not Membership.objects.filter(organization=world_a.org, user=dana).exists()
    back = scim(
        "patch",
        f"Users/{dana.pk}",
        {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": "True"}]},
    )
    assert back.json()["active"] is True and Membership.objects.filter(organization=world_a.org, user=dana).exists()
    assert scim("delete", f"Users/{dana.pk}").status_code == 204
    assert scim("get", f"Users/{dana.pk}").status_code == 404
    assert not Membership.objects.filter(organization=world_a.org, user=dana).exists()
    verbs = set(ActivityEntry.objects.filter(organization=world_a.org).values_list("verb", flat=True))
    assert {"security.scim_user_created", "security.scim_user_deactivated", "security.scim_user_deleted"} <= verbs


def test_deactivation_ends_a_live_session_and_a_token_within_one_request(world_a, scim, client, api, password):
    r = _new_user(scim, email="eli@alpha.test")
    eli = User.objects.get(email="eli@alpha.test")
    eli.set_password(password)
    eli.save()
    browser = type(client)()
    assert browser.post("/accounts/login/", {"username": eli.email, "password": password}).status_code == 302
    assert browser.get("/o/alpha/").status_code == 200
    token_client = api(eli)
    assert token_client.get("/api/v1/orgs/alpha/cycles/").status_code == 200
    # Owned objects stay, as a former member's.
    objective = make_objective(world_a.org, make_cycle(world_a.org), title="Eli's", owner_type="person", user=eli)
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    assert scim("patch", f"Users/{r.json()['id']}", off).status_code == 200
    assert browser.get("/o/alpha/").status_code in (302, 404)
    assert token_client.get("/api/v1/orgs/alpha/cycles/").status_code in (401, 403)  # the token is gone
    assert not Token.objects.filter(user=eli).exists()
    assert Objective.objects.get(pk=objective.pk).owner_user_id == eli.pk


@pytest.mark.parametrize(
    ("body", "status", "scim_type"),
    [
        ({"schemas": ["urn:example:unknown"], "userName": "x@alpha.test"}, 400, "invalidValue"),
        ({"schemas": [USER, "urn:example:unknown"], "userName": "x@alpha.test"}, 400, "invalidValue"),
        ({"schemas": [USER], "userName": "not-an-address"}, 400, "invalidValue"),
        ({"schemas": [USER], "userName": "member@alpha.test"}, 409, "uniqueness"),
        ({"schemas": [USER], "userName": "admin@beta.test"}, 409, "uniqueness"),  # another's account
    ],
)
def test_bad_user_bodies_get_rfc7644_errors_and_change_nothing(body, status, scim_type, world_a, world_b, scim):
    before = (User.objects.count(), Membership.objects.count())
    r = scim("post", "Users", body)
    assert r.status_code == status
    error = r.json()
    assert error["schemas"] == [ERROR] and error["status"] == str(status) and error["scimType"] == scim_type
    assert (User.objects.count(), Membership.objects.count()) == before


def test_a_duplicate_username_is_409(scim):
    assert _new_user(scim).status_code == 201
    r = _new_user(scim)
    assert r.status_code == 409 and r.json()["scimType"] == "uniqueness"


def test_a_patch_on_an_immutable_attribute_is_refused(scim):
    uid = _new_user(scim).json()["id"]
    for path in ("id", "meta.created"):
        r = scim(
            "patch", f"Users/{uid}", {"schemas": [PATCH], "Operations": [{"op": "replace", "path": path, "value": "9"}]}
        )
        assert r.status_code == 400 and r.json()["scimType"] == "mutability"
    assert ScimUser.objects.get(user_id=int(uid)).active


def test_another_organisations_user_is_404_and_its_token_401(world_a, world_b, scim):
    _b_token, b_key = scim_token_create(org=world_b.org, actor=world_b.admin, name="B", request=None)
    b_user = scim("post", "Users", {"schemas": [USER], "userName": "bo@beta.test"}, key=b_key, slug="beta").json()
    assert scim("get", f"Users/{b_user['id']}").status_code == 404
    assert scim("delete", f"Users/{b_user['id']}").status_code == 404
    assert scim("get", f"Users/{world_a.member.pk}").status_code == 404  # a member, not provisioned here
    # B's token on A's endpoint, a wrong token, no token, a revoked token: 401.
    assert scim("get", "Users", key=b_key).status_code == 401
    assert scim("get", "Users", key="scim_nonsense").status_code == 401
    r = scim("get", "Users", key="")
    assert r.status_code == 401 and r.json()["schemas"] == [ERROR]
    ScimToken.objects.filter(organization=world_a.org).update(revoked_at="2026-01-01T00:00:00Z")
    assert scim("get", "Users").status_code == 401
    assert ScimUser.objects.filter(organization=world_b.org).count() == 1


def test_groups_are_teams_and_mapped_groups_give_roles(world_a, scim, idp):
    from tests.identity.conftest import configure

    configure(world_a.org, world_a.admin, idp, role_mapping={"OKR Managers": "manager"})
    uid = _new_user(scim).json()["id"]
    r = scim("post", "Groups", {"schemas": [GROUP], "displayName": "OKR Managers", "members": [{"value": uid}]})
    assert r.status_code == 201, r.content
    team = Team.objects.get(organization=world_a.org, name="OKR Managers")
    assert Membership.objects.get(organization=world_a.org, user_id=int(uid)).role == "manager"
    gid = r.json()["id"]
    assert scim("get", f"Groups/{gid}").json()["members"][0]["value"] == uid
    removed = scim(
        "patch",
        f"Groups/{gid}",
        {"schemas": [PATCH], "Operations": [{"op": "remove", "path": f'members[value eq "{uid}"]'}]},
    )
    assert removed.status_code == 200 and removed.json()["members"] == []
    assert scim("get", 'Groups?filter=displayName eq "OKR Managers"').json()["totalResults"] == 1
    assert scim("delete", f"Groups/{gid}").status_code == 204
    assert not Team.objects.filter(pk=team.pk).exists()
    # A member of another organisation cannot be put in a group here.
    r = scim("post", "Groups", {"schemas": [GROUP], "displayName": "X", "members": [{"value": str(world_a.member.pk)}]})
    assert r.status_code == 404


def test_the_tokens_page_shows_a_token_once_and_revokes_it(world_a, web):
    c = web(world_a.admin)
    page = c.post("/o/alpha/settings/scim/", {"name": "Okta"}).content.decode()
    assert "shown only once" in page and "scim_" in page
    token = ScimToken.objects.get(name="Okta")
    assert token.prefix in c.get("/o/alpha/settings/scim/").content.decode()
    assert "shown only once" not in c.get("/o/alpha/settings/scim/").content.decode()
    assert c.post(f"/o/alpha/settings/scim/{token.pk}/revoke/").status_code == 302
    assert ScimToken.objects.get(pk=token.pk).revoked_at is not None
    assert web(world_a.manager).get("/o/alpha/settings/scim/").status_code == 403


# --- discovery (RFC 7644 §4) and PATCH remove ------------------------------------------------


def test_the_discovery_documents_say_what_is_supported(scim):
    config = scim("get", "ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert not config["changePassword"]["supported"] and not config["sort"]["supported"]
    assert not config["etag"]["supported"]
    assert [s["type"] for s in config["authenticationSchemes"]] == ["oauthbearertoken"]
    types = scim("get", "ResourceTypes")
    assert types.status_code == 200 and types["Content-Type"] == "application/scim+json"
    assert {t["id"]: t["endpoint"] for t in types.json()["Resources"]} == {"User": "/Users", "Group": "/Groups"}
    assert scim("get", "ResourceTypes/User").json()["schema"] == USER
    schemas = scim("get", "Schemas").json()
    assert schemas["totalResults"] == 2 and {s["id"] for s in schemas["Resources"]} == {USER, GROUP}
    user_schema = scim("get", f"Schemas/{USER}").json()
    by_name = {a["name"]: a for a in user_schema["attributes"]}
    assert by_name["userName"]["required"] and by_name["active"]["type"] == "boolean"
    assert {a["name"] for a in by_name["name"]["subAttributes"]} >= {"givenName", "familyName"}
    assert scim("get", "Schemas/urn:nothing").status_code == 404
    assert scim("get", "ResourceTypes/Nothing").status_code == 404


def test_the_discovery_documents_need_this_organisations_token(world_b, scim):
    _b_token, b_key = scim_token_create(org=world_b.org, actor=world_b.admin, name="B", request=None)
    for path in ("ServiceProviderConfig", "ResourceTypes", "Schemas", f"Schemas/{USER}"):
        assert scim("get", path, key="").status_code == 401
        assert scim("get", path, key=b_key).status_code == 401
        assert scim("get", path).status_code == 200


def _patch(scim, uid, *operations):
    return scim("patch", f"Users/{uid}", {"schemas": [PATCH], "Operations": list(operations)})


def test_a_patch_removes_a_name_part_and_keeps_the_other(scim):
    uid = _new_user(scim).json()["id"]
    r = _patch(scim, uid, {"op": "remove", "path": "name.familyName"})
    assert r.status_code == 200 and r.json()["name"]["formatted"] == "Dana"
    assert User.objects.get(pk=int(uid)).name == "Dana"
    r = _patch(scim, uid, {"op": "replace", "path": "name.familyName", "value": "Tran"})
    assert r.json()["name"]["formatted"] == "Dana Tran"  # the given name kept
    r = _patch(scim, uid, {"op": "remove", "path": "name.givenName"}, {"op": "remove", "path": "externalId"})
    assert r.json()["name"]["formatted"] == "Tran" and r.json()["externalId"] is None
    assert ScimUser.objects.get(user_id=int(uid)).external_id == ""


def test_removing_a_required_attribute_is_a_mutability_error(scim):
    uid = _new_user(scim).json()["id"]
    for path in ("active", "userName", "emails", "id"):
        r = _patch(scim, uid, {"op": "remove", "path": path})
        assert r.status_code == 400 and r.json()["scimType"] == "mutability", path
    r = _patch(scim, uid, {"op": "remove"})
    assert r.status_code == 400 and r.json()["scimType"] == "noTarget"
    row = ScimUser.objects.select_related("user").get(user_id=int(uid))
    assert row.active and row.user.email == "dana@alpha.test" and row.user.name == "Dana Le"
