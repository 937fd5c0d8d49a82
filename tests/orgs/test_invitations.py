from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from orgs.models import Invitation, Membership, TeamMember, User


def _invite(client, world, email="newbie@example.test", role="manager"):
    with_team = {"team": world.team.pk}
    response = client.post("/o/alpha/members/invite/", {"email": email, "name": "New Bie", "role": role, **with_team})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert len(mail.outbox) == 1
    return re.search(r"http://testserver(/invitations/[^/\s]+/)", mail.outbox[0].body).group(1)


@pytest.mark.django_db(transaction=True)
def test_admin_invites_and_invitee_joins_with_role_and_team(world_a, web, client):
    link = _invite(web(world_a.admin), world_a)
    assert "alpha".upper() in mail.outbox[0].subject or "ALPHA" in mail.outbox[0].body
    client.logout()
    page = client.get(link)
    assert page.status_code == 200 and "newbie@example.test" in page.content.decode()
    r = client.post(
        link,
        {"name": "Nguyễn Văn Mới", "password1": "a-strong-passphrase", "password2": "a-strong-passphrase"},
    )
    assert r.status_code == 302 and r["Location"] == "/o/alpha/"
    user = User.objects.get(email="newbie@example.test")
    assert user.name == "Nguyễn Văn Mới" and user.check_password("a-strong-passphrase")
    membership = Membership.objects.get(organization=world_a.org, user=user)
    assert membership.role == "manager" and membership.primary_team == world_a.team
    assert TeamMember.objects.filter(team=world_a.team, user=user).exists()
    assert client.get("/o/alpha/").status_code == 200  # logged in straight away


@pytest.mark.django_db(transaction=True)
def test_invitation_link_works_once(world_a, web, client):
    link = _invite(web(world_a.admin), world_a)
    client.logout()
    data = {"name": "N", "password1": "a-strong-passphrase", "password2": "a-strong-passphrase"}
    assert client.post(link, data).status_code == 302
    client.logout()
    again = client.get(link)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert client.post(link, data).status_code == 410
    assert Membership.objects.filter(user__email="newbie@example.test").count() == 1


@pytest.mark.django_db(transaction=True)
def test_expired_invitation_shows_a_clear_page(world_a, web, client):
    link = _invite(web(world_a.admin), world_a)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    client.logout()
    response = client.get(link)
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert not User.objects.filter(email="newbie@example.test").exists()


@pytest.mark.django_db(transaction=True)
def test_revoked_and_unknown_links(world_a, web, client):
    c = web(world_a.admin)
    link = _invite(c, world_a)
    inv = Invitation.objects.get()
    assert c.post(f"/o/alpha/invitations/{inv.pk}/revoke/").status_code == 302
    client.logout()
    assert client.get(link).status_code == 410
    assert client.get("/invitations/not-a-real-token/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_mismatched_passwords_keep_the_form_and_save_nothing(world_a, web, client):
    link = _invite(web(world_a.admin), world_a)
    client.logout()
    r = client.post(link, {"name": "N", "password1": "a-strong-passphrase", "password2": "different-one"})
    assert r.status_code == 200 and "differ" in r.content.decode()
    r = client.post(link, {"name": "N", "password1": "123", "password2": "123"})
    assert r.status_code == 200
    assert not User.objects.filter(email="newbie@example.test").exists()
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.django_db(transaction=True)
def test_existing_user_must_log_in_to_accept(world_a, world_b, web, client):
    c = web(world_a.admin)
    link = _invite(c, world_a, email=world_b.member.email, role="viewer")
    client.logout()
    r = client.post(link)
    assert (
        r.status_code == 403 and not Membership.objects.filter(organization=world_a.org, user=world_b.member).exists()
    )
    client.force_login(world_b.member)
    r = client.post(link)
    assert r.status_code == 302
    assert Membership.objects.get(organization=world_a.org, user=world_b.member).role == "viewer"


@pytest.mark.django_db
def test_invite_validation_errors_are_shown(world_a, web):
    c = web(world_a.admin)
    r = c.post("/o/alpha/members/invite/", {"email": "not-an-email", "role": "member"})
    assert r.status_code == 400 and re.search("valid e-?mail", r.content.decode())
    r = c.post("/o/alpha/members/invite/", {"email": world_a.member.email, "role": "member"})
    assert r.status_code == 400 and "already a member" in r.content.decode()
    assert Invitation.objects.count() == 0


@pytest.mark.django_db
def test_only_admins_invite(world_a, web):
    r = web(world_a.manager).post("/o/alpha/members/invite/", {"email": "x@example.test", "role": "member"})
    assert r.status_code == 403
    assert Invitation.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_an_organisation_name_with_a_newline_cannot_add_a_header_to_the_invitation(world_a, web):
    from orgs.models import Organization

    Organization.objects.filter(pk=world_a.org.pk).update(name="Acme\nBcc: x@evil.test")
    response = web(world_a.admin).post(
        "/o/alpha/members/invite/", {"email": "newbie@example.test", "name": "New Bie", "role": "member"}
    )

    assert response.status_code in (200, 302), response.content.decode()[:2000]
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert "\n" not in sent.subject and "\r" not in sent.subject
    assert "Acme Bcc: x@evil.test" in sent.subject  # the name, kept on one line
    assert sent.bcc == [] and sent.recipients() == ["newbie@example.test"]
    assert "Bcc" not in {name.title() for name in sent.message()}


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_that_fails_does_not_fail_the_invitation(world_a, web, monkeypatch):
    import smtplib

    from django.core.mail.backends import locmem

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)
    response = web(world_a.admin).post(
        "/o/alpha/members/invite/", {"email": "newbie@example.test", "name": "New Bie", "role": "member"}
    )

    assert response.status_code == 302
    assert Invitation.objects.filter(organization=world_a.org, email="newbie@example.test").exists()
