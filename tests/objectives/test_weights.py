"""A member must not steer a parent they cannot edit: an objective's weight in its parent is
bounded (0 < weight ≤ 10) on the form, the API and in the database, and only someone who may
edit the parent sets it — for anyone else it counts 1, at creation and when re-aligned."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from objectives import services
from objectives.models import Objective
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

pytestmark = pytest.mark.django_db

O_URL = "/api/v1/orgs/alpha/objectives/"


@pytest.fixture
def cycle(world_a):
    return make_cycle(world_a.org)


@pytest.fixture
def company(world_a, cycle):
    """The company's objective: one key result at 0 %."""
    objective = make_objective(world_a.org, cycle, title="Company")
    make_kr(objective, title="Revenue", owner=world_a.admin, target=100)
    make_kr(objective, title="Margin", owner=world_a.admin, target=100)
    services.objective_set_status(objective=objective, actor=world_a.admin, status="active")
    return objective


def _mine(world, cycle, parent, weight):
    return {
        "cycle": cycle.pk,
        "title": "Mine",
        "owner_type": "person",
        "owner_user": world.member.pk,
        "parent": parent.pk if parent else None,
        "weight": weight,
    }


@pytest.mark.parametrize("weight", [1000, 10.5, 0, -1])
def test_a_weight_outside_0_and_10_is_refused_by_the_api_with_the_field_named(world_a, api, cycle, company, weight):
    r = api(world_a.member).post(O_URL, _mine(world_a, cycle, company, weight), format="json")
    assert r.status_code == 400, r.json()
    assert "weight" in r.json()["errors"]
    assert "at most 10" in str(r.json()["errors"]["weight"])
    assert not Objective.objects.filter(title="Mine").exists()


def test_a_weight_outside_the_bounds_is_refused_on_the_page_in_both_languages(world_a, web, cycle, company):
    client = web(world_a.member)
    form = _mine(world_a, cycle, company, "1000") | {"parent": company.pk, "description": ""}
    r = client.post("/o/alpha/okrs/new/", form)
    assert r.status_code == 200
    assert "The weight must be more than 0 and at most 10." in r.content.decode()
    world_a.member.language = "vi"
    world_a.member.save(update_fields=["language"])
    r = client.post("/o/alpha/okrs/new/", form | {"weight": "0"})
    assert "Trọng số phải lớn hơn 0 và tối đa là 10." in r.content.decode()
    assert not Objective.objects.filter(title="Mine").exists()


def test_the_database_refuses_a_weight_outside_the_bounds(world_a, cycle, company):
    for weight in (1000.0, 0.0):
        with pytest.raises(IntegrityError), transaction.atomic():
            Objective.objects.filter(pk=company.pk).update(weight=weight)


def test_a_member_aligning_to_the_company_objective_counts_1_whatever_they_send(world_a, api, cycle, company):
    r = api(world_a.member).post(O_URL, _mine(world_a, cycle, company, 10), format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["weight"] == 1.0
    mine = Objective.objects.get(pk=r.json()["id"])
    for i in range(2):
        kr = make_kr(mine, title=f"Mine {i}", owner=world_a.member, target=10)
        services.key_result_check_in(key_result=kr, actor=world_a.member, value=10, confidence=9)
    services.objective_set_status(objective=mine, actor=world_a.member, status="active")
    company.refresh_from_db()
    # Two key results at 0 % and the member's objective at 100 % with weight 1 (not 10: 10/12).
    assert company.progress == pytest.approx(1 / 3)


def test_a_member_aligning_on_the_page_counts_1_whatever_they_send(world_a, web, cycle, company):
    client = web(world_a.member)
    form = _mine(world_a, cycle, company, "9") | {"parent": company.pk, "description": ""}
    r = client.post("/o/alpha/okrs/new/", form)
    assert r.status_code == 302, r.context["form"].errors
    assert Objective.objects.get(title="Mine").weight == 1.0


def test_an_admin_may_set_the_weight_a_child_carries_in_the_company_objective(world_a, api, cycle, company):
    r = api(world_a.admin).post(O_URL, _mine(world_a, cycle, company, 3), format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["weight"] == 3.0


def test_re_aligning_or_reweighing_without_the_right_on_the_parent_keeps_it_at_1(world_a, api, cycle, company):
    member, admin = api(world_a.member), api(world_a.admin)
    # Not aligned: the weight is nobody else's business.
    r = member.post(O_URL, _mine(world_a, cycle, None, 5), format="json")
    assert r.status_code == 201 and r.json()["weight"] == 5.0
    url = f"{O_URL}{r.json()['id']}/"
    # Aligned to the company by the member: it counts 1 there.
    r = member.patch(url, {"parent": company.pk}, format="json")
    assert r.status_code == 200 and r.json()["weight"] == 1.0
    r = member.patch(url, {"weight": 8}, format="json")
    assert r.status_code == 200 and r.json()["weight"] == 1.0
    # The admin weighs it; the member's later edits leave that alone.
    assert admin.patch(url, {"weight": 3}, format="json").json()["weight"] == 3.0
    r = member.patch(url, {"title": "Mine, renamed", "weight": 9}, format="json")
    assert r.status_code == 200 and (r.json()["title"], r.json()["weight"]) == ("Mine, renamed", 3.0)
    assert member.patch(url, {"weight": 1000}, format="json").status_code == 400


def test_re_aligning_on_the_edit_page_counts_1_for_a_member(world_a, web, cycle, company):
    mine = make_objective(world_a.org, cycle, title="Mine", owner_type="person", user=world_a.member, weight=4)
    client = web(world_a.member)
    form = _mine(world_a, cycle, company, "4") | {"description": "", "version": mine.version}
    r = client.post(f"/o/alpha/okrs/{mine.pk}/edit/", form)
    assert r.status_code == 302, r.context["form"].errors
    mine.refresh_from_db()
    assert (mine.parent_id, mine.weight) == (company.pk, 1.0)
