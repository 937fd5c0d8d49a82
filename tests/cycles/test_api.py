"""The ``cycles/`` resource of the REST API (DESIGN §6): who may plan, the
fields, the dates, the status moves and deletion."""

from __future__ import annotations

import pytest

from cycles.models import Cycle
from tests.objectives.okr_factories import make_cycle, make_objective

URL = "/api/v1/orgs/alpha/cycles/"
FIELDS = {
    "id",
    "name",
    "start_date",
    "end_date",
    "status",
    "kind",
    "closing_message",
    "closed_at",
    "approvals_required",
}


def detail(cycle_id: int, slug: str = "alpha") -> str:
    return f"/api/v1/orgs/{slug}/cycles/{cycle_id}/"


def q1(**extra) -> dict:
    return {"name": "Q1 2027", "start_date": "2027-01-01", "end_date": "2027-03-31", **extra}


# --- create ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admins_create_cycles(world_a, api):
    r = api(world_a.admin).post(URL, q1(), format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert set(body) == FIELDS
    assert body["name"] == "Q1 2027"
    assert body["start_date"] == "2027-01-01" and body["end_date"] == "2027-03-31"
    assert body["status"] == "planning"  # the default
    assert body["kind"] == "quarter"
    assert Cycle.objects.filter(organization=world_a.org, name="Q1 2027").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_managers_members_and_viewers_cannot_create_cycles(world_a, api, role):
    r = api(getattr(world_a, role)).post(URL, q1(), format="json")
    assert r.status_code == 403
    assert set(r.json()) == {"message", "errors"}
    assert not Cycle.objects.filter(organization=world_a.org).exists()


@pytest.mark.django_db
def test_create_with_kind_year(world_a, api):
    r = api(world_a.admin).post(
        URL, {"name": "2027", "start_date": "2027-01-01", "end_date": "2027-12-31", "kind": "year"}, format="json"
    )
    assert r.status_code == 201 and r.json()["kind"] == "year"


@pytest.mark.django_db
def test_end_before_start_is_400_naming_end_date(world_a, api):
    r = api(world_a.admin).post(URL, q1(start_date="2027-03-31", end_date="2027-01-01"), format="json")
    assert r.status_code == 400
    assert "end_date" in r.json()["errors"]
    assert r.json()["message"]
    assert not Cycle.objects.filter(organization=world_a.org).exists()


@pytest.mark.django_db
def test_patching_end_before_the_stored_start_is_400_naming_end_date(world_a, api):
    cycle = make_cycle(world_a.org)
    r = api(world_a.admin).patch(detail(cycle.pk), {"end_date": "2026-09-01"}, format="json")
    assert r.status_code == 400 and "end_date" in r.json()["errors"]
    cycle.refresh_from_db()
    assert str(cycle.end_date) == "2026-12-30"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["Q1 2027", "q1 2027", "  Q1 2027  "])
def test_duplicate_name_is_400_naming_name(world_a, api, name):
    client = api(world_a.admin)
    assert client.post(URL, q1(), format="json").status_code == 201
    r = client.post(URL, q1(name=name), format="json")
    assert r.status_code == 400
    assert "name" in r.json()["errors"]
    assert Cycle.objects.filter(organization=world_a.org).count() == 1


@pytest.mark.django_db
def test_renaming_to_an_existing_name_is_400_naming_name(world_a, api):
    make_cycle(world_a.org, name="Q4 2026")
    other = make_cycle(world_a.org, name="Q1 2027")
    r = api(world_a.admin).patch(detail(other.pk), {"name": "Q4 2026"}, format="json")
    assert r.status_code == 400 and "name" in r.json()["errors"]
    other.refresh_from_db()
    assert other.name == "Q1 2027"


@pytest.mark.django_db
def test_the_same_name_in_another_organisation_is_fine(world_a, world_b, api):
    make_cycle(world_b.org, name="Q1 2027")
    assert api(world_a.admin).post(URL, q1(), format="json").status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_date": "2027-01-01", "end_date": "2027-03-31"}, "name"),
        ({"name": "", "start_date": "2027-01-01", "end_date": "2027-03-31"}, "name"),
        ({"name": "X", "end_date": "2027-03-31"}, "start_date"),
        ({"name": "X", "start_date": "2027-01-01"}, "end_date"),
        ({"name": "X", "start_date": "not-a-date", "end_date": "2027-03-31"}, "start_date"),
        ({"name": "X", "start_date": "2027-01-01", "end_date": "2027-03-31", "status": "done"}, "status"),
        ({"name": "X", "start_date": "2027-01-01", "end_date": "2027-03-31", "kind": "decade"}, "kind"),
    ],
)
def test_create_rejects_bad_bodies_naming_the_field(world_a, api, body, field):
    r = api(world_a.admin).post(URL, body, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()["errors"], r.json()


# --- list and retrieve -------------------------------------------------------------------


@pytest.mark.django_db
def test_list_is_paginated_with_exactly_the_contract_fields(world_a, world_b, api):
    make_cycle(world_a.org, name="Q4 2026")
    make_cycle(world_b.org, name="Q4 2026 beta")
    r = api(world_a.viewer).get(URL)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1  # organisation B's cycle is not listed
    assert set(body["results"][0]) == FIELDS
    assert body["results"][0]["name"] == "Q4 2026"


@pytest.mark.django_db
def test_retrieve_has_exactly_the_contract_fields(world_a, api):
    cycle = make_cycle(world_a.org)
    r = api(world_a.member).get(detail(cycle.pk))
    assert r.status_code == 200
    assert r.json() == {
        "id": cycle.pk,
        "name": "Q4 2026",
        "start_date": "2026-10-01",
        "end_date": "2026-12-30",
        "status": "active",
        "kind": "quarter",
        "closing_message": "",
        "closed_at": None,
        "approvals_required": False,
    }


@pytest.mark.django_db
def test_list_filters_by_status(world_a, api):
    make_cycle(world_a.org, name="Now", status="active")
    make_cycle(world_a.org, name="Later", status="planning")
    r = api(world_a.admin).get(URL + "?status=planning")
    assert [c["name"] for c in r.json()["results"]] == ["Later"]


@pytest.mark.django_db
def test_another_organisations_cycle_is_404(world_a, world_b, api):
    cycle = make_cycle(world_b.org)
    client = api(world_a.admin)
    assert client.get(detail(cycle.pk)).status_code == 404
    assert client.patch(detail(cycle.pk), {"name": "Hijacked"}, format="json").status_code == 404
    assert client.delete(detail(cycle.pk)).status_code == 404
    cycle.refresh_from_db()
    assert cycle.name == "Q4 2026"


@pytest.mark.django_db
def test_non_member_gets_404(world_a, outsider, api):
    assert api(outsider).get(URL).status_code == 404


# --- status transitions ------------------------------------------------------------------


@pytest.mark.django_db
def test_status_goes_planning_active_closed(world_a, api):
    cycle = make_cycle(world_a.org, status="planning")
    # Cycles are the whole organisation's: a manager neither starts nor closes one.
    assert api(world_a.manager).patch(detail(cycle.pk), {"status": "active"}, format="json").status_code == 403
    client = api(world_a.admin)
    r = client.patch(detail(cycle.pk), {"status": "active"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "active"
    r = client.patch(detail(cycle.pk), {"status": "closed"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert Cycle.objects.get(pk=cycle.pk).status == "closed"


@pytest.mark.django_db
def test_planning_cannot_jump_to_closed(world_a, api):
    cycle = make_cycle(world_a.org, status="planning")
    r = api(world_a.admin).patch(detail(cycle.pk), {"status": "closed"}, format="json")
    assert r.status_code == 400 and "status" in r.json()["errors"]
    assert Cycle.objects.get(pk=cycle.pk).status == "planning"


@pytest.mark.django_db
def test_only_an_admin_reopens_a_closed_cycle(world_a, api):
    cycle = make_cycle(world_a.org, status="active")
    assert api(world_a.admin).patch(detail(cycle.pk), {"status": "closed"}, format="json").status_code == 200
    r = api(world_a.manager).patch(detail(cycle.pk), {"status": "active"}, format="json")
    assert r.status_code == 403
    assert Cycle.objects.get(pk=cycle.pk).status == "closed"
    r = api(world_a.admin).patch(detail(cycle.pk), {"status": "active"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "active"


@pytest.mark.django_db
def test_closed_cannot_go_back_to_planning(world_a, api):
    cycle = make_cycle(world_a.org, status="active")
    client = api(world_a.admin)
    assert client.patch(detail(cycle.pk), {"status": "closed"}, format="json").status_code == 200
    r = client.patch(detail(cycle.pk), {"status": "planning"}, format="json")
    assert r.status_code == 400 and "status" in r.json()["errors"]
    assert Cycle.objects.get(pk=cycle.pk).status == "closed"


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["done", "", None, 3, "ACTIVE"])
def test_bad_status_is_400(world_a, api, status):
    cycle = make_cycle(world_a.org, status="planning")
    r = api(world_a.admin).patch(detail(cycle.pk), {"status": status}, format="json")
    assert r.status_code == 400
    assert "status" in r.json()["errors"]
    assert Cycle.objects.get(pk=cycle.pk).status == "planning"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_change_cycles(world_a, api, role):
    cycle = make_cycle(world_a.org, status="planning")
    r = api(getattr(world_a, role)).patch(detail(cycle.pk), {"status": "active", "name": "Mine"}, format="json")
    assert r.status_code == 403
    cycle.refresh_from_db()
    assert (cycle.status, cycle.name) == ("planning", "Q4 2026")


# --- delete ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_delete_an_empty_cycle_is_204(world_a, api):
    cycle = make_cycle(world_a.org)
    r = api(world_a.admin).delete(detail(cycle.pk))
    assert r.status_code == 204
    assert not Cycle.objects.filter(pk=cycle.pk).exists()


@pytest.mark.django_db
def test_delete_a_cycle_with_objectives_is_400(world_a, api):
    cycle = make_cycle(world_a.org)
    make_objective(world_a.org, cycle)
    r = api(world_a.admin).delete(detail(cycle.pk))
    assert r.status_code == 400
    assert r.json()["message"]
    assert "cycle" in r.json()["errors"]
    assert Cycle.objects.filter(pk=cycle.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_only_admins_delete_cycles(world_a, api, role):
    cycle = make_cycle(world_a.org)
    assert api(getattr(world_a, role)).delete(detail(cycle.pk)).status_code == 403
    assert Cycle.objects.filter(pk=cycle.pk).exists()
