"""The login page asks for the e-mail first: an address of a single sign-on domain goes to its
provider; any other gets the password step, with or without JavaScript."""

from __future__ import annotations

import re

from tests.identity.conftest import configure


def _password_block(html: str) -> str:
    match = re.search(r'<div class="field field-password" id="password-step"[^>]*>', html)
    assert match, html
    return match.group(0)


def test_the_page_opens_on_the_email_step_with_the_password_hidden(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert 'name="username"' in html and 'name="step" value="email"' in html
    assert " hidden" in _password_block(html)
    assert 'hx-post="/accounts/login/"' in html and ">Continue</button>" in html


def test_a_first_submit_without_javascript_shows_the_password_and_keeps_the_email(world_b, client):
    r = client.post("/accounts/login/", {"username": world_b.member.email, "step": "email"})
    html = r.content.decode()
    assert r.status_code == 200 and f'value="{world_b.member.email}"' in html
    assert " hidden" not in _password_block(html) and 'name="step" value="password"' in html
    assert "Enter your password" not in html and "hx-post" not in html and "sso/login" not in html
    assert not r.wsgi_request.user.is_authenticated


def test_the_password_step_then_logs_in(world_b, client, password):
    r = client.post("/accounts/login/", {"username": world_b.member.email, "password": password, "step": "password"})
    assert r.status_code == 302 and r.wsgi_request.user == world_b.member


def test_a_wrong_or_empty_password_stays_on_the_password_step(world_b, client):
    for typed in ("wrong", ""):
        r = client.post("/accounts/login/", {"username": world_b.member.email, "password": typed, "step": "password"})
        html = r.content.decode()
        assert r.status_code == 200 and " hidden" not in _password_block(html)
        assert f'value="{world_b.member.email}"' in html
        assert 'class="error-text"' in html or 'class="form-errors"' in html


def test_an_sso_domain_at_the_email_step_goes_to_the_provider(world_a, idp, client):
    configure(world_a.org, world_a.admin, idp)
    r = client.post("/accounts/login/", {"username": "someone@alpha.test", "step": "email"})
    assert r.status_code == 200 and b'href="/o/alpha/sso/login/"' in r.content
    # In place with htmx: the browser is told where to go.
    data = {"username": "someone@alpha.test", "step": "email", "next": "/o/alpha/"}
    r = client.post("/accounts/login/", data, HTTP_HX_REQUEST="true")
    assert r["HX-Redirect"] == "/o/alpha/sso/login/?next=%2Fo%2Falpha%2F"


def test_htmx_email_step_answers_the_password_step_in_place(world_b, client):
    r = client.post("/accounts/login/", {"username": world_b.member.email, "step": "email"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and 'id="login-form"' in html and " hidden" not in _password_block(html)
    assert "HX-Redirect" not in r
