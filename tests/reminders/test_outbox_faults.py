"""Exactly once under faults, with real processes (PostgreSQL, a Redis broker and a Celery
worker started and killed here, a local SMTP server and a local webhook receiver):

- a worker killed with SIGKILL in the middle of sending the reminders;
- the mail server stopped while ``send_reminders`` runs;
- the broker stopped while ``send_digests --kind wins`` runs and while a mention is written.

Afterwards each person got each message once and each channel each post once: every
outbox row arrived, under its own delivery id, and a message the server took from a worker
killed before it could mark it sent arrived twice under the same id (which the receiver
drops; at most one per kill). The commands said what really left.
"""

from __future__ import annotations

import email
import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from notifications.models import Channel, OutboxMessage, ReminderClaim
from objectives import services as okr
from orgs.models import Membership, Organization
from tests.conftest import services_required
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.kpis.kpi_factories import make_kpi
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(condition: Callable[[], object], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


# --- a local SMTP server ---------------------------------------------------------------------


@dataclass
class Received:
    to: str
    subject: str
    message_id: str
    delivery_id: str


@dataclass
class SmtpServer:
    """Speaks just enough SMTP for smtplib; records each message when its data has arrived,
    then waits ``delay`` seconds before accepting it (so a kill can land in between)."""

    port: int
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    _server: socketserver.ThreadingTCPServer | None = None

    def start(self) -> None:
        smtp = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 localhost test ESMTP\r\n")
                while line := self.rfile.readline():
                    command = line.decode(errors="replace").strip().upper()
                    if command.startswith("EHLO"):
                        self.wfile.write(b"250-localhost\r\n250 8BITMIME\r\n")
                    elif command == "DATA":
                        self.wfile.write(b"354 go ahead\r\n")
                        data = b""
                        while (chunk := self.rfile.readline()) and chunk != b".\r\n":
                            data += chunk
                        parsed = email.message_from_bytes(data)
                        smtp.received.append(
                            Received(
                                to=str(parsed["To"]),
                                subject=str(parsed["Subject"]),
                                message_id=str(parsed["Message-ID"]),
                                delivery_id=str(parsed["X-Okrkpi-Delivery-Id"]),
                            )
                        )
                        time.sleep(smtp.delay)
                        self.wfile.write(b"250 queued\r\n")
                    elif command == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:  # HELO, MAIL FROM, RCPT TO, RSET, NOOP
                        self.wfile.write(b"250 ok\r\n")

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


# --- a local webhook receiver ------------------------------------------------------------------


@dataclass
class Hook:
    port: int
    posts: list[tuple[str, str, dict]] = field(default_factory=list)  # path, delivery id header, body

    def start(self) -> ThreadingHTTPServer:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hook.posts.append((self.path, self.headers.get("X-Okrkpi-Delivery-Id", ""), body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


# --- the processes -----------------------------------------------------------------------------


class Stack:
    """The broker, the worker and the commands, as separate processes on the test database."""

    def __init__(self, tmp: Path, smtp_port: int) -> None:
        self.tmp = tmp
        self.redis_port = _free_port()
        self.redis: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.worker_log = tmp / "worker.log"
        (tmp / "fault_settings.py").write_text(
            "from okrkpi.settings.test import *  # noqa\n"
            "CELERY_TASK_ALWAYS_EAGER = False\n"
            "EMAIL_BACKEND = 'django.core.mail.backends.smtp.EmailBackend'\n"
            f"EMAIL_HOST, EMAIL_PORT, EMAIL_USE_TLS, EMAIL_TIMEOUT = '127.0.0.1', {smtp_port}, False, 5\n"
            "WEBHOOK_ALLOW_PRIVATE_TARGETS = True\n"
            "OUTBOX_LEASE_SECONDS = 3\n"  # a killed sender's rows are free again after 3 s
            "OUTBOX_RETRY_SECONDS = 1\n"  # and a failed row waits a second, not a minute
        )
        db = connection.settings_dict
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL",)},
            "DJANGO_SETTINGS_MODULE": "fault_settings",
            "PYTHONPATH": f"{tmp}{os.pathsep}{ROOT}",
            "DATABASE_URL": f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "OKRKPI_VAR_DIR": str(tmp),
            "PYTHONUNBUFFERED": "1",
        }

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(  # noqa: S603 — our own broker, on a free port
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.redis_port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(self._redis_answers, seconds=10, what="redis-server")

    def _redis_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop_redis(self) -> None:
        if self.redis is not None:
            self.redis.kill()
            self.redis.wait(10)
            self.redis = None

    def start_worker(self) -> None:
        out = self.worker_log.open("a")
        self.worker = subprocess.Popen(  # noqa: S603 — the project's own worker
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "okrkpi",
                "worker",
                "--pool=solo",
                "-Q",
                "reminders,celery",
                "-l",
                "info",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait(lambda: " ready." in self.worker_log.read_text(), seconds=60, what="the worker to start")

    def kill_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(10)
        self.worker = None

    def worker_alive(self) -> bool:
        return self.worker is not None and self.worker.poll() is None

    def send_task(self, name: str) -> None:
        """What beat does: put a task on the broker."""
        from celery import Celery

        app = Celery(broker=self.env["REDIS_URL"])
        try:
            app.send_task(name, queue="reminders")
        finally:
            app.close()

    def manage(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 — the project's own commands
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def close(self) -> None:
        self.kill_worker()
        self.stop_redis()


@pytest.fixture
def stack(tmp_path):
    # CI runs the suite on PostgreSQL (where these run, and must) and again on SQLite (where the
    # worker in another process cannot see the in-memory test database).
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the worker and the commands run in other processes on the test database")
    if not shutil.which("redis-server"):
        if services_required():
            pytest.fail("the outbox fault tests need redis-server to start a broker of their own")
        pytest.skip("redis-server is not installed")
    smtp = SmtpServer(_free_port())
    smtp.start()
    hook = Hook(_free_port())
    hook_server = hook.start()
    processes = Stack(tmp_path, smtp.port)
    processes.smtp, processes.hook = smtp, hook  # type: ignore[attr-defined]
    processes.start_redis()
    processes.start_worker()
    try:
        yield processes
    finally:
        processes.close()
        smtp.stop()
        hook_server.shutdown()
        hook_server.server_close()


# --- data --------------------------------------------------------------------------------------


def _org_with_kpis(slug: str, people: int, kpis_each: int) -> Organization:
    """Every person owns monthly KPIs without last month's value: one reminder per KPI."""
    org = OrganizationFactory(slug=slug, name=slug.upper(), reminder_hour=0)
    for p in range(people):
        user = UserFactory(email=f"p{p}@{slug}.test", name=f"Person {p}")
        MembershipFactory(organization=org, user=user, role="member")
        for k in range(kpis_each):
            make_kpi(org, name=f"KPI {p}.{k}", owner_type="person", user=user)
    return org


def _expect_once(smtp: SmtpServer, org: Organization, *, kills: int = 0, by_claims: bool = True) -> None:
    """Every outbox e-mail of ``org`` arrived under its own delivery id, and each person got
    each message once (duplicates only of a message taken when a worker was killed)."""
    rows = list(OutboxMessage.objects.filter(organization=org, kind="email"))
    assert rows and all(r.status == "sent" for r in rows), Counter(r.status for r in rows)
    ids = {str(r.delivery_id): r.target for r in rows}
    assert len(ids) == len(rows)  # unique
    got = [m for m in smtp.received if m.delivery_id in ids]
    arrived = Counter(m.delivery_id for m in got)
    assert set(arrived) == set(ids)  # each message arrived
    assert all(m.to == ids[m.delivery_id] for m in got)  # to its person
    assert all(m.message_id.startswith(f"<{m.delivery_id}@") for m in got)  # Message-ID is the delivery id
    repeats = sum(n - 1 for n in arrived.values())
    print(f"{org.slug}: {len(rows)} e-mails, {len(got)} arrivals, {repeats} repeated under the same id")  # noqa: T201
    assert repeats <= kills, arrived.most_common(3)  # a repeat carries the same id: the receiver drops it
    claims = Counter(ReminderClaim.objects.filter(organization=org).values_list("recipient__email", flat=True))
    if by_claims:  # reminders: one distinct message per claim, per person
        distinct = Counter(ids[d] for d in arrived)
        assert distinct == claims


# --- the faults --------------------------------------------------------------------------------


def test_a_worker_killed_mid_send_the_mail_server_down_and_the_broker_down_lose_and_double_nothing(stack):
    smtp: SmtpServer = stack.smtp
    hook: Hook = stack.hook

    # 1. The worker is killed (SIGKILL) in the middle of sending 40 reminders.
    killed = _org_with_kpis("killed", people=20, kpis_each=2)
    smtp.delay = 0.15
    stack.send_task("notifications.send_reminders")  # what beat does every 15 minutes
    _wait(lambda: len(smtp.received) >= 10, seconds=60, what="the first reminders to leave")
    stack.kill_worker()
    at_kill = len(smtp.received)
    print(f"worker killed after {at_kill} of 40 reminders had reached the mail server")  # noqa: T201
    assert at_kill < 40, "the kill came too late to land mid-send"
    smtp.delay = 0
    stack.start_worker()

    def swept_all(org: Organization) -> Callable[[], bool]:
        def check() -> bool:
            if not OutboxMessage.objects.filter(organization=org).exclude(status="sent").exists():
                return True
            stack.send_task("notifications.outbox_sweep")  # what beat does every minute
            time.sleep(0.5)
            return False

        return check

    _wait(swept_all(killed), seconds=60, what="the sweep to send what the killed worker held")
    assert OutboxMessage.objects.filter(organization=killed).count() == 40
    _expect_once(smtp, killed, kills=1)

    # 2. The mail server is down while the command runs: it says so, and nothing is lost.
    down = _org_with_kpis("smtpdown", people=6, kpis_each=1)
    smtp.stop()
    out = stack.manage("send_reminders", "--org", "smtpdown")
    assert "Sent 6 reminders (kpi_due: 6). E-mailed 0, posted 0" in out, out
    assert "6 not sent yet: the outbox sweep retries them (ConnectionRefusedError" in out, out
    again = stack.manage("send_reminders", "--org", "smtpdown")
    assert "Sent 0 reminders (nothing due). E-mailed 0" in again, again  # claimed: never twice
    smtp.start()
    _wait(swept_all(down), seconds=60, what="the sweep to send once the mail server is back")
    _expect_once(smtp, down)

    # 3. The broker is down during the Friday wins and while a mention is written.
    wins = _org_with_kpis("wins", people=3, kpis_each=0)
    people = list(Membership.objects.filter(organization=wins).select_related("user").order_by("user__email"))
    for m in people[:1]:
        m.role = "admin"
        m.save(update_fields=["role"])
    owner = people[1].user
    cycle = make_cycle(wins)
    objective = make_objective(wins, cycle, title="Ship", owner_type="person", user=owner)
    kr = make_kr(objective, title="Beta users", owner=owner, target=10)
    make_kr(objective, title="Docs", owner=owner, target=1)
    okr.objective_set_status(objective=objective, actor=people[0].user, status="active")
    okr.key_result_check_in(key_result=kr, actor=owner, value=6, confidence=8, at=timezone.now())
    for name in ("a", "b"):
        Channel.objects.create(
            organization=wins,
            kind="webhook",
            name=name,
            url=f"http://127.0.0.1:{hook.port}/{name}",
            secret="s" * 64,
            events=["wins"],
        )
    stack.stop_redis()
    out = stack.manage("send_digests", "--kind", "wins", "--org", "wins")
    assert "Sent 3 e-mails (wins: 3). Posted 2 to chat and webhook channels." in out, out
    stack.manage(
        "shell",
        "-c",
        "from conversations.services import comment_create; from objectives.models import Objective; "
        "from orgs.models import User; o = Objective.objects.get(title='Ship'); "
        f"comment_create(org=o.organization, actor=User.objects.get(pk={people[0].user.pk}), objective=o, "
        f"body='Well done @[{owner.pk}]')",
    )
    mention = OutboxMessage.objects.get(organization=wins, topic="mention")
    assert mention.status == "pending" and mention.attempts == 0  # the broker refused the task: it waits
    stack.start_redis()  # the same port, as a restarted Redis
    stack.kill_worker()  # a fresh worker (surviving the broker is another test's concern)
    stack.start_worker()
    _wait(swept_all(wins), seconds=60, what="the sweep to send the mention once the broker is back")
    _expect_once(smtp, wins, by_claims=False)
    assert sorted(OutboxMessage.objects.filter(organization=wins, kind="email").values_list("topic", flat=True)) == [
        "mention",
        "wins",
        "wins",
        "wins",
    ]
    by_channel = Counter((path, delivery) for path, delivery, _body in hook.posts)
    assert sorted(path for path, _d in by_channel) == ["/a", "/b"]  # each channel: one post
    assert set(by_channel.values()) == {1}
    assert all(delivery == body["delivery_id"] for _p, delivery, body in hook.posts)
    assert len({delivery for _p, delivery in by_channel}) == 2  # unique delivery ids
