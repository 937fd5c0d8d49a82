"""E-mail that leaves after the commit, in the recipient's language, with a
working unsubscribe link (a signed token: no login needed)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.urls import reverse

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


def send_now(mails: list[Mail]) -> int:
    """Send; a mail server outage is logged, never raised (the in-app side is already saved)."""
    if not mails:
        return 0
    messages = []
    for m in mails:
        message = EmailMultiAlternatives(m.subject[:200], m.text, None, [m.to], headers=m.headers or None)
        if m.html:
            message.attach_alternative(m.html, "text/html")
        messages.append(message)
    try:
        return get_connection().send_messages(messages) or 0
    except OSError:
        log.exception("could not send %d e-mails", len(messages))
        return 0
