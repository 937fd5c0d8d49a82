"""Slack: the request signature, the check-in form (an interactive message and the same
form as a modal), reading a submitted form, and the few Web API calls (``chat.update``,
``chat.postMessage``, ``chat.postEphemeral``, ``views.open``) at ``SLACK_API_URL``."""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.numbers import format_quantity
from objectives.models import KeyResult

log = logging.getLogger(__name__)
SUBMIT = "okr_submit"
CALLBACK = "okr_checkin"
CONFIRM_BLOCK = "confirm"
TIMEOUT = 5


def signature_valid(*, secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Slack's ``v0`` signature of ``v0:<timestamp>:<body>``, and the timestamp within
    ``SLACK_SIGNATURE_WINDOW`` seconds of now (an older request is a replay)."""
    try:
        when = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(timezone.now().timestamp() - when) > settings.SLACK_SIGNATURE_WINDOW:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return bool(secret) and hmac.compare_digest(expected, signature or "")


def _input_blocks(key_results: list[KeyResult]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    options = [{"text": {"type": "plain_text", "text": str(i)}, "value": str(i)} for i in range(1, 11)]
    for n, kr in enumerate(key_results, start=1):
        now = format_quantity(kr.current_value, kr.unit, kind=kr.kind)
        target = format_quantity(kr.target_value, kr.unit, kind=kr.kind)
        hint = _("now %(value)s, target %(target)s") % {"value": now, "target": target}
        blocks.append(
            {
                "type": "input",
                "block_id": f"kr:{kr.pk}",
                "optional": True,
                "label": {"type": "plain_text", "text": f"{n}. {kr.title}"[:2000]},
                "hint": {"type": "plain_text", "text": hint},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        )
        conf: dict[str, Any] = {"type": "static_select", "action_id": "confidence", "options": options}
        if kr.confidence:
            conf["initial_option"] = options[kr.confidence - 1]
        blocks.append(
            {
                "type": "input",
                "block_id": f"conf:{kr.pk}",
                "optional": True,
                "label": {"type": "plain_text", "text": _("Confidence (1–10)")},
                "element": conf,
            }
        )
    blocks.append(
        {
            "type": "input",
            "block_id": CONFIRM_BLOCK,
            "optional": True,
            "label": {"type": "plain_text", "text": _("Unusual values")},
            "element": {
                "type": "checkboxes",
                "action_id": "confirm",
                "options": [{"text": {"type": "plain_text", "text": _("Yes, this value is right")}, "value": "yes"}],
            },
        }
    )
    return blocks


def reminder_blocks(key_results: list[KeyResult], intro: str) -> list[dict[str, Any]]:
    """The interactive reminder: the intro, one input per key result and a Submit button."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
        *_input_blocks(key_results),
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": SUBMIT,
                    "style": "primary",
                    "text": {"type": "plain_text", "text": _("Submit")},
                }
            ],
        },
    ]


def modal_view(key_results: list[KeyResult]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "title": {"type": "plain_text", "text": _("Check in")[:24]},
        "submit": {"type": "plain_text", "text": _("Submit")},
        "blocks": _input_blocks(key_results),
    }


def read_state(state: dict[str, Any]) -> tuple[dict[int, tuple[str, str]], bool]:
    """Per key-result id, (value, confidence) as typed; and whether "right" was ticked."""
    values: dict[int, tuple[str, str]] = {}
    blocks = state.get("values") or {}
    confirmed = False
    for block_id, actions in blocks.items():
        if not isinstance(actions, dict):
            continue
        if block_id == CONFIRM_BLOCK:
            confirmed = bool((actions.get("confirm") or {}).get("selected_options"))
            continue
        kind, _sep, ident = str(block_id).partition(":")
        if not ident.isdigit():
            continue
        value, conf = values.get(int(ident), ("", ""))
        if kind == "kr":
            value = str((actions.get("value") or {}).get("value") or "")
        elif kind == "conf":
            conf = str(((actions.get("confidence") or {}).get("selected_option") or {}).get("value") or "")
        values[int(ident)] = (value, conf)
    return values, confirmed


def api_call(method: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    """One Web API call; its JSON answer (``{"ok": false}`` when it could not be made)."""
    url = settings.SLACK_API_URL.rstrip("/") + "/" + method
    try:
        response = requests.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("Slack %s failed: %s", method, exc)
        return {"ok": False, "error": str(exc)[:200]}
    if not isinstance(data, dict):
        return {"ok": False, "error": "not an object"}
    if not data.get("ok"):
        log.warning("Slack %s refused: %s", method, data.get("error"))
    return data


def send_reminders(*, org_id: int, user_ids: list[int]) -> int:
    """The weekly reminder as an interactive message to each linked Slack account of
    ``user_ids`` (called after the sweep's claims commit: at most once per claim)."""
    from django.utils import translation

    from integrations.models import ChatInstallation, ChatLink, Platform
    from integrations.selectors import numbered_key_results
    from integrations.services.links import secret_of
    from orgs.models import Organization

    sent = 0
    installations = {
        i.external_id: i
        for i in ChatInstallation.objects.filter(organization_id=org_id, platform=Platform.SLACK, active=True)
    }
    if not installations:
        return 0
    org = Organization.objects.get(pk=org_id)
    links = ChatLink.objects.filter(
        organization_id=org_id, platform=Platform.SLACK, user_id__in=user_ids, external_team__in=list(installations)
    ).select_related("user")
    for link in links:
        key_results = numbered_key_results(org=org, user=link.user)
        if not key_results:
            continue
        with translation.override(link.user.language or org.language):
            intro = _("Time for your weekly check-in: type the new values and submit.")
            blocks = reminder_blocks(key_results, intro)
        body = {"channel": link.external_user, "text": intro, "blocks": blocks}
        if api_call("chat.postMessage", secret_of(installations[link.external_team].bot_token), body).get("ok"):
            sent += 1
    return sent
