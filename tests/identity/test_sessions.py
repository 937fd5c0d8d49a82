"""Sessions a person can see and end, and the security events of the activity log."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session

from activity.models import ActivityEntry
from identity.models import UserSession
from orgs.models import Membership

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "Version/18.0 Mobile/15E148 Safari/604.1"
)


def _log_in(client_class, user, password, agent, address):
    c = client_class(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    r = c.post("/accounts/login/", {"username": user.email, "password": password})
    assert r.status_code == 302
    return c


def test_the_sessions_page_lists_devices_with_address_and_time(world_a, client, password):
    laptop = _log_in(type(client), world_a.member, password, FIREFOX, "203.0.113.7")
    _log_in(type(client), world_a.member, password, PHONE, "198.51.100.9")
    page = laptop.get("/accounts/sessions/").content.decode()
    assert "Firefox · Windows" in page and "203.0.113.7" in page
    assert "Safari · iPhone" in page and "198.51.100.9" in page
    assert "(this browser)" in page
    assert UserSession.objects.filter(user=world_a.member).count() == 2


def test_ending_one_session_logs_that_browser_out(world_a, client, password):
    laptop = _log_in(type(client), world_a.member, password, FIREFOX, "203.0.113.7")
    phone = _log_in(type(client), world_a.member, password, PHONE, "198.51.100.9")
    row = UserSession.objects.get(user=world_a.member, user_agent=PHONE)
    assert laptop.post(f"/accounts/sessions/{row.pk}/end/").status_code == 302
    assert phone.get("/o/alpha/").status_code == 302  # to the login page
    assert laptop.get("/o/alpha/").status_code == 200
    # Another person's session is not theirs to end.
    other = _log_in(type(client), world_a.admin, password, FIREFOX, "203.0.113.8")
    theirs = UserSession.objects.get(user=world_a.admin)
    assert laptop.post(f"/accounts/sessions/{theirs.pk}/end/").status_code == 404
    assert other.get("/o/alpha/").status_code == 200


def test_log_out_everywhere_ends_every_session(world_a, client, password):
    laptop = _log_in(type(client), world_a.member, password, FIREFOX, "203.0.113.7")
    phone = _log_in(type(client), world_a.member, password, PHONE, "198.51.100.9")
    response = laptop.post("/accounts/sessions/end-all/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert phone.get("/o/alpha/").status_code == 302
    assert laptop.get("/o/alpha/").status_code == 302
    assert not UserSession.objects.filter(user=world_a.member).exists()
    assert not Session.objects.exists()
    assert ActivityEntry.objects.filter(organization=world_a.org, verb="security.sessions_ended").exists()


def test_an_admin_ends_a_members_sessions(world_a, client, password, web):
    phone = _log_in(type(client), world_a.member, password, PHONE, "198.51.100.9")
    admin = _log_in(type(client), world_a.admin, password, FIREFOX, "203.0.113.7")
    assert admin.post(f"/o/alpha/members/{world_a.member.pk}/sessions/end/").status_code == 302
    assert phone.get("/o/alpha/").status_code == 302
    assert admin.get("/o/alpha/").status_code == 200
    entry = ActivityEntry.objects.get(verb="security.sessions_ended")
    assert entry.actor == world_a.admin and entry.after["client_address"] == "203.0.113.7"


def test_only_an_admin_ends_a_members_sessions(world_a, world_b, client, password):
    phone = _log_in(type(client), world_a.member, password, PHONE, "198.51.100.9")
    manager = _log_in(type(client), world_a.manager, password, FIREFOX, "203.0.113.7")
    assert manager.post(f"/o/alpha/members/{world_a.member.pk}/sessions/end/").status_code == 403
    # B's admin cannot reach A's member.
    b_admin = _log_in(type(client), world_b.admin, password, FIREFOX, "203.0.113.9")
    assert b_admin.post(f"/o/beta/members/{world_a.member.pk}/sessions/end/").status_code == 404
    assert phone.get("/o/alpha/").status_code == 200


def test_a_password_change_ends_the_other_sessions(world_a, client, password):
    laptop = _log_in(type(client), world_a.member, password, FIREFOX, "203.0.113.7")
    phone = _log_in(type(client), world_a.member, password, PHONE, "198.51.100.9")
    new = "An0ther-long-passphrase!"
    r = laptop.post("/accounts/password/", {"old_password": password, "new_password1": new, "new_password2": new})
    assert r.status_code == 302
    assert laptop.get("/o/alpha/").status_code == 200
    assert phone.get("/o/alpha/").status_code == 302
    assert list(UserSession.objects.filter(user=world_a.member).values_list("user_agent", flat=True)) == [FIREFOX]


def test_logins_and_failed_logins_are_security_events_for_admins(world_a, client, password):
    c = type(client)(REMOTE_ADDR="203.0.113.7")
    c.post("/accounts/login/", {"username": world_a.member.email, "password": "wrong"})
    c.post("/accounts/login/", {"username": world_a.member.email, "password": password})
    verbs = list(
        ActivityEntry.objects.filter(organization=world_a.org, verb__startswith="security.").values_list(
            "verb", "after__client_address"
        )
    )
    assert ("security.login_failed", "203.0.113.7") in verbs and ("security.login", "203.0.113.7") in verbs
    admin = _log_in(type(client), world_a.admin, password, FIREFOX, "203.0.113.8")
    page = admin.get("/o/alpha/activity/?security=1").content.decode()
    assert "failed to log in" in page and "203.0.113.7" in page
    # A member reads the log without them; the dashboard's feed leaves them out too.
    member_page = c.get("/o/alpha/activity/").content.decode()
    assert "failed to log in" not in member_page and "203.0.113.7" not in member_page


def test_token_creation_is_a_security_event(world_a, client, password):
    r = client.post(
        "/api/v1/auth/token/", {"email": world_a.member.email, "password": password}, REMOTE_ADDR="192.0.2.4"
    )
    assert r.status_code == 200
    entry = ActivityEntry.objects.get(organization=world_a.org, verb="security.token_created")
    assert entry.actor == world_a.member and entry.after["client_address"] == "192.0.2.4"


def test_a_removed_member_loses_the_organisation_at_once(world_a, client, password):
    phone = _log_in(type(client), world_a.member, password, PHONE, "198.51.100.9")
    Membership.objects.filter(organization=world_a.org, user=world_a.member).delete()
    assert phone.get("/o/alpha/").status_code == 404
