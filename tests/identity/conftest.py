"""Fixtures of the identity tests: the local OpenID Connect provider (tests/identity/provider.py)
and organisations that log in through it."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import requests

from identity.services.sso import sso_configure
from tests.identity.provider import CLIENT_SECRET, Provider, Running, new_key

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def rsa_keys():
    """Keys made once: the provider's, its next one (rotation), one never published, and a
    forger's (with the provider's key id)."""
    return {"k1": new_key("k1"), "k2": new_key("k2"), "k3": new_key("k3"), "forger": new_key("k1")}


@pytest.fixture
def idp(rsa_keys, pin_now):
    pin_now(NOW)
    provider = Provider(now=NOW.timestamp(), keys=[rsa_keys["k1"]])
    running = Running(provider)
    yield provider
    running.stop()


@pytest.fixture
def idp_b(rsa_keys):
    """A second, separate provider (organisation B's)."""
    provider = Provider(now=NOW.timestamp(), keys=[rsa_keys["k2"]], client_id="okrkpi-b")
    running = Running(provider)
    yield provider
    running.stop()


def configure(org, admin, provider, **extra):
    values = {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "client_secret": CLIENT_SECRET,
        "domains": [f"{org.slug}.test"],
        "role_mapping": {"okr-admins": "admin", "okr-managers": "manager"},
        **extra,
    }
    return sso_configure(org=org, actor=admin, request=None, **values)


def sso_login(client, slug: str, provider: Provider, *, claims=None, next_url: str | None = None):
    """The whole browser round trip: our login URL → the provider's authorize → our callback.
    Returns the callback's response."""
    if claims is not None:
        provider.claims = claims
    start = client.get(f"/o/{slug}/sso/login/" + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302, start.content[:300]
    answer = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")
