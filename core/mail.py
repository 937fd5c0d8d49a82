"""Mail headers from user text, and mail that must never fail the request sending it.

On the ground floor because every floor that sends mail needs it: ``orgs`` (invitations)
as well as ``notifications`` (the outbox's messages).
"""

from __future__ import annotations

import logging

from django.core.mail import EmailMessage
from django.db import transaction

log = logging.getLogger(__name__)


def header_safe(value: object) -> str:
    """One line: user text (a comment, a person's or an organisation's name) reaches the
    subject, and a newline there would start a header of its own (Django refuses it with
    ``BadHeaderError``). Every run of whitespace, line breaks included, becomes one space,
    and other control characters go."""
    return " ".join("".join(ch for ch in str(value) if ch.isprintable() or ch.isspace()).split())


def send_after_commit(*, subject: str, body: str, to: str) -> None:
    """Send one plain-text e-mail after the caller's transaction commits (at once outside
    one), its subject and recipient made one line. A failure is logged, never raised: the
    change that asked for the mail is committed, and a 500 would only hide that."""

    def send() -> None:
        message = EmailMessage(header_safe(subject)[:200], body, None, [header_safe(to)])
        try:
            message.send(fail_silently=False)
        except Exception:  # noqa: BLE001 — after the commit: the request must still answer
            log.exception("could not send the e-mail %r", message.subject)

    transaction.on_commit(send)
