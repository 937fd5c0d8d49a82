"""API: scorecards/ and strategy-links/."""

from __future__ import annotations

from datetime import date

import pytest

from objectives.services import objective_update
from scorecards import services
from scorecards.models import Scorecard, StrategyLink
from tests.kpis.kpi_factories import make_kpi, record
from tests.objectives.okr_factories import make_cycle, make_objective
from tests.scorecards.sc_factories import company_card, four_kpis, measure_all

BASE = "/api/v1/orgs/alpha"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("orgs.models.Organization.today", lambda self: date(2026, 11, 27))


@pytest.mark.django_db
def test_create_with_items_and_retrieve_scores_per_perspective(world_a, api):
    kpis = four_kpis(world_a.org)
    measure_all(kpis, "2026-11-01", 1.0)
    record(kpis[0], "2026-11-01", 2)
    client = api(world_a.admin)
    body = {
        "name": "Board",
        "items": [{"kpi": k.pk, "weight": 2} for k in kpis[:3]] + [{"kpi": kpis[3].pk, "perspective": "customer"}],
        "perspective_weights": {"financial": 2, "learning_growth": 0},
    }
    r = client.post(f"{BASE}/scorecards/", body, format="json")
    assert r.status_code == 201, r.json()
    data = r.json()
    assert data["owner_team"] is None and data["as_of"] == "2026-11-01"
    assert data["items"][3] == {"kpi": kpis[3].pk, "perspective": "customer", "weight": 1.0}
    assert data["perspective_weights"] == {
        "financial": 2.0,
        "customer": 1.0,
        "internal_process": 1.0,
        "learning_growth": 0.0,
    }
    got = client.get(f"{BASE}/scorecards/{data['id']}/").json()
    rows = {p["perspective"]: p for p in got["perspectives"]}
    assert rows["financial"] == {
        "perspective": "financial",
        "weight": 2.0,
        "score": pytest.approx(0.2),
        "status": "red",
        "provisional": False,
    }
    assert rows["customer"]["score"] == pytest.approx(1.0) and rows["customer"]["status"] == "green"
    assert rows["learning_growth"] == {
        "perspective": "learning_growth",
        "weight": 0.0,
        "score": None,
        "status": None,
        "provisional": False,  # nothing measured: no data yet, not provisional
    }
    assert got["score"] == pytest.approx((0.2 * 2 + 1.0 + 1.0) / 4)


@pytest.mark.django_db
def test_from_library_and_as_of(world_a, api):
    kpis = four_kpis(world_a.org)
    measure_all(kpis, "2026-10-01", 1.0)
    client = api(world_a.admin)
    r = client.post(f"{BASE}/scorecards/", {"name": "Company", "from_library": True}, format="json")
    assert r.status_code == 201 and len(r.json()["items"]) == 4
    pk = r.json()["id"]
    assert client.get(f"{BASE}/scorecards/{pk}/?as_of=2026-10-20").json()["score"] == pytest.approx(1.0)
    september = client.get(f"{BASE}/scorecards/{pk}/?as_of=2026-09-01").json()
    assert september["score"] is None and september["status"] is None  # no data yet, not 0
    bad = client.get(f"{BASE}/scorecards/{pk}/?as_of=soon")
    assert bad.status_code == 400 and "as_of" in bad.json()["errors"]
    # Days whose trend window would leave the calendar: a clear 400, not a 500 (found by the fuzzer).
    for day in ("0001-09-29", "1899-12-31", "9001-01-01", "9999-12-31"):
        far = client.get(f"{BASE}/scorecards/{pk}/?as_of={day}")
        assert far.status_code == 400 and "out of range" in str(far.json()["errors"]["as_of"]), day
        assert client.get(f"{BASE}/scorecards/?as_of={day}").status_code == 400, day
    for day in ("1900-01-01", "9000-12-31"):
        assert client.get(f"{BASE}/scorecards/{pk}/?as_of={day}").status_code == 200, day


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"items": [{"kpi": "K", "weight": -1}]},
        {"items": [{"kpi": 0, "weight": "heavy"}]},
        {"items": [{"kpi": 0, "weight": -0.5}]},
        {"perspective_weights": {"customer": -1}},
        {"perspective_weights": {"customer": "a lot"}},
        {"green_at": 0.5, "amber_at": 0.8},
        {"items": "everything"},
        {"items": [{"perspective": "financial"}]},  # a PATCH skips nested required fields unless told
    ],
)
def test_bad_weights_are_400_with_the_field_named(world_a, api, body):
    kpi = make_kpi(world_a.org)
    card = company_card(world_a.org)
    for item in body.get("items", []) if isinstance(body.get("items"), list) else []:
        if item.get("kpi") == 0:
            item["kpi"] = kpi.pk
    r = api(world_a.admin).patch(f"{BASE}/scorecards/{card.pk}/", body, format="json")
    assert r.status_code == 400, r.content
    payload = r.json()
    assert payload["message"] and payload["errors"]
    assert card.items.get().weight == 1.0


@pytest.mark.django_db
def test_a_patch_of_items_without_weights_gives_them_the_default(world_a, api):
    first, second = make_kpi(world_a.org, name="First"), make_kpi(world_a.org, name="Second")
    card = company_card(world_a.org)
    body = {"items": [{"kpi": first.pk, "weight": 3}, {"kpi": second.pk}]}
    r = api(world_a.admin).patch(f"{BASE}/scorecards/{card.pk}/", body, format="json")
    assert r.status_code == 200, r.content
    assert sorted(card.items.values_list("kpi__name", "weight")) == [("First", 3.0), ("Second", 1.0)]


@pytest.mark.django_db
def test_kpis_of_another_organisation_or_owner_are_404(world_a, world_b, api):
    beta = make_kpi(world_b.org, name="Beta")
    finance = make_kpi(world_a.org, name="Finance", owner_type="team", team=world_a.other_team)
    client = api(world_a.manager)
    r = client.post(
        f"{BASE}/scorecards/", {"name": "M", "owner_team": world_a.team.pk, "items": [{"kpi": beta.pk}]}, format="json"
    )
    assert r.status_code == 404 and r.json()["message"]
    body = {"name": "M", "owner_team": world_a.team.pk, "items": [{"kpi": finance.pk}]}
    r = client.post(f"{BASE}/scorecards/", body, format="json")
    assert r.status_code == 404
    for huge in (10**30, -(10**30)):  # ids no database column can hold: not found, never a 500
        body = {"name": "M", "owner_team": world_a.team.pk, "items": [{"kpi": huge}]}
        assert client.post(f"{BASE}/scorecards/", body, format="json").status_code == 404
    assert not Scorecard.objects.exists()  # all or nothing


@pytest.mark.django_db
def test_permissions(world_a, api):
    company = company_card(world_a.org)
    team = services.scorecard_create(org=world_a.org, actor=None, name="Marketing", owner_team=world_a.team)
    assert api(world_a.viewer).get(f"{BASE}/scorecards/").json()["count"] == 2

    def rename(user, card, name):  # type: ignore[no-untyped-def]
        return api(user).patch(f"{BASE}/scorecards/{card.pk}/", {"name": name}, format="json").status_code

    assert rename(world_a.viewer, team, "x") == 403
    assert rename(world_a.manager, company, "x") == 403
    assert rename(world_a.manager, team, "Mkt") == 200
    assert api(world_a.member).delete(f"{BASE}/scorecards/{team.pk}/").status_code == 403
    r = api(world_a.manager).post(f"{BASE}/scorecards/", {"name": "Co"}, format="json")
    assert r.status_code == 403
    r = api(world_a.admin).patch(f"{BASE}/scorecards/{team.pk}/", {"owner_team": None}, format="json")
    assert r.status_code == 400 and "owner_team" in r.json()["errors"]
    assert api(world_a.admin).delete(f"{BASE}/scorecards/{team.pk}/").status_code == 204


@pytest.mark.django_db
def test_list_is_paginated_filterable_and_its_query_count_does_not_grow(world_a, api, django_assert_max_num_queries):
    client = api(world_a.admin)
    kpis = four_kpis(world_a.org)
    measure_all(kpis, "2026-11-01", 1.0)
    company_card(world_a.org)
    with django_assert_max_num_queries(10) as small:
        first = client.get(f"{BASE}/scorecards/").json()
    for i in range(20):
        company_card(world_a.org, name=f"Card {i:02d}")
    services.scorecard_create(org=world_a.org, actor=None, name="Marketing", owner_team=world_a.team)
    with django_assert_max_num_queries(10) as large:
        page = client.get(f"{BASE}/scorecards/").json()
    assert len(large.captured_queries) == len(small.captured_queries)
    assert first["count"] == 1 and page["count"] == 22 and page["results"][0]["score"] == pytest.approx(1.0)
    only_team = client.get(f"{BASE}/scorecards/?owner_team={world_a.team.pk}").json()
    assert [c["name"] for c in only_team["results"]] == ["Marketing"]
    assert client.get(f"{BASE}/scorecards/?owner_team=null").json()["count"] == 21


@pytest.mark.django_db
def test_strategy_links_through_the_api(world_a, world_b, api):
    kpis = four_kpis(world_a.org)
    card = company_card(world_a.org)
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="Grow")
    objective_update(objective=objective, actor=None, perspective="financial")
    client = api(world_a.admin)
    r = client.post(
        f"{BASE}/strategy-links/",
        {"scorecard": card.pk, "source_kpi": kpis[3].pk, "target_objective": objective.pk},
        format="json",
    )
    assert r.status_code == 201, r.json()
    link = r.json()
    assert link["source_objective"] is None and link["target_kpi"] is None and link["created_by"] == world_a.admin.pk
    listed = client.get(f"{BASE}/strategy-links/?scorecard={card.pk}").json()
    assert listed["count"] == 1
    dup = client.post(
        f"{BASE}/strategy-links/",
        {"scorecard": card.pk, "source_kpi": kpis[3].pk, "target_objective": objective.pk},
        format="json",
    )
    assert dup.status_code == 400
    both = client.post(
        f"{BASE}/strategy-links/",
        {"scorecard": card.pk, "source_kpi": kpis[0].pk, "source_objective": objective.pk, "target_kpi": kpis[1].pk},
        format="json",
    )
    assert both.status_code == 400 and "source" in both.json()["errors"]
    assert client.delete(f"{BASE}/strategy-links/{link['id']}/").status_code == 204
    assert not StrategyLink.objects.exists()


@pytest.mark.django_db
def test_links_between_organisations_are_404(world_a, world_b, api):
    kpis = four_kpis(world_a.org)
    card = company_card(world_a.org)
    beta_kpis = four_kpis(world_b.org)
    beta_card = company_card(world_b.org)
    client = api(world_a.admin)
    for body in (
        {"scorecard": card.pk, "source_kpi": kpis[0].pk, "target_kpi": beta_kpis[1].pk},
        {"scorecard": card.pk, "source_kpi": beta_kpis[0].pk, "target_kpi": kpis[1].pk},
        {"scorecard": beta_card.pk, "source_kpi": beta_kpis[0].pk, "target_kpi": beta_kpis[1].pk},
    ):
        r = client.post(f"{BASE}/strategy-links/", body, format="json")
        assert r.status_code == 404, body
    beta_link = services.strategy_link_create(scorecard=beta_card, actor=None, source=beta_kpis[0], target=beta_kpis[1])
    assert client.get(f"{BASE}/strategy-links/{beta_link.pk}/").status_code == 404
    assert client.delete(f"{BASE}/strategy-links/{beta_link.pk}/").status_code == 404
    assert StrategyLink.objects.count() == 1


@pytest.mark.django_db
def test_objectives_carry_a_perspective_in_the_api(world_a, api):
    cycle = make_cycle(world_a.org)
    client = api(world_a.admin)
    r = client.post(
        f"{BASE}/objectives/",
        {"cycle": cycle.pk, "title": "Grow", "owner_type": "company", "perspective": "financial"},
        format="json",
    )
    assert r.status_code == 201 and r.json()["perspective"] == "financial"
    r = client.patch(f"{BASE}/objectives/{r.json()['id']}/", {"perspective": "sales"}, format="json")
    assert r.status_code == 400 and "perspective" in r.json()["errors"]
