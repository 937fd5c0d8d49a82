"""The API under the production settings: its HTML (the browsable API) would need inline
styles that the content security policy refuses, so production answers JSON only, also
to a browser asking for HTML; the documentation page stays, with no inline style."""

from __future__ import annotations

import importlib
import re
import secrets
import sys

import pytest
from django.test import override_settings

INLINE_STYLE = re.compile(r"""(\sstyle\s*=|<style[\s>])""", re.IGNORECASE)
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def production(monkeypatch):
    """The production settings module, read with production-like variables (the running
    settings stay the test's: the test overrides what it tries)."""
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(64))
    monkeypatch.delitem(sys.modules, "okrkpi.settings.production", raising=False)
    module = importlib.import_module("okrkpi.settings.production")
    yield module
    sys.modules.pop("okrkpi.settings.production", None)


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["text/html", BROWSER])
def test_production_answers_json_to_a_browser_on_api_urls(world_a, web, production, accept):
    client = web(world_a.member)
    with override_settings(
        REST_FRAMEWORK=production.REST_FRAMEWORK, CONTENT_SECURITY_POLICY=production.CONTENT_SECURITY_POLICY
    ):
        r = client.get("/api/v1/orgs/alpha/objectives/", HTTP_ACCEPT=accept)
        assert r.status_code == 200 and r["Content-Type"] == "application/json"
        assert "results" in r.json()
        assert not INLINE_STYLE.search(r.content.decode())
        # Errors too are JSON, never an HTML page.
        r = client.get("/api/v1/orgs/alpha/objectives/999999/", HTTP_ACCEPT=accept)
        assert r.status_code == 404 and r["Content-Type"] == "application/json"
        # The browsable API is not there to ask for.
        assert client.get("/api/v1/orgs/alpha/objectives/?format=api").status_code == 404


@pytest.mark.django_db
def test_production_keeps_the_api_docs_page_without_inline_style(world_a, web, production):
    client = web(world_a.member)
    with override_settings(
        REST_FRAMEWORK=production.REST_FRAMEWORK,
        CONTENT_SECURITY_POLICY=production.CONTENT_SECURITY_POLICY,
        API_DOCS_REQUIRE_LOGIN=production.API_DOCS_REQUIRE_LOGIN,
    ):
        page = client.get("/api/v1/docs/")
        assert page.status_code == 200 and "swagger" in page.content.decode().lower()
        assert not INLINE_STYLE.search(page.content.decode())
        assert "unsafe-inline" not in page["Content-Security-Policy"]
        assert client.get("/api/v1/docs/?script=").status_code == 200
        schema = client.get("/api/v1/schema/?format=json")
        assert schema.status_code == 200 and schema.json()["openapi"]
