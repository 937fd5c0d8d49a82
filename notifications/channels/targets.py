"""The address guard: a channel's URL must be https and resolve to a public address
(not loopback, private, link-local, multicast, reserved or a cloud metadata address),
checked when the channel is saved and again at send time on the address actually
connected to (``delivery``), so no DNS rebinding slips between check and use.
``settings.WEBHOOK_ALLOW_PRIVATE_TARGETS`` lets self-hosters post inside their network
(then plain http is allowed to private addresses too)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class UnsafeTarget(ValueError):
    """The URL may not be called (scheme, or where it resolves to)."""


def _allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", False))


# IPv6 prefixes whose last 32 bits are an IPv4 address a gateway forwards to: NAT64
# (RFC 6052, and RFC 8215's local-use prefix) and the deprecated IPv4-compatible form.
_IPV4_IN_LOW_BITS = (
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("::/96"),
)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address wraps: IPv4-mapped, 6to4 (2002::/16), Teredo
    (2001::/32: its server and its client) and NAT64. Each reaches that IPv4 address,
    so each must be as public as a plain IPv4 address would have to be."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if any(ip in net for net in _IPV4_IN_LOW_BITS):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        wrapped = embedded_ipv4(ip)
        if ip.ipv4_mapped is not None:
            return _is_public(ip.ipv4_mapped)
        if not all(_is_public(v4) for v4 in wrapped):
            return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip in ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, also used by some metadata services
    )


def resolve_target(url: str) -> tuple[str, str, int, str]:
    """Check a URL and resolve it: (scheme, host, port, address to connect to).
    Raises ``UnsafeTarget`` with a message fit for the person who typed it."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeTarget(_("That is not a valid URL.")) from None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise UnsafeTarget(_("The URL must start with https:// and name a host."))
    if parts.username or parts.password:
        raise UnsafeTarget(_("Put no user name or password in the URL."))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeTarget(_("%(host)s could not be resolved.") % {"host": host}) from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise UnsafeTarget(_("%(host)s could not be resolved.") % {"host": host})
    private = [a for a in addresses if not _is_public(a)]
    if private and not _allow_private():
        raise UnsafeTarget(
            _("%(host)s resolves to a private or local address (%(ip)s); webhooks may only call public addresses.")
            % {"host": host, "ip": private[0]}
        )
    if parts.scheme != "https" and not (private and _allow_private()):
        raise UnsafeTarget(_("The URL must start with https://."))
    return parts.scheme, host, port, str(addresses[0])


def validate_target(url: str) -> None:
    try:
        resolve_target(url)
    except UnsafeTarget as exc:
        raise ValidationError({"url": [str(exc)]}) from None
