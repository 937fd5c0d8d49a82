"""Shared fixtures: two organisations, each with an admin, a manager (of one
team), a member (in that team), a viewer, plus an outsider who belongs to
neither. Organisation B mirrors A so cross-tenant tests have real targets."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orgs.models import Membership, Organization, Role, Team, User
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory, TeamFactory, UserFactory, place

# No per-example deadline (shared machines are slow at times, which is not a
# bug); CI also fixes the seed so a run is repeatable, while local runs keep
# exploring new examples.
hypothesis_settings.register_profile("local", deadline=None)
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "local")


@dataclass
class OrgWorld:
    org: Organization
    admin: User
    manager: User
    member: User
    viewer: User
    team: Team  # managed by `manager`, `member` is in it
    sub_team: Team  # below `team`
    other_team: Team  # nobody manages it from this fixture


def _build(slug: str) -> OrgWorld:
    org = OrganizationFactory(slug=slug, name=slug.upper())
    users = {}
    for role in (Role.ADMIN, Role.MANAGER, Role.MEMBER, Role.VIEWER):
        user = UserFactory(email=f"{role}@{slug}.test", name=f"{role.label} {slug}")
        MembershipFactory(organization=org, user=user, role=role)
        users[role] = user
    team = TeamFactory(organization=org, name="Marketing")
    sub_team = TeamFactory(organization=org, name="Growth", parent=team)
    other_team = TeamFactory(organization=org, name="Finance")
    place(team, users[Role.MANAGER], manager=True)
    place(team, users[Role.MEMBER])
    return OrgWorld(
        org,
        users[Role.ADMIN],
        users[Role.MANAGER],
        users[Role.MEMBER],
        users[Role.VIEWER],
        team,
        sub_team,
        other_team,
    )


@pytest.fixture
def pin_now(monkeypatch):
    """Pins ``django.utils.timezone.now`` — and with it every organisation's ``today()`` — to a
    moment: ``pin_now(datetime(2026, 12, 1, 10, tzinfo=UTC))``. For pages and API calls whose
    answer depends on the day, next to data written for a fixed date."""
    from django.utils import timezone

    def pin(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return pin


@pytest.fixture(autouse=True)
def _redis_presumed_up(monkeypatch):
    """A test that pointed the fast cache at a dead Redis leaves it skipped for some seconds in
    that process; every test starts with the fast cache willing to try."""
    from core import broker, fastcache
    from orgs import throttle

    monkeypatch.setattr(fastcache, "_down_until", 0.0)
    monkeypatch.setattr(throttle, "_down_until", 0.0)  # the login throttle's fail-over to the database
    # Likewise a test whose publish failed leaves the broker skipped (core.broker).
    monkeypatch.setattr(broker, "_down_until", 0.0)


@pytest.fixture(autouse=True)
def _english():
    """Every test starts in English: a Vietnamese request must not leak into the next test."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def world_a(db) -> OrgWorld:
    return _build("alpha")


@pytest.fixture
def world_b(db) -> OrgWorld:
    return _build("beta")


@pytest.fixture
def outsider(db) -> User:
    return UserFactory(email="outsider@example.test", name="Outsider")


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def api():
    """An API client factory: api(user) is authenticated with that user's token."""

    def make(user: User | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def web(client):
    """A logged-in Django test client: web(user)."""

    def make(user: User):
        client.force_login(user)
        return client

    return make


def services_required() -> bool:
    return os.environ.get("OKRKPI_REQUIRE_SERVICES") == "1"


@pytest.fixture
def redis_url() -> str:
    """A real Redis (REDIS_URL or the local default). CI requires it; elsewhere
    the test is skipped with the reason when Redis is not running."""
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if services_required():
            pytest.fail(f"Redis is required but unreachable at {url}: {exc}")
        pytest.skip(f"Redis not running at {url}")
    return url


def pytest_unconfigure(config: pytest.Config) -> None:
    """One line at the very end of the run when browser tests were skipped, with the reason."""
    terminalreporter = config.pluginmanager.get_plugin("terminalreporter")
    if terminalreporter is None:
        return
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "tests/e2e/" in str(r.nodeid or r.location)]
    if skipped:
        reasons = sorted(
            {str(r.longrepr[2]).removeprefix("Skipped: ") for r in skipped if isinstance(r.longrepr, tuple)}
        )
        terminalreporter.write_line(
            f"Browser tests skipped ({len(skipped)}): {'; '.join(reasons) or 'no reason given'} "
            "- install Debian's chromium and chromium-driver (make test does it when run as root).",
            yellow=True,
            bold=True,
        )


__all__ = ["Membership"]
