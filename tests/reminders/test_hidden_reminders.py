"""The sweep and the digests tell nobody of what they may not see (DESIGN §3): a key result's
owner kept out of its private objective gets no missed check-in reminder, in the list or by
e-mail; and the digests read who may see what in a number of queries that does not grow with
their recipients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import MailDue, Notification, NotificationKind, OutboxMessage
from objectives import services as okr
from orgs.models import Role
from reminders.digests.buffered import flush_buffered
from reminders.sweep import sweep_organization
from tests.factories import MembershipFactory, UserFactory, place
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

pytestmark = pytest.mark.django_db
MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def _member(world_a, name: str):
    user = UserFactory(name=name)
    MembershipFactory(organization=world_a.org, user=user, role=Role.MEMBER)
    place(world_a.other_team, user)
    return user


def test_a_key_result_owner_kept_out_of_the_objective_is_not_reminded(world_a):
    peer = _member(world_a, "Pia Peer")
    today = timezone.now().date()
    cycle = make_cycle(world_a.org, start=today - timedelta(days=5))
    secret = make_objective(world_a.org, cycle, title="Secret launch", owner_type="person", user=world_a.member)
    okr.objective_update(objective=secret, actor=world_a.admin, visibility="private", viewers=[peer])
    make_kr(secret, title="Hidden budget", owner=peer)
    make_kr(secret, title="Owner's own", owner=world_a.member)
    okr.objective_set_status(objective=secret, actor=world_a.admin, status="active")
    okr.objective_update(objective=secret, actor=world_a.admin, viewers=[])  # peer removed
    sweep_organization(org=world_a.org, now=timezone.now() + timedelta(days=20), dispatch=False)
    missed = Notification.objects.filter(kind=NotificationKind.CHECK_IN_MISSED)
    assert list(missed.values_list("recipient_id", flat=True)) == [world_a.member.pk]  # who may see it
    assert not Notification.objects.filter(recipient=peer).exists()
    assert not OutboxMessage.objects.filter(recipient=peer).exists()
    assert not any("Hidden budget" in m.payload.get("text", "") for m in OutboxMessage.objects.all())


def _waiting(world_a, user, subject_id: int | None, message: str) -> None:
    Notification.objects.create(
        organization=world_a.org,
        recipient=user,
        kind="comment",
        message=message,
        mail_due=MailDue.DAILY,
        subject_type="objective" if subject_id else "",
        subject_id=subject_id,
    )


def _digest_queries(world_a, day: int, readers: int, open_one, secret) -> tuple[int, set[int]]:
    """Queries of the daily flush on ``day`` December with ``readers`` new members waiting for
    a digest about the open objective (and about nothing); the owner, an admin and the viewer
    each wait with one about the private ``secret``. Returns them and who was e-mailed."""
    for who in (world_a.member, world_a.admin, world_a.viewer):
        _waiting(world_a, who, secret.pk, "About Secret launch")
    for i in range(readers):
        user = _member(world_a, f"Reader {day}-{i}")
        _waiting(world_a, user, open_one.pk, "About Open plan")
        _waiting(world_a, user, None, "About nothing")
    with CaptureQueriesContext(connection) as queries:
        flush_buffered(org=world_a.org, now=datetime(2026, 12, day, 10, 0, tzinfo=UTC), dispatch=False)
    mailed = set(OutboxMessage.objects.values_list("recipient_id", flat=True))
    OutboxMessage.objects.all().delete()
    return len(queries), mailed


def test_the_digest_flush_costs_the_same_for_two_recipients_or_ten(world_a):
    cycle = make_cycle(world_a.org)
    open_one = make_objective(world_a.org, cycle, title="Open plan", owner_type="company")
    secret = make_objective(world_a.org, cycle, title="Secret launch", owner_type="person", user=world_a.member)
    okr.objective_update(objective=secret, actor=world_a.admin, visibility="private")
    two, mailed = _digest_queries(world_a, 8, 2, open_one, secret)  # Tuesday
    assert {world_a.member.pk, world_a.admin.pk} <= mailed and world_a.viewer.pk not in mailed
    assert len(mailed) == 2 + 2
    ten, mailed = _digest_queries(world_a, 9, 10, open_one, secret)  # Wednesday
    assert {world_a.member.pk, world_a.admin.pk} <= mailed and world_a.viewer.pk not in mailed
    assert len(mailed) == 2 + 10
    assert ten == two
