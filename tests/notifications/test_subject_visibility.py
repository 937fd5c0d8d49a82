"""Notifications follow visibility (DESIGN §3): one about a team-only or private objective,
key result or KPI shows in the list, the bell's count, ``open``, the API and the digest
e-mails only while its recipient may see that; those about nothing in particular always show."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conversations import services as talk
from notifications.models import MailDue, Notification, NotificationKind, OutboxMessage
from notifications.selectors import notifications_for, unread_count
from notifications.services import notification_send
from objectives import services as okr
from orgs.models import Role
from reminders.digests.buffered import flush_buffered
from reminders.sweep import sweep_organization
from tests.factories import MembershipFactory, UserFactory, place
from tests.kpis.kpi_factories import make_kpi
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

pytestmark = pytest.mark.django_db
API = "/api/v1/orgs/alpha/notifications/"
MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.fixture
def peer(world_a):
    """A member of another team: sees the private objective only as a named viewer."""
    user = UserFactory(name="Pia Peer")
    MembershipFactory(organization=world_a.org, user=user, role=Role.MEMBER)
    place(world_a.other_team, user)
    return user


@pytest.fixture
def secret(world_a, peer):
    """The member's private objective, shown to ``peer`` too; ``peer`` holds a key result in it
    and checked in, and the admin commented on that check-in mentioning the manager."""
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="Secret launch", owner_type="person", user=world_a.member)
    okr.objective_update(objective=objective, actor=world_a.admin, visibility="private", viewers=[peer])
    kr = make_kr(objective, owner=peer)
    check_in = okr.key_result_check_in(key_result=kr, actor=peer, value=3, confidence=7, note="Three")
    talk.comment_create(
        org=world_a.org, actor=world_a.admin, body=f"Well done @[{world_a.manager.pk}]", check_in=check_in
    )
    return objective


def _unhide(world_a, objective, peer) -> None:
    okr.objective_update(objective=objective, actor=world_a.admin, viewers=[peer])


def _hide(world_a, objective) -> None:
    okr.objective_update(objective=objective, actor=world_a.admin, viewers=[])


def _bell(client) -> int:
    return client.get("/o/alpha/").context["unread_notifications"]


def test_a_removed_viewer_no_longer_sees_the_comment_notification(world_a, peer, secret, web, api):
    note = Notification.objects.get(recipient=peer)
    assert note.kind == NotificationKind.COMMENT and "Secret launch" in note.message
    assert (note.subject_type, note.subject_id) == ("objective", secret.pk)
    client = web(peer)
    assert "Secret launch" in client.get("/o/alpha/notifications/").content.decode()
    assert _bell(client) == 1
    assert [n["id"] for n in api(peer).get(API).json()["results"]] == [note.pk]

    _hide(world_a, secret)
    client = web(peer)
    assert "Secret launch" not in client.get("/o/alpha/notifications/").content.decode()
    assert _bell(client) == 0 and unread_count(org=world_a.org, user=peer) == 0
    assert client.post(f"/o/alpha/notifications/{note.pk}/open/").status_code == 404
    assert api(peer).get(API).json()["results"] == []
    assert api(peer).patch(f"{API}{note.pk}/", {}, format="json").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None  # open refused: nothing marked

    _unhide(world_a, secret, peer)  # named again: it is back, still unread
    assert _bell(web(peer)) == 1


def test_a_member_who_still_may_see_keeps_it(world_a, peer, secret, web):
    _hide(world_a, secret)
    note = Notification.objects.get(recipient=world_a.manager)  # the mention; manages the owner's team
    assert note.kind == NotificationKind.MENTION and note.subject_type == "objective"
    client = web(world_a.manager)
    assert "Well done" in client.get("/o/alpha/notifications/").content.decode()
    assert _bell(client) == 1
    r = client.post(f"/o/alpha/notifications/{note.pk}/open/")
    assert r.status_code == 302 and r.url.startswith(f"/o/alpha/okrs/{secret.pk}/")


def test_narrowed_to_private_hides_it_from_the_rest_of_the_organisation(world_a, web):
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="Open plan", owner_type="person", user=world_a.manager)
    about = f"objective:{objective.pk}"
    notification_send(org=world_a.org, recipient=world_a.viewer, kind="mention", message="Open plan", subject=about)
    assert _bell(web(world_a.viewer)) == 1
    okr.objective_update(objective=objective, actor=world_a.admin, visibility="private")
    assert _bell(web(world_a.viewer)) == 0
    assert not notifications_for(org=world_a.org, user=world_a.viewer).exists()


def test_notifications_about_nothing_in_particular_always_show_and_unknown_ones_fail_closed(world_a, web):
    notification_send(org=world_a.org, recipient=world_a.member, kind="channel_paused", message="Old one")
    notification_send(org=world_a.org, recipient=world_a.member, kind="mention", message="Gone", subject="objective:0")
    notification_send(org=world_a.org, recipient=world_a.member, kind="mention", message="Odd", subject="thing:4")
    page = web(world_a.member).get("/o/alpha/notifications/").content.decode()
    assert "Old one" in page and "Gone" not in page and "Odd" not in page
    assert unread_count(org=world_a.org, user=world_a.member) == 1


def test_a_kpi_notification_follows_the_kpis_visibility(world_a, web):
    kpi = make_kpi(world_a.org, name="Churn", owner_type="person", user=world_a.manager)
    notification_send(
        org=world_a.org, recipient=world_a.member, kind="kpi_due", message="Record Churn", subject=f"kpi:{kpi.pk}"
    )
    assert unread_count(org=world_a.org, user=world_a.member) == 1
    kpi.visibility = "private"
    kpi.save(update_fields=["visibility"])
    assert unread_count(org=world_a.org, user=world_a.member) == 0


def test_the_daily_digest_leaves_out_what_its_reader_may_no_longer_see(world_a, peer, secret):
    assert Notification.objects.get(recipient=peer).mail_due == MailDue.DAILY  # comments: daily by default
    notification_send(org=world_a.org, recipient=peer, kind="comment", message="Something open")
    Notification.objects.filter(recipient=peer).update(mail_due=MailDue.DAILY)
    _hide(world_a, secret)
    flush_buffered(org=world_a.org, now=MONDAY_10, dispatch=False)
    mails = OutboxMessage.objects.filter(recipient=peer)
    assert len(mails) == 1
    assert "Something open" in mails[0].payload["text"] and "Secret launch" not in mails[0].payload["text"]
    assert not Notification.objects.filter(recipient=peer).exclude(mail_due="").exists()  # none left waiting


def test_the_sweeps_reminders_name_their_kpi_and_follow_it(world_a):
    kpi = make_kpi(world_a.org, name="Proposals sent", owner_type="person", user=world_a.member)
    sweep_organization(org=world_a.org, now=datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    note = Notification.objects.get(recipient=world_a.member, kind="kpi_due")
    assert (note.subject_type, note.subject_id) == ("kpi", kpi.pk)
    assert unread_count(org=world_a.org, user=world_a.member) == 1
    kpi.visibility = "private"
    kpi.owner_user = world_a.manager
    kpi.save(update_fields=["visibility", "owner_user"])
    assert unread_count(org=world_a.org, user=world_a.member) == 0
