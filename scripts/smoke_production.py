#!/usr/bin/env python3
"""Production smoke test: run the deployment exactly as docker-compose.yml and
the Dockerfile describe it, against PostgreSQL and Redis, and use it over HTTP.

The commands are not written here: they are read from the Dockerfile (the
build's collectstatic) and docker-compose.yml (migrate + gunicorn for `web`,
the Celery `worker`, the Celery `beat`, and their health checks), and only
these substitutions are made so they run on this machine:

* ``python`` / ``gunicorn`` / ``celery`` -> the same programs of this virtualenv,
* ``0.0.0.0:8000`` and ``127.0.0.1:8000`` -> ``127.0.0.1:<a free port>``,
* ``/app/var`` -> a temporary folder, ``$HOSTNAME`` -> this machine's name,
* the environment is compose's (defaults of ``${VAR:-default}`` kept) except
  the database (``okrkpi_smoke``, dropped and recreated), Redis (DB 12),
  a random SECRET_KEY, ``SECURE_SSL_REDIRECT=true`` and local hosts.

Then, over HTTP with ``X-Forwarded-Proto: https`` (as behind a TLS proxy): log
in, load the dashboard, an objective and the API docs (and the static files
they reference), post a check-in through the API and wait for the worker to
roll it up, wait for beat's heartbeat through the worker, and check the
security headers. Any failure exits non-zero with the processes' logs; the
processes are stopped in every case.

    .venv/bin/python scripts/smoke_production.py [--keep-database]

Environment: SMOKE_POSTGRES_URL (server to create the database on, default
postgresql://postgres@127.0.0.1:5432/postgres), SMOKE_DATABASE (okrkpi_smoke),
SMOKE_REDIS_URL (redis://127.0.0.1:6379/12).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlparse

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONTAINER_VAR = "/app/var"
CONTAINER_PORT = "8000"
ADMIN_EMAIL = "smoke-admin@example.test"
ADMIN_PASSWORD = "smoke-" + secrets.token_urlsafe(12)


class SmokeFailure(Exception):
    pass


# --- the deployment's commands, read from the Dockerfile and docker-compose.yml -----------


def _dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def deployment_commands(root: Path = ROOT) -> dict[str, list[str]]:
    """Every command the deployment runs, as argv lists, keyed by role:
    collectstatic (Dockerfile build), image_cmd (Dockerfile CMD), migrate and
    web (compose `web`), worker, beat, and the web and worker health checks."""
    instructions = _dockerfile_instructions((root / "Dockerfile").read_text())
    commands: dict[str, list[str]] = {}
    for word, rest in instructions:
        if word == "RUN" and "manage.py collectstatic" in rest:
            for part in rest.split("&&"):
                found = re.search(r"(python manage\.py collectstatic.*)$", part.strip())
                if found:
                    commands["collectstatic"] = shlex.split(found.group(1))
        if word == "CMD":
            commands["image_cmd"] = json.loads(rest)
    compose = yaml.safe_load((root / "docker-compose.yml").read_text())
    services = compose["services"]
    web = shlex.split(services["web"]["command"])
    if web[:2] != ["sh", "-c"] or len(web) != 3:
        raise SmokeFailure(f"unexpected web command in docker-compose.yml: {services['web']['command']!r}")
    steps = [shlex.split(step) for step in web[2].split("&&")]
    if len(steps) != 2:
        raise SmokeFailure("docker-compose.yml's web command should be: migrate && gunicorn")
    commands["migrate"], commands["web"] = steps
    commands["worker"] = shlex.split(services["worker"]["command"])
    commands["beat"] = shlex.split(services["beat"]["command"])
    commands["web_health"] = list(services["web"]["healthcheck"]["test"][1:])
    worker_health = services["worker"]["healthcheck"]["test"]
    commands["worker_health"] = ["sh", "-c", worker_health[1].replace("$$", "$")]
    missing = {"collectstatic", "image_cmd"} - set(commands)
    if missing:
        raise SmokeFailure(f"the Dockerfile no longer has: {', '.join(sorted(missing))}")
    return commands


def compose_environment(root: Path = ROOT) -> dict[str, str]:
    """The app containers' environment from docker-compose.yml, with ``${VAR:-default}`` at its default."""
    compose = yaml.safe_load((root / "docker-compose.yml").read_text())
    env = {}
    for name, value in compose["services"]["web"]["environment"].items():
        env[name] = re.sub(r"\$\{[A-Z_]+:?-([^}]*)\}", r"\1", str(value))
    return env


def localise(argv: list[str], *, bin_dir: Path, var_dir: Path, port: int) -> list[str]:
    """The substitutions listed in the module docstring, nothing else."""
    programs = {
        "python": str(bin_dir / "python"),
        "gunicorn": str(bin_dir / "gunicorn"),
        "celery": str(bin_dir / "celery"),
    }
    out = []
    for i, arg in enumerate(argv):
        if i == 0 and arg in programs:
            arg = programs[arg]
        arg = arg.replace(f"0.0.0.0:{CONTAINER_PORT}", f"127.0.0.1:{port}")
        arg = arg.replace(f"127.0.0.1:{CONTAINER_PORT}", f"127.0.0.1:{port}")
        arg = arg.replace(CONTAINER_VAR, str(var_dir))
        arg = re.sub(r"^celery ", f"{bin_dir / 'celery'} ", arg)
        out.append(arg)
    return out


def plan(*, bin_dir: Path, var_dir: Path, port: int, root: Path = ROOT) -> dict[str, list[str]]:
    """What this smoke test runs: the deployment's commands, localised."""
    return {
        role: localise(argv, bin_dir=bin_dir, var_dir=var_dir, port=port)
        for role, argv in deployment_commands(root).items()
        if role != "image_cmd"
    }


# --- processes -----------------------------------------------------------------------------


@dataclass
class Processes:
    log_dir: Path
    running: dict[str, subprocess.Popen] = field(default_factory=dict)

    def run(self, name: str, argv: list[str], env: dict[str, str], timeout: float = 300) -> str:
        print(f"--> {name}: {shlex.join(argv)}", flush=True)
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)  # noqa: S603
        (self.log_dir / f"{name}.log").write_text(done.stdout + done.stderr)
        if done.returncode != 0:
            raise SmokeFailure(f"{name} exited {done.returncode}:\n{(done.stdout + done.stderr)[-3000:]}")
        return done.stdout

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        print(f"--> start {name}: {shlex.join(argv)}", flush=True)
        log = open(self.log_dir / f"{name}.log", "w")  # noqa: SIM115 — closed with the process
        self.running[name] = subprocess.Popen(  # noqa: S603 — commands from the repository's deployment files
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def check_alive(self) -> None:
        for name, proc in self.running.items():
            if proc.poll() is not None:
                raise SmokeFailure(f"{name} exited early with {proc.returncode}")

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        for proc in self.running.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, proc in self.running.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop in time; killing it", flush=True)
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# --- HTTP ----------------------------------------------------------------------------------


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


# --- the smoke test ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recreate_database(server_url: str, name: str) -> None:
    import psycopg

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SmokeFailure(f"unsafe database name {name!r}")
    with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()


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


def smoke(procs: Processes, *, port: int, env: dict[str, str], commands: dict[str, list[str]]) -> None:
    procs.run("collectstatic", commands["collectstatic"], env)
    procs.run("migrate", commands["migrate"], env)
    procs.run(
        "create_org",
        [
            commands["migrate"][0],
            "manage.py",
            "create_org",
            "smoke",
            "--name",
            "Smoke Test Co",
            "--admin-email",
            ADMIN_EMAIL,
            "--admin-password",
            ADMIN_PASSWORD,
        ],
        env,
    )
    procs.start("web", commands["web"], env)
    procs.start("worker", commands["worker"], env)
    procs.start("beat", commands["beat"], env)

    browser = Browser(port)

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

    # Plain HTTP is sent to HTTPS; the health check is exempt (above).
    plain = browser.request("GET", "/accounts/login/", https=False)
    expect(plain.status == 301, f"plain HTTP login page: expected 301 to HTTPS, got {plain.status}")
    expect((plain.headers.get("Location") or "").startswith("https://"), "the redirect does not go to https://")

    # Log in with the form.
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

    # Data through the API, with a token.
    api_token = expect_status(
        browser.request(
            "POST",
            "/api/v1/auth/token/",
            json_body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            cookies=False,
        ),
        200,
        "API token",
    ).json()["token"]
    auth = {"Authorization": f"Token {api_token}"}
    api = "/api/v1/orgs/smoke"

    def post(path: str, body: dict, what: str) -> dict:
        return expect_status(
            browser.request("POST", api + path, json_body=body, headers=auth, cookies=False), 201, what
        ).json()

    cycle = post(
        "/cycles/",
        {"name": "Smoke quarter", "start_date": "2026-01-01", "end_date": "2026-12-31", "status": "active"},
        "create a cycle",
    )
    objective = post(
        "/objectives/",
        {"cycle": cycle["id"], "title": "Delight our customers", "owner_type": "company"},
        "create an objective",
    )
    me = expect_status(browser.request("GET", api + "/members/", headers=auth, cookies=False), 200, "members").json()[
        "results"
    ][0]
    krs = [
        post(
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

    # Pages: dashboard and the objective, with their static files.
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

    # A check-in; the worker rolls it up (ROLLUP_INLINE is off in production).
    check_in = post("/check-ins/", {"key_result": krs[0]["id"], "value": 50, "confidence": 8}, "check-in")
    expect(check_in["value"] == 50, f"check-in body: {check_in}")

    def rolled_up() -> bool:
        body = browser.request("GET", f"{api}/objectives/{objective['id']}/", headers=auth, cookies=False).json()
        return abs(body["progress"] - 0.25) < 1e-9

    wait_until("the worker to roll the check-in up (objective progress 0.25)", rolled_up, 60, procs)
    expect("objectives.rollup_objective" in procs.log("worker"), "the worker's log shows no rollup task")
    procs.run("worker healthcheck (compose)", commands["worker_health"], env, timeout=60)

    # Beat schedules the heartbeat every minute; the worker runs it.
    def heartbeat() -> bool:
        body = browser.request("GET", "/healthz", https=False).json()
        return body.get("worker_heartbeat") is not None

    wait_until("beat's heartbeat, run by the worker, on /healthz", heartbeat, 150, procs, interval=3)
    procs.check_alive()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep-database", action="store_true", help="leave the smoke database for inspection")
    args = parser.parse_args()

    server_url = os.environ.get("SMOKE_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    db_name = os.environ.get("SMOKE_DATABASE", "okrkpi_smoke")
    redis_url = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/12")
    database_url = urlparse(server_url)._replace(path=f"/{db_name}").geturl()
    port = free_port()
    var_dir = Path(tempfile.mkdtemp(prefix="okrkpi-smoke-"))
    bin_dir = Path(sys.executable).parent
    commands = plan(bin_dir=bin_dir, var_dir=var_dir, port=port)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "OKRKPI_", "CELERY_"))}
    env.update(compose_environment())
    env.update(
        SECRET_KEY=secrets.token_urlsafe(64),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="true",
        SITE_URL=f"https://127.0.0.1:{port}",
        OKRKPI_VAR_DIR=str(var_dir),  # the image sets it (Dockerfile ENV)
        HOSTNAME=socket.gethostname(),
        PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    expect(env["DJANGO_SETTINGS_MODULE"] == "okrkpi.settings.production", "compose does not use production settings")

    procs = Processes(log_dir=var_dir)

    def on_signal(signum: int, _frame: object) -> None:
        raise SmokeFailure(f"interrupted by signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    started = time.monotonic()
    print(f"smoke test: database {db_name}, Redis {redis_url}, port {port}, files in {var_dir}", flush=True)
    try:
        recreate_database(server_url, db_name)
        flush_redis(redis_url)
        smoke(procs, port=port, env=env, commands=commands)
    except (SmokeFailure, subprocess.TimeoutExpired, OSError, KeyError, ValueError) as exc:
        print(f"\nSMOKE TEST FAILED: {exc}", file=sys.stderr)
        for name in ("web", "worker", "beat"):
            print(f"\n--- last lines of {name} ---\n{procs.log(name)[-2500:]}", file=sys.stderr)
        return 1
    finally:
        procs.stop()
        if not args.keep_database:
            try:
                drop_database(server_url, db_name)
            except Exception as exc:  # noqa: BLE001 — cleanup must not hide the result
                print(f"(could not drop {db_name}: {exc})", file=sys.stderr)
    shutil.rmtree(var_dir, ignore_errors=True)
    print(f"\nsmoke test passed in {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
