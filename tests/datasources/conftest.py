"""A local HTTP server plays the published sheet and the JSON API (no test leaves the
machine); the private-target setting is turned on only where a test asks for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import translation


@dataclass
class Served:
    body: bytes
    status: int = 200
    delay: float = 0.0
    size: int = 0  # a document of this many bytes (streamed), instead of ``body``
    counting: bool = False  # "{n}" in the body becomes how many times it was asked for


@dataclass
class LocalServer:
    base: str
    routes: dict[str, Served] = field(default_factory=dict)
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def serve(self, path: str, body: str | bytes, **kwargs) -> str:
        self.routes[path] = Served(body.encode() if isinstance(body, str) else body, **kwargs)
        return self.base + path


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    state = LocalServer(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 — the standard library's name
            state.hits.append((self.path, dict(self.headers)))
            served = state.routes.get(self.path)
            if served is None:
                self.send_response(404)
                self.end_headers()
                return
            if served.delay:
                time.sleep(served.delay)
            self.send_response(served.status)
            self.end_headers()
            try:
                if served.size:
                    chunk = b"x" * 65536
                    for _ in range(served.size // len(chunk)):
                        self.wfile.write(chunk)
                elif served.counting:
                    n = sum(1 for path, _h in state.hits if path == self.path)
                    self.wfile.write(served.body.replace(b"{n}", str(n).encode()))
                else:
                    self.wfile.write(served.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def private_targets(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    return settings


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield
