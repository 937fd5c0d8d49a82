"""A fake Slack Web API (and Bot Framework token and connector service) on 127.0.0.1: it
records every call and answers ``{"ok": true}`` with a token."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict, dict]] = []
        self.paths: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) or b"{}"
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {"form": raw.decode()}
                api.calls.append((self.path.rsplit("/", 1)[-1], body, dict(self.headers)))
                api.paths.append(self.path)
                answer = json.dumps({"ok": True, "access_token": "bot-token", "expires_in": 3600}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def named(self, method: str) -> list[dict]:
        return [body for name, body, _headers in self.calls if name == method]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakePushService:
    """A Web Push service on 127.0.0.1: answers each POST with the next of ``statuses`` (then
    201), or stalls ``stall`` seconds first when asked to. Like a real one (RFC 8030 §5.4) it
    holds one message per ``Topic``: ``held`` has the accepted messages, a later one with the
    same topic replacing the earlier."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.stalls: list[float] = []
        self.received: list[dict] = []  # every request's headers, lower-cased
        self.accepted: list[dict] = []
        self.held: dict[str, dict] = {}
        import time

        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                service.received.append(headers)
                if service.stalls:
                    time.sleep(service.stalls.pop(0))
                status = service.statuses.pop(0) if service.statuses else 201
                if status == 201:
                    service.accepted.append(headers)
                    service.held[headers.get("topic") or f"#{len(service.accepted)}"] = headers
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the client gave up waiting (a timeout)
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/push/1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
