"""Check-ins by replying to the reminder e-mail.

The weekly reminder lists the person's key results numbered and is sent with a reply
address of its own, ``checkin+<token>@<INBOUND_EMAIL_DOMAIN>``: the token is random and
signed with the server's key, and its row (``ReplyAddress``) keeps the person and the key
results in the order they were numbered. A reply is saved only when it comes back to a
known, unexpired address from that person's own address, as plain text; the person is
then answered, by an e-mail through the outbox, with what was saved and what was not.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from core.numbers import format_quantity
from core.provenance import Origin
from cycles.models import CycleStatus
from integrations.entries import parse_entries, reply_body
from integrations.inbound import InboundMail, reply_token
from integrations.models import Platform, ReplyAddress
from integrations.selectors import key_results_by_ids
from integrations.services.checkins import (
    Outcome,
    Row,
    check_in_entries,
    deliver_once,
    language_of,
    outcome_lines,
    outcome_summary,
)
from notifications.mailer import Mail
from notifications.outbox import email_row, outbox_add
from objectives.models import KeyResult, ObjectiveStatus
from orgs.models import Membership, Organization, User

_SALT = "integrations.reply-address"


def _signature(public: str) -> str:
    return salted_hmac(_SALT, public, algorithm="sha256").hexdigest()[:16]


def token_new() -> str:
    """``<12 random base32 characters>.<16 hex of their HMAC>``: lower case, as mail
    systems may lower-case an address."""
    public = base64.b32encode(secrets.token_bytes(10)).decode().lower()[:12]
    return f"{public}.{_signature(public)}"


def token_valid(token: str) -> bool:
    public, _dot, signature = token.partition(".")
    return bool(public) and hmac.compare_digest(signature, _signature(public))


def reply_address(token: str) -> str:
    return f"checkin+{token}@{settings.INBOUND_EMAIL_DOMAIN}"


@dataclass(frozen=True)
class ReplyBlock:
    address: str
    key_results: list[KeyResult]


def reminder_replies(*, org: Organization, user_ids: set[int] | list[int]) -> dict[int, ReplyBlock]:
    """A reply address for each person's weekly reminder, with their key results in the
    order the reminder numbers them: one read and one insert, whatever the number of
    people. Empty when inbound mail is not set up (``INBOUND_EMAIL_DOMAIN``)."""
    if not settings.INBOUND_EMAIL_DOMAIN or not user_ids:
        return {}
    owned: dict[int, list[KeyResult]] = {}
    for kr in (
        KeyResult.objects.filter(
            organization=org,
            owner_id__in=list(user_ids),
            objective__cycle__status__in=[CycleStatus.ACTIVE, CycleStatus.PLANNING],
            objective__status__in=[ObjectiveStatus.ACTIVE, ObjectiveStatus.DRAFT],
        )
        .select_related("objective__cycle")
        .order_by("objective__cycle__start_date", "objective_id", "position", "id")
    ):
        owned.setdefault(kr.owner_id, []).append(kr)
    now = timezone.now()
    rows = [
        ReplyAddress(
            organization=org, user_id=uid, token=token_new(), key_results=[kr.pk for kr in krs], created_at=now
        )
        for uid, krs in owned.items()
    ]
    ReplyAddress.objects.bulk_create(rows)
    return {row.user_id: ReplyBlock(reply_address(row.token), owned[row.user_id]) for row in rows}


def reminder_text(block: ReplyBlock) -> str:
    """The numbered list and how to answer (in the active language)."""
    lines = [_("Reply to this e-mail to check in, one key result per number, for example:")]
    lines.append("    1: 45, 2: 4,5 (conf 7), 3: done")
    lines.append("")
    for n, kr in enumerate(block.key_results, start=1):
        lines.append(
            _("%(n)d. %(title)s (now %(value)s, target %(target)s)")
            % {
                "n": n,
                "title": kr.title,
                "value": format_quantity(kr.current_value, kr.unit, kind=kr.kind),
                "target": format_quantity(kr.target_value, kr.unit, kind=kr.kind),
            }
        )
    return "\n".join(lines)


def with_reply(mail: Mail, block: ReplyBlock) -> Mail:
    """The reminder ``mail`` with the numbered list above its text and its reply address."""
    mail.text = reminder_text(block) + "\n\n" + mail.text
    mail.headers = {**mail.headers, "Reply-To": block.address}
    return mail


class MailRefused(Exception):
    """A reply that is not saved and not answered: forged, expired, from another address,
    HTML only. ``status`` is the webhook's answer."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


def _address_row(mail: InboundMail) -> ReplyAddress:
    token = reply_token(mail)
    if token is None or not token_valid(token):
        raise MailRefused("No valid reply address among the recipients.")
    row = ReplyAddress.objects.select_related("organization", "user").filter(token=token).first()
    if row is None:
        raise MailRefused("Unknown reply address.")
    if row.created_at < timezone.now() - timedelta(days=settings.REPLY_ADDRESS_DAYS):
        raise MailRefused("This reply address has expired.")
    if not hmac.compare_digest(mail.sender, row.user.email.lower()):
        raise MailRefused("The reply does not come from the address the reminder was sent to.")
    return row


def mail_reply_receive(*, mail: InboundMail) -> tuple[Outcome, bool]:
    """Save the check-ins of a reply and answer it (the answer an outbox row of the same
    transaction). ``MailRefused`` when it is not the person's reply to their own reminder,
    or has no plain text. Returns the outcome and whether it was a replay."""
    if mail.spoofed:
        raise MailRefused("The mail service says the sender's domain did not send this message (SPF or DKIM).")
    row = _address_row(mail)
    if not mail.text.strip():
        raise MailRefused("Only plain-text replies are read.", status=400)
    org = row.organization
    membership = (
        Membership.objects.select_related("user", "organization").filter(organization=org, user=row.user).first()
    )
    if membership is None:
        raise MailRefused("The person is no longer a member of the organisation.")
    entries, stray = parse_entries(reply_body(mail.text))

    def work() -> Outcome:
        key_results = key_results_by_ids(org=org, ids=[int(i) for i in row.key_results])
        if len(key_results) != len(row.key_results):  # one was deleted: keep the numbers as sent
            kept = {kr.pk: kr for kr in key_results}
            key_results = [kept[i] for i in row.key_results if i in kept]
        outcome = check_in_entries(membership=membership, key_results=key_results, entries=entries, origin=Origin.EMAIL)
        with translation.override(language_of(membership)):
            for line in stray:
                outcome.refused.append(
                    Row(0, "", _("“%(line)s” was not understood: write “number: value”.") % {"line": line})
                )
            _answer(org, membership.user, row, outcome)
        return outcome

    return deliver_once(org=org, platform=Platform.EMAIL, key=mail.key(), user=membership.user, work=work)


def _answer(org: Organization, user: User, row: ReplyAddress, outcome: Outcome) -> None:
    """The answer e-mail (active language): the summary, a line per entry, and the same
    reply address, so a correction is one more reply."""
    text = "\n".join(
        [
            outcome_summary(outcome),
            "",
            *outcome_lines(outcome),
            "",
            _("To correct or add a value, reply to this e-mail the same way."),
        ]
    )
    mail = Mail(
        to=user.email,
        subject=_("[%(org)s] Your check-in: %(summary)s") % {"org": org.name, "summary": outcome_summary(outcome)},
        text=text,
        headers={"Reply-To": reply_address(row.token)},
    )
    outbox_add([email_row(org=org, user=user, mail=mail, topic="check_in_reply")])
