"""Nothing is sent about what its recipient may not see (DESIGN §3): ``notification_send``
asks before it writes the notification or the e-mail, so a key result's owner kept out of a
private objective hears nothing of a comment on it, neither in the list nor by e-mail; and a
notification's subject is read in its own organisation only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail

from conversations import services as talk
from notifications.models import MailDue, Notification, NotificationSettings, OutboxMessage
from notifications.outbox import outbox_deliver
from notifications.selectors import notifications_for
from notifications.services import notification_send
from notifications.subjects import open_q
from objectives import services as okr
from orgs.models import Role
from reminders.digests.buffered import flush_buffered
from tests.factories import MembershipFactory, UserFactory, place
from tests.kpis.kpi_factories import make_kpi
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

pytestmark = pytest.mark.django_db
LEAKED = "[ALPHA] Admin alpha commented on Secret launch: Budget cut to 10k"


@pytest.fixture
def peer(world_a):
    """A member of another team who wants comments at once."""
    user = UserFactory(name="Pia Peer")
    MembershipFactory(organization=world_a.org, user=user, role=Role.MEMBER)
    place(world_a.other_team, user)
    NotificationSettings.objects.create(organization=world_a.org, user=user, deliveries={"comment": "instant"})
    return user


@pytest.fixture
def check_in(world_a, peer):
    """The member's private objective; ``peer``, a named viewer, holds a key result and checked in."""
    objective = make_objective(
        world_a.org, make_cycle(world_a.org), title="Secret launch", owner_type="person", user=world_a.member
    )
    okr.objective_update(objective=objective, actor=world_a.admin, visibility="private", viewers=[peer])
    kr = make_kr(objective, owner=peer)
    return okr.key_result_check_in(key_result=kr, actor=peer, value=3, confidence=7, note="Three")


def _comment(world_a, check_in, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        talk.comment_create(org=world_a.org, actor=world_a.admin, body="Budget cut to 10k", check_in=check_in)
    outbox_deliver()  # whatever the broker did not send yet


def test_a_key_result_owner_kept_out_of_the_objective_hears_nothing_of_a_comment(
    world_a, peer, check_in, web, django_capture_on_commit_callbacks
):
    okr.objective_update(objective=check_in.key_result.objective, actor=world_a.admin, viewers=[])  # peer removed
    _comment(world_a, check_in, django_capture_on_commit_callbacks)
    assert not Notification.objects.filter(recipient=peer).exists()
    assert not OutboxMessage.objects.filter(recipient=peer).exists()
    assert [m.subject for m in mail.outbox if peer.email in m.to] == []
    assert "Budget cut" not in web(peer).get("/o/alpha/notifications/").content.decode()


def test_a_key_result_owner_who_may_see_it_is_told_at_once(
    world_a, peer, check_in, web, django_capture_on_commit_callbacks
):
    _comment(world_a, check_in, django_capture_on_commit_callbacks)
    (note,) = Notification.objects.filter(recipient=peer)
    assert note.mail_due == ""
    assert (note.subject_type, note.subject_id) == ("objective", check_in.key_result.objective_id)
    assert [m.subject for m in mail.outbox if peer.email in m.to] == [LEAKED]
    assert "Budget cut to 10k" in web(peer).get("/o/alpha/notifications/").content.decode()


def test_notification_send_refuses_every_hidden_subject_and_fails_closed(world_a):
    cycle = make_cycle(world_a.org)
    hidden = make_objective(world_a.org, cycle, title="Hidden", owner_type="person", user=world_a.manager)
    okr.objective_update(objective=hidden, actor=world_a.admin, visibility="private")
    kr = make_kr(hidden, owner=world_a.manager)
    kpi = make_kpi(world_a.org, name="Churn", owner_type="person", user=world_a.manager)
    kpi.visibility = "private"
    kpi.save(update_fields=["visibility"])
    org, member = world_a.org, world_a.member
    for subject in (f"objective:{hidden.pk}", f"kr:{kr.pk}", f"kpi:{kpi.pk}", "objective:0", "thing:4"):
        assert notification_send(org=org, recipient=member, kind="mention", message=subject, subject=subject) is None
    assert not Notification.objects.filter(recipient=member).exists()
    assert not OutboxMessage.objects.filter(recipient=member).exists()
    # Those who may see it (the owner; an admin) are told; so is anyone of what names nothing.
    for who in (world_a.manager, world_a.admin):
        sent = notification_send(org=org, recipient=who, kind="mention", message="Hi", subject=f"kr:{kr.pk}")
        assert sent is not None and sent.subject_id == kr.pk
    assert notification_send(org=org, recipient=member, kind="mention", message="Hi", subject="check-ins")
    assert notifications_for(org=org, user=member).count() == 1


def test_a_subject_id_never_names_another_organisations_object(world_a, world_b, web):
    """A subject id is read in the notification's organisation: the same id of the other
    organisation's open objective neither opens it to the bell nor to the digest."""
    theirs = make_objective(world_b.org, make_cycle(world_b.org), title="Beta open", owner_type="company")
    note = Notification.objects.create(
        organization=world_a.org,
        recipient=world_a.member,
        kind="comment",
        message="About beta's objective",
        mail_due=MailDue.DAILY,
        subject_type="objective",
        subject_id=theirs.pk,
    )
    assert not Notification.objects.filter(pk=note.pk).filter(open_q()).exists()
    assert web(world_a.member).get("/o/alpha/").context["unread_notifications"] == 0
    flush_buffered(org=world_a.org, now=datetime(2026, 12, 7, 10, 0, tzinfo=UTC), dispatch=False)
    assert not OutboxMessage.objects.filter(recipient=world_a.member).exists()
