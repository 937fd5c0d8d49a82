"""The OKR resources of the REST API (DESIGN §4, §6): ``objectives/``,
``key-results/``, ``check-ins/`` and ``initiatives/`` — permissions, the rules
of the method, the progress math and the rollup as seen through HTTP."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from cycles import services as cycle_services
from objectives import services
from objectives.models import CheckIn, Initiative, KeyResult, Objective
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

BASE = "/api/v1/orgs/alpha"
O_URL = f"{BASE}/objectives/"
KR_URL = f"{BASE}/key-results/"
CI_URL = f"{BASE}/check-ins/"
IN_URL = f"{BASE}/initiatives/"

OBJECTIVE_FIELDS = {
    "id",
    "cycle",
    "title",
    "description",
    "commitment",
    "grade",
    "carried_from",
    "owner_type",
    "owner_team",
    "owner_user",
    "parent",
    "weight",
    "status",
    "progress",
    "confidence",
    "health",
    "version",  # optimistic locking (tests/core/test_optimistic_locking.py)
}
KEY_RESULT_FIELDS = {
    "id",
    "grade",
    "grade_note",
    "objective",
    "title",
    "owner",
    "kind",
    "unit",
    "start_value",
    "target_value",
    "current_value",
    "weight",
    "progress",
    "confidence",
    "kpi",
    "version",
}
CHECK_IN_FIELDS = {"id", "key_result", "value", "confidence", "note", "author", "created_at", "origin", "provenance"}
INITIATIVE_FIELDS = {"id", "key_result", "objective", "title", "owner", "status", "due_date"}


def url(resource: str, pk: int, slug: str = "alpha") -> str:
    return f"/api/v1/orgs/{slug}/{resource}/{pk}/"


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@pytest.fixture
def cycle(world_a):
    return make_cycle(world_a.org)  # Q4 2026, active


@pytest.fixture
def company(world_a, cycle):
    """A draft company objective with no key results."""
    return make_objective(world_a.org, cycle, title="Company")


def check_in(kr: KeyResult, actor, value: float, confidence: int = 7):
    return services.key_result_check_in(key_result=kr, actor=actor, value=value, confidence=confidence)


# =========================================================================================
# objectives/
# =========================================================================================


@pytest.mark.django_db
def test_admin_creates_a_company_objective_with_the_contract_fields(world_a, api, cycle):
    r = api(world_a.admin).post(
        O_URL,
        {"cycle": cycle.pk, "title": "Delight customers", "owner_type": "company", "description": "Why"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert set(body) >= OBJECTIVE_FIELDS
    assert body["cycle"] == cycle.pk
    assert body["owner_type"] == "company"
    assert body["owner_team"] is None and body["owner_user"] is None and body["parent"] is None
    assert body["status"] == "draft"
    assert body["weight"] == 1.0
    assert is_number(body["progress"]) and body["progress"] == 0
    assert body["confidence"] is None
    assert "health" in body
    assert Objective.objects.filter(organization=world_a.org, title="Delight customers").count() == 1


@pytest.mark.django_db
def test_manager_cannot_create_a_company_objective(world_a, api, cycle):
    r = api(world_a.manager).post(O_URL, {"cycle": cycle.pk, "title": "Mine", "owner_type": "company"}, format="json")
    assert r.status_code == 403
    assert r.json()["message"]
    assert not Objective.objects.filter(organization=world_a.org).exists()


@pytest.mark.django_db
def test_manager_creates_an_objective_for_the_team_they_manage(world_a, api, cycle):
    r = api(world_a.manager).post(
        O_URL,
        {"cycle": cycle.pk, "title": "Leads", "owner_type": "team", "owner_team": world_a.team.pk},
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["owner_team"] == world_a.team.pk and r.json()["owner_user"] is None


@pytest.mark.django_db
def test_manager_also_creates_for_a_team_below_theirs(world_a, api, cycle):
    r = api(world_a.manager).post(
        O_URL,
        {"cycle": cycle.pk, "title": "Growth", "owner_type": "team", "owner_team": world_a.sub_team.pk},
        format="json",
    )
    assert r.status_code == 201, r.json()


@pytest.mark.django_db
def test_manager_cannot_create_for_a_team_they_do_not_manage(world_a, api, cycle):
    r = api(world_a.manager).post(
        O_URL,
        {"cycle": cycle.pk, "title": "Budget", "owner_type": "team", "owner_team": world_a.other_team.pk},
        format="json",
    )
    assert r.status_code == 403
    assert not Objective.objects.filter(organization=world_a.org).exists()


@pytest.mark.django_db
def test_member_creates_a_personal_objective_for_themself(world_a, api, cycle):
    r = api(world_a.member).post(
        O_URL,
        {"cycle": cycle.pk, "title": "Learn SQL", "owner_type": "person", "owner_user": world_a.member.pk},
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["owner_user"] == world_a.member.pk


@pytest.mark.django_db
@pytest.mark.parametrize("owner", ["manager", "admin", "viewer"])
def test_member_cannot_create_a_personal_objective_for_someone_else(world_a, api, cycle, owner):
    r = api(world_a.member).post(
        O_URL,
        {"cycle": cycle.pk, "title": "Yours", "owner_type": "person", "owner_user": getattr(world_a, owner).pk},
        format="json",
    )
    assert r.status_code == 403
    assert not Objective.objects.filter(organization=world_a.org).exists()


@pytest.mark.django_db
def test_member_cannot_create_a_team_objective(world_a, api, cycle):
    r = api(world_a.member).post(
        O_URL,
        {"cycle": cycle.pk, "title": "Team", "owner_type": "team", "owner_team": world_a.team.pk},
        format="json",
    )
    assert r.status_code == 403


@pytest.mark.django_db
def test_manager_creates_a_personal_objective_for_a_member_of_their_team(world_a, api, cycle):
    r = api(world_a.manager).post(
        O_URL,
        {"cycle": cycle.pk, "title": "Coach", "owner_type": "person", "owner_user": world_a.member.pk},
        format="json",
    )
    assert r.status_code == 201, r.json()
    r = api(world_a.manager).post(
        O_URL,
        {"cycle": cycle.pk, "title": "Not mine", "owner_type": "person", "owner_user": world_a.viewer.pk},
        format="json",
    )
    assert r.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "No cycle", "owner_type": "company"}, "cycle"),
        ({"cycle": 999999, "title": "X", "owner_type": "company"}, "cycle"),
        ({"title": "X", "owner_type": "company", "cycle": "abc"}, "cycle"),
        ({"title": "", "owner_type": "company"}, "title"),
        ({"title": "X", "owner_type": "galaxy"}, "owner_type"),
        ({"title": "X"}, "owner_type"),
        ({"title": "X", "owner_type": "team"}, "owner_team"),
        ({"title": "X", "owner_type": "person"}, "owner_user"),
        ({"title": "X", "owner_type": "company", "weight": -1}, "weight"),
        ({"title": "X", "owner_type": "company", "weight": "heavy"}, "weight"),
        ({"title": "X", "owner_type": "company", "status": "finished"}, "status"),
        ({"title": "X", "owner_type": "company", "parent": 999999}, "parent"),
    ],
)
def test_objective_create_rejects_bad_bodies_naming_the_field(world_a, api, cycle, body, field):
    body = {"cycle": cycle.pk, **body} if "cycle" not in body and field != "cycle" else body
    r = api(world_a.admin).post(O_URL, body, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()["errors"], r.json()
    assert not Objective.objects.filter(organization=world_a.org).exists()


@pytest.mark.django_db
def test_objective_in_another_organisations_cycle_is_400_naming_cycle(world_a, world_b, api):
    other_cycle = make_cycle(world_b.org)
    r = api(world_a.admin).post(O_URL, {"cycle": other_cycle.pk, "title": "X", "owner_type": "company"}, format="json")
    assert r.status_code == 400 and "cycle" in r.json()["errors"]


@pytest.mark.django_db
def test_objective_for_another_organisations_team_is_400_naming_owner_team(world_a, world_b, api, cycle):
    r = api(world_a.admin).post(
        O_URL,
        {"cycle": cycle.pk, "title": "X", "owner_type": "team", "owner_team": world_b.team.pk},
        format="json",
    )
    assert r.status_code == 400 and "owner_team" in r.json()["errors"]


@pytest.mark.django_db
def test_objective_for_another_organisations_person_is_400_naming_owner_user(world_a, world_b, api, cycle):
    r = api(world_a.admin).post(
        O_URL,
        {"cycle": cycle.pk, "title": "X", "owner_type": "person", "owner_user": world_b.member.pk},
        format="json",
    )
    assert r.status_code == 400 and "owner_user" in r.json()["errors"]


@pytest.mark.django_db
def test_parent_in_another_organisation_is_400_naming_parent(world_a, world_b, api, cycle):
    foreign = make_objective(world_b.org, make_cycle(world_b.org))
    r = api(world_a.admin).post(
        O_URL, {"cycle": cycle.pk, "title": "Aligned", "owner_type": "company", "parent": foreign.pk}, format="json"
    )
    assert r.status_code == 400
    assert "parent" in r.json()["errors"]
    assert not Objective.objects.filter(organization=world_a.org).exists()


@pytest.mark.django_db
def test_patching_parent_to_another_organisations_objective_is_400(world_a, world_b, api, company):
    foreign = make_objective(world_b.org, make_cycle(world_b.org))
    r = api(world_a.admin).patch(url("objectives", company.pk), {"parent": foreign.pk}, format="json")
    assert r.status_code == 400 and "parent" in r.json()["errors"]
    assert Objective.objects.get(pk=company.pk).parent_id is None


@pytest.mark.django_db
def test_parent_that_would_make_a_loop_is_400_naming_parent(world_a, api, cycle):
    client = api(world_a.admin)
    a = client.post(O_URL, {"cycle": cycle.pk, "title": "A", "owner_type": "company"}, format="json").json()
    b = client.post(
        O_URL, {"cycle": cycle.pk, "title": "B", "owner_type": "company", "parent": a["id"]}, format="json"
    ).json()
    assert b["parent"] == a["id"]
    r = client.patch(url("objectives", a["id"]), {"parent": b["id"]}, format="json")
    assert r.status_code == 400
    assert "parent" in r.json()["errors"]
    assert "loop" in r.json()["message"]
    assert Objective.objects.get(pk=a["id"]).parent_id is None


@pytest.mark.django_db
def test_a_longer_loop_and_a_self_parent_are_refused(world_a, api, cycle):
    a = make_objective(world_a.org, cycle, title="A")
    b = make_objective(world_a.org, cycle, title="B", parent=a)
    c = make_objective(world_a.org, cycle, title="C", parent=b)
    client = api(world_a.admin)
    r = client.patch(url("objectives", a.pk), {"parent": c.pk}, format="json")
    assert r.status_code == 400 and "parent" in r.json()["errors"]
    r = client.patch(url("objectives", a.pk), {"parent": a.pk}, format="json")
    assert r.status_code == 400 and "parent" in r.json()["errors"]
    assert Objective.objects.get(pk=a.pk).parent_id is None


@pytest.mark.django_db
def test_parent_in_a_shorter_cycle_is_400_naming_parent(world_a, api, cycle):
    year = make_cycle(world_a.org, name="2026", start=date(2026, 1, 1), days=365)
    parent = make_objective(world_a.org, cycle, title="Quarter parent")  # Q4 does not contain the year
    r = api(world_a.admin).post(
        O_URL, {"cycle": year.pk, "title": "Yearly", "owner_type": "company", "parent": parent.pk}, format="json"
    )
    assert r.status_code == 400 and "parent" in r.json()["errors"]


@pytest.mark.django_db
def test_parent_in_another_non_containing_cycle_is_400_naming_parent(world_a, api, cycle):
    next_quarter = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), days=90)
    parent = make_objective(world_a.org, next_quarter, title="Next quarter")
    r = api(world_a.admin).post(
        O_URL, {"cycle": cycle.pk, "title": "Now", "owner_type": "company", "parent": parent.pk}, format="json"
    )
    assert r.status_code == 400 and "parent" in r.json()["errors"]


@pytest.mark.django_db
def test_parent_in_a_longer_containing_cycle_is_accepted(world_a, api, cycle):
    year = make_cycle(world_a.org, name="2026", start=date(2026, 1, 1), days=365)
    parent = make_objective(world_a.org, year, title="Yearly")
    r = api(world_a.admin).post(
        O_URL, {"cycle": cycle.pk, "title": "Quarterly", "owner_type": "company", "parent": parent.pk}, format="json"
    )
    assert r.status_code == 201, r.json()
    assert r.json()["parent"] == parent.pk


@pytest.mark.django_db
def test_moving_an_aligned_objective_to_a_non_containing_cycle_is_400(world_a, api, cycle):
    parent = make_objective(world_a.org, cycle, title="Parent")
    child = make_objective(world_a.org, cycle, title="Child", parent=parent)
    later = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), days=90)
    r = api(world_a.admin).patch(url("objectives", child.pk), {"cycle": later.pk}, format="json")
    assert r.status_code == 400 and "parent" in r.json()["errors"]
    assert Objective.objects.get(pk=child.pk).cycle_id == cycle.pk


@pytest.mark.django_db
def test_aligning_to_a_cancelled_objective_is_400_naming_parent(world_a, api, cycle):
    parent = make_objective(world_a.org, cycle, title="Dropped")
    services.objective_set_status(objective=parent, actor=world_a.admin, status="cancelled")
    r = api(world_a.admin).post(
        O_URL, {"cycle": cycle.pk, "title": "X", "owner_type": "company", "parent": parent.pk}, format="json"
    )
    assert r.status_code == 400 and "parent" in r.json()["errors"]


@pytest.mark.django_db
@pytest.mark.parametrize("krs", [0, 1])
def test_activating_with_fewer_than_two_key_results_is_400_and_status_unchanged(world_a, api, cycle, krs):
    objective = make_objective(world_a.org, cycle, krs=krs, kr_owner=world_a.member)
    r = api(world_a.admin).patch(url("objectives", objective.pk), {"status": "active"}, format="json")
    assert r.status_code == 400
    body = r.json()
    assert "status" in body["errors"]
    assert "at least 2 key results" in body["message"]
    assert f"it has {krs}" in body["message"]
    assert Objective.objects.get(pk=objective.pk).status == "draft"


@pytest.mark.django_db
def test_activating_with_two_key_results_is_200(world_a, api, cycle):
    objective = make_objective(world_a.org, cycle, krs=2, kr_owner=world_a.member)
    r = api(world_a.admin).patch(url("objectives", objective.pk), {"status": "active"}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "active"
    assert r.json()["health"] in {"on_track", "at_risk", "off_track"}
    assert Objective.objects.get(pk=objective.pk).status == "active"


@pytest.mark.django_db
def test_a_refused_activation_does_not_apply_the_other_changes_of_the_same_patch(world_a, api, cycle):
    """A 400 must leave the objective as it was: no half-applied PATCH."""
    objective = make_objective(world_a.org, cycle, title="Before", krs=1, kr_owner=world_a.member)
    r = api(world_a.admin).patch(
        url("objectives", objective.pk), {"title": "After", "weight": 3, "status": "active"}, format="json"
    )
    assert r.status_code == 400 and "status" in r.json()["errors"]
    objective.refresh_from_db()
    assert (objective.title, objective.weight, objective.status) == ("Before", 1.0, "draft")


@pytest.mark.django_db
def test_creating_an_objective_as_active_without_key_results_is_400_and_creates_nothing(world_a, api, cycle):
    """A 400 must not leave a half-created objective behind."""
    r = api(world_a.admin).post(
        O_URL, {"cycle": cycle.pk, "title": "Too soon", "owner_type": "company", "status": "active"}, format="json"
    )
    assert r.status_code == 400 and "status" in r.json()["errors"]
    assert not Objective.objects.filter(organization=world_a.org, title="Too soon").exists()


@pytest.mark.django_db
def test_status_changes_close_cancel_and_back_to_draft(world_a, api, cycle):
    objective = make_objective(world_a.org, cycle, krs=2, kr_owner=world_a.member)
    client = api(world_a.admin)
    for status in ("active", "draft", "active", "closed"):
        r = client.patch(url("objectives", objective.pk), {"status": status}, format="json")
        assert r.status_code == 200, (status, r.json())
        assert r.json()["status"] == status
    other = make_objective(world_a.org, cycle, title="Other")
    r = client.patch(url("objectives", other.pk), {"status": "cancelled"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert r.json()["health"] is None  # cancelled objectives have no health


@pytest.mark.django_db
def test_a_sixth_key_result_is_400_naming_objective_and_five_remain(world_a, api, cycle):
    objective = make_objective(world_a.org, cycle, krs=5, kr_owner=world_a.member)
    r = api(world_a.admin).post(
        KR_URL, {"objective": objective.pk, "title": "Sixth", "target_value": 10}, format="json"
    )
    assert r.status_code == 400
    assert "objective" in r.json()["errors"]
    assert "at most 5" in r.json()["message"]
    assert KeyResult.objects.filter(objective=objective).count() == 5


@pytest.mark.django_db
def test_check_in_in_a_closed_cycle_is_400_and_changes_nothing(world_a, api, cycle):
    objective = make_objective(world_a.org, cycle, krs=2, kr_owner=world_a.member)
    kr = objective.key_results.first()
    cycle_services.cycle_update(cycle=cycle, actor=world_a.admin, status="closed")
    r = api(world_a.member).post(CI_URL, {"key_result": kr.pk, "value": 5, "confidence": 7}, format="json")
    assert r.status_code == 400
    assert "closed" in r.json()["message"]
    assert not CheckIn.objects.filter(key_result=kr).exists()
    assert KeyResult.objects.get(pk=kr.pk).current_value == 0


@pytest.mark.django_db
def test_objectives_of_a_closed_cycle_cannot_be_edited_or_take_key_results(world_a, api, cycle):
    objective = make_objective(world_a.org, cycle)
    cycle_services.cycle_update(cycle=cycle, actor=world_a.admin, status="closed")
    client = api(world_a.admin)
    r = client.patch(url("objectives", objective.pk), {"title": "Late edit"}, format="json")
    assert r.status_code == 400
    r = client.post(KR_URL, {"objective": objective.pk, "title": "Late", "target_value": 5}, format="json")
    assert r.status_code == 400
    assert Objective.objects.get(pk=objective.pk).title == "Delight customers"
    assert not KeyResult.objects.filter(objective=objective).exists()


@pytest.mark.django_db
def test_another_organisations_objective_is_404(world_a, world_b, api):
    foreign = make_objective(world_b.org, make_cycle(world_b.org), title="Beta secret")
    client = api(world_a.admin)
    assert client.get(url("objectives", foreign.pk)).status_code == 404
    assert client.patch(url("objectives", foreign.pk), {"title": "Mine now"}, format="json").status_code == 404
    assert client.delete(url("objectives", foreign.pk)).status_code == 404
    listed = client.get(O_URL).json()
    assert foreign.pk not in [o["id"] for o in listed["results"]]
    foreign.refresh_from_db()
    assert foreign.title == "Beta secret"


@pytest.mark.django_db
def test_viewer_reads_but_cannot_post_patch_or_delete_objectives(world_a, api, cycle, company):
    client = api(world_a.viewer)
    assert client.get(url("objectives", company.pk)).status_code == 200
    r = client.post(O_URL, {"cycle": cycle.pk, "title": "V", "owner_type": "company"}, format="json")
    assert r.status_code == 403
    r = client.post(
        O_URL,
        {"cycle": cycle.pk, "title": "V", "owner_type": "person", "owner_user": world_a.viewer.pk},
        format="json",
    )
    assert r.status_code == 403
    assert client.patch(url("objectives", company.pk), {"title": "V"}, format="json").status_code == 403
    assert client.delete(url("objectives", company.pk)).status_code == 403
    assert Objective.objects.filter(organization=world_a.org).count() == 1
    assert Objective.objects.get(pk=company.pk).title == "Company"


@pytest.mark.django_db
def test_member_cannot_patch_or_delete_a_company_objective(world_a, api, company):
    client = api(world_a.member)
    assert client.patch(url("objectives", company.pk), {"title": "Mine"}, format="json").status_code == 403
    assert client.delete(url("objectives", company.pk)).status_code == 403
    assert Objective.objects.get(pk=company.pk).title == "Company"


@pytest.mark.django_db
def test_put_is_not_allowed_on_objectives(world_a, api, cycle, company):
    r = api(world_a.admin).put(
        url("objectives", company.pk), {"cycle": cycle.pk, "title": "Put", "owner_type": "company"}, format="json"
    )
    assert r.status_code == 405


@pytest.mark.django_db
def test_patch_updates_title_description_and_weight(world_a, api, company):
    r = api(world_a.admin).patch(
        url("objectives", company.pk), {"title": "New", "description": "More", "weight": 2.5}, format="json"
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert (body["title"], body["description"], body["weight"]) == ("New", "More", 2.5)
    assert body["status"] == "draft"  # not touched by a PATCH that did not name it


@pytest.mark.django_db
def test_manager_cannot_move_a_team_objective_to_a_team_they_do_not_manage(world_a, api, cycle):
    objective = make_objective(world_a.org, cycle, owner_type="team", team=world_a.team)
    r = api(world_a.manager).patch(
        url("objectives", objective.pk), {"owner_team": world_a.other_team.pk}, format="json"
    )
    assert r.status_code == 403
    assert Objective.objects.get(pk=objective.pk).owner_team_id == world_a.team.pk


@pytest.mark.django_db
def test_deleting_an_objective_keeps_its_aligned_child_with_parent_null(world_a, api, cycle):
    parent = make_objective(world_a.org, cycle, title="Parent", krs=2, kr_owner=world_a.member)
    child = make_objective(world_a.org, cycle, title="Child", parent=parent, krs=1, kr_owner=world_a.member)
    r = api(world_a.admin).delete(url("objectives", parent.pk))
    assert r.status_code == 204
    assert not Objective.objects.filter(pk=parent.pk).exists()
    assert not KeyResult.objects.filter(objective_id=parent.pk).exists()
    child.refresh_from_db()
    assert child.parent_id is None
    r = api(world_a.admin).get(url("objectives", child.pk))
    assert r.status_code == 200 and r.json()["parent"] is None


@pytest.mark.django_db
def test_member_deletes_their_own_personal_objective(world_a, api, cycle):
    mine = make_objective(world_a.org, cycle, owner_type="person", user=world_a.member)
    assert api(world_a.member).delete(url("objectives", mine.pk)).status_code == 204
    assert not Objective.objects.filter(pk=mine.pk).exists()


# =========================================================================================
# key-results/
# =========================================================================================


@pytest.mark.django_db
def test_key_result_create_returns_the_contract_fields(world_a, api, company):
    r = api(world_a.admin).post(
        KR_URL,
        {
            "objective": company.pk,
            "title": "Leads",
            "owner": world_a.member.pk,
            "kind": "number",
            "unit": "leads",
            "start_value": 0,
            "target_value": 100,
            "weight": 2,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert set(body) == KEY_RESULT_FIELDS
    assert body["objective"] == company.pk and body["owner"] == world_a.member.pk
    assert body["start_value"] == 0 and body["target_value"] == 100 and body["current_value"] == 0
    assert body["weight"] == 2
    assert is_number(body["progress"]) and body["progress"] == 0
    assert body["confidence"] is None and body["kpi"] is None


@pytest.mark.django_db
def test_key_result_owner_defaults_to_the_caller_for_a_company_objective(world_a, api, company):
    r = api(world_a.admin).post(KR_URL, {"objective": company.pk, "title": "X", "target_value": 5}, format="json")
    assert r.status_code == 201 and r.json()["owner"] == world_a.admin.pk


@pytest.mark.django_db
def test_numeric_key_result_with_start_equal_to_target_is_400_naming_target_value(world_a, api, company):
    r = api(world_a.admin).post(
        KR_URL, {"objective": company.pk, "title": "Flat", "start_value": 10, "target_value": 10}, format="json"
    )
    assert r.status_code == 400
    assert "target_value" in r.json()["errors"]
    assert not KeyResult.objects.filter(objective=company).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["abc", "", None, [], {"x": 1}])
def test_non_numeric_target_is_400_naming_target_value(world_a, api, company, target):
    r = api(world_a.admin).post(
        KR_URL, {"objective": company.pk, "title": "Bad", "target_value": target}, format="json"
    )
    assert r.status_code == 400, r.content
    assert "target_value" in r.json()["errors"]
    assert not KeyResult.objects.filter(objective=company).exists()


@pytest.mark.django_db
def test_missing_target_on_a_numeric_key_result_is_400_naming_target_value(world_a, api, company):
    r = api(world_a.admin).post(KR_URL, {"objective": company.pk, "title": "No target"}, format="json")
    assert r.status_code == 400 and "target_value" in r.json()["errors"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "", "target_value": 5}, "title"),
        ({"title": "X", "target_value": 5, "kind": "vibes"}, "kind"),
        ({"title": "X", "target_value": 5, "start_value": "low"}, "start_value"),
        ({"title": "X", "target_value": 5, "weight": -1}, "weight"),
        ({"title": "X", "target_value": 5, "owner": 999999}, "owner"),
        ({"title": "X", "target_value": 1e300}, "target_value"),
    ],
)
def test_key_result_create_rejects_bad_bodies_naming_the_field(world_a, api, company, body, field):
    r = api(world_a.admin).post(KR_URL, {"objective": company.pk, **body}, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()["errors"], r.json()


@pytest.mark.django_db
def test_key_result_on_another_organisations_objective_is_400_naming_objective(world_a, world_b, api):
    foreign = make_objective(world_b.org, make_cycle(world_b.org))
    r = api(world_a.admin).post(KR_URL, {"objective": foreign.pk, "title": "X", "target_value": 5}, format="json")
    assert r.status_code == 400 and "objective" in r.json()["errors"]
    assert not KeyResult.objects.filter(objective=foreign).exists()


@pytest.mark.django_db
def test_key_result_owned_by_another_organisations_user_is_400_naming_owner(world_a, world_b, api, company):
    r = api(world_a.admin).post(
        KR_URL, {"objective": company.pk, "title": "X", "target_value": 5, "owner": world_b.member.pk}, format="json"
    )
    assert r.status_code == 400 and "owner" in r.json()["errors"]


@pytest.mark.django_db
def test_milestone_without_target_is_accepted(world_a, api, company):
    r = api(world_a.admin).post(KR_URL, {"objective": company.pk, "title": "Ship", "kind": "milestone"}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["kind"] == "milestone"
    assert body["start_value"] == 0 and body["target_value"] == 1 and body["current_value"] == 0
    assert body["progress"] == 0


@pytest.mark.django_db
def test_current_value_is_read_only_on_create_and_patch(world_a, api, company):
    client = api(world_a.admin)
    r = client.post(
        KR_URL,
        {"objective": company.pk, "title": "Leads", "start_value": 2, "target_value": 10, "current_value": 9},
        format="json",
    )
    assert r.status_code == 201
    kr_id = r.json()["id"]
    assert r.json()["current_value"] == 2  # starts at the start value
    assert r.json()["progress"] == 0
    r = client.patch(url("key-results", kr_id), {"current_value": 8, "progress": 1, "confidence": 9}, format="json")
    assert r.status_code == 200
    kr = KeyResult.objects.get(pk=kr_id)
    assert (kr.current_value, kr.progress, kr.confidence) == (2, 0, None)
    assert r.json()["current_value"] == 2


@pytest.mark.django_db
def test_patching_a_key_result_target_recomputes_progress(world_a, api, company):
    kr = make_kr(company, owner=world_a.member, start=0, target=10)
    check_in(kr, world_a.member, 5)
    r = api(world_a.admin).patch(url("key-results", kr.pk), {"target_value": 20}, format="json")
    assert r.status_code == 200
    assert r.json()["progress"] == pytest.approx(0.25)
    company.refresh_from_db()
    assert company.progress == pytest.approx(0.25)


@pytest.mark.django_db
def test_patching_a_key_result_to_start_equal_target_is_400(world_a, api, company):
    kr = make_kr(company, owner=world_a.member, start=0, target=10)
    r = api(world_a.admin).patch(url("key-results", kr.pk), {"start_value": 10}, format="json")
    assert r.status_code == 400 and "target_value" in r.json()["errors"]
    assert KeyResult.objects.get(pk=kr.pk).start_value == 0


@pytest.mark.django_db
def test_a_key_result_cannot_move_to_another_objective(world_a, api, cycle, company):
    kr = make_kr(company, owner=world_a.member)
    other = make_objective(world_a.org, cycle, title="Other")
    r = api(world_a.admin).patch(url("key-results", kr.pk), {"objective": other.pk}, format="json")
    assert r.status_code == 400 and "objective" in r.json()["errors"]
    assert KeyResult.objects.get(pk=kr.pk).objective_id == company.pk


@pytest.mark.django_db
def test_member_cannot_add_key_results_to_a_company_objective(world_a, api, company):
    r = api(world_a.member).post(KR_URL, {"objective": company.pk, "title": "X", "target_value": 5}, format="json")
    assert r.status_code == 403
    assert not KeyResult.objects.filter(objective=company).exists()


@pytest.mark.django_db
def test_member_adds_key_results_to_their_own_objective(world_a, api, cycle):
    mine = make_objective(world_a.org, cycle, owner_type="person", user=world_a.member)
    r = api(world_a.member).post(KR_URL, {"objective": mine.pk, "title": "Read", "target_value": 12}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["owner"] == world_a.member.pk  # defaults to the objective's owner


@pytest.mark.django_db
def test_viewer_cannot_write_key_results(world_a, api, company):
    kr = make_kr(company, owner=world_a.viewer)
    client = api(world_a.viewer)
    assert (
        client.post(KR_URL, {"objective": company.pk, "title": "X", "target_value": 5}, format="json").status_code
        == 403
    )
    assert client.patch(url("key-results", kr.pk), {"title": "V"}, format="json").status_code == 403
    assert client.delete(url("key-results", kr.pk)).status_code == 403
    assert KeyResult.objects.get(pk=kr.pk).title == "Raise NPS"


@pytest.mark.django_db
def test_another_organisations_key_result_is_404(world_a, world_b, api):
    foreign = make_objective(world_b.org, make_cycle(world_b.org), krs=1, kr_owner=world_b.member)
    kr = foreign.key_results.get()
    client = api(world_a.admin)
    assert client.get(url("key-results", kr.pk)).status_code == 404
    assert client.patch(url("key-results", kr.pk), {"title": "Mine"}, format="json").status_code == 404
    assert client.delete(url("key-results", kr.pk)).status_code == 404
    assert KeyResult.objects.get(pk=kr.pk).title == "KR 1"


@pytest.mark.django_db
def test_deleting_a_key_result_of_an_active_objective_below_two_is_400(world_a, api, cycle):
    objective = make_objective(world_a.org, cycle, krs=2, kr_owner=world_a.member)
    services.objective_set_status(objective=objective, actor=world_a.admin, status="active")
    kr = objective.key_results.first()
    r = api(world_a.admin).delete(url("key-results", kr.pk))
    assert r.status_code == 400
    assert KeyResult.objects.filter(objective=objective).count() == 2


@pytest.mark.django_db
def test_deleting_a_key_result_is_204_and_updates_the_objective(world_a, api, company):
    done = make_kr(company, owner=world_a.member)
    todo = make_kr(company, owner=world_a.member)
    check_in(done, world_a.member, 10)
    company.refresh_from_db()
    assert company.progress == pytest.approx(0.5)
    assert api(world_a.admin).delete(url("key-results", todo.pk)).status_code == 204
    company.refresh_from_db()
    assert company.progress == pytest.approx(1.0)


# --- progress math through the API --------------------------------------------------------


@pytest.mark.django_db
def test_check_in_halfway_gives_half_progress_and_updates_the_objective(world_a, api, company):
    first = make_kr(company, owner=world_a.member, start=0, target=10)
    make_kr(company, owner=world_a.member, start=0, target=10)
    client = api(world_a.member)
    r = client.post(CI_URL, {"key_result": first.pk, "value": 5, "confidence": 8}, format="json")
    assert r.status_code == 201, r.json()
    kr = client.get(url("key-results", first.pk)).json()
    assert kr["progress"] == pytest.approx(0.5)
    assert kr["current_value"] == 5 and kr["confidence"] == 8
    objective = client.get(url("objectives", company.pk)).json()
    assert is_number(objective["progress"])
    assert objective["progress"] == pytest.approx(0.25)
    assert objective["confidence"] == 8  # the lowest confidence among its checked-in key results


@pytest.mark.django_db
def test_key_result_weights_shape_the_objective_progress(world_a, api, company):
    heavy = make_kr(company, owner=world_a.member, target=10, weight=3)
    make_kr(company, owner=world_a.member, target=10, weight=1)
    r = api(world_a.member).post(CI_URL, {"key_result": heavy.pk, "value": 10, "confidence": 8}, format="json")
    assert r.status_code == 201
    assert api(world_a.admin).get(url("objectives", company.pk)).json()["progress"] == pytest.approx(0.75)


@pytest.mark.django_db
def test_a_decrease_key_result_counts_progress_downwards(world_a, api, company):
    kr = make_kr(company, owner=world_a.member, start=100, target=50)
    r = api(world_a.member).post(CI_URL, {"key_result": kr.pk, "value": 75, "confidence": 6}, format="json")
    assert r.status_code == 201
    body = api(world_a.member).get(url("key-results", kr.pk)).json()
    assert body["progress"] == pytest.approx(0.5)
    assert body["current_value"] == 75


@pytest.mark.django_db
def test_over_achievement_is_stored_clamped_to_one(world_a, api, company):
    kr = make_kr(company, owner=world_a.member, start=0, target=10)
    r = api(world_a.member).post(CI_URL, {"key_result": kr.pk, "value": 15, "confidence": 9}, format="json")
    assert r.status_code == 201
    body = api(world_a.member).get(url("key-results", kr.pk)).json()
    assert body["progress"] == pytest.approx(1.0)
    assert body["current_value"] == 15
    assert KeyResult.objects.get(pk=kr.pk).progress == 1.0
    assert Objective.objects.get(pk=company.pk).progress == pytest.approx(1.0)


@pytest.mark.django_db
def test_going_backwards_is_stored_clamped_to_zero(world_a, api, company):
    kr = make_kr(company, owner=world_a.member, start=10, target=20)
    r = api(world_a.member).post(CI_URL, {"key_result": kr.pk, "value": 5, "confidence": 4}, format="json")
    assert r.status_code == 201
    assert api(world_a.member).get(url("key-results", kr.pk)).json()["progress"] == 0


@pytest.mark.django_db
def test_milestone_check_in_done_gives_full_progress(world_a, api, company):
    kr = make_kr(company, owner=world_a.member, kind="milestone", target=1)
    client = api(world_a.member)
    r = client.post(CI_URL, {"key_result": kr.pk, "value": 0.5, "confidence": 5}, format="json")
    assert r.status_code == 400 and "value" in r.json()["errors"]
    r = client.post(CI_URL, {"key_result": kr.pk, "value": 1, "confidence": 9}, format="json")
    assert r.status_code == 201
    assert client.get(url("key-results", kr.pk)).json()["progress"] == 1


# =========================================================================================
# check-ins/
# =========================================================================================


@pytest.fixture
def kr(world_a, company):
    """A key result owned by the member on a company objective the member cannot edit."""
    return make_kr(company, owner=world_a.member, start=0, target=10)


@pytest.mark.django_db
def test_check_in_author_and_created_at_are_read_only_and_set_from_the_caller(world_a, api, kr):
    before = timezone.now()
    r = api(world_a.member).post(
        CI_URL,
        {
            "key_result": kr.pk,
            "value": 4,
            "confidence": 6,
            "note": "Good week",
            "author": world_a.admin.pk,
            "created_at": "2000-01-01T00:00:00Z",
            "id": 424242,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert set(body) == CHECK_IN_FIELDS
    assert body["author"] == world_a.member.pk
    assert body["id"] != 424242
    assert body["value"] == 4 and body["confidence"] == 6 and body["note"] == "Good week"
    saved = CheckIn.objects.get(pk=body["id"])
    assert saved.author_id == world_a.member.pk
    assert saved.created_at >= before
    assert not body["created_at"].startswith("2000")


@pytest.mark.django_db
@pytest.mark.parametrize("confidence", [0, 11, -1, "high", 5.5, None, ""])
def test_bad_confidence_is_400_naming_confidence(world_a, api, kr, confidence):
    r = api(world_a.member).post(CI_URL, {"key_result": kr.pk, "value": 5, "confidence": confidence}, format="json")
    assert r.status_code == 400, r.content
    assert "confidence" in r.json()["errors"]
    assert not CheckIn.objects.filter(key_result=kr).exists()


@pytest.mark.django_db
def test_missing_confidence_is_400_naming_confidence(world_a, api, kr):
    r = api(world_a.member).post(CI_URL, {"key_result": kr.pk, "value": 5}, format="json")
    assert r.status_code == 400 and "confidence" in r.json()["errors"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["abc", None, "", [1], "NaN", "Infinity", 1e300])
def test_bad_value_is_400_naming_value(world_a, api, kr, value):
    r = api(world_a.member).post(CI_URL, {"key_result": kr.pk, "value": value, "confidence": 5}, format="json")
    assert r.status_code == 400, r.content
    assert "value" in r.json()["errors"]
    assert not CheckIn.objects.filter(key_result=kr).exists()
    assert KeyResult.objects.get(pk=kr.pk).current_value == 0


@pytest.mark.django_db
def test_member_checking_in_on_someone_elses_key_result_is_403_and_saves_nothing(world_a, api, company):
    theirs = make_kr(company, owner=world_a.manager, start=0, target=10)
    count = CheckIn.objects.count()
    r = api(world_a.member).post(CI_URL, {"key_result": theirs.pk, "value": 7, "confidence": 7}, format="json")
    assert r.status_code == 403
    assert CheckIn.objects.count() == count
    theirs.refresh_from_db()
    assert (theirs.current_value, theirs.confidence, theirs.progress) == (0, None, 0)
    assert Objective.objects.get(pk=company.pk).progress == 0


@pytest.mark.django_db
def test_member_cannot_check_in_on_a_team_key_result_owned_by_their_manager(world_a, api, cycle):
    team_objective = make_objective(world_a.org, cycle, owner_type="team", team=world_a.team)
    theirs = make_kr(team_objective, owner=world_a.manager)
    r = api(world_a.member).post(CI_URL, {"key_result": theirs.pk, "value": 7, "confidence": 7}, format="json")
    assert r.status_code == 403
    assert not CheckIn.objects.filter(key_result=theirs).exists()


@pytest.mark.django_db
def test_the_key_result_owner_checks_in_even_without_edit_rights_on_the_objective(world_a, api, company, kr):
    client = api(world_a.member)
    assert client.patch(url("objectives", company.pk), {"title": "No"}, format="json").status_code == 403
    r = client.post(CI_URL, {"key_result": kr.pk, "value": 3, "confidence": 5}, format="json")
    assert r.status_code == 201
    assert CheckIn.objects.filter(key_result=kr, author=world_a.member).count() == 1


@pytest.mark.django_db
def test_whoever_may_edit_the_objective_checks_in_on_any_of_its_key_results(world_a, api, cycle):
    team_objective = make_objective(world_a.org, cycle, owner_type="team", team=world_a.team)
    members_kr = make_kr(team_objective, owner=world_a.member)
    r = api(world_a.manager).post(CI_URL, {"key_result": members_kr.pk, "value": 2, "confidence": 4}, format="json")
    assert r.status_code == 201
    assert r.json()["author"] == world_a.manager.pk


@pytest.mark.django_db
def test_viewer_owning_a_key_result_still_cannot_check_in(world_a, api, company):
    viewers = make_kr(company, owner=world_a.viewer)
    r = api(world_a.viewer).post(CI_URL, {"key_result": viewers.pk, "value": 2, "confidence": 4}, format="json")
    assert r.status_code == 403
    assert not CheckIn.objects.filter(key_result=viewers).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_check_ins_are_append_only(world_a, api, kr, method):
    entry = check_in(kr, world_a.member, 5)
    client = api(world_a.admin)
    call = getattr(client, method)
    r = (
        call(url("check-ins", entry.pk))
        if method == "delete"
        else call(url("check-ins", entry.pk), {"value": 9, "confidence": 9, "key_result": kr.pk}, format="json")
    )
    assert r.status_code == 405
    entry.refresh_from_db()
    assert (entry.value, entry.confidence) == (5, 7)
    assert CheckIn.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_check_in_sets_the_key_results_current_value_and_confidence(world_a, api, kr):
    client = api(world_a.member)
    for value, confidence in ((3, 4), (6, 9)):
        r = client.post(CI_URL, {"key_result": kr.pk, "value": value, "confidence": confidence}, format="json")
        assert r.status_code == 201
    body = client.get(url("key-results", kr.pk)).json()
    assert body["current_value"] == 6 and body["confidence"] == 9
    assert body["progress"] == pytest.approx(0.6)
    assert CheckIn.objects.filter(key_result=kr).count() == 2


@pytest.mark.django_db
def test_objective_confidence_is_the_lowest_of_its_key_results(world_a, api, company):
    a = make_kr(company, owner=world_a.member)
    b = make_kr(company, owner=world_a.member)
    client = api(world_a.member)
    client.post(CI_URL, {"key_result": a.pk, "value": 3, "confidence": 8}, format="json")
    client.post(CI_URL, {"key_result": b.pk, "value": 3, "confidence": 3}, format="json")
    assert client.get(url("objectives", company.pk)).json()["confidence"] == 3


@pytest.mark.django_db
def test_check_in_on_another_organisations_key_result_is_400_naming_key_result(world_a, world_b, api):
    foreign = make_objective(world_b.org, make_cycle(world_b.org), krs=1, kr_owner=world_b.member)
    foreign_kr = foreign.key_results.get()
    r = api(world_a.admin).post(CI_URL, {"key_result": foreign_kr.pk, "value": 5, "confidence": 5}, format="json")
    assert r.status_code == 400
    assert "key_result" in r.json()["errors"]
    assert not CheckIn.objects.filter(key_result=foreign_kr).exists()
    assert KeyResult.objects.get(pk=foreign_kr.pk).current_value == 0


@pytest.mark.django_db
def test_another_organisations_check_in_is_404(world_a, world_b, api):
    foreign = make_objective(world_b.org, make_cycle(world_b.org), krs=1, kr_owner=world_b.member)
    entry = check_in(foreign.key_results.get(), world_b.member, 3)
    client = api(world_a.admin)
    assert client.get(url("check-ins", entry.pk)).status_code == 404
    assert entry.pk not in [c["id"] for c in client.get(CI_URL).json()["results"]]


@pytest.mark.django_db
def test_check_in_on_a_cancelled_objective_is_400(world_a, api, company, kr):
    services.objective_set_status(objective=company, actor=world_a.admin, status="cancelled")
    r = api(world_a.member).post(CI_URL, {"key_result": kr.pk, "value": 5, "confidence": 5}, format="json")
    assert r.status_code == 400 and "key_result" in r.json()["errors"]
    assert not CheckIn.objects.filter(key_result=kr).exists()


@pytest.mark.django_db
def test_check_in_list_is_paginated_and_filterable(world_a, api, company, kr):
    other = make_kr(company, owner=world_a.member)
    check_in(kr, world_a.member, 1)
    check_in(kr, world_a.member, 2)
    check_in(other, world_a.admin, 3)
    client = api(world_a.viewer)
    body = client.get(CI_URL).json()
    assert set(body) == {"count", "next", "previous", "results"} and body["count"] == 3
    assert [c["value"] for c in client.get(f"{CI_URL}?key_result={kr.pk}").json()["results"]] == [2, 1]
    assert client.get(f"{CI_URL}?author={world_a.admin.pk}").json()["count"] == 1
    assert client.get(f"{CI_URL}?objective={company.pk}").json()["count"] == 3


# =========================================================================================
# initiatives/
# =========================================================================================


@pytest.mark.django_db
def test_initiative_under_a_key_result_infers_its_objective(world_a, api, company, kr):
    r = api(world_a.admin).post(
        IN_URL,
        {"key_result": kr.pk, "title": "Run a webinar", "owner": world_a.member.pk, "due_date": "2026-12-15"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert set(body) == INITIATIVE_FIELDS
    assert body["objective"] == company.pk and body["key_result"] == kr.pk
    assert body["status"] == "planned" and body["due_date"] == "2026-12-15"
    assert Initiative.objects.get(pk=body["id"]).objective_id == company.pk


@pytest.mark.django_db
def test_initiative_under_an_objective(world_a, api, company):
    r = api(world_a.admin).post(IN_URL, {"objective": company.pk, "title": "Hire"}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["objective"] == company.pk and r.json()["key_result"] is None


@pytest.mark.django_db
def test_initiative_without_objective_or_key_result_is_400(world_a, api):
    r = api(world_a.admin).post(IN_URL, {"title": "Floating"}, format="json")
    assert r.status_code == 400 and "objective" in r.json()["errors"]


@pytest.mark.django_db
def test_initiative_with_a_key_result_of_another_objective_is_400(world_a, api, cycle, company, kr):
    other = make_objective(world_a.org, cycle, title="Other")
    r = api(world_a.admin).post(IN_URL, {"objective": other.pk, "key_result": kr.pk, "title": "Mixed"}, format="json")
    assert r.status_code == 400
    assert "key_result" in r.json()["errors"]
    assert not Initiative.objects.exists()


@pytest.mark.django_db
def test_patching_an_initiative_to_a_key_result_of_another_objective_is_400(world_a, api, cycle, company):
    other = make_objective(world_a.org, cycle, title="Other")
    other_kr = make_kr(other, owner=world_a.member)
    initiative = services.initiative_create(actor=world_a.admin, objective=company, title="Plan")
    r = api(world_a.admin).patch(url("initiatives", initiative.pk), {"key_result": other_kr.pk}, format="json")
    assert r.status_code == 400 and "key_result" in r.json()["errors"]
    assert Initiative.objects.get(pk=initiative.pk).key_result_id is None


@pytest.mark.django_db
def test_initiative_statuses(world_a, api, company):
    client = api(world_a.admin)
    created = client.post(IN_URL, {"objective": company.pk, "title": "Plan", "status": "in_progress"}, format="json")
    assert created.status_code == 201 and created.json()["status"] == "in_progress"
    pk = created.json()["id"]
    for status in ("blocked", "done", "planned"):
        r = client.patch(url("initiatives", pk), {"status": status}, format="json")
        assert r.status_code == 200 and r.json()["status"] == status
    r = client.patch(url("initiatives", pk), {"status": "finished"}, format="json")
    assert r.status_code == 400 and "status" in r.json()["errors"]
    assert Initiative.objects.get(pk=pk).status == "planned"
    assert client.get(f"{IN_URL}?status=planned").json()["count"] == 1
    assert client.get(f"{IN_URL}?status=done").json()["count"] == 0


@pytest.mark.django_db
def test_initiative_owner_updates_it_without_edit_rights_on_the_objective(world_a, api, company):
    initiative = services.initiative_create(actor=world_a.admin, objective=company, title="Plan", owner=world_a.member)
    assert (
        api(world_a.member).patch(url("initiatives", initiative.pk), {"status": "done"}, format="json").status_code
        == 200
    )
    assert (
        api(world_a.manager).patch(url("initiatives", initiative.pk), {"status": "blocked"}, format="json").status_code
        == 403
    )
    assert api(world_a.member).delete(url("initiatives", initiative.pk)).status_code == 403
    assert Initiative.objects.get(pk=initiative.pk).status == "done"


@pytest.mark.django_db
def test_member_cannot_add_an_initiative_to_a_company_objective(world_a, api, company):
    r = api(world_a.member).post(IN_URL, {"objective": company.pk, "title": "Sneak"}, format="json")
    assert r.status_code == 403
    assert not Initiative.objects.exists()


@pytest.mark.django_db
def test_another_organisations_initiative_is_404(world_a, world_b, api):
    foreign_objective = make_objective(world_b.org, make_cycle(world_b.org))
    initiative = services.initiative_create(actor=world_b.admin, objective=foreign_objective, title="Beta plan")
    client = api(world_a.admin)
    assert client.get(url("initiatives", initiative.pk)).status_code == 404
    assert client.patch(url("initiatives", initiative.pk), {"title": "Mine"}, format="json").status_code == 404
    assert client.delete(url("initiatives", initiative.pk)).status_code == 404
    r = client.post(IN_URL, {"objective": foreign_objective.pk, "title": "Into beta"}, format="json")
    assert r.status_code == 400 and "objective" in r.json()["errors"]
    assert Initiative.objects.get(pk=initiative.pk).title == "Beta plan"
    assert Initiative.objects.count() == 1


@pytest.mark.django_db
def test_admin_deletes_an_initiative(world_a, api, company):
    initiative = services.initiative_create(actor=world_a.admin, objective=company, title="Plan")
    assert api(world_a.admin).delete(url("initiatives", initiative.pk)).status_code == 204
    assert not Initiative.objects.exists()


# =========================================================================================
# rollup through the API
# =========================================================================================


@pytest.mark.django_db
def test_check_in_on_a_childs_key_result_moves_the_parents_progress(world_a, api, cycle):
    parent = make_objective(world_a.org, cycle, title="Company", krs=1, kr_owner=world_a.member)
    parent_kr = parent.key_results.get()
    client = api(world_a.admin)  # who may edit the company objective, so may weigh a child in it
    r = client.post(
        O_URL,
        {
            "cycle": cycle.pk,
            "title": "Team",
            "owner_type": "team",
            "owner_team": world_a.team.pk,
            "parent": parent.pk,
            "weight": 2,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    child_id = r.json()["id"]
    child_krs = [
        client.post(KR_URL, {"objective": child_id, "title": title, "target_value": 10}, format="json").json()["id"]
        for title in ("Leads", "Demos")
    ]
    for child_kr in child_krs:
        r = client.post(CI_URL, {"key_result": child_kr, "value": 6, "confidence": 7}, format="json")
        assert r.status_code == 201
    assert client.get(url("objectives", child_id)).json()["progress"] == pytest.approx(0.6)
    # A draft does not count in its parent yet.
    assert client.get(url("objectives", parent.pk)).json()["progress"] == 0
    r = client.patch(url("objectives", child_id), {"status": "active"}, format="json")
    assert r.status_code == 200, r.json()
    # Parent: its own key result (0, weight 1) and the child (0.6, weight 2).
    assert client.get(url("objectives", parent.pk)).json()["progress"] == pytest.approx(1.2 / 3)
    r = api(world_a.member).post(CI_URL, {"key_result": parent_kr.pk, "value": 10, "confidence": 9}, format="json")
    assert r.status_code == 201
    assert client.get(url("objectives", parent.pk)).json()["progress"] == pytest.approx((1 + 1.2) / 3)


@pytest.mark.django_db
def test_cancelling_a_child_removes_it_from_the_parents_progress(world_a, api, cycle):
    parent = make_objective(world_a.org, cycle, title="Company", krs=1, kr_owner=world_a.member)
    check_in(parent.key_results.get(), world_a.member, 8)
    child = make_objective(
        world_a.org,
        cycle,
        title="Team",
        owner_type="team",
        team=world_a.team,
        parent=parent,
        krs=1,
        kr_owner=world_a.member,
        status="active",
    )
    check_in(child.key_results.get(), world_a.member, 2)
    client = api(world_a.manager)
    assert client.get(url("objectives", parent.pk)).json()["progress"] == pytest.approx(0.5)
    r = client.patch(url("objectives", child.pk), {"status": "cancelled"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert client.get(url("objectives", parent.pk)).json()["progress"] == pytest.approx(0.8)
    assert Objective.objects.get(pk=parent.pk).progress == pytest.approx(0.8)


@pytest.mark.django_db
def test_realigning_a_child_moves_its_progress_to_the_new_parent(world_a, api, cycle):
    old = make_objective(world_a.org, cycle, title="Old")
    new = make_objective(world_a.org, cycle, title="New")
    child = make_objective(
        world_a.org, cycle, title="Child", parent=old, krs=1, kr_owner=world_a.member, status="active"
    )
    check_in(child.key_results.get(), world_a.member, 10)
    assert Objective.objects.get(pk=old.pk).progress == pytest.approx(1.0)
    r = api(world_a.admin).patch(url("objectives", child.pk), {"parent": new.pk}, format="json")
    assert r.status_code == 200 and r.json()["parent"] == new.pk
    assert Objective.objects.get(pk=old.pk).progress == 0
    assert Objective.objects.get(pk=new.pk).progress == pytest.approx(1.0)


@pytest.mark.django_db
def test_deleting_a_child_removes_it_from_the_parents_progress(world_a, api, cycle):
    parent = make_objective(world_a.org, cycle, title="Parent", krs=1, kr_owner=world_a.member)
    child = make_objective(
        world_a.org, cycle, title="Child", parent=parent, krs=1, kr_owner=world_a.member, status="active"
    )
    check_in(child.key_results.get(), world_a.member, 10)
    assert Objective.objects.get(pk=parent.pk).progress == pytest.approx(0.5)
    assert api(world_a.admin).delete(url("objectives", child.pk)).status_code == 204
    assert Objective.objects.get(pk=parent.pk).progress == 0


# =========================================================================================
# lists: pagination and filters
# =========================================================================================


@pytest.mark.django_db
def test_objective_list_is_paginated(world_a, api, cycle):
    for i in range(3):
        make_objective(world_a.org, cycle, title=f"O{i}")
    client = api(world_a.viewer)
    body = client.get(f"{O_URL}?page_size=2").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3 and len(body["results"]) == 2
    assert body["next"] and body["previous"] is None
    page2 = client.get(body["next"]).json()
    assert len(page2["results"]) == 1 and page2["next"] is None and page2["previous"]
    assert set(page2["results"][0]) >= OBJECTIVE_FIELDS


@pytest.mark.django_db
def test_objective_list_filters_by_cycle_owner_type_status_and_parent(world_a, api, cycle):
    later = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), days=90)
    company = make_objective(world_a.org, cycle, title="Company", krs=2, kr_owner=world_a.member)
    services.objective_set_status(objective=company, actor=world_a.admin, status="active")
    team = make_objective(world_a.org, cycle, title="Team", owner_type="team", team=world_a.team, parent=company)
    person = make_objective(world_a.org, cycle, title="Person", owner_type="person", user=world_a.member)
    future = make_objective(world_a.org, later, title="Future")
    client = api(world_a.member)

    def ids(query: str) -> list[int]:
        r = client.get(f"{O_URL}?{query}")
        assert r.status_code == 200
        return [o["id"] for o in r.json()["results"]]

    assert ids(f"cycle={cycle.pk}") == [company.pk, team.pk, person.pk]
    assert ids(f"cycle={later.pk}") == [future.pk]
    assert ids("owner_type=team") == [team.pk]
    assert ids("owner_type=person") == [person.pk]
    assert ids(f"owner_type=company&cycle={cycle.pk}") == [company.pk]
    assert ids(f"owner_team={world_a.team.pk}") == [team.pk]
    assert ids(f"owner_user={world_a.member.pk}") == [person.pk]
    assert ids("status=active") == [company.pk]
    assert ids(f"parent={company.pk}") == [team.pk]
    assert ids("parent=null") == [company.pk, person.pk, future.pk]
    assert ids("cycle=abc") == [company.pk, team.pk, person.pk, future.pk]  # junk filters are ignored, not 500


@pytest.mark.django_db
def test_key_result_list_filters_by_objective_owner_and_cycle(world_a, api, cycle):
    a = make_objective(world_a.org, cycle, title="A", krs=2, kr_owner=world_a.member)
    b = make_objective(world_a.org, cycle, title="B", krs=1, kr_owner=world_a.manager)
    later = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), days=90)
    c = make_objective(world_a.org, later, title="C", krs=1, kr_owner=world_a.member)
    client = api(world_a.viewer)
    body = client.get(KR_URL).json()
    assert set(body) == {"count", "next", "previous", "results"} and body["count"] == 4
    assert {k["objective"] for k in client.get(f"{KR_URL}?objective={a.pk}").json()["results"]} == {a.pk}
    assert client.get(f"{KR_URL}?objective={a.pk}").json()["count"] == 2
    assert client.get(f"{KR_URL}?owner={world_a.manager.pk}").json()["results"][0]["objective"] == b.pk
    assert [k["objective"] for k in client.get(f"{KR_URL}?cycle={later.pk}").json()["results"]] == [c.pk]


@pytest.mark.django_db
def test_initiative_list_filters_by_objective_and_key_result(world_a, api, cycle, company, kr):
    other = make_objective(world_a.org, cycle, title="Other")
    services.initiative_create(actor=world_a.admin, objective=company, key_result=kr, title="On KR")
    services.initiative_create(actor=world_a.admin, objective=company, title="On objective")
    services.initiative_create(actor=world_a.admin, objective=other, title="Elsewhere")
    client = api(world_a.viewer)
    body = client.get(IN_URL).json()
    assert set(body) == {"count", "next", "previous", "results"} and body["count"] == 3
    assert client.get(f"{IN_URL}?objective={company.pk}").json()["count"] == 2
    assert [i["title"] for i in client.get(f"{IN_URL}?key_result={kr.pk}").json()["results"]] == ["On KR"]


@pytest.mark.django_db
def test_lists_never_show_another_organisations_rows(world_a, world_b, api):
    foreign = make_objective(world_b.org, make_cycle(world_b.org), krs=1, kr_owner=world_b.member)
    check_in(foreign.key_results.get(), world_b.member, 1)
    services.initiative_create(actor=world_b.admin, objective=foreign, title="Beta")
    client = api(world_a.admin)
    for resource in ("objectives", "key-results", "check-ins", "initiatives"):
        body = client.get(f"{BASE}/{resource}/").json()
        assert body["count"] == 0, resource
    assert client.get(f"{O_URL}?cycle={foreign.cycle_id}").json()["count"] == 0


@pytest.mark.django_db
def test_a_non_member_gets_404_on_every_okr_resource(world_a, outsider, api):
    client = api(outsider)
    for resource in ("objectives", "key-results", "check-ins", "initiatives"):
        assert client.get(f"{BASE}/{resource}/").status_code == 404


# =========================================================================================
# query counts
# =========================================================================================


def _bulk_objectives(world, cycle, n: int) -> None:
    objectives = Objective.objects.bulk_create(
        [Objective(organization=world.org, cycle=cycle, title=f"Bulk {n}-{i}", owner_type="company") for i in range(n)]
    )
    KeyResult.objects.bulk_create(
        [
            KeyResult(
                organization=world.org,
                objective=o,
                title=f"KR {j}",
                owner=world.member,
                start_value=0,
                target_value=10,
                current_value=j,
                progress=j / 10,
                position=j + 1,
            )
            for o in objectives
            for j in range(2)
        ]
    )


@pytest.mark.django_db
def test_objective_list_query_count_does_not_grow_with_the_number_of_objectives(
    world_a, api, cycle, django_assert_max_num_queries
):
    client = api(world_a.admin)
    list_url = f"{O_URL}?page_size=500"
    _bulk_objectives(world_a, cycle, 10)
    with django_assert_max_num_queries(12) as small:
        r = client.get(list_url)
    assert r.status_code == 200 and r.json()["count"] == 10
    assert all(len(o["key_results"]) == 2 for o in r.json()["results"])
    _bulk_objectives(world_a, cycle, 190)
    with django_assert_max_num_queries(12) as large:
        r = client.get(list_url)
    assert r.status_code == 200 and r.json()["count"] == 200
    assert len(r.json()["results"]) == 200
    assert all(len(o["key_results"]) == 2 for o in r.json()["results"])
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.django_db
def test_check_in_dates_are_iso_8601(world_a, api, kr):
    r = api(world_a.member).post(CI_URL, {"key_result": kr.pk, "value": 1, "confidence": 5}, format="json")
    created = r.json()["created_at"]
    parsed = datetime.fromisoformat(created.replace("Z", "+00:00"))
    assert abs(parsed - timezone.now()) < timedelta(minutes=5)


# =========================================================================================
# more edges
# =========================================================================================


@pytest.mark.django_db
def test_health_follows_progress_against_the_elapsed_cycle(world_a, api):
    today = timezone.localdate()
    current = make_cycle(world_a.org, name="Current", start=today - timedelta(days=45), days=91)
    objective = make_objective(world_a.org, current, krs=2, kr_owner=world_a.member)
    began = timezone.now() - timedelta(days=45)  # active since the cycle began
    services.objective_set_status(objective=objective, actor=world_a.admin, status="active", at=began)
    client = api(world_a.member)
    assert client.get(url("objectives", objective.pk)).json()["health"] == "off_track"  # 0 % at half time
    for kr in objective.key_results.all():
        assert (
            client.post(CI_URL, {"key_result": kr.pk, "value": 10, "confidence": 9}, format="json").status_code == 201
        )
    body = client.get(url("objectives", objective.pk)).json()
    assert body["progress"] == pytest.approx(1.0)
    assert body["confidence"] == 9
    assert body["health"] == "on_track"


@pytest.mark.django_db
def test_member_cannot_hand_their_objective_to_someone_else(world_a, api, cycle):
    mine = make_objective(world_a.org, cycle, owner_type="person", user=world_a.member)
    r = api(world_a.member).patch(url("objectives", mine.pk), {"owner_user": world_a.viewer.pk}, format="json")
    assert r.status_code == 403
    assert Objective.objects.get(pk=mine.pk).owner_user_id == world_a.member.pk


@pytest.mark.django_db
def test_patching_into_another_organisations_cycle_or_team_is_400(world_a, world_b, api, cycle):
    objective = make_objective(world_a.org, cycle, owner_type="team", team=world_a.team)
    client = api(world_a.admin)
    r = client.patch(url("objectives", objective.pk), {"cycle": make_cycle(world_b.org).pk}, format="json")
    assert r.status_code == 400 and "cycle" in r.json()["errors"]
    r = client.patch(url("objectives", objective.pk), {"owner_team": world_b.team.pk}, format="json")
    assert r.status_code == 400 and "owner_team" in r.json()["errors"]
    objective.refresh_from_db()
    assert (objective.cycle_id, objective.owner_team_id) == (cycle.pk, world_a.team.pk)


@pytest.mark.django_db
def test_check_in_note_too_long_is_400_naming_note(world_a, api, kr):
    r = api(world_a.member).post(
        CI_URL, {"key_result": kr.pk, "value": 1, "confidence": 5, "note": "x" * 2001}, format="json"
    )
    assert r.status_code == 400 and "note" in r.json()["errors"]


@pytest.mark.django_db
def test_initiative_in_a_closed_cycle_cannot_be_created(world_a, api, cycle, company):
    cycle_services.cycle_update(cycle=cycle, actor=world_a.admin, status="closed")
    r = api(world_a.admin).post(IN_URL, {"objective": company.pk, "title": "Late"}, format="json")
    assert r.status_code == 400
    assert not Initiative.objects.exists()


@pytest.mark.django_db
def test_initiative_in_a_closed_cycle_cannot_be_changed_or_deleted(world_a, api, cycle, company):
    """Closing a cycle freezes its OKRs: creating an initiative is refused, so is changing one."""
    initiative = services.initiative_create(actor=world_a.admin, objective=company, title="Plan")
    cycle_services.cycle_update(cycle=cycle, actor=world_a.admin, status="closed")
    client = api(world_a.admin)
    r = client.patch(url("initiatives", initiative.pk), {"status": "done", "title": "Rewritten"}, format="json")
    assert r.status_code == 400
    assert client.delete(url("initiatives", initiative.pk)).status_code == 400
    initiative.refresh_from_db()
    assert (initiative.title, initiative.status) == ("Plan", "planned")


@pytest.mark.django_db
def test_moving_a_parent_to_a_cycle_that_no_longer_contains_its_children_is_400(world_a, api, cycle):
    """The alignment rule (parent in the same or a containing cycle) must hold
    whichever end of the alignment moves."""
    year = make_cycle(world_a.org, name="2026", start=date(2026, 1, 1), days=365)
    parent = make_objective(world_a.org, year, title="Yearly")
    child = make_objective(world_a.org, cycle, title="Q4", parent=parent)
    later = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), days=90)
    r = api(world_a.admin).patch(url("objectives", parent.pk), {"cycle": later.pk}, format="json")
    assert r.status_code == 400
    assert Objective.objects.get(pk=parent.pk).cycle_id == year.pk
    assert Objective.objects.get(pk=child.pk).parent_id == parent.pk


@pytest.mark.django_db
def test_a_check_in_costs_the_same_few_statements_however_deep_the_tree(
    world_a, settings, django_assert_max_num_queries
):
    """The hot path of the weekly habit: membership, the key result, one locked read,
    the check-in, the key result, the activity entry (plus savepoints). The rollup runs
    in the worker after commit."""
    from rest_framework.test import APIClient

    settings.ROLLUP_INLINE = False
    cycle = make_cycle(world_a.org)
    parent = None
    for depth in range(8):
        parent = make_objective(world_a.org, cycle, title=f"Level {depth}", parent=parent)
    kr = make_kr(parent, owner=world_a.member, target=10)
    client = APIClient()
    client.force_authenticate(world_a.member)
    with django_assert_max_num_queries(10):
        response = client.post(
            f"/api/v1/orgs/{world_a.org.slug}/check-ins/",
            {"key_result": kr.pk, "value": 4, "confidence": 7},
            format="json",
        )
    assert response.status_code == 201, response.content
    kr.refresh_from_db()
    assert (kr.current_value, kr.confidence) == (4.0, 7)
