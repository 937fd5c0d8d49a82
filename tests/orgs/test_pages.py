from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache

from activity.models import ActivityEntry, AppendOnlyError
from orgs.models import Membership, Team


@pytest.mark.django_db
def test_login_with_email_and_logout(world_a, client, password):
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and 'name="username"' in page.content.decode()
    r = client.post("/accounts/login/", {"username": "ADMIN@alpha.test", "password": password})
    assert r.status_code == 302
    assert client.get("/").headers["Location"] == "/o/alpha/"
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/o/alpha/").status_code == 302


@pytest.mark.django_db
def test_login_is_throttled_after_repeated_failures(world_a, client, password):
    cache.clear()
    for _ in range(10):
        r = client.post("/accounts/login/", {"username": "admin@alpha.test", "password": "wrong"})
        assert "Wrong e-mail or password" in r.content.decode()
    r = client.post("/accounts/login/", {"username": "admin@alpha.test", "password": password})
    assert r.status_code == 200 and "Too many failed attempts" in r.content.decode()
    cache.clear()


@pytest.mark.django_db
def test_password_reset_by_email(world_a, client):
    r = client.post("/accounts/password-reset/", {"email": "member@alpha.test"})
    assert r.status_code == 302 and len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    r = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase", "new_password2": "brand-new-passphrase"},
    )
    assert r.status_code == 302
    assert client.login(email="member@alpha.test", password="brand-new-passphrase")


@pytest.mark.django_db
def test_admin_builds_the_team_tree_in_the_browser(world_a, web):
    c = web(world_a.admin)
    r = c.post("/o/alpha/teams/new/", {"name": "Engineering", "parent": "", "managers": [world_a.manager.pk]})
    assert r.status_code == 302
    eng = Team.objects.get(organization=world_a.org, name="Engineering")
    r = c.post(f"/o/alpha/teams/{world_a.other_team.pk}/edit/", {"name": "Finance & Legal", "parent": eng.pk})
    assert r.status_code == 302
    world_a.other_team.refresh_from_db()
    assert (world_a.other_team.name, world_a.other_team.parent_id) == ("Finance & Legal", eng.pk)
    # A loop is a form error, nothing changes.
    r = c.post(f"/o/alpha/teams/{eng.pk}/edit/", {"name": "Engineering", "parent": world_a.other_team.pk})
    assert r.status_code == 200 and "under itself" in r.content.decode()
    page = c.get("/o/alpha/teams/").content.decode()
    assert "Finance &amp; Legal" in page and "Engineering" in page
    assert c.get(f"/o/alpha/teams/{eng.pk}/delete/").status_code == 200  # confirmation page
    assert c.post(f"/o/alpha/teams/{eng.pk}/delete/").status_code == 302
    assert Team.objects.get(pk=world_a.other_team.pk).parent_id is None


@pytest.mark.django_db
def test_team_form_errors_keep_the_input(world_a, web):
    r = web(world_a.admin).post("/o/alpha/teams/new/", {"name": "Marketing", "parent": ""})
    html = r.content.decode()
    assert r.status_code == 200 and "already exists" in html and 'value="Marketing"' in html


@pytest.mark.django_db
def test_admin_changes_role_and_removes_member(world_a, web):
    c = web(world_a.admin)
    r = c.post(
        f"/o/alpha/members/{world_a.member.pk}/",
        {"name": "Renamed", "role": "viewer", "teams": [world_a.other_team.pk]},
    )
    assert r.status_code == 302
    m = Membership.objects.get(organization=world_a.org, user=world_a.member)
    assert m.role == "viewer" and m.primary_team_id == world_a.other_team.pk
    assert c.post(f"/o/alpha/members/{world_a.member.pk}/remove/").status_code == 302
    assert not Membership.objects.filter(organization=world_a.org, user=world_a.member).exists()
    verbs = set(ActivityEntry.objects.filter(organization=world_a.org).values_list("verb", flat=True))
    assert {"member.role_changed", "member.updated", "member.removed"} <= verbs


@pytest.mark.django_db
def test_activity_log_is_append_only(world_a, web):
    web(world_a.admin).post("/o/alpha/teams/new/", {"name": "Ops", "parent": ""})
    entry = ActivityEntry.objects.get(verb="team.created")
    assert entry.actor == world_a.admin and entry.after["name"] == "Ops"
    entry.verb = "tampered"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        ActivityEntry.objects.filter(pk=entry.pk).update(verb="x")


@pytest.mark.django_db
def test_settings_page_is_admin_only_and_validates(world_a, web):
    assert web(world_a.manager).get("/o/alpha/settings/").status_code == 403
    c = web(world_a.admin)
    r = c.post(
        "/o/alpha/settings/",
        {
            "name": "Alpha Co",
            "timezone": "Mars/Base",
            "language": "vi",
            "fiscal_year_start_month": 4,
            "reminder_hour": 9,
            "reminder_grace_days": 3,
        },
    )
    assert r.status_code == 200 and "not a known time zone" in r.content.decode()
    r = c.post(
        "/o/alpha/settings/",
        {
            "name": "Alpha Co",
            "timezone": "Asia/Ho_Chi_Minh",
            "language": "vi",
            "fiscal_year_start_month": 4,
            "reminder_hour": 9,
            "reminder_grace_days": 3,
        },
    )
    assert r.status_code == 302
    world_a.org.refresh_from_db()
    assert (world_a.org.timezone, world_a.org.fiscal_year_start_month) == ("Asia/Ho_Chi_Minh", 4)


@pytest.mark.django_db
def test_pages_send_a_content_security_policy(world_a, web):
    r = web(world_a.admin).get("/o/alpha/")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    sources = re.findall(r'(?:src|href)="([^"]*)"', r.content.decode())
    assert sources and not [s for s in sources if "//" in s or "cdn" in s.lower()]
