"""Errors on API addresses are JSON in the API's one format, never an HTML page: an unknown
address, a method the resource does not take, a crash, a refused CSRF token. Pages keep
Django's own error pages."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from objectives import api as objectives_api


def _is_api_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) == {"message", "errors"} and body["message"]
    return body


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here/", "/api/v1/orgs/alpha/no-such-resource/", "/api/", "/api/v2/orgs/alpha/"]
)
def test_an_unknown_api_address_is_a_json_404(world_a, api, path):
    _is_api_error(api(world_a.member).get(path), 404)
    _is_api_error(api().post(path, {}, format="json"), 404)


def test_a_method_the_resource_does_not_take_is_a_json_405(world_a, api):
    client = api(world_a.member)
    _is_api_error(client.put("/api/v1/orgs/alpha/check-ins/", {}, format="json"), 405)
    _is_api_error(client.delete("/api/v1/orgs/alpha/check-ins/1/"), 405)


def test_a_crash_on_the_api_is_a_json_500_without_details(world_a, api, monkeypatch):
    def crash(self, qs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(objectives_api.CheckInViewSet, "refine_queryset", crash)
    client = api(world_a.member)
    client.raise_request_exception = False
    body = _is_api_error(client.get("/api/v1/orgs/alpha/check-ins/"), 500)
    assert "secret" not in body["message"]


def test_a_session_post_without_its_csrf_token_is_a_json_403(world_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world_a.member)
    r = client.post("/api/v1/orgs/alpha/check-ins/", {"key_result": 1, "value": 1, "confidence": 5})
    body = _is_api_error(r, 403)
    assert "CSRF" in body["message"]


def test_the_csrf_failure_view_answers_json_under_api_and_html_elsewhere(rf):
    from core.errors import csrf_failure

    r = csrf_failure(rf.post("/api/v1/auth/token/"), reason="CSRF cookie not set.")
    _is_api_error(r, 403)
    page = csrf_failure(rf.post("/accounts/login/"), reason="CSRF cookie not set.")
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")


def test_pages_keep_their_html_error_pages(world_a, client):
    client.force_login(world_a.member)
    r = client.get("/o/alpha/no-such-page/")
    assert r.status_code == 404 and r["Content-Type"].startswith("text/html")
