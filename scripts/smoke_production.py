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

Then, over HTTP with ``X-Forwarded-Proto: https`` (as behind a TLS proxy; the
steps are ``scripts/smoke_steps.py``'s): log in, load the dashboard, an
objective and the API docs (and the static files they reference), post a
check-in through the API and wait for the worker to roll it up, wait for beat's
heartbeat through the worker, and check the security headers. Any failure exits non-zero with the processes' logs; the
processes are stopped in every case.

    .venv/bin/python scripts/smoke_production.py [--keep-database]

Environment: SMOKE_POSTGRES_URL (server to create the database on, default
postgresql://postgres@127.0.0.1:5432/postgres), SMOKE_DATABASE (okrkpi_smoke),
SMOKE_REDIS_URL (redis://127.0.0.1:6379/12).
"""

from __future__ import annotations

import argparse
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
from pathlib import Path
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONTAINER_VAR = "/app/var"
CONTAINER_PORT = "8000"

# The steps over HTTP (scripts/smoke_steps.py), found also when a test loads this file by its path.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import smoke_steps as steps  # noqa: E402
from smoke_steps import ADMIN_EMAIL, ADMIN_PASSWORD, Browser, SmokeFailure, expect  # noqa: E402

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

    # Over HTTP, the steps of scripts/smoke_steps.py.
    browser = Browser(port)
    steps.check_health(browser, procs, commands=commands, env=env)
    steps.check_https_redirect(browser)
    steps.log_in(browser)
    api = steps.Api(browser)
    objective, krs = steps.create_okrs(api)
    steps.check_pages(browser, objective)
    steps.check_roll_up(api, objective, krs, procs, commands=commands, env=env)
    steps.check_heartbeat(browser, procs)
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
