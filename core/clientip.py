"""The address of the client behind a request, for throttling.

Behind a reverse proxy every connection comes from the proxy, so one client's
failed logins would throttle everyone. ``TRUSTED_PROXIES`` names the proxies
whose ``X-Forwarded-For`` header is believed; the client is the right-most
address in that header that is not itself a trusted proxy. With no trusted
proxy (the default) the header is ignored: anyone can send it, and believing
it would let an attacker pick a fresh address for every attempt.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


def client_ip(request: HttpRequest) -> str:
    """The client's address as a string (``"unknown"`` when there is none)."""
    remote = _parse(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        return "unknown"
    if not _trusted(remote):
        return str(remote)
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # A hop we cannot read: stop here rather than believe anything further left.
            return str(remote)
        if not _trusted(address):
            return str(address)
    # Every hop is one of ours (a health check from inside, say): the furthest one.
    first = _parse(hops[0]) if hops else None
    return str(first or remote)
