"""The API under the production settings: its HTML (the browsable API) would need inline
styles that the content security policy refuses, so production answers JSON only, also
to a browser asking for HTML; the documentation page stays, with no inline style."""

from __future__ import annotations

import importlib
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
INLINE_STYLE = re.compile(r"""(\sstyle\s*=|<style[\s>])""", re.IGNORECASE)
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

# Run by the production settings themselves, in a process of its own: DRF fixes a view's
# renderers when it is first imported, so overriding the settings in this process proves nothing.
PROBE = """
import json, re, sys
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from orgs.models import User
call_command("migrate", verbosity=0)
call_command("create_org", "alpha", name="Alpha", admin_email="admin@alpha.test", admin_password="a long passphrase 7")
client = Client()
client.force_login(User.objects.get(email="admin@alpha.test"))
inline = re.compile(sys.argv[1], re.IGNORECASE)
for path, accept in json.loads(sys.argv[2]):
    r = client.get(path, secure=True, HTTP_HOST="okr.example.com", HTTP_ACCEPT=accept)
    print(json.dumps([r.status_code, r["Content-Type"], bool(inline.search(r.content.decode()))]))
"""


def test_production_answers_json_to_a_browser_on_api_urls(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="okrkpi.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        OKRKPI_VAR_DIR=str(tmp_path),
        ALLOWED_HOSTS="okr.example.com",
        PYTHONPATH=str(ROOT),
    )
    asks = [
        ("/api/v1/orgs/alpha/objectives/", "text/html"),
        ("/api/v1/orgs/alpha/objectives/", BROWSER),
        ("/api/v1/orgs/alpha/objectives/999999/", "text/html"),
        ("/api/v1/orgs/alpha/objectives/?format=api", "text/html"),
    ]
    run = subprocess.run(
        [sys.executable, "-c", PROBE, INLINE_STYLE.pattern, json.dumps(asks)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    answers = [tuple(json.loads(line)) for line in run.stdout.splitlines() if line.startswith("[")]
    assert answers == [
        (200, "application/json", False),  # a client asking for HTML only gets the JSON, not a 406
        (200, "application/json", False),  # a browser
        (404, "application/json", False),  # errors too
        (404, "application/json", False),  # the browsable API is not there to ask for
    ]


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
def test_production_keeps_the_api_docs_page_without_inline_style(world_a, web, production):
    client = web(world_a.member)
    with override_settings(
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
