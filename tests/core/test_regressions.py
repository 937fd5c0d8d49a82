"""Regression tests for defects found by reviewing the whole application: each
test failed before its fix."""

from datetime import UTC, date, datetime
from unittest import mock

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from objectives import queue, services
from objectives.models import CheckIn, Objective, RollupPending
from orgs import services as org_services
from orgs.models import Membership, Role, TeamMember
from tests.kpis.kpi_factories import make_kpi
from tests.objectives.okr_factories import make_cycle, make_objective

pytestmark = pytest.mark.django_db


def test_check_in_never_redirects_off_site(world_a, web):
    w = world_a
    c = make_cycle(w.org)
    o = make_objective(w.org, c, owner_type="person", user=w.member, krs=2, kr_owner=w.member)
    kr = o.key_results.first()
    client = web(w.member)
    r = client.post(
        reverse("objectives:check_in", kwargs={"slug": w.org.slug, "kr_id": kr.pk}),
        {"value": 5, "confidence": 7, "next": "https://evil.example/phish"},
    )
    assert r.status_code == 302
    assert not r["Location"].startswith("https://evil.example"), r["Location"]


def test_a_viewer_cannot_check_in_through_my_check_ins(world_a, web):
    w = world_a
    c = make_cycle(w.org)
    o = make_objective(w.org, c, owner_type="person", user=w.member, krs=2, kr_owner=w.member)
    kr = o.key_results.first()
    # the KR owner is demoted to viewer
    Membership.objects.filter(organization=w.org, user=w.member).update(role=Role.VIEWER)
    client = web(w.member)
    r = client.post(
        reverse("objectives:my_check_ins", kwargs={"slug": w.org.slug}),
        {f"kr{kr.pk}-value": 7, f"kr{kr.pk}-confidence": 6, f"kr{kr.pk}-note": ""},
    )
    assert CheckIn.objects.filter(key_result=kr).count() == 0, (r.status_code, "viewer wrote a check-in")


def test_a_viewer_cannot_check_in_on_one_key_result(world_a, web):
    w = world_a
    c = make_cycle(w.org)
    o = make_objective(w.org, c, owner_type="person", user=w.member, krs=2, kr_owner=w.member)
    kr = o.key_results.first()
    Membership.objects.filter(organization=w.org, user=w.member).update(role=Role.VIEWER)
    client = web(w.member)
    r = client.post(
        reverse("objectives:check_in", kwargs={"slug": w.org.slug, "kr_id": kr.pk}), {"value": 5, "confidence": 7}
    )
    assert r.status_code == 403


def test_an_objective_in_a_closed_cycle_cannot_be_deleted(world_a, api):
    w = world_a
    c = make_cycle(w.org)
    o = make_objective(w.org, c, krs=2, kr_owner=w.admin)
    from cycles import services as cs

    cs.cycle_update(cycle=c, actor=w.admin, status="closed")
    r = api(w.admin).delete(f"/api/v1/orgs/{w.org.slug}/objectives/{o.pk}/")
    assert r.status_code == 400, r.status_code
    assert Objective.objects.filter(pk=o.pk).exists()


def test_cascade_with_a_huge_cycle_id_is_not_a_500(world_a, api):
    w = world_a
    r = api(w.admin).get(f"/api/v1/orgs/{w.org.slug}/cascade/?cycle=99999999999999999999999")
    assert r.status_code in (400, 404), r.status_code


def test_an_ancient_period_is_a_400_through_the_api(world_a, api):
    w = world_a
    w.org.fiscal_year_start_month = 4
    w.org.save()
    kpi = make_kpi(w.org, frequency="quarterly", since=date(2024, 4, 1))
    r = api(w.admin).post(
        f"/api/v1/orgs/{w.org.slug}/measurements/", {"kpi": kpi.pk, "period": "0001-02-01", "value": 5}, format="json"
    )
    assert r.status_code == 400, r.status_code


def test_an_ancient_period_is_a_form_error(world_a, web):
    w = world_a
    w.org.fiscal_year_start_month = 4
    w.org.save()
    kpi = make_kpi(w.org, frequency="quarterly", since=date(2024, 4, 1))
    client = web(w.admin)
    client.raise_request_exception = False
    r = client.post(
        reverse("kpis:record", kwargs={"slug": w.org.slug, "kpi_id": kpi.pk}), {"period": "0001-02-01", "value": 5}
    )
    assert r.status_code in (200, 400), r.status_code


def test_editing_a_yearly_kpi_with_an_april_fiscal_year_works(world_a, api):
    w = world_a
    w.org.fiscal_year_start_month = 4
    w.org.save()
    kpi = make_kpi(w.org, frequency="yearly", since=date(2024, 4, 1))
    client = api(w.admin)
    r = client.patch(f"/api/v1/orgs/{w.org.slug}/kpis/{kpi.pk}/", {"name": "x"}, format="json")
    assert r.status_code == 200


def test_a_manager_cannot_take_someone_out_of_a_team_they_do_not_manage(world_a, api):
    w = world_a
    # member is also in other_team, which the manager does not manage
    TeamMember.objects.create(organization=w.org, team=w.other_team, user=w.member)
    r = api(w.manager).patch(f"/api/v1/orgs/{w.org.slug}/members/{w.member.pk}/", {"teams": [w.team.pk]}, format="json")
    assert r.status_code == 403, (r.status_code, r.json())
    assert TeamMember.objects.filter(team=w.other_team, user=w.member).exists()


def test_editing_with_a_stale_copy_keeps_the_rolled_up_progress(world_a):
    w = world_a
    c = make_cycle(w.org)
    o = make_objective(w.org, c, krs=2, kr_owner=w.admin)
    stale = Objective.objects.get(pk=o.pk)
    kr = o.key_results.first()
    services.key_result_check_in(key_result=kr, actor=w.admin, value=10, confidence=8)
    assert Objective.objects.get(pk=o.pk).progress == pytest.approx(0.5)
    services.objective_update(objective=stale, actor=w.admin, title="New title")
    assert Objective.objects.get(pk=o.pk).progress == pytest.approx(0.5), "stale full save() reverted progress"


def test_editing_with_a_stale_copy_keeps_the_status(world_a):
    w = world_a
    c = make_cycle(w.org)
    o = make_objective(w.org, c, krs=2, kr_owner=w.admin)
    stale = Objective.objects.get(pk=o.pk)
    services.objective_set_status(objective=o, actor=w.admin, status="cancelled")
    services.objective_update(objective=stale, actor=w.admin, title="New title")
    assert Objective.objects.get(pk=o.pk).status == "cancelled"


@override_settings(ROLLUP_INLINE=False)
def test_a_rolled_back_transaction_does_not_swallow_later_rollups(world_a, django_capture_on_commit_callbacks):
    org_id = world_a.org.pk
    with django_capture_on_commit_callbacks() as cbs:
        try:
            with transaction.atomic():
                queue.schedule_rollup(org_id=org_id, objective_id=1)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        with transaction.atomic():
            queue.schedule_rollup(org_id=org_id, objective_id=2)
    assert len(cbs) == 1
    assert list(RollupPending.objects.filter(organization_id=org_id).values_list("objective_id", flat=True)) == [2]


def test_former_members_get_no_reminders(world_a):
    from notifications.models import Notification
    from reminders.sweep import sweep_organization

    w = world_a
    make_kpi(w.org, owner_type="person", user=w.member, frequency="monthly", since=date(2024, 1, 1))
    org_services.member_remove(membership=Membership.objects.get(organization=w.org, user=w.member), actor=w.admin)
    sweep_organization(org=w.org, now=datetime(2026, 11, 16, 12, tzinfo=UTC))
    assert not Notification.objects.filter(organization=w.org, recipient=w.member).exists()
    assert Notification.objects.filter(organization=w.org, recipient=w.admin).exists()  # the admins are told instead


def test_a_key_result_following_a_kpi_cannot_become_a_milestone(world_a, api):
    w = world_a
    c = make_cycle(w.org)
    o = make_objective(w.org, c, krs=2, kr_owner=w.admin)
    kpi = make_kpi(w.org)
    kr = o.key_results.first()
    r = api(w.admin).patch(f"/api/v1/orgs/{w.org.slug}/key-results/{kr.pk}/", {"kpi": kpi.pk}, format="json")
    assert r.status_code == 200, r.json()
    r = api(w.admin).patch(f"/api/v1/orgs/{w.org.slug}/key-results/{kr.pk}/", {"kind": "milestone"}, format="json")
    assert r.status_code == 400 and "kpi" in r.json()["errors"]
    kr.refresh_from_db()
    assert kr.kind == "number" and kr.kpi_id == kpi.pk


def test_one_organisation_cannot_rename_someone_who_belongs_to_another(world_a, world_b, api):
    w = world_a
    Membership.objects.create(organization=world_b.org, user=w.member, role=Role.ADMIN)
    r = api(w.manager).patch(f"/api/v1/orgs/{w.org.slug}/members/{w.member.pk}/", {"name": "Pwned"}, format="json")
    assert r.status_code == 403  # managers do not rename people
    r = api(w.admin).patch(f"/api/v1/orgs/{w.org.slug}/members/{w.member.pk}/", {"name": "Pwned"}, format="json")
    assert r.status_code == 400 and "name" in r.json()["errors"]  # nor do admins, for someone in another org
    r = api(world_b.admin).get(f"/api/v1/orgs/{world_b.org.slug}/members/{w.member.pk}/")
    assert r.json()["name"] != "Pwned"


def test_a_failed_request_does_not_stop_later_rollups_from_being_published(
    world_a, api, settings, django_capture_on_commit_callbacks
):
    w = world_a
    c = make_cycle(w.org)
    parent = make_objective(w.org, c, krs=2, kr_owner=w.admin)
    settings.ROLLUP_INLINE = False  # the setup above ran inline; the requests below go through the queue
    published = []
    with mock.patch.object(queue, "publish_rollups", side_effect=lambda **kw: published.append(kw)):
        with django_capture_on_commit_callbacks(execute=True):
            # Create an aligned objective and ask to activate it at once: activation fails
            # (no key results), the API's transaction rolls back -> 400.
            r = api(w.admin).post(
                f"/api/v1/orgs/{w.org.slug}/objectives/",
                {"cycle": c.pk, "title": "child", "owner_type": "company", "parent": parent.pk, "status": "active"},
                format="json",
            )
            assert r.status_code == 400, r.json()
        with django_capture_on_commit_callbacks(execute=True):
            kr = parent.key_results.first()
            r = api(w.admin).post(
                f"/api/v1/orgs/{w.org.slug}/check-ins/",
                {"key_result": kr.pk, "value": 5, "confidence": 7},
                format="json",
            )
            assert r.status_code == 201
    assert published == [{"org_id": w.org.pk}]
    assert list(RollupPending.objects.filter(organization=w.org).values_list("objective_id", flat=True)) == [parent.pk]
