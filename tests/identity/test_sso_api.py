"""``sso/``: the organisation's provider through the API (admins only)."""

from __future__ import annotations

import pytest

from identity.models import OidcProvider
from orgs.models import LoginRule, Organization
from tests.identity.provider import CLIENT_SECRET

pytestmark = pytest.mark.django_db


def _body(idp, **extra):
    return {
        "issuer": idp.issuer,
        "client_id": idp.client_id,
        "client_secret": CLIENT_SECRET,
        "domains": ["alpha.test"],
        "role_mapping": {"okr-admins": "admin"},
        **extra,
    }


def test_an_admin_sets_reads_changes_and_removes_it(world_a, idp, api):
    admin = api(world_a.admin)
    assert admin.get("/api/v1/orgs/alpha/sso/").status_code == 404
    r = admin.put("/api/v1/orgs/alpha/sso/", _body(idp), format="json")
    assert r.status_code == 200, r.content
    assert "client_secret" not in r.json() and r.json()["login_url"].endswith("/o/alpha/sso/login/")
    assert r.json()["callback_url"].endswith("/o/alpha/sso/callback/")
    assert Organization.objects.get(slug="alpha").login_rule == LoginRule.SSO
    r = admin.patch("/api/v1/orgs/alpha/sso/", {"domains": ["alpha.test", "alpha.vn"]}, format="json")
    assert r.status_code == 200 and r.json()["domains"] == ["alpha.test", "alpha.vn"]
    assert OidcProvider.objects.get().client_secret_encrypted  # kept when not sent
    assert admin.delete("/api/v1/orgs/alpha/sso/").status_code == 204
    assert Organization.objects.get(slug="alpha").login_rule == LoginRule.PASSWORD
    assert admin.put("/api/v1/orgs/alpha/sso/", _body(idp, sso_only=True), format="json").status_code == 200
    assert Organization.objects.get(slug="alpha").login_rule == LoginRule.SSO_ONLY
    # The admin's own token was made with a password: single sign-on only refuses it now.
    assert admin.get("/api/v1/orgs/alpha/sso/").status_code == 403


@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_only_admins_reach_it(role, world_a, idp, api):
    client = api(getattr(world_a, role))
    assert client.get("/api/v1/orgs/alpha/sso/").status_code == 403
    assert client.put("/api/v1/orgs/alpha/sso/", _body(idp), format="json").status_code == 403
    assert not OidcProvider.objects.exists()


def test_another_organisations_admin_gets_404(world_a, world_b, idp, api):
    assert api(world_b.admin).put("/api/v1/orgs/alpha/sso/", _body(idp), format="json").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"issuer": "http://login.example.com"}, "issuer"),
        ({"role_mapping": {"g": "owner"}}, "role_mapping"),
        ({"domains": []}, "domains"),
        ({"client_secret": ""}, "client_secret"),
    ],
)
def test_bad_settings_name_the_field_and_change_nothing(change, field, world_a, idp, api):
    r = api(world_a.admin).put("/api/v1/orgs/alpha/sso/", _body(idp, **change), format="json")
    assert r.status_code == 400 and field in r.json()["errors"], r.content
    assert not OidcProvider.objects.exists()


def test_the_settings_page_saves_and_never_shows_the_secret(world_a, idp, web):
    c = web(world_a.admin)
    assert c.get("/o/alpha/settings/sso/").status_code == 200
    r = c.post(
        "/o/alpha/settings/sso/",
        {
            "issuer": idp.issuer,
            "client_id": idp.client_id,
            "client_secret": CLIENT_SECRET,
            "domains": "alpha.test, alpha.vn",
            "role_mapping": "okr-admins = admin\nokr-viewers = Viewer",  # a code or the label
            "default_role": "member",
            "groups_claim": "groups",
            "active": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    provider = OidcProvider.objects.get()
    assert provider.domains == ["alpha.test", "alpha.vn"] and provider.role_mapping["okr-viewers"] == "viewer"
    assert CLIENT_SECRET not in c.get("/o/alpha/settings/sso/").content.decode()
    bad = c.post(
        "/o/alpha/settings/sso/",
        {
            "issuer": idp.issuer,
            "client_id": "x",
            "domains": "alpha.test",
            "role_mapping": "nonsense",
            "default_role": "member",
            "groups_claim": "groups",
        },
    )
    assert bad.status_code == 200 and b"write group = role" in bad.content
    assert web(world_a.member).get("/o/alpha/settings/sso/").status_code == 403
