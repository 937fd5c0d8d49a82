"""Microsoft Teams: the Bot Framework's token check, the check-in form as an Adaptive
Card whose Submit is an ``Action.Execute``, and reading its inputs.

The token (``Authorization: Bearer <JWT>``) must be signed by one of the Bot Framework's
keys, issued by ``TEAMS_ISSUER`` for this bot (``aud`` = ``TEAMS_APP_ID``), unexpired,
and name the activity's ``serviceUrl``. The keys come from ``TEAMS_JWKS`` when it is set
(tests give their own), otherwise from the OpenID document at ``TEAMS_OPENID_URL``,
cached for ``TEAMS_KEYS_CACHE_SECONDS`` and fetched again once for a key id not seen.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from core.numbers import format_quantity
from objectives.models import KeyResult

log = logging.getLogger(__name__)
VERB = "okrCheckIn"
ALGORITHMS = ["RS256", "RS384", "RS512"]
LEEWAY = 300  # seconds of clock skew the Bot Framework allows
_cache: dict[str, tuple[float, KeySet]] = {}
_lock = threading.Lock()


class TokenRefused(Exception):
    pass


def _fetch_keys() -> KeySet:
    timeout = 5
    document = requests.get(settings.TEAMS_OPENID_URL, timeout=timeout).json()
    data = requests.get(str(document["jwks_uri"]), timeout=timeout).json()
    return KeySet.import_key_set(data)


def key_set(*, refresh: bool = False) -> KeySet:
    """The configured keys, or the published ones (cached)."""
    if settings.TEAMS_JWKS:
        return KeySet.import_key_set(json.loads(settings.TEAMS_JWKS))
    with _lock:
        cached = _cache.get("keys")
        if cached is not None and not refresh and cached[0] > time.monotonic():
            return cached[1]
    try:
        keys = _fetch_keys()
    except (requests.RequestException, ValueError, KeyError, JoseError) as exc:
        raise TokenRefused(f"the Bot Framework's keys could not be read: {exc}") from None
    with _lock:
        _cache["keys"] = (time.monotonic() + settings.TEAMS_KEYS_CACHE_SECONDS, keys)
    return keys


def verify(authorization: str, *, service_url: str) -> dict[str, Any]:
    """The token's claims when it holds; ``TokenRefused`` otherwise."""
    scheme, _sep, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token or not settings.TEAMS_APP_ID:
        raise TokenRefused("no bearer token, or no TEAMS_APP_ID configured")
    try:
        kid = extract_compact(token.encode()).protected.get("kid")
    except (JoseError, ValueError) as exc:
        raise TokenRefused(f"not a token: {exc}") from None
    keys = key_set()
    if kid is not None and not any(k.kid == kid for k in keys.keys):
        keys = key_set(refresh=True)
    try:
        claims = dict(jwt.decode(token, keys, algorithms=ALGORITHMS).claims)
        jwt.JWTClaimsRegistry(
            now=int(timezone.now().timestamp()),
            leeway=LEEWAY,
            iss={"essential": True, "value": settings.TEAMS_ISSUER},
            aud={"essential": True, "value": settings.TEAMS_APP_ID},
            exp={"essential": True},
        ).validate(claims)
    except (JoseError, ValueError) as exc:
        raise TokenRefused(f"token refused: {exc}") from None
    if (
        "serviceurl" in {k.lower() for k in claims}
        and claims.get("serviceurl", claims.get("serviceUrl")) != service_url
    ):
        raise TokenRefused("the token names another service URL")
    return claims


def _inputs(key_results: list[KeyResult]) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = []
    choices = [{"title": str(i), "value": str(i)} for i in range(1, 11)]
    for n, kr in enumerate(key_results, start=1):
        now = format_quantity(kr.current_value, kr.unit, kind=kr.kind)
        target = format_quantity(kr.target_value, kr.unit, kind=kr.kind)
        body.append({"type": "TextBlock", "text": f"{n}. {kr.title}", "weight": "Bolder", "wrap": True})
        body.append(
            {
                "type": "Input.Text",
                "id": f"kr:{kr.pk}",
                "label": _("now %(value)s, target %(target)s") % {"value": now, "target": target},
            }
        )
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": f"conf:{kr.pk}",
                "label": _("Confidence (1–10)"),
                "choices": choices,
                "value": str(kr.confidence or ""),
            }
        )
    body.append({"type": "Input.Toggle", "id": "confirm", "title": _("Yes, this value is right"), "value": "false"})
    return body


def card(key_results: list[KeyResult], intro: str, lines: list[str] | None = None, form: bool = True) -> dict[str, Any]:
    """An Adaptive Card: the intro, result lines, and the form with an ``Action.Execute``."""
    body: list[dict[str, Any]] = [{"type": "TextBlock", "text": intro, "wrap": True, "weight": "Bolder"}]
    body += [{"type": "TextBlock", "text": line, "wrap": True} for line in lines or []]
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
    }
    if form and key_results:
        body += _inputs(key_results)
        content["actions"] = [{"type": "Action.Execute", "verb": VERB, "title": _("Submit")}]
    return content


def read_inputs(data: dict[str, Any]) -> tuple[dict[int, tuple[str, str]], bool]:
    values: dict[int, tuple[str, str]] = {}
    for name, raw in data.items():
        kind, _sep, ident = str(name).partition(":")
        if not ident.isdigit():
            continue
        value, conf = values.get(int(ident), ("", ""))
        if kind == "kr":
            value = str(raw or "")
        elif kind == "conf":
            conf = str(raw or "")
        values[int(ident)] = (value, conf)
    return values, str(data.get("confirm", "")).lower() == "true"


# --- posting to Teams (the weekly reminder card, the answer to "checkin") -------------------

_token: dict[str, tuple[float, str]] = {}


def bot_token() -> str:
    """The bot's own Bot Framework token (client credentials), cached until shortly
    before it expires; "" when it could not be had."""
    with _lock:
        cached = _token.get("token")
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
    try:
        data = requests.post(
            settings.TEAMS_TOKEN_URL,
            data={
                "grant_type": "client_credentials",
                "client_id": settings.TEAMS_APP_ID,
                "client_secret": settings.TEAMS_APP_PASSWORD,
                "scope": "https://api.botframework.com/.default",
            },
            timeout=5,
        ).json()
        token, lifetime = str(data["access_token"]), int(data.get("expires_in", 3600))
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        log.warning("Teams bot token refused: %s", exc)
        return ""
    with _lock:
        _token["token"] = (time.monotonic() + max(lifetime - 300, 60), token)
    return token


def post_card(*, service_url: str, conversation: str, content: dict[str, Any]) -> bool:
    """Post an Adaptive Card to a conversation (proactive message); whether it was taken."""
    token = bot_token()
    if not (token and service_url and conversation):
        return False
    url = service_url.rstrip("/") + f"/v3/conversations/{requests.utils.quote(conversation, safe='')}/activities"
    activity: dict[str, Any] = {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": content}],
    }
    try:
        response = requests.post(url, json=activity, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    except requests.RequestException as exc:
        log.warning("Teams post failed: %s", exc)
        return False
    return response.status_code < 300


def send_reminders(*, org_id: int, user_ids: list[int]) -> int:
    """The weekly reminder card to each linked Teams account of ``user_ids`` that has
    talked to the bot (its conversation is known); after the sweep's claims commit."""
    from django.utils import translation

    from integrations.models import ChatInstallation, ChatLink, Platform
    from integrations.selectors import numbered_key_results
    from orgs.models import Organization

    tenants = list(
        ChatInstallation.objects.filter(organization_id=org_id, platform=Platform.TEAMS, active=True).values_list(
            "external_id", flat=True
        )
    )
    if not tenants or not settings.TEAMS_APP_ID:
        return 0
    org = Organization.objects.get(pk=org_id)
    sent = 0
    links = ChatLink.objects.filter(
        organization_id=org_id, platform=Platform.TEAMS, user_id__in=user_ids, external_team__in=tenants
    ).exclude(conversation="")
    for link in links.select_related("user"):
        key_results = numbered_key_results(org=org, user=link.user)
        if not key_results:
            continue
        with translation.override(link.user.language or org.language):
            content = card(key_results, _("Time for your weekly check-in: type the new values and submit."))
        if post_card(service_url=link.service_url, conversation=link.conversation, content=content):
            sent += 1
    return sent
