"""The outbox: an e-mail or post is a row committed with its claim, sent after the commit,
retried with backoff while the server is down, given up after a bounded number of tries
(shown to admins), and carries one stable delivery id however often it is tried."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command

from conversations import services as talk
from notifications import outbox
from notifications.models import OutboxMessage, ReminderClaim
from reminders.sweep import sweep_organization
from tests.kpis.kpi_factories import make_kpi

DEC_1 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # November's monthly values are due


class DownBackend(BaseEmailBackend):
    """A mail server that refuses connections."""

    def open(self):
        raise ConnectionRefusedError(111, "Connection refused")

    def send_messages(self, messages):
        self.open()


@pytest.fixture
def mail_down(settings):
    settings.EMAIL_BACKEND = f"{__name__}.DownBackend"

    def back_up() -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    return back_up


def _mention(world_a, thread, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        talk.comment_create(
            org=world_a.org, actor=world_a.member, objective=thread.objective, body=f"See @[{thread.sam.pk}]"
        )


def test_a_mail_sent_while_the_server_is_down_waits_and_leaves_once_it_is_back(
    world_a, thread, mail_down, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    _mention(world_a, thread, django_capture_on_commit_callbacks)
    [row] = OutboxMessage.objects.filter(recipient=thread.sam)
    assert row.status == "pending" and row.attempts == 1 and "Connection refused" in row.last_error
    assert row.next_attempt_at > row.created_at  # it waits its backoff
    assert outbox.outbox_sweep().taken == 0  # not due yet
    mail_down()
    report = outbox.outbox_sweep(now=row.next_attempt_at + timedelta(seconds=1))
    assert report.sent == {"email": 1}
    [sent] = mail.outbox
    assert sent.to == [thread.sam.email]
    assert sent.extra_headers["Message-ID"] == f"<{row.delivery_id}@127.0.0.1>"
    assert sent.extra_headers["X-Okrkpi-Delivery-Id"] == str(row.delivery_id)
    row.refresh_from_db()
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 2
    assert outbox.outbox_sweep(now=row.next_attempt_at + timedelta(days=1)).taken == 0  # never again


def test_a_row_is_given_up_after_a_bounded_number_of_tries_and_admins_see_it(
    world_a, thread, mail_down, web, django_capture_on_commit_callbacks
):
    _mention(world_a, thread, django_capture_on_commit_callbacks)
    row = OutboxMessage.objects.get(recipient=thread.sam)
    page = web(world_a.admin).get("/o/alpha/settings/channels/").content.decode()
    assert "1 message failed and will be tried again." in page
    later = row.created_at
    for _ in range(outbox.MAX_ATTEMPTS + 3):
        later += timedelta(hours=2)
        outbox.outbox_sweep(now=later)
    row.refresh_from_db()
    assert row.status == "failed" and row.attempts == outbox.MAX_ATTEMPTS
    page = web(world_a.admin).get("/o/alpha/settings/channels/").content.decode()
    assert "1 message was given up after repeated failures." in page
    assert thread.sam.email in page and str(row.delivery_id) in page and "Connection refused" in page
    assert web(world_a.member).get("/o/alpha/settings/channels/").status_code == 403


def test_a_row_held_by_one_sender_is_not_sent_by_another(world_a, thread, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # written, not yet delivered
        talk.comment_create(
            org=world_a.org, actor=world_a.member, objective=thread.objective, body=f"See @[{thread.sam.pk}]"
        )
    mail.outbox.clear()
    token, taken = outbox._take(ids=None, now=outbox.timezone.now(), limit=10)
    assert len(taken) == 1
    assert outbox.outbox_deliver().taken == 0  # the lease holds it
    assert mail.outbox == []
    # The first sender died: once its lease ends, the sweep sends it, with the same id.
    report = outbox.outbox_sweep(now=outbox.timezone.now() + timedelta(seconds=outbox.lease_seconds() + 1))
    assert report.sent == {"email": 1} and len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["X-Okrkpi-Delivery-Id"] == str(taken[0].delivery_id)


def test_the_claim_and_its_mail_commit_together(world_a, django_capture_on_commit_callbacks, monkeypatch):
    make_kpi(world_a.org, name="Proposals sent", owner_type="person", user=world_a.member)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("reminders.sweep._insert_notifications", broken)
    with pytest.raises(RuntimeError):
        sweep_organization(org=world_a.org, now=DEC_1)
    assert not ReminderClaim.objects.exists() and not OutboxMessage.objects.exists()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=False):
        result = sweep_organization(org=world_a.org, now=DEC_1)
    assert ReminderClaim.objects.count() == 1 and result.outbox_ids
    assert list(OutboxMessage.objects.values_list("pk", "status")) == [(result.outbox_ids[0], "pending")]


def test_send_reminders_reports_what_really_left(world_a, pin_now, mail_down):
    make_kpi(world_a.org, name="Proposals sent", owner_type="person", user=world_a.member)
    pin_now(DEC_1)
    out = _command("send_reminders")
    assert "Sent 1 reminders (kpi_due: 1). E-mailed 0, posted 0" in out
    assert "1 not sent yet: the outbox sweep retries them (ConnectionRefusedError" in out
    mail_down()
    assert "E-mailed 0" in _command("send_reminders")
    outbox.outbox_sweep(now=DEC_1 + timedelta(hours=1))
    assert [m.to for m in mail.outbox] == [[world_a.member.email]]


def test_send_reminders_reports_what_left_when_all_did(world_a, pin_now):
    make_kpi(world_a.org, name="Proposals sent", owner_type="person", user=world_a.member)
    pin_now(DEC_1)
    out = _command("send_reminders")
    assert "Sent 1 reminders (kpi_due: 1). E-mailed 1, posted 0 to chat and webhook channels." in out
    assert len(mail.outbox) == 1


def _command(name: str, *args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_message_once(world_a, thread, settings):
    from tests.concurrency import at_once, require_shared_database

    require_shared_database()
    settings.CELERY_TASK_ALWAYS_EAGER = True
    users = [thread.sam, world_a.member, world_a.manager, world_a.admin]
    rows = [
        outbox.email_row(
            org=world_a.org,
            user=u,
            mail=outbox.Mail(to=u.email, subject=f"Note {i}", text="Hello"),
            topic="mention",
        )
        for i, u in enumerate(users * 10)
    ]
    ids = outbox.outbox_add(rows, dispatch=False)
    mail.outbox.clear()
    reports = at_once(lambda _i: outbox.outbox_deliver_all(ids=ids), n=3)
    assert sum(r.sent.get("email", 0) for r in reports) == 40
    assert len(mail.outbox) == 40
    assert len({m.extra_headers["X-Okrkpi-Delivery-Id"] for m in mail.outbox}) == 40
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_the_sweep_forgets_old_sent_rows_and_keeps_given_up_ones(world_a, thread, django_capture_on_commit_callbacks):
    _mention(world_a, thread, django_capture_on_commit_callbacks)
    _mention(world_a, thread, django_capture_on_commit_callbacks)
    sent, given_up = OutboxMessage.objects.order_by("pk")
    OutboxMessage.objects.filter(pk=given_up.pk).update(status="failed")
    assert OutboxMessage.objects.get(pk=sent.pk).status == "sent"
    outbox.outbox_sweep(now=outbox.timezone.now() + timedelta(days=29))
    assert OutboxMessage.objects.count() == 2
    outbox.outbox_sweep(now=outbox.timezone.now() + timedelta(days=31))
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [given_up.pk]


def test_admins_read_the_outbox_through_the_api(
    world_a, world_b, thread, mail_down, api, django_capture_on_commit_callbacks
):
    _mention(world_a, thread, django_capture_on_commit_callbacks)
    row = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=row.pk).update(status="failed")
    r = api(world_a.admin).get("/api/v1/orgs/alpha/deliveries/?status=failed")
    assert r.status_code == 200, r.content[:300]
    [item] = r.json()["results"]
    assert item["delivery_id"] == str(row.delivery_id) and item["target"] == thread.sam.email
    assert item["status"] == "failed" and "Connection refused" in item["last_error"]
    assert api(world_a.admin).get("/api/v1/orgs/alpha/deliveries/?status=sent").json()["results"] == []
    assert api(world_a.manager).get("/api/v1/orgs/alpha/deliveries/").status_code == 403
    assert api(world_b.admin).get("/api/v1/orgs/beta/deliveries/").json()["results"] == []
    assert api(world_b.admin).get(f"/api/v1/orgs/beta/deliveries/{row.pk}/").status_code == 404
    assert api(world_a.admin).post("/api/v1/orgs/alpha/deliveries/", {}).status_code == 405


class FlakyBackend(BaseEmailBackend):
    """Refuses one address, then loses the connection on the third message."""

    sent: list[str] = []
    tried: list[str] = []

    def send_messages(self, messages):
        [message] = messages
        FlakyBackend.tried.append(message.to[0])
        if message.to == ["refused@alpha.test"]:
            raise smtplib.SMTPRecipientsRefused({"refused@alpha.test": (550, b"no such user")})
        if len(FlakyBackend.sent) == 2:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        FlakyBackend.sent.append(message.to[0])
        return 1


def test_a_refused_address_fails_alone_and_a_lost_connection_stops_the_batch(world_a, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.sent, FlakyBackend.tried = [], []
    to = ["refused@alpha.test", "a@alpha.test", "b@alpha.test", "c@alpha.test", "d@alpha.test"]
    rows = [
        outbox.email_row(org=world_a.org, user=world_a.member, mail=outbox.Mail(to=t, subject="s", text="t"), topic="x")
        for t in to
    ]
    ids = outbox.outbox_add(rows, dispatch=False)
    report = outbox.outbox_deliver(ids=ids)
    assert FlakyBackend.sent == ["a@alpha.test", "b@alpha.test"]
    assert FlakyBackend.tried == to[:4]  # not d: the connection was gone
    assert report.sent == {"email": 2} and report.retrying == {"email": 3}
    errors = dict(OutboxMessage.objects.exclude(status="sent").values_list("target", "last_error"))
    assert "SMTPRecipientsRefused" in errors["refused@alpha.test"]
    assert {errors["c@alpha.test"], errors["d@alpha.test"]} == {
        "SMTPServerDisconnected: Connection unexpectedly closed"
    }  # d was not tried on a dead connection
