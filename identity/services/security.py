"""Security events in the activity log (DESIGN §3): logins, failed logins, token creation,
single sign-on and SCIM changes, each with the client's address. Their verbs start with
``security.``, which is how the activity log shows them to admins only and filters them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core.clientip import client_ip
from orgs.audit import audit
from orgs.models import Membership, Organization, User

SECURITY_PREFIX = "security."


def device_label(user_agent: str) -> str:
    """A browser and system named the way a person recognises them ("Firefox on Windows")."""
    ua = user_agent or ""
    browser = next(
        (
            name
            for marker, name in (
                ("Edg/", "Edge"),
                ("OPR/", "Opera"),
                ("Firefox/", "Firefox"),
                ("Chrome/", "Chrome"),
                ("Safari/", "Safari"),
                ("curl/", "curl"),
                ("python-requests", "Python"),
            )
            if marker in ua
        ),
        "",
    )
    system = next(
        (
            name
            for marker, name in (
                ("Android", "Android"),
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Windows", "Windows"),
                ("Mac OS X", "macOS"),
                ("CrOS", "ChromeOS"),
                ("Linux", "Linux"),
            )
            if marker in ua
        ),
        "",
    )
    if browser and system:
        return f"{browser} · {system}"
    return browser or system or (ua[:60] if ua else "?")


def request_facts(request: HttpRequest | None) -> dict[str, str]:
    """The client's address and device, as every security event records them."""
    if request is None:
        return {}
    agent = str(request.META.get("HTTP_USER_AGENT", ""))[:300]
    return {"client_address": client_ip(request), "device": device_label(agent)}


def security_event(
    *,
    org: Organization,
    actor: User | None,
    verb: str,
    request: HttpRequest | None,
    target: Any = None,
    target_type: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """One ``security.<verb>`` entry in the organisation's activity log, with the client's
    address; it changes no document, so no data version is bumped."""
    audit(
        org=org,
        actor=actor,
        verb=SECURITY_PREFIX + verb,
        target=target,
        target_type=target_type or ("orgs.user" if target is None else None),
        after={**request_facts(request), **(details or {})},
        bump_version=False,
    )


def security_event_everywhere(
    *, user: User, verb: str, request: HttpRequest | None, details: dict[str, Any] | None = None
) -> None:
    """The event in every organisation the person belongs to (a password login or a failed one
    concerns each of them)."""
    orgs = Organization.objects.filter(pk__in=Membership.objects.filter(user=user).values("organization_id"))
    for org in orgs:
        security_event(org=org, actor=user, verb=verb, request=request, target=user, details=details)
