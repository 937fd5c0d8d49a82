"""The fallback for inbound mail without a webhook: poll an IMAP mailbox (``IMAP_*``
settings) for unseen messages and hand each to the same reply service as the webhook.
A message is marked seen once handled, saved or refused; one over
``INBOUND_EMAIL_MAX_BYTES`` is marked seen unread. The delivery's Message-ID keeps a
message seen twice (a poll that died before marking it) from saving twice."""

from __future__ import annotations

import imaplib
import logging
import re

from django.conf import settings

from integrations.inbound import from_message
from integrations.services.mail import MailRefused, mail_reply_receive

log = logging.getLogger(__name__)
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def handle_raw(raw: bytes) -> str:
    """One stored message: "saved", "replayed", "refused: …" or "too large"."""
    if len(raw) > settings.INBOUND_EMAIL_MAX_BYTES:
        return "too large"
    mail = from_message(raw)
    if not mail.text.strip():
        return "refused: no plain text"
    try:
        _outcome, replayed = mail_reply_receive(mail=mail)
    except MailRefused as exc:
        return f"refused: {exc}"
    return "replayed" if replayed else "saved"


def poll(limit: int = 50) -> dict[str, int]:
    """Handle up to ``limit`` unseen messages; counts by result."""
    counts: dict[str, int] = {}
    if not settings.IMAP_HOST:
        return counts
    with imaplib.IMAP4_SSL(settings.IMAP_HOST, settings.IMAP_PORT, timeout=30) as box:
        box.login(settings.IMAP_USER, settings.IMAP_PASSWORD)
        box.select(settings.IMAP_FOLDER)
        _status, found = box.search(None, "UNSEEN")
        for raw_number in (found[0] or b"").split()[:limit]:
            number = raw_number.decode() if isinstance(raw_number, bytes) else str(raw_number)
            _status, meta = box.fetch(number, "(RFC822.SIZE)")
            size = _SIZE.search(meta[0] if isinstance(meta[0], bytes) else b"")
            if size is not None and int(size.group(1)) > settings.INBOUND_EMAIL_MAX_BYTES:
                result = "too large"
            else:
                _status, data = box.fetch(number, "(BODY.PEEK[])")
                raw = data[0][1] if data and isinstance(data[0], tuple) else b""
                result = handle_raw(raw)
            box.store(number, "+FLAGS", "\\Seen")
            key = result.split(":")[0]
            counts[key] = counts.get(key, 0) + 1
    log.info("inbound mail poll: %s", counts)
    return counts
