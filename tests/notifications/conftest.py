from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from objectives import services as okr
from objectives.models import CheckIn, KeyResult, Objective
from orgs.models import User
from tests.factories import MembershipFactory, UserFactory, place
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

# Tuesday 1 December 2026, 09:00 UTC.
CHECKED_IN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class Thread:
    objective: Objective
    kr: KeyResult
    check_in: CheckIn
    sam: User  # a member of the manager's team who owns the key result and checked in


@pytest.fixture
def thread(world_a) -> Thread:
    sam = UserFactory(email="sam@alpha.test", name="Sam Tran")
    MembershipFactory(organization=world_a.org, user=sam, role="member")
    place(world_a.team, sam)
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="Win the south", owner_type="person", user=sam)
    kr = make_kr(objective, title="Sign 10 distributors", owner=sam, target=10)
    make_kr(objective, title="Open 2 warehouses", owner=sam, target=2)
    okr.objective_set_status(objective=objective, actor=world_a.admin, status="active")
    check_in = okr.key_result_check_in(
        key_result=kr, actor=sam, value=3, confidence=7, note="Three signed", at=CHECKED_IN
    )
    return Thread(objective, kr, check_in, sam)


@dataclass
class Recorder:
    """What the local webhook server received. It answers ``statuses`` in turn, then ``status``."""

    status: int = 200
    statuses: list[int] = field(default_factory=list)
    requests: list[tuple[dict, bytes]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def hook():
    """A local HTTP server started by the test: nothing leaves the machine."""
    recorder = Recorder()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                recorder.requests.append((dict(self.headers), body))
                status = recorder.statuses.pop(0) if recorder.statuses else recorder.status
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield recorder
    server.shutdown()
    server.server_close()


@pytest.fixture
def private_ok(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


def teams_text(card: dict) -> str:
    """The text of a Teams card (its ``RichTextBlock``)."""
    return "".join(run["text"] for run in card["body"][1]["inlines"])


def teams_facts(card: dict) -> list[tuple[str, str]]:
    """The facts of a Teams card: (label, value), one ``RichTextBlock`` of two runs each."""
    if len(card["body"]) < 3:
        return []
    rows = (b["inlines"] for b in card["body"][2]["items"])
    return [(label["text"].removesuffix(": "), value["text"]) for label, value in rows]
