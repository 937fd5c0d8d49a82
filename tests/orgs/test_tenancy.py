"""Tenant isolation: one test enumerates every URL pattern under /o/<slug>/
and /api/v1/orgs/<slug>/, so endpoints added later are covered automatically."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from orgs.models import Membership, Team

ORG_PREFIXES = ("o/<slug:slug>/", "api/v1/orgs/<slug:slug>/")


def _walk(patterns, prefix: str = ""):
    for p in patterns:
        route = prefix + _route(p)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield route


def _route(p) -> str:
    pattern = p.pattern
    if hasattr(pattern, "_route"):
        return str(pattern._route)
    regex = pattern.regex.pattern
    return regex.lstrip("^").rstrip("$").replace("\\Z", "")


def tenant_routes() -> list[str]:
    return sorted({r for r in _walk(get_resolver().url_patterns) if r.startswith(ORG_PREFIXES)})


def materialise(route: str, slug: str, object_id: int) -> str:
    url = route.replace("<slug:slug>", slug)
    url = re.sub(r"<int:[^>]+>", str(object_id), url)
    url = re.sub(r"<(str|slug|path):[^>]+>", "x", url)
    url = re.sub(r"\(\?P<[^>]+>[^)]*\)", str(object_id), url)  # regex routes (DRF routers)
    return "/" + url


def test_enumeration_finds_the_tenant_routes():
    routes = tenant_routes()
    assert "o/<slug:slug>/teams/" in routes
    assert any(r.startswith("api/v1/orgs/<slug:slug>/members") for r in routes)
    assert len(routes) >= 15


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_non_member_gets_404_on_every_tenant_url(method, world_a, world_b, outsider, client, api):
    """An outsider, and a member of A asking for B, get 404 everywhere under B —
    whatever the method and whatever object id, even ids that exist in B."""
    team_id = world_b.team.pk
    checked = 0
    for user in (outsider, world_a.admin):
        client.force_login(user)
        api_client = api(user)
        for route in tenant_routes():
            url = materialise(route, world_b.org.slug, team_id)
            c = api_client if url.startswith("/api/") else client
            response = getattr(c, method)(url)
            assert response.status_code == 404, f"{method.upper()} {url} as {user.email}: {response.status_code}"
            checked += 1
    assert checked >= 30


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_or_refused(world_a, client, api):
    for route in tenant_routes():
        url = materialise(route, world_a.org.slug, world_a.team.pk)
        if url.startswith("/api/"):
            assert api().get(url).status_code in (401, 403), url
        else:
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.django_db
def test_member_of_a_gets_404_for_b_objects_through_a_urls(world_a, world_b, web, api):
    """Another organisation's object id used under one's own organisation is a 404, like a missing id."""
    b_team = world_b.team.pk
    c = web(world_a.admin)
    assert c.get(f"/o/alpha/teams/{b_team}/edit/").status_code == 404
    assert c.post(f"/o/alpha/teams/{b_team}/delete/").status_code == 404
    assert c.get(f"/o/alpha/members/{world_b.member.pk}/").status_code == 404
    client = api(world_a.admin)
    assert client.get(f"/api/v1/orgs/alpha/teams/{b_team}/").status_code == 404
    assert client.patch(f"/api/v1/orgs/alpha/teams/{b_team}/", {"name": "x"}, format="json").status_code == 404
    assert client.delete(f"/api/v1/orgs/alpha/teams/{b_team}/").status_code == 404
    assert client.get(f"/api/v1/orgs/alpha/members/{world_b.member.pk}/").status_code == 404
    assert Team.objects.get(pk=b_team).name == "Marketing"


@pytest.mark.django_db
def test_foreign_ids_in_bodies_are_rejected(world_a, world_b, api):
    client = api(world_a.admin)
    r = client.post("/api/v1/orgs/alpha/teams/", {"name": "New", "parent": world_b.team.pk}, format="json")
    assert r.status_code == 400 and "parent" in r.json()["errors"]
    r = client.post("/api/v1/orgs/alpha/teams/", {"name": "New", "members": [world_b.member.pk]}, format="json")
    assert r.status_code == 400 and "members" in r.json()["errors"]
    r = client.patch(f"/api/v1/orgs/alpha/members/{world_a.member.pk}/", {"teams": [world_b.team.pk]}, format="json")
    assert r.status_code == 400 and "teams" in r.json()["errors"]
    assert not Team.objects.filter(organization=world_a.org, name="New").exists()


@pytest.mark.django_db
def test_viewer_cannot_write(world_a, web, api):
    client = api(world_a.viewer)
    assert client.get("/api/v1/orgs/alpha/teams/").status_code == 200
    assert client.post("/api/v1/orgs/alpha/teams/", {"name": "V"}, format="json").status_code == 403
    assert client.patch(f"/api/v1/orgs/alpha/teams/{world_a.team.pk}/", {"name": "V"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/orgs/alpha/teams/{world_a.team.pk}/").status_code == 403
    assert (
        client.post("/api/v1/orgs/alpha/members/", {"email": "v@x.test", "role": "member"}, format="json").status_code
        == 403
    )
    c = web(world_a.viewer)
    assert c.get("/o/alpha/teams/").status_code == 200
    assert c.post("/o/alpha/teams/new/", {"name": "V"}).status_code == 403
    assert c.post(f"/o/alpha/teams/{world_a.team.pk}/edit/", {"name": "V"}).status_code == 403
    assert c.post(f"/o/alpha/members/{world_a.member.pk}/", {"role": "admin"}).status_code == 403
    assert not Team.objects.filter(name="V").exists()


@pytest.mark.django_db
def test_manager_is_limited_to_their_teams(world_a, api, web):
    client = api(world_a.manager)
    # Their own team and its sub-team: allowed.
    r = client.patch(f"/api/v1/orgs/alpha/teams/{world_a.team.pk}/", {"name": "Brand"}, format="json")
    assert r.status_code == 200, r.json()
    r = client.post("/api/v1/orgs/alpha/teams/", {"name": "SEO", "parent": world_a.team.pk}, format="json")
    assert r.status_code == 201, r.json()
    r = client.patch(
        f"/api/v1/orgs/alpha/teams/{world_a.sub_team.pk}/", {"members": [world_a.member.pk]}, format="json"
    )
    assert r.status_code == 200
    # Another team, a top-level team, another person's role: refused.
    assert (
        client.patch(f"/api/v1/orgs/alpha/teams/{world_a.other_team.pk}/", {"name": "X"}, format="json").status_code
        == 403
    )
    assert client.post("/api/v1/orgs/alpha/teams/", {"name": "Top"}, format="json").status_code == 403
    assert (
        client.patch(
            f"/api/v1/orgs/alpha/teams/{world_a.team.pk}/", {"parent": world_a.other_team.pk}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.patch(f"/api/v1/orgs/alpha/members/{world_a.member.pk}/", {"role": "admin"}, format="json").status_code
        == 403
    )
    assert Membership.objects.get(organization=world_a.org, user=world_a.member).role == "member"
    c = web(world_a.manager)
    assert c.get(f"/o/alpha/teams/{world_a.other_team.pk}/edit/").status_code == 403
    assert c.get(f"/o/alpha/teams/{world_a.team.pk}/edit/").status_code == 200


@pytest.mark.django_db
def test_member_cannot_manage_teams(world_a, api):
    client = api(world_a.member)
    assert (
        client.patch(f"/api/v1/orgs/alpha/teams/{world_a.team.pk}/", {"name": "Mine"}, format="json").status_code == 403
    )


@pytest.mark.django_db
def test_user_in_two_organisations_switches_between_them(world_a, world_b, web):
    Membership.objects.create(organization=world_b.org, user=world_a.member, role="viewer")
    c = web(world_a.member)
    page = c.get("/o/alpha/").content.decode()
    assert "/o/beta/" in page  # the switcher lists the other organisation
    assert c.get("/o/beta/").status_code == 200
    assert c.get("/").headers["Location"] == "/o/beta/"  # home remembers the last organisation
    assert c.get("/o/alpha/").status_code == 200
    assert c.get("/").headers["Location"] == "/o/alpha/"
