"""The bodies posted to each kind of channel: Slack's text, Microsoft Teams' Adaptive
Card, and the generic JSON webhook (with its HMAC signature)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import ChannelEvent, ChannelKind


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``"<timestamp>." + body``, hex, prefixed ``sha256=``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _event_title(event: str) -> str:
    titles: dict[str, str] = {
        ChannelEvent.CHECK_IN: _("New check-in"),
        ChannelEvent.COMMENT: _("New comment"),
        ChannelEvent.CHECK_IN_MISSED: _("Missed check-in"),
        ChannelEvent.KPI_OVERDUE: _("Overdue KPI value"),
        ChannelEvent.WINS: _("This week's wins"),
    }
    return str(titles.get(event, event))


Facts = list[tuple[str, str]]


def _plain(text: str, **style: Any) -> dict[str, Any]:
    """A run of text Teams shows as typed: ``TextRun`` reads no markdown, where ``TextBlock``
    and ``FactSet`` do (a comment's ``[click](https://…)`` would become a link there)."""
    return {"type": "TextRun", "text": text, **style}


def teams_card(*, title: str, text: str, facts: Facts, link: str) -> dict[str, Any]:
    """A Microsoft Teams message carrying one Adaptive Card (schema 1.4, which both incoming
    webhooks and Workflows render): the title, the text, the facts (one line each: the label
    in bold, then the value) and a button to the page. User text travels only in ``TextRun``s
    of ``RichTextBlock``s, never markdown-reading elements, as Slack's text is escaped. Built
    by hand: the card is a small fixed document, not worth a dependency."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": True, "style": "heading"},
        {"type": "RichTextBlock", "inlines": [_plain(text)]},
    ]
    if facts:
        body.append(
            {
                "type": "Container",
                "items": [
                    {"type": "RichTextBlock", "inlines": [_plain(f"{t}: ", weight="Bolder"), _plain(v)]}
                    for t, v in facts
                ],
            }
        )
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "Full"},
    }
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": _("Open in okrkpi"), "url": link}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def slack_escape(text: str) -> str:
    """Slack reads ``&``, ``<`` and ``>`` as markup (links, mentions): escape them in user text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(*, text: str, facts: Facts, link: str) -> str:
    """Slack's message: the text, one bullet per fact, then the link (Slack's ``<url>`` syntax)."""
    lines = [slack_escape(text), *(f"• *{slack_escape(t)}*: {slack_escape(v)}" for t, v in facts)]
    if link:
        lines.append(f"<{link}>")
    return "\n".join(lines)


def render_payload(
    kind: str,
    *,
    event: str,
    text: str,
    url: str,
    org_slug: str,
    org_name: str = "",
    facts: Facts | None = None,
    data: dict[str, Any] | None = None,
    delivery_id: str = "",
) -> dict[str, Any]:
    """The body posted to a channel of this kind, in the active language. ``facts`` are
    (label, value) pairs already translated by the caller; ``data`` is the event's
    structured content, which only the generic JSON webhook carries (for programs).
    ``delivery_id``, the same on every retry of one message, is a field of every kind
    (and a header, ``X-Okrkpi-Delivery-Id``), so a receiver can drop a duplicate."""
    link = settings.SITE_URL.rstrip("/") + url if url else ""
    facts = [(str(t), str(v)) for t, v in (facts or [])]
    extra = {"delivery_id": delivery_id} if delivery_id else {}
    if kind == ChannelKind.SLACK:
        return {"text": slack_text(text=text, facts=facts, link=link), **extra}
    if kind == ChannelKind.TEAMS:
        shown = [(_("Organisation"), org_name or org_slug), *facts]
        return {**teams_card(title=_event_title(event), text=text, facts=shown, link=link), **extra}
    payload: dict[str, Any] = {
        **extra,
        "event": event,
        "organization": org_slug,
        "text": text,
        "url": link,
        "facts": [{"title": t, "value": v} for t, v in facts],
        "sent_at": timezone.now().isoformat(),
    }
    if data is not None:
        payload["data"] = data
    return payload
