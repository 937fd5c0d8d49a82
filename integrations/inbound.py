"""Inbound e-mail as it arrives, made one shape (``InboundMail``) whatever brought it:
an inbound-mail service's webhook (a JSON body or a multipart form with ``from``, ``to``,
``text``, as Mailgun, SendGrid, Postmark and most others can send) or the IMAP poll
(an RFC 822 message). Pure: no database."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Any

# Field names the common services use for the same things.
_FROM = ("from", "sender", "From", "envelope_from")
_TO = ("to", "recipient", "recipients", "To", "envelope_to", "OriginalRecipient")
_TEXT = ("text", "body-plain", "stripped-text", "TextBody", "plain", "body_plain")
_HTML = ("html", "body-html", "HtmlBody", "body_html")
_ID = ("message_id", "Message-Id", "message-id", "MessageID", "Message-ID")


@dataclass(frozen=True)
class InboundMail:
    sender: str  # the bare address, lower case
    recipients: list[str]
    text: str
    has_html: bool
    message_id: str
    spoofed: bool = False  # the inbound service said SPF or DKIM failed

    def key(self) -> str:
        """The delivery's id: its Message-ID, or a hash of what it says when it has none."""
        if self.message_id:
            return self.message_id
        digest = hashlib.sha256("\n".join([self.sender, *self.recipients, self.text]).encode()).hexdigest()
        return f"sha256:{digest}"


def _first(data: Any, names: tuple[str, ...]) -> str:
    for name in names:
        value = data.get(name)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if value:
            return str(value)
    return ""


_FAILED = re.compile(r"\b(fail|softfail|permerror)\b", re.IGNORECASE)


def _auth_failed(data: Any) -> bool:
    """Whether the service's own SPF or DKIM verdict (``SPF``, ``spf``, ``dkim``,
    ``X-Mailgun-Spf``…) says the sender's domain did not send it."""
    for name in ("SPF", "spf", "dkim", "DKIM", "X-Mailgun-Spf", "X-Mailgun-Dkim-Check-Result"):
        value = data.get(name)
        if value and _FAILED.search(str(value)):
            return True
    return False


def from_fields(data: Any) -> InboundMail:
    """A webhook's JSON object or form (anything with ``get``)."""
    recipients = [addr.lower() for _name, addr in getaddresses([_first(data, _TO)]) if addr]
    return InboundMail(
        sender=parseaddr(_first(data, _FROM))[1].lower(),
        recipients=recipients,
        text=_first(data, _TEXT),
        has_html=bool(_first(data, _HTML)),
        message_id=_first(data, _ID).strip()[:255],
        spoofed=_auth_failed(data),
    )


def from_message(raw: bytes) -> InboundMail:
    """An RFC 822 message (the IMAP poll): the first text/plain part that is not an
    attachment is the text; HTML is noted, never read."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    text, has_html = "", False
    parts = message.walk() if message.is_multipart() else iter([message])
    for part in parts:
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and not text and isinstance(part, EmailMessage):
            text = str(part.get_content())
        elif kind == "text/html":
            has_html = True
    headers = [str(message.get(name, "")) for name in ("To", "Cc", "Delivered-To")]
    return InboundMail(
        sender=parseaddr(str(message.get("From", "")))[1].lower(),
        recipients=[addr.lower() for _name, addr in getaddresses(headers) if addr],
        text=text,
        has_html=has_html,
        message_id=str(message.get("Message-ID", "")).strip()[:255],
    )


TOKEN_IN_ADDRESS = re.compile(r"^[^@+]+\+([a-z2-7]{12}\.[0-9a-f]{16})@", re.IGNORECASE)


def reply_token(mail: InboundMail) -> str | None:
    """The reply token of the first recipient address that carries one."""
    for address in mail.recipients:
        match = TOKEN_IN_ADDRESS.match(address)
        if match:
            return match.group(1).lower()
    return None
