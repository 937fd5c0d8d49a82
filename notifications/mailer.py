"""E-mail that leaves after the commit (through ``notifications.outbox``), in the
recipient's language, with a working unsubscribe link (a signed token: no login needed)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from core.mail import header_safe
from orgs.models import Organization, User

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "notifications.unsubscribe"


@dataclass
class Mail:
    to: str
    subject: str
    text: str
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def language_of(user: User, org: Organization) -> str:
    return user.language or org.language or settings.LANGUAGE_CODE


def absolute(url: str) -> str:
    return settings.SITE_URL.rstrip("/") + url


def unsubscribe_token(*, org_id: int, user_id: int, kind: str) -> str:
    return signing.dumps({"o": org_id, "u": user_id, "k": str(kind)}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> dict | None:
    """The token's content, or None when it was forged or mangled (it never expires:
    an old e-mail's link must still work)."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not {"o", "u", "k"} <= data.keys():
        return None
    return data


def unsubscribe_url(*, org_id: int, user_id: int, kind: str) -> str:
    return absolute(
        reverse("unsubscribe", kwargs={"token": unsubscribe_token(org_id=org_id, user_id=user_id, kind=kind)})
    )


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients POST to the link."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def build_message(m: Mail) -> EmailMultiAlternatives:
    """The message, with every header made one line."""
    headers = {name: header_safe(v) for name, v in (m.headers or {}).items()}
    message = EmailMultiAlternatives(header_safe(m.subject)[:200], m.text, None, [header_safe(m.to)], headers=headers)
    if m.html:
        message.attach_alternative(m.html, "text/html")
    return message
