"""Push reminders go through the outbox: a row per phone written with the sweep's claims,
sent after the commit, retried with backoff when the push service fails (5xx, a timeout),
recorded once, and a subscription the service calls gone (404, 410) forgotten. Against a
fake push service on 127.0.0.1."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from integrations.models import PushSubscription
from integrations.services import push
from notifications import outbox
from notifications.models import OutboxKind, OutboxMessage, OutboxStatus
from reminders.sweep import sweep_organization
from tests.integrations.fakes import FakePushService

NOON = datetime(2026, 11, 2, 12, tzinfo=UTC)  # a Monday: the weekly check-in reminder is due
LATER = NOON + timedelta(hours=3)  # past any backoff of the first tries and past the lease


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.fixture
def vapid(settings):
    key = ec.generate_private_key(ec.SECP256R1())
    settings.VAPID_PRIVATE_KEY = _b64(key.private_numbers().private_value.to_bytes(32, "big"))
    settings.OUTBOX_LEASE_SECONDS = 300


@pytest.fixture
def service(vapid, desk, pin_now):
    pin_now(NOON)
    fake = FakePushService()
    yield fake
    fake.close()


def _subscribe(desk, url: str) -> PushSubscription:
    browser = ec.generate_private_key(ec.SECP256R1())
    p256dh = browser.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return PushSubscription.objects.create(
        organization=desk.world.org, user=desk.world.member, endpoint=url, p256dh=_b64(p256dh), auth=_b64(b"0" * 16)
    )


def _sweep(desk, capture) -> list[int]:
    """The sweep as the command runs it: the rows committed, then delivered in this process."""
    with capture(execute=True):
        result = sweep_organization(org=desk.world.org, now=NOON, dispatch=False)
    outbox.outbox_deliver_all(ids=result.outbox_ids, now=NOON)
    return result.outbox_ids


def _push_row() -> OutboxMessage:
    return OutboxMessage.objects.get(kind=OutboxKind.PUSH)


def test_a_push_refused_with_a_5xx_is_retried_and_arrives_once(desk, service, django_capture_on_commit_callbacks):
    service.statuses = [503]
    _subscribe(desk, service.url)
    _sweep(desk, django_capture_on_commit_callbacks)
    row = _push_row()
    assert len(service.received) == 1 and not service.accepted
    assert row.status == OutboxStatus.PENDING and row.attempts == 1 and "503" in row.last_error
    assert row.next_attempt_at > NOON  # it waits its backoff
    assert outbox.outbox_sweep(now=NOON).taken == 0  # not before

    report = outbox.outbox_sweep(now=LATER)
    assert report.sent == {OutboxKind.PUSH: 1}
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and row.attempts == 2
    assert len(service.accepted) == 1
    assert service.received[0]["topic"] == service.received[1]["topic"] == row.delivery_id.hex

    # A second sweep (overlapping, retried, the next quarter hour) claims nothing: no second push.
    assert _sweep(desk, django_capture_on_commit_callbacks) == []
    assert outbox.outbox_sweep(now=LATER + timedelta(hours=3)).taken == 0
    assert len(service.received) == 2 and len(service.accepted) == 1
    assert OutboxMessage.objects.filter(kind=OutboxKind.PUSH).count() == 1


def test_a_push_that_times_out_is_retried_with_the_same_topic(
    desk, service, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(push, "TIMEOUT", 0.3)
    service.stalls = [1.0]  # the service takes the first one, but answers too late
    _subscribe(desk, service.url)
    _sweep(desk, django_capture_on_commit_callbacks)
    row = _push_row()
    assert row.status == OutboxStatus.PENDING and "Timeout" in row.last_error
    assert outbox.outbox_sweep(now=LATER).sent == {OutboxKind.PUSH: 1}
    # Sent twice (the first answer never came), with one topic: the service holds one message.
    assert [h["topic"] for h in service.received] == [row.delivery_id.hex] * 2
    assert len(service.held) == 1


def test_a_sender_killed_after_the_push_left_sends_it_again_with_the_same_topic(
    desk, service, django_capture_on_commit_callbacks, monkeypatch
):
    """The honest edge: pushes are at least once. The one sent again carries the same Topic
    (the service replaces the copy it holds) and the same notification tag on the phone."""
    _subscribe(desk, service.url)
    real_mark_sent = outbox._mark_sent

    def killed(row, token):
        if row.kind == OutboxKind.PUSH:
            raise KeyboardInterrupt  # the worker dies between the push service's 201 and the record
        real_mark_sent(row, token)

    monkeypatch.setattr(outbox, "_mark_sent", killed)
    with pytest.raises(KeyboardInterrupt):
        _sweep(desk, django_capture_on_commit_callbacks)
    monkeypatch.setattr(outbox, "_mark_sent", real_mark_sent)
    row = _push_row()
    assert row.status == OutboxStatus.PENDING and len(service.accepted) == 1
    assert outbox.outbox_sweep(now=NOON + timedelta(seconds=60)).taken == 0  # its lease still holds it
    assert outbox.outbox_sweep(now=LATER).sent == {OutboxKind.PUSH: 1}
    assert outbox.outbox_sweep(now=LATER + timedelta(hours=3)).taken == 0
    assert len(service.accepted) == 2 and len(service.held) == 1
    assert service.accepted[0]["topic"] == service.accepted[1]["topic"] == row.delivery_id.hex


@pytest.mark.parametrize("status", [410, 404])
def test_a_subscription_the_service_calls_gone_is_deleted_and_not_retried(
    desk, service, django_capture_on_commit_callbacks, status
):
    service.statuses = [status]
    gone = _subscribe(desk, service.url)
    _sweep(desk, django_capture_on_commit_callbacks)
    assert not PushSubscription.objects.filter(pk=gone.pk).exists()
    row = _push_row()
    assert row.status == OutboxStatus.FAILED and str(status) in row.last_error
    assert outbox.outbox_sweep(now=LATER).taken == 0
    assert len(service.received) == 1


def test_a_refusal_that_retrying_cannot_mend_is_given_up_at_once(desk, service, django_capture_on_commit_callbacks):
    service.statuses = [413]  # the payload is too large: the same message would be refused again
    kept = _subscribe(desk, service.url)
    _sweep(desk, django_capture_on_commit_callbacks)
    assert _push_row().status == OutboxStatus.FAILED
    assert PushSubscription.objects.filter(pk=kept.pk).exists()


def test_each_phone_of_the_person_gets_its_own_row_in_the_sweeps_transaction(
    desk, service, django_capture_on_commit_callbacks
):
    other = FakePushService()
    try:
        _subscribe(desk, service.url)
        _subscribe(desk, other.url)
        with django_capture_on_commit_callbacks(execute=False):
            result = sweep_organization(org=desk.world.org, now=NOON, dispatch=False)
        rows = OutboxMessage.objects.filter(pk__in=result.outbox_ids, kind=OutboxKind.PUSH)
        assert rows.count() == 2 and not service.received  # written, not sent before the commit
        assert {r.recipient_id for r in rows} == {desk.world.member.pk}
        assert {r.payload["title"] for r in rows} == {"Time to check in"}
        outbox.outbox_deliver_all(ids=result.outbox_ids, now=NOON)
        assert len(service.accepted) == len(other.accepted) == 1
    finally:
        other.close()


def test_no_vapid_key_means_no_push_rows(desk, settings, django_capture_on_commit_callbacks):
    settings.VAPID_PRIVATE_KEY = ""
    _subscribe(desk, "https://push.example/1")
    _sweep(desk, django_capture_on_commit_callbacks)
    assert not OutboxMessage.objects.filter(kind=OutboxKind.PUSH).exists()


def test_the_command_says_how_many_pushes_left(desk, service, django_capture_on_commit_callbacks):
    _subscribe(desk, service.url)
    ids = _sweep(desk, django_capture_on_commit_callbacks)
    assert "Pushed 1 to phones." in outbox.delivery_summary(ids).text
    assert len(service.accepted) == 1
