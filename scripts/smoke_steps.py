"""The production smoke test's side of the user: a browser behind a TLS proxy, the checks
it makes, and the steps of the test over HTTP once the deployment runs (see
``scripts/smoke_production.py``, which reads the deployment's commands, starts them and
calls these steps in order).
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    from smoke_production import Processes

ADMIN_EMAIL = "smoke-admin@example.test"
ADMIN_PASSWORD = "smoke-" + secrets.token_urlsafe(12)


class SmokeFailure(Exception):
    pass


# --- a browser and its checks --------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> object:
        return json.loads(self.body)


class Browser:
    """Just enough of a browser behind a TLS-terminating proxy: cookies (Secure
    ones included, as the proxy speaks HTTPS to the real browser), no redirects
    followed, every request marked ``X-Forwarded-Proto: https``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict | None = None,
        json_body: object = None,
        headers: dict | None = None,
        https: bool = True,
        cookies: bool = True,
    ) -> Response:
        all_headers = {"Accept-Language": "en"}
        if https:
            all_headers["X-Forwarded-Proto"] = "https"
        if cookies and self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        if cookies and method == "POST" and "csrftoken" in self.cookies:
            all_headers.update({"Origin": self.origin, "Referer": self.origin + path})
        all_headers.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=all_headers)
            raw = conn.getresponse()
            response = Response(raw.status, raw.headers, raw.read())
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.set_cookie_headers.append(header)
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def expect_status(response: Response, status: int, what: str) -> Response:
    expect(response.status == status, f"{what}: expected {status}, got {response.status}: {response.text[:800]}")
    return response


def wait_until(what: str, check, timeout: float, procs: Processes, interval: float = 0.5):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        procs.check_alive()
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise SmokeFailure(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


SECURITY_HEADERS = {
    "Strict-Transport-Security": r"max-age=\d{7,}",
    "X-Content-Type-Options": r"^nosniff$",
    "X-Frame-Options": r"^DENY$",
    "Referrer-Policy": r"same-origin",
    "Cross-Origin-Opener-Policy": r"^same-origin$",
}


CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
}


def check_security_headers(response: Response, what: str) -> None:
    for name, pattern in SECURITY_HEADERS.items():
        value = response.headers.get(name) or ""
        expect(re.search(pattern, value) is not None, f"{what}: header {name} is {value!r}, expected /{pattern}/")
    policy = response.headers.get("Content-Security-Policy") or ""
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip())
    for directive, value in CSP_DIRECTIVES.items():
        expect(directives.get(directive) == value, f"{what}: CSP {directive} is {directives.get(directive)!r}")


def static_urls(html: str) -> list[str]:
    return sorted(set(re.findall(r"""(?:src|href)="(/static/[^"?#]+)""", html)))


def check_static(browser: Browser, html: str, what: str) -> None:
    urls = static_urls(html)
    expect(urls != [], f"{what} references no static file")
    for url in urls:
        expect(re.search(r"\.[0-9a-f]{12}\.", url) is not None, f"{what}: {url} is not a hashed (manifest) name")
        expect_status(browser.request("GET", url), 200, f"static file {url} of {what}")


# --- the steps, in the order the smoke test takes them -------------------------------------


def check_health(browser: Browser, procs: Processes, *, commands: dict[str, list[str]], env: dict[str, str]) -> None:
    """gunicorn answers /healthz, compose's health check passes, the database and the broker are up."""

    def up() -> bool:
        try:
            return browser.request("GET", "/healthz", https=False).status == 200
        except OSError:
            return False

    wait_until("gunicorn to answer /healthz", up, 60, procs)
    procs.run("web healthcheck (compose)", commands["web_health"], env, timeout=30)
    health = expect_status(browser.request("GET", "/healthz", https=False), 200, "/healthz").json()
    expect(health["database"] == {"ok": True, "vendor": "postgresql"}, f"/healthz database: {health}")
    expect(health["broker"].get("ok") is True and health["broker"]["kind"] == "redis", f"/healthz broker: {health}")


def check_https_redirect(browser: Browser) -> None:
    """Plain HTTP is sent to HTTPS; the health check is exempt (``check_health``)."""
    plain = browser.request("GET", "/accounts/login/", https=False)
    expect(plain.status == 301, f"plain HTTP login page: expected 301 to HTTPS, got {plain.status}")
    expect((plain.headers.get("Location") or "").startswith("https://"), "the redirect does not go to https://")


def log_in(browser: Browser) -> None:
    """Log in with the form (a wrong password refused first); the cookies are Secure."""
    page = expect_status(browser.request("GET", "/accounts/login/"), 200, "login page")
    check_security_headers(page, "login page")
    check_static(browser, page.text, "login page")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    expect(token is not None, "no CSRF token in the login form")
    wrong = browser.request(
        "POST",
        "/accounts/login/",
        form={"csrfmiddlewaretoken": token.group(1), "username": ADMIN_EMAIL, "password": "wrong-password"},
    )
    expect(wrong.status == 200 and "Wrong e-mail or password" in wrong.text, "a wrong password was not refused")
    response = browser.request(
        "POST",
        "/accounts/login/",
        form={"csrfmiddlewaretoken": token.group(1), "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
    )
    expect_status(response, 302, "login")
    session_cookies = [h for h in browser.set_cookie_headers if h.startswith("sessionid=")]
    expect(session_cookies != [], "no session cookie after login")
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax"):
        expect(attribute.lower() in session_cookies[-1].lower(), f"session cookie lacks {attribute}")
    csrf_cookies = [h for h in browser.set_cookie_headers if h.startswith("csrftoken=")]
    expect(csrf_cookies != [] and "secure" in csrf_cookies[-1].lower(), "CSRF cookie is not Secure")


class Api:
    """The smoke organisation's API, with a token (no cookies)."""

    base = "/api/v1/orgs/smoke"

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        token = expect_status(
            browser.request(
                "POST",
                "/api/v1/auth/token/",
                json_body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
                cookies=False,
            ),
            200,
            "API token",
        ).json()["token"]
        self.auth = {"Authorization": f"Token {token}"}

    def get(self, path: str) -> Response:
        return self.browser.request("GET", self.base + path, headers=self.auth, cookies=False)

    def post(self, path: str, body: dict, what: str) -> dict:
        return expect_status(
            self.browser.request("POST", self.base + path, json_body=body, headers=self.auth, cookies=False), 201, what
        ).json()


def create_okrs(api: Api) -> tuple[dict, list[dict]]:
    """Data through the API: a cycle, an objective and two key results; (objective, key results)."""
    cycle = api.post(
        "/cycles/",
        {"name": "Smoke quarter", "start_date": "2026-01-01", "end_date": "2026-12-31", "status": "active"},
        "create a cycle",
    )
    objective = api.post(
        "/objectives/",
        {"cycle": cycle["id"], "title": "Delight our customers", "owner_type": "company"},
        "create an objective",
    )
    me = expect_status(api.get("/members/"), 200, "members").json()["results"][0]
    krs = [
        api.post(
            "/key-results/",
            {
                "objective": objective["id"],
                "title": title,
                "owner": me["id"],
                "kind": "number",
                "start_value": 0,
                "target_value": 100,
            },
            "create a key result",
        )
        for title in ("Net promoter score", "Answered tickets")
    ]
    return objective, krs


def check_pages(browser: Browser, objective: dict) -> None:
    """Pages: the dashboard, the objective and the API docs, with their static files; the
    schema only with a login; a 404 without debug information."""
    dashboard = expect_status(browser.request("GET", "/o/smoke/"), 200, "dashboard")
    expect("Smoke Test Co" in dashboard.text, "the dashboard does not show the organisation")
    check_security_headers(dashboard, "dashboard")
    check_static(browser, dashboard.text, "dashboard")
    detail = expect_status(browser.request("GET", f"/o/smoke/okrs/{objective['id']}/"), 200, "objective page")
    expect("Delight our customers" in detail.text and "Net promoter score" in detail.text, "objective page content")
    check_static(browser, detail.text, "objective page")
    docs = expect_status(browser.request("GET", "/api/v1/docs/"), 200, "API docs")
    check_static(browser, docs.text, "API docs")
    schema = expect_status(browser.request("GET", "/api/v1/schema/"), 200, "API schema")
    anonymous = browser.request("GET", "/api/v1/schema/", cookies=False)
    expect(anonymous.status in (401, 403), f"the API schema answers {anonymous.status} without a login")
    expect(b"/api/v1/orgs/{slug}/objectives/" in schema.body, "the schema lacks the objectives resource")
    missing = browser.request("GET", "/no-such-page/")
    expect(missing.status == 404 and "URLconf" not in missing.text, "404 page shows debug information")


def check_roll_up(
    api: Api, objective: dict, krs: list[dict], procs: Processes, *, commands: dict[str, list[str]], env: dict[str, str]
) -> None:
    """A check-in; the worker rolls it up (ROLLUP_INLINE is off in production), and
    compose's worker health check passes."""
    check_in = api.post("/check-ins/", {"key_result": krs[0]["id"], "value": 50, "confidence": 8}, "check-in")
    expect(check_in["value"] == 50, f"check-in body: {check_in}")

    def rolled_up() -> bool:
        body = api.get(f"/objectives/{objective['id']}/").json()
        return abs(body["progress"] - 0.25) < 1e-9

    wait_until("the worker to roll the check-in up (objective progress 0.25)", rolled_up, 60, procs)
    expect("objectives.rollup_objective" in procs.log("worker"), "the worker's log shows no rollup task")
    procs.run("worker healthcheck (compose)", commands["worker_health"], env, timeout=60)


def check_heartbeat(browser: Browser, procs: Processes) -> None:
    """Beat schedules the heartbeat every minute; the worker runs it."""

    def heartbeat() -> bool:
        body = browser.request("GET", "/healthz", https=False).json()
        return body.get("worker_heartbeat") is not None

    wait_until("beat's heartbeat, run by the worker, on /healthz", heartbeat, 150, procs, interval=3)
