"""The outgoing HTTP GET of ``csv_url`` and ``json_url`` sources: the address guard of the
chat channels (``notifications.channels.targets``: public addresses only, checked on the
address actually connected to, unless ``WEBHOOK_ALLOW_PRIVATE_TARGETS``), connect and
read timeouts, a size limit, and no redirects (a redirect could lead past the guard)."""

from __future__ import annotations

import http.client
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from notifications.channels.targets import UnsafeTarget, resolve_target

CONNECT_TIMEOUT = 5.0


class PullError(Exception):
    """A pull that could not produce a number; the message is for people."""


def max_bytes() -> int:
    return int(getattr(settings, "DATA_SOURCE_MAX_BYTES", 5_000_000))


def read_timeout() -> float:
    return float(getattr(settings, "DATA_SOURCE_READ_TIMEOUT", 10.0))


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to the checked address, while TLS verifies the host name."""

    def __init__(self, host: str, address: str, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), CONNECT_TIMEOUT)
        sock.settimeout(self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]  # set by HTTPSConnection.__init__


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), CONNECT_TIMEOUT)
        self.sock.settimeout(self.timeout)


def http_get(url: str, *, headers: dict[str, str] | None = None) -> bytes:
    """The body of a GET to a checked address; ``PullError`` in plain words otherwise."""
    try:
        scheme, host, port, address = resolve_target(url)
    except UnsafeTarget as exc:
        raise PullError(str(exc)) from None
    parts = urlsplit(url.strip())
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = read_timeout()
    if scheme == "https":
        conn: http.client.HTTPConnection = _PinnedHTTPSConnection(
            host, address, port=port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = _PinnedHTTPConnection(host, address, port=port, timeout=timeout)
    limit = max_bytes()
    try:
        conn.request("GET", path, headers={"User-Agent": "okrkpi-source/1", **(headers or {})})
        response = conn.getresponse()
        if response.status != 200:
            raise PullError(_("The server answered HTTP %(status)d.") % {"status": response.status})
        body = response.read(limit + 1)
    except TimeoutError:
        raise PullError(_("The server did not answer within %(s)g seconds.") % {"s": timeout}) from None
    except (OSError, http.client.HTTPException) as exc:
        raise PullError(_("Could not read the address: %(error)s") % {"error": exc}) from None
    finally:
        conn.close()
    if len(body) > limit:
        raise PullError(_("The document is larger than %(mb)g MB.") % {"mb": limit / 1_000_000})
    return body
