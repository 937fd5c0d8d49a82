"""The outbox of e-mails and channel posts (CONVENTIONS "Outbox for side effects").

Whatever must leave exactly once is a row (``OutboxMessage``) written in the transaction
that claims it, so a claim never commits without its message, nor a message without its
claim. After the commit the rows are delivered: by a Celery task (``dispatch``), or in the
calling process (``outbox_deliver``, which the management commands use so that they can
report what really left). A sender first takes the rows with one conditional UPDATE that
sets its lease token, so two senders never send one row; each row is marked sent as soon
as the server accepted it. A row that failed waits with exponential backoff and is retried
by the sweep (``outbox_sweep``, every minute from beat), which also takes the rows whose
sender died mid-send (its lease ran out); after ``MAX_ATTEMPTS`` tries it is given up
(``failed``) and shown to admins on the channels page.

The honest limit: a message the server accepted, whose sender died before marking it sent,
is sent again when the lease ends. That is why every message carries its stable
``delivery_id`` (the e-mail's Message-ID and ``X-Okrkpi-Delivery-Id``; a post's header and
JSON field; a push notification's ``Topic`` header and tag): receivers drop the duplicate.

Kinds sent by a room above this one (push notifications, ``integrations``) register their
sender in their ``AppConfig.ready()`` (``register_sender``): the outbox takes, leases,
retries and gives up their rows like its own.
"""

from __future__ import annotations

import json
import logging
import secrets
import smtplib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from core import broker
from notifications.mailer import Mail, build_message
from notifications.models import Channel, OutboxKind, OutboxMessage, OutboxStatus
from orgs.models import Organization, User

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8  # about 1, 2, 4, 8, 16, 32, 60 minutes apart: some two hours of outage
BATCH = 20  # rows one sender takes at a time: sent well within a lease, even at 10 s an e-mail
DELIVERY_HEADER = "X-Okrkpi-Delivery-Id"
# Refusals of one message (its address, its content); any other error is the connection's.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError, ValueError)


@dataclass
class SendOutcome:
    """What one try at one row of a registered kind did: sent, or why not and whether to give up."""

    ok: bool
    error: str = ""
    final: bool = False  # given up at once: retrying cannot help


class Sender(Protocol):
    def __call__(self, row: OutboxMessage) -> SendOutcome: ...


_SENDERS: dict[str, Sender] = {}


def register_sender(kind: str, sender: Sender) -> None:
    """Let the outbox send rows of ``kind`` (a room above this one calls it when it loads)."""
    _SENDERS[str(kind)] = sender


def lease_seconds() -> int:
    """How long a sender holds the rows it took: longer than a batch takes to send (each
    message has a 10 s mail or 5 s HTTP timeout), short enough that the rows of a sender that
    died are retried soon."""
    return int(getattr(settings, "OUTBOX_LEASE_SECONDS", 300))


def backoff(attempts: int) -> timedelta:
    """The wait before try ``attempts + 1``: a minute (``OUTBOX_RETRY_SECONDS``), doubling, at
    most an hour, with jitter."""
    first = int(getattr(settings, "OUTBOX_RETRY_SECONDS", 60))
    base = min(first * 2 ** max(attempts - 1, 0), 3600)
    return timedelta(seconds=base + secrets.randbelow(base // 4 + 1))


# --- writing rows (inside the caller's transaction) ------------------------------------------


def email_row(*, org: Organization, user: User, mail: Mail, topic: str) -> OutboxMessage:
    """An unsaved row for one e-mail (``outbox_add`` saves it)."""
    return OutboxMessage(
        organization=org,
        kind=OutboxKind.EMAIL,
        recipient=user,
        topic=str(topic),
        target=mail.to[:254],
        payload={"to": mail.to, "subject": mail.subject, "text": mail.text, "html": mail.html, "headers": mail.headers},
    )


def post_rows(
    *,
    org: Organization,
    channels: list[Channel],
    event: str,
    text: str,
    url: str,
    facts: list[tuple[str, str]] | list[list[str]] | None = None,
    data: dict[str, Any] | None = None,
) -> list[OutboxMessage]:
    """Unsaved rows, one post per channel; rendered for the channel's kind when sent."""
    pairs = [[str(t), str(v)] for t, v in (facts or [])]
    payload: dict[str, Any] = {"event": str(event), "text": text, "url": url, "facts": pairs}
    if data is not None:
        payload["data"] = data
    return [
        OutboxMessage(
            organization=org,
            kind=OutboxKind.CHANNEL,
            channel=c,
            topic=str(event),
            target=c.name[:254],
            payload=payload,
        )
        for c in channels
    ]


def _insert(rows: list[OutboxMessage], token: str) -> None:
    """Insert any number of rows in one statement (the rows travel as one JSON parameter),
    so a sweep's statement count does not grow with the people it mails; each row carries
    ``token`` in ``lease`` so the caller can find their ids."""
    now = timezone.now()
    sqlite = connection.vendor != "postgresql"
    stamp = str(connection.ops.adapt_datetimefield_value(now)) if sqlite else now.isoformat()
    columns = {
        "organization_id": "bigint",
        "kind": "text",
        "delivery_id": "uuid",
        "recipient_id": "bigint",
        "channel_id": "bigint",
        "topic": "text",
        "target": "text",
        "payload": "jsonb",
        "status": "text",
        "attempts": "integer",
        "next_attempt_at": "timestamptz",
        "lease": "text",
        "last_error": "text",
        "created_at": "timestamptz",
    }
    data = [
        {
            "organization_id": r.organization_id,
            "kind": str(r.kind),
            "delivery_id": r.delivery_id.hex if sqlite else str(r.delivery_id),  # SQLite keeps UUIDs as hex
            "recipient_id": r.recipient_id,
            "channel_id": r.channel_id,
            "topic": r.topic,
            "target": r.target,
            "payload": r.payload,
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": stamp,
            "lease": token,
            "last_error": "",
            "created_at": stamp,
        }
        for r in rows
    ]
    if sqlite:
        values = ", ".join(f"json_extract(value, '$.{c}')" for c in columns)
        source = "json_each(%s)"
    else:
        values = ", ".join(f"(r->'{c}')" if t == "jsonb" else f"(r->>'{c}')::{t}" for c, t in columns.items())
        source = "jsonb_array_elements(%s::jsonb) r"
    table = OutboxMessage._meta.db_table
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM {source}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(data, default=str)])


def outbox_add(rows: list[OutboxMessage], *, dispatch: bool = True) -> list[int]:
    """Save rows in the caller's transaction (two statements, whatever their number) and,
    unless ``dispatch`` is off (the caller delivers them itself), queue their delivery after
    the commit. Returns their ids."""
    if not rows:
        return []
    token = str(uuid.uuid4())
    _insert(rows, token)
    ids = list(OutboxMessage.objects.filter(lease=token).order_by("pk").values_list("pk", flat=True))
    if dispatch:
        transaction.on_commit(lambda: queue_delivery(ids))
    return ids


def queue_delivery(ids: list[int]) -> None:
    """Hand committed rows to a worker, a task per batch. A broker that is down loses
    nothing: the rows stay pending and the sweep sends them. After a failed publish (of
    anything: ``core.broker``) the process does not try the broker for a while, so
    a hung broker costs a request one time-out per window, not one per message."""
    from notifications.tasks import deliver_outbox

    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        what = f"{len(ids) - start} outbox messages (the sweep will send them)"
        # Celery takes any sequence of arguments (the tests read them as a list); the stubs say tuple.
        send = partial(deliver_outbox.apply_async, args=[batch], retry=False)  # type: ignore[arg-type]  # see above
        if not broker.publish(send, what=what):
            return


# --- delivering ----------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    """What one delivery run did with the rows it took."""

    sent: dict[str, int] = field(default_factory=dict)  # by kind (email, channel, push)
    retrying: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1

    def merge(self, other: DeliveryReport) -> None:
        for mine, theirs in ((self.sent, other.sent), (self.retrying, other.retrying), (self.failed, other.failed)):
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v

    @property
    def taken(self) -> int:
        return sum(self.sent.values()) + sum(self.retrying.values()) + sum(self.failed.values())


def _take(*, ids: list[int] | None, now: datetime, limit: int) -> tuple[str, list[OutboxMessage]]:
    """Lease up to ``limit`` due rows (of ``ids``, or any) with one conditional UPDATE:
    pending, due, and not held by a live lease. Under concurrency PostgreSQL re-checks the
    condition on the row it waited for, so a row goes to one sender only."""
    token = str(uuid.uuid4())
    free = Q(sending_until__isnull=True) | Q(sending_until__lt=now)
    due = OutboxMessage.objects.filter(free, status=OutboxStatus.PENDING, next_attempt_at__lte=now)
    if ids is not None:
        due = due.filter(pk__in=ids)
    chosen = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    if not chosen:
        return token, []
    OutboxMessage.objects.filter(free, pk__in=chosen, status=OutboxStatus.PENDING).update(
        lease=token, sending_until=now + timedelta(seconds=lease_seconds()), attempts=F("attempts") + 1
    )
    rows = list(
        OutboxMessage.objects.filter(lease=token, status=OutboxStatus.PENDING)
        .select_related("organization", "channel")
        .order_by("pk")
    )
    return token, rows


def _mark_sent(row: OutboxMessage, token: str) -> None:
    OutboxMessage.objects.filter(pk=row.pk, lease=token).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), sending_until=None, last_error=""
    )


def _mark_failed(row: OutboxMessage, token: str, error: str, *, final: bool = False) -> bool:
    """Record a failed try: wait and retry, or give up after ``MAX_ATTEMPTS``. Returns
    whether the row was given up."""
    give_up = final or row.attempts >= MAX_ATTEMPTS
    OutboxMessage.objects.filter(pk=row.pk, lease=token).update(
        status=OutboxStatus.FAILED if give_up else OutboxStatus.PENDING,
        next_attempt_at=timezone.now() + backoff(row.attempts),
        sending_until=None,
        last_error=error[:500],
    )
    if give_up:
        log.error("gave up %s %s to %s after %d tries: %s", row.kind, row.delivery_id, row.target, row.attempts, error)
    return give_up


def message_id(delivery_id: uuid.UUID | str) -> str:
    """A stable Message-ID: the same e-mail sent twice carries the same one."""
    host = urlsplit(settings.SITE_URL).hostname or "okrkpi.invalid"
    return f"<{delivery_id}@{host}>"


def _send_emails(rows: list[OutboxMessage], token: str, report: DeliveryReport) -> None:
    """One connection for the batch; each message is marked sent as soon as the server took
    it, so a sender killed mid-batch re-sends at most the message it was on."""
    try:
        connection = get_connection()
        connection.open()
    except Exception as exc:  # noqa: BLE001 — the server is down: every row waits and retries
        for row in rows:
            given_up = _mark_failed(row, token, f"{exc.__class__.__name__}: {exc}")
            report.count(report.failed if given_up else report.retrying, OutboxKind.EMAIL)
        return
    broken = ""  # the connection failed: the rest of the batch waits rather than time out one by one
    try:
        for row in rows:
            p = row.payload
            headers = {**(p.get("headers") or {}), "Message-ID": message_id(row.delivery_id)}
            headers[DELIVERY_HEADER] = str(row.delivery_id)
            mail = Mail(to=p["to"], subject=p["subject"], text=p["text"], html=p.get("html") or "", headers=headers)
            error = broken
            if not broken:
                try:
                    accepted = connection.send_messages([build_message(mail)])
                    error = "" if accepted else "the mail server did not accept the message"
                except MESSAGE_ERRORS as exc:  # this message only: the next one may go
                    error = f"{exc.__class__.__name__}: {exc}"
                except Exception as exc:  # noqa: BLE001 — recorded on the rows and retried; never raised
                    error = broken = f"{exc.__class__.__name__}: {exc}"
            if not error:
                _mark_sent(row, token)
                report.count(report.sent, OutboxKind.EMAIL)
            else:
                given_up = _mark_failed(row, token, error)
                report.count(report.failed if given_up else report.retrying, OutboxKind.EMAIL)
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 — closing a broken connection may fail too
            log.debug("closing the mail connection failed", exc_info=True)


def _send_posts(rows: list[OutboxMessage], token: str, report: DeliveryReport) -> None:
    from notifications.channels import channel_post

    for row in rows:
        outcome = channel_post(row=row, final=row.attempts >= MAX_ATTEMPTS)
        if outcome.ok:
            _mark_sent(row, token)
            report.count(report.sent, OutboxKind.CHANNEL)
        else:
            given_up = _mark_failed(row, token, outcome.error, final=outcome.final)
            report.count(report.failed if given_up else report.retrying, OutboxKind.CHANNEL)


def _send_registered(rows: list[OutboxMessage], token: str, report: DeliveryReport) -> None:
    """Rows of the kinds other rooms send (``register_sender``): one try each; a sender that
    raises counts as a failed try, retried like any other."""
    for row in rows:
        sender = _SENDERS.get(row.kind)
        if sender is None:
            outcome = SendOutcome(False, f"nothing sends {row.kind} messages here", final=False)
        else:
            try:
                outcome = sender(row)
            except Exception as exc:  # noqa: BLE001 — recorded on the row and retried; never raised
                log.warning("sending %s %s failed", row.kind, row.delivery_id, exc_info=True)
                outcome = SendOutcome(False, f"{exc.__class__.__name__}: {exc}")
        if outcome.ok:
            _mark_sent(row, token)
            report.count(report.sent, row.kind)
        else:
            given_up = _mark_failed(row, token, outcome.error, final=outcome.final)
            report.count(report.failed if given_up else report.retrying, row.kind)


def outbox_deliver(*, ids: list[int] | None = None, now: datetime | None = None, limit: int = BATCH) -> DeliveryReport:
    """Take and send one batch of due rows (of ``ids``, or the oldest due)."""
    report = DeliveryReport()
    token, rows = _take(ids=ids, now=now or timezone.now(), limit=limit)
    if not rows:
        return report
    _send_emails([r for r in rows if r.kind == OutboxKind.EMAIL], token, report)
    _send_posts([r for r in rows if r.kind == OutboxKind.CHANNEL], token, report)
    _send_registered([r for r in rows if r.kind not in (OutboxKind.EMAIL, OutboxKind.CHANNEL)], token, report)
    return report


def outbox_deliver_all(*, ids: list[int], now: datetime | None = None) -> DeliveryReport:
    """Send every one of ``ids`` that is due, batch after batch (the commands' way)."""
    report = DeliveryReport()
    for start in range(0, len(ids), BATCH):
        report.merge(outbox_deliver(ids=ids[start : start + BATCH], now=now))
    return report


def outbox_sweep(*, now: datetime | None = None, max_batches: int = 20) -> DeliveryReport:
    """Retry what is due: rows that failed and waited their backoff, rows whose publish
    failed (broker down), and rows whose sender died (lease ended). Bounded per run; the
    next run (a minute later) takes the rest."""
    report = DeliveryReport()
    for _ in range(max_batches):
        batch = outbox_deliver(now=now)
        report.merge(batch)
        if batch.taken < BATCH:
            break
    _prune(now or timezone.now())
    return report


KEEP_SENT = timedelta(days=30)  # sent rows are kept a while (a receiver may ask about an id), then go


def _prune(now: datetime) -> int:
    """Delete sent rows older than ``KEEP_SENT``, a bounded number per run; given-up rows
    stay for admins to see."""
    old = OutboxMessage.objects.filter(status=OutboxStatus.SENT, sent_at__lt=now - KEEP_SENT)
    ids = list(old.order_by("pk").values_list("pk", flat=True)[:1000])
    return OutboxMessage.objects.filter(pk__in=ids).delete()[0] if ids else 0


@dataclass
class DeliverySummary:
    """Counts of a command's outbox rows where they stand after its delivery, by status,
    kind (email, channel) and topic (the notification kind or channel event)."""

    counts: dict[tuple[str, str, str], int] = field(default_factory=dict)
    last_error: str = ""

    def total(self, status: str, kind: str) -> int:
        return sum(n for (s, k, _t), n in self.counts.items() if s == status and k == kind)

    def by_topic(self, status: str, kind: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for (s, k, topic), n in self.counts.items():
            if s == status and k == kind:
                found[topic] = found.get(topic, 0) + n
        return found

    @property
    def all_sent(self) -> bool:
        return all(s == OutboxStatus.SENT for (s, _k, _t) in self.counts)

    @property
    def problems(self) -> str:
        """How many did not leave, and why ("" when all did)."""
        waiting = sum(n for (s, _k, _t), n in self.counts.items() if s == OutboxStatus.PENDING)
        failed = sum(n for (s, _k, _t), n in self.counts.items() if s == OutboxStatus.FAILED)
        parts = []
        if waiting:
            parts.append(f"{waiting} not sent yet: the outbox sweep retries them ({self.last_error}).")
        if failed:
            parts.append(f"{failed} given up ({self.last_error}).")
        return " ".join(parts)

    @property
    def text(self) -> str:
        """``E-mailed 3, posted 1 …``, ``Pushed 2 to phones.`` when any were, and, when some
        did not leave, how many wait and why."""
        sent_mail = self.total(OutboxStatus.SENT, OutboxKind.EMAIL)
        sent_posts = self.total(OutboxStatus.SENT, OutboxKind.CHANNEL)
        pushed = self.total(OutboxStatus.SENT, OutboxKind.PUSH)
        parts = (
            f"E-mailed {sent_mail}, posted {sent_posts} to chat and webhook channels.",
            f"Pushed {pushed} to phones." if pushed else "",
            self.problems,
        )
        return " ".join(p for p in parts if p)


def delivery_summary(ids: list[int]) -> DeliverySummary:
    """Where these rows stand now (the commands report it after delivering)."""
    summary = DeliverySummary()
    for status, kind, topic, error in OutboxMessage.objects.filter(pk__in=ids).values_list(
        "status", "kind", "topic", "last_error"
    ):
        key = (status, kind, topic)
        summary.counts[key] = summary.counts.get(key, 0) + 1
        if error and status != OutboxStatus.SENT:
            summary.last_error = error
    return summary
