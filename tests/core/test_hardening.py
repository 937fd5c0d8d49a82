"""Hardening: API tokens die with the password, the API schema and docs can ask
for a login (on in production), and the content security policy allows no
inline style, so no template or script may carry one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings
from rest_framework.authtoken.models import Token

ROOT = Path(__file__).resolve().parents[2]


def _token_works(api, token: str) -> bool:
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/api/v1/orgs/alpha/cycles/").status_code == 200


@pytest.mark.django_db
def test_a_password_reset_revokes_the_api_tokens(world_a, client, api):
    token = Token.objects.create(user=world_a.member).key
    assert _token_works(api, token)
    client.post("/accounts/password-reset/", {"email": "member@alpha.test"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    r = client.post(
        form.redirect_chain[-1][0], {"new_password1": "brand-new-passphrase", "new_password2": "brand-new-passphrase"}
    )
    assert r.status_code == 302
    assert not Token.objects.filter(user=world_a.member).exists()
    assert not _token_works(api, token)


@pytest.mark.django_db
def test_a_password_change_revokes_the_api_tokens_and_only_that_users(world_a, web, api, password):
    mine = Token.objects.create(user=world_a.member).key
    theirs = Token.objects.create(user=world_a.admin).key
    r = web(world_a.member).post(
        "/accounts/password/",
        {"old_password": password, "new_password1": "brand-new-passphrase", "new_password2": "brand-new-passphrase"},
    )
    assert r.status_code == 302
    assert not _token_works(api, mine)
    assert _token_works(api, theirs)


@pytest.mark.django_db
def test_a_failed_password_change_keeps_the_tokens(world_a, web, api):
    mine = Token.objects.create(user=world_a.member).key
    r = web(world_a.member).post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": "brand-new-passphrase", "new_password2": "brand-new-passphrase"},
    )
    assert r.status_code == 200
    assert _token_works(api, mine)


@pytest.mark.django_db
@override_settings(API_DOCS_REQUIRE_LOGIN=True)
def test_the_schema_and_docs_ask_for_a_login_when_configured(world_a, client, web):
    assert client.get("/api/v1/schema/").status_code in (401, 403)
    r = client.get("/api/v1/docs/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/?next=/api/v1/docs/")
    signed_in = web(world_a.viewer)
    assert signed_in.get("/api/v1/schema/").status_code == 200
    page = signed_in.get("/api/v1/docs/")
    assert page.status_code == 200 and "<script>" not in page.content.decode()  # the script is a file
    assert signed_in.get("/api/v1/docs/?script=").status_code == 200


@pytest.mark.django_db
def test_the_schema_and_docs_are_public_where_not_configured(client):
    assert client.get("/api/v1/schema/").status_code == 200
    assert client.get("/api/v1/docs/").status_code == 200


def test_production_asks_for_a_login_on_the_docs_by_default():
    probe = "from django.conf import settings; print(settings.API_DOCS_REQUIRE_LOGIN, settings.ADMIN_ENABLED)"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "okrkpi.settings.production",
        "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
    }
    env.pop("API_DOCS_REQUIRE_LOGIN", None)
    env.pop("ADMIN_ENABLED", None)
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {probe}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["True", "False"]


# --- no inline style ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_content_security_policy_allows_no_inline_style_or_script(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["style-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy


INLINE_STYLE = re.compile(r"""(\sstyle\s*=|<style[\s>])""", re.IGNORECASE)


def test_no_template_carries_an_inline_style():
    # E-mails (templates/**/email/) are not pages: no CSP applies, and mail clients
    # only read styles that travel inside the message.
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "templates").rglob("*.html")
        if "email" not in path.relative_to(ROOT).parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if INLINE_STYLE.search(line)
    ]
    assert offenders == []


def test_no_script_of_ours_writes_a_style_attribute_or_element():
    # Setting element.style.x from a script file is allowed by the CSP; a style
    # attribute in markup or a <style> element is not.
    pattern = re.compile(r"""setAttribute\(\s*["']style|createElement\(\s*["']style|style\s*=\s*\\?["']|cssText""")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "static" / "js").rglob("*.js")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
