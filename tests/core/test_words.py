"""Words people read: plurals, "just now", one date format on pages and in e-mails,
an activity feed without repeats or internals, and a language switch that works."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.template import Context, Template
from django.utils import timezone, translation

from activity.services import activity_record
from core.templatetags.okr import ago
from kpis import services as kpi_services
from orgs.models import Membership
from tests.kpis.kpi_factories import make_kpi
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "english", "vietnamese"),
    [
        (0, "just now", "vừa xong"),
        (59, "just now", "vừa xong"),
        (60, "1 minute ago", "1 phút trước"),
        (300, "5 minutes ago", "5 phút trước"),
        (3600, "1 hour ago", "1 giờ trước"),
        (7 * 86400, "1 week ago", "1 tuần trước"),
        (15 * 86400, "2 weeks ago", "2 tuần trước"),
        (400 * 86400, "1 year ago", "1 năm trước"),
    ],
)
def test_how_long_ago_is_a_whole_phrase_in_both_languages(seconds, english, vietnamese):
    then = NOW - timedelta(seconds=seconds)
    with translation.override("en"):
        assert ago(then, NOW) == english
    with translation.override("vi"):
        assert ago(then, NOW) == vietnamese


def test_one_date_format_on_pages_and_in_emails():
    day = date(2026, 12, 8)
    for lang, shown in (("en", "8 Dec 2026"), ("vi", "8/12/2026")):
        with translation.override(lang):
            page = Template('{{ d|date:"SHORT_DATE_FORMAT" }}').render(Context({"d": day}))
            email = Template('{{ d|date:"DATE_FORMAT" }}').render(Context({"d": day}))
            assert page == email == shown


@pytest.mark.django_db(transaction=True)
def test_the_invitation_email_uses_the_same_date_format_as_the_pages(world_a, web):
    client = web(world_a.admin)
    r = client.post(
        "/o/alpha/members/invite/", {"email": "new@example.test", "name": "New", "role": "member", "team": ""}
    )
    assert r.status_code == 302
    body = mail.outbox[0].body
    assert re.search(r"expires on \d{1,2} [A-Z][a-z]{2} \d{4}", body), body
    assert not re.search(r"[A-Z][a-z]{2}\. \d{1,2}, \d{4}", body)


def test_check_ins_saved_uses_singular_and_plural(world_a, client):
    cycle = make_cycle(world_a.org, start=timezone.localdate() - timedelta(days=10))
    objective = make_objective(world_a.org, cycle, user=world_a.member, owner_type="person")
    a = make_kr(objective, owner=world_a.member, title="A", target=10)
    b = make_kr(objective, owner=world_a.member, title="B", target=10)
    client.force_login(world_a.member)
    untouched_b = {f"kr{b.pk}-value": "0", f"kr{b.pk}-confidence": 5}
    r = client.post(
        "/o/alpha/check-ins/", {f"kr{a.pk}-value": "3", f"kr{a.pk}-confidence": 6} | untouched_b, follow=True
    )
    assert "1 check-in saved. Thank you!" in r.content.decode()
    data = {f"kr{a.pk}-value": "4", f"kr{a.pk}-confidence": 6, f"kr{b.pk}-value": "2", f"kr{b.pk}-confidence": 6}
    r = client.post("/o/alpha/check-ins/", data, follow=True)
    assert "2 check-ins saved. Thank you!" in r.content.decode()


def test_the_activity_feed_folds_repeats_and_shows_no_internals(world_a, client):
    kpi = make_kpi(world_a.org, name="Absenteeism rate", owner_type="company")
    for month in range(1, 13):
        kpi_services.measurement_record(
            kpi=kpi, actor=world_a.admin, period=date(2026, month, 1), value=month, today=date(2026, 12, 31)
        )
    membership = Membership.objects.get(organization=world_a.org, user=world_a.member)
    activity_record(org=world_a.org, actor=world_a.admin, verb="member.role_changed", target=membership)
    client.force_login(world_a.admin)
    html = client.get("/o/alpha/activity/").content.decode()
    assert html.count("Absenteeism rate") == 2  # created it, then recorded twelve values: two lines
    assert "recorded a KPI value" not in html
    assert f"<strong>{world_a.admin.display_name}</strong> recorded 12 values of “Absenteeism rate”" in html
    assert " @ " not in html and "(member)" not in html
    assert f"changed the role of {world_a.member.display_name}" in html


def test_legacy_invitation_labels_show_the_email_only(world_a, client):
    activity_record(org=world_a.org, actor=world_a.admin, verb="invitation.created", target_type="orgs.invitation")
    from activity.feed import target_label

    assert target_label("orgs.invitation", "Invitation of dana@example.test") == "dana@example.test"
    assert target_label("orgs.membership", "Dana White @ 3 (member)") == "Dana White"
    assert target_label("objectives.objective", "Grow @ 3 (x)") == "Grow @ 3 (x)"


def test_the_footer_language_switch_also_saves_the_profile(world_a, client):
    world_a.member.language = "en"
    world_a.member.save(update_fields=["language"])
    client.force_login(world_a.member)
    r = client.post("/i18n/setlang/", {"language": "vi", "next": "/o/alpha/"})
    assert r.status_code == 302
    world_a.member.refresh_from_db()
    assert world_a.member.language == "vi"
    assert 'lang="vi"' in client.get("/o/alpha/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/o/alpha/"})
    assert 'lang="en"' in client.get("/o/alpha/").content.decode()


def test_profile_saved_is_said_in_the_language_just_chosen(world_a, client):
    client.force_login(world_a.member)
    r = client.post("/accounts/profile/", {"name": world_a.member.name, "language": "vi"}, follow=True)
    html = r.content.decode()
    assert 'lang="vi"' in html
    assert "Profile saved." not in html
    with translation.override("vi"):
        assert translation.gettext("Profile saved.") in html


def test_breadcrumbs_are_a_list_so_the_separator_is_spaced(world_a, client):
    cycle = make_cycle(world_a.org)
    parent = make_objective(world_a.org, cycle, title="Parent")
    child = make_objective(world_a.org, cycle, title="Child", parent=parent)
    client.force_login(world_a.member)
    html = client.get(f"/o/alpha/okrs/{child.pk}/").content.decode()
    crumbs = re.search(r'<nav aria-label="breadcrumb"[^>]*>(.*?)</nav>', html, re.S).group(1)
    assert crumbs.count("<li>") == 2 and "›" not in crumbs
