"""The outgoing-address guard sees through IPv6 forms that wrap an IPv4 address:
6to4, NAT64, Teredo and IPv4-mapped reach that IPv4 address, so a private one is refused
(when the channel is saved through the API, and again at send time)."""

from __future__ import annotations

import ipaddress

import pytest

from notifications import channels
from notifications.models import Channel

WRAPPED_PRIVATE = [
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254 (cloud metadata)
    "2002:a00:1::",  # 6to4 of 10.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::c0a8:101",  # NAT64 of 192.168.1.1
    "64:ff9b:1::a00:1",  # local-use NAT64 of 10.0.0.1
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
    "2001:0:a00:1:8000:63bf:a2c6:b5dc",  # Teredo, server 10.0.0.1
    "::ffff:169.254.169.254",  # IPv4-mapped
    "::ffff:7f00:1",  # IPv4-mapped 127.0.0.1, written in hex
    "::a9fe:a9fe",  # IPv4-compatible (deprecated) 169.254.169.254
]


@pytest.mark.parametrize("address", WRAPPED_PRIVATE)
def test_the_api_refuses_a_channel_whose_ipv6_address_wraps_a_private_ipv4_one(world_a, api, address):
    r = api(world_a.admin).post(
        "/api/v1/orgs/alpha/channels/",
        {"kind": "webhook", "name": "x", "url": f"https://[{address}]/hook", "events": ["comment"]},
        format="json",
    )
    assert r.status_code == 400, r.content[:300]
    assert "private or local address" in str(r.json()), r.json()
    assert not Channel.objects.exists()


@pytest.mark.parametrize("address", WRAPPED_PRIVATE)
def test_the_send_time_check_refuses_them_too(address):
    with pytest.raises(channels.UnsafeTarget):
        channels.resolve_target(f"https://[{address}]/hook")


@pytest.mark.parametrize(
    "address",
    ["2002:5db8:d822::1", "::ffff:93.184.216.34", "2606:4700:4700::1111"],  # 6to4 and mapped of a public address
)
def test_wrapping_a_public_address_stays_allowed(address):
    assert channels._is_public(ipaddress.ip_address(address))
