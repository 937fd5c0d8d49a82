"""Existing accounts join another organisation only by accepting an
invitation, and no answer shows what they gave another organisation (issue 13,
finding 5). Before, an admin POSTing someone's e-mail to members/ enrolled
them at once and got back the name they use in their other organisation."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command

from orgs import services
from orgs.models import Invitation, Membership, TeamMember, User


@pytest.mark.django_db
def test_api_invites_an_existing_account_instead_of_adding_it(
    world_a, world_b, api, django_capture_on_commit_callbacks
):
    stranger = world_b.member  # named "Member beta" in the other organisation
    password_before = stranger.password
    with django_capture_on_commit_callbacks(execute=True):
        r = api(world_a.admin).post(
            "/api/v1/orgs/alpha/members/",
            {
                "email": stranger.email.upper(),
                "name": "Nick",
                "role": "admin",
                "password": "taken-over-passphrase",
                "teams": [world_a.team.pk],
            },
            format="json",
        )
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["invited"] is True and body["email"] == stranger.email and body["team"] == world_a.team.pk
    assert "id" not in body and "name" not in body
    assert "Member beta" not in r.content.decode() and str(world_b.org.name) not in r.content.decode()
    # Not a member, not in a team, password and name untouched.
    assert not Membership.objects.filter(organization=world_a.org, user=stranger).exists()
    assert not TeamMember.objects.filter(organization=world_a.org, user=stranger).exists()
    stranger.refresh_from_db()
    assert stranger.password == password_before and stranger.name == "Member beta"
    # Listing the organisation's people does not show them either.
    listed = api(world_a.admin).get("/api/v1/orgs/alpha/members/").json()
    assert stranger.pk not in {m["id"] for m in listed["results"]}
    # They got an invitation, which they may accept.
    invitation = Invitation.objects.get(organization=world_a.org, email=stranger.email)
    assert invitation.role == "admin" and invitation.team == world_a.team
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [stranger.email]


@pytest.mark.django_db(transaction=True)
def test_the_invited_account_joins_when_it_accepts(world_a, world_b, api, client):
    stranger = world_b.member
    r = api(world_a.admin).post(
        "/api/v1/orgs/alpha/members/", {"email": stranger.email, "role": "member"}, format="json"
    )
    assert r.status_code == 202
    link = re.search(r"http://testserver(/invitations/[^/\s]+/)", mail.outbox[0].body).group(1)
    client.force_login(stranger)
    assert client.post(link).status_code == 302
    assert Membership.objects.get(organization=world_a.org, user=stranger).role == "member"


@pytest.mark.django_db
def test_a_new_address_is_still_created_at_once(world_a, api):
    r = api(world_a.admin).post(
        "/api/v1/orgs/alpha/members/", {"email": "fresh@example.test", "name": "Fresh", "role": "member"}, format="json"
    )
    assert r.status_code == 201 and r.json()["name"] == "Fresh"
    assert Membership.objects.filter(organization=world_a.org, user__email="fresh@example.test").exists()


@pytest.mark.django_db
def test_the_html_invitation_of_an_existing_account_adds_nobody_and_shows_nothing_of_them(world_a, world_b, web):
    r = web(world_a.admin).post(
        "/o/alpha/members/invite/", {"email": world_b.member.email, "role": "member", "name": ""}, follow=True
    )
    assert r.status_code == 200
    assert "Member beta" not in r.content.decode() and "BETA" not in r.content.decode()
    assert not Membership.objects.filter(organization=world_a.org, user=world_b.member).exists()


@pytest.mark.django_db
def test_the_service_refuses_existing_accounts_unless_the_caller_has_consent(world_a, world_b):
    with pytest.raises(ValidationError) as exc:
        services.member_add(org=world_a.org, actor=world_a.admin, email=world_b.member.email, role="member")
    assert "email" in exc.value.message_dict
    assert not Membership.objects.filter(organization=world_a.org, user=world_b.member).exists()


@pytest.mark.django_db
def test_the_operator_command_still_adds_an_existing_account(world_a, world_b):
    call_command("add_member", "alpha", world_b.member.email, "--role", "viewer")
    assert Membership.objects.get(organization=world_a.org, user=world_b.member).role == "viewer"
    assert User.objects.get(pk=world_b.member.pk).name == "Member beta"
