"""The kpis/ and measurements/ API resources (DESIGN §6)."""

from __future__ import annotations

from datetime import date

import pytest

from activity.models import ActivityEntry
from kpis.models import Kpi, Measurement
from tests.kpis.kpi_factories import make_kpi, record
from tests.kpis.test_pages import _bulk

KPI_FIELDS = {
    "id",
    "name",
    "formula",
    "source",
    "source_query",
    "source_period_column",
    "description",
    "owner_type",
    "owner_team",
    "owner_user",
    "unit",
    "direction",
    "target",
    "target_low",
    "target_high",
    "amber_threshold",
    "frequency",
    "perspective",
    "active",
    "latest_value",
    "status",
    "version",  # optimistic locking (tests/core/test_optimistic_locking.py)
    "visibility",  # who may see it (orgs.visibility)
    "viewers",
}
MEASUREMENT_FIELDS = {"id", "kpi", "period", "value", "note", "author", "origin", "provenance"}


@pytest.fixture
def team_kpi(world_a) -> Kpi:
    return make_kpi(world_a.org, name="Qualified leads", owner_type="team", team=world_a.team, since=date(2025, 1, 1))


def test_kpi_list_has_exactly_the_contract_fields_with_latest_value_and_status(world_a, api, team_kpi):
    record(team_kpi, date(2026, 9, 1), 70)
    record(team_kpi, date(2026, 10, 1), 85.5)
    make_kpi(world_a.org, name="Empty", direction="within_range", target=None, low=1, high=2, amber=None)
    body = api(world_a.viewer).get("/api/v1/orgs/alpha/kpis/").json()
    assert body["count"] == 2 and {"next", "previous", "results"} <= set(body)
    empty, leads = body["results"]
    assert set(leads) == KPI_FIELDS
    assert leads["latest_value"] == 85.5 and leads["status"] == "amber"
    assert leads["target"] == 100 and isinstance(leads["amber_threshold"], float)
    assert leads["owner_type"] == "team" and leads["owner_team"] == world_a.team.pk and leads["owner_user"] is None
    assert empty["latest_value"] is None and empty["status"] is None
    assert (empty["target"], empty["target_low"], empty["target_high"]) == (None, 1.0, 2.0)


def test_kpi_filters(world_a, api, team_kpi):
    make_kpi(world_a.org, name="Cash", perspective="financial", active=False)
    client = api(world_a.viewer)
    names = lambda url: [k["name"] for k in client.get(url).json()["results"]]  # noqa: E731
    assert names("/api/v1/orgs/alpha/kpis/?perspective=financial") == ["Cash"]
    assert names("/api/v1/orgs/alpha/kpis/?active=false") == ["Cash"]
    assert names(f"/api/v1/orgs/alpha/kpis/?owner_team={world_a.team.pk}") == ["Qualified leads"]
    r = client.get("/api/v1/orgs/alpha/kpis/?owner_team=marketing")
    assert r.status_code == 400 and "owner_team" in r.json()["errors"]


def test_create_update_and_delete_a_kpi(world_a, api):
    client = api(world_a.manager)
    r = client.post(
        "/api/v1/orgs/alpha/kpis/",
        {
            "name": "Absenteeism",
            "description": "Early warning of burnout.",
            "owner_type": "team",
            "owner_team": world_a.team.pk,
            "unit": "%",
            "direction": "lower_is_better",
            "target": 2.5,
            "amber_threshold": 3.5,
            "frequency": "monthly",
            "perspective": "internal_process",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert set(body) == KPI_FIELDS and body["active"] is True and body["status"] is None
    kpi = Kpi.objects.get(pk=body["id"])
    r = client.patch(f"/api/v1/orgs/alpha/kpis/{kpi.pk}/", {"target": 2, "active": False}, format="json")
    assert r.status_code == 200 and r.json()["target"] == 2 and r.json()["active"] is False
    r = client.patch(f"/api/v1/orgs/alpha/kpis/{kpi.pk}/", {"owner_team": world_a.other_team.pk}, format="json")
    assert r.status_code == 403
    assert client.delete(f"/api/v1/orgs/alpha/kpis/{kpi.pk}/").status_code == 204
    assert not Kpi.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target": None}, "target"),
        ({"target": "ten"}, "target"),
        ({"target": "NaN"}, "target"),
        ({"amber_threshold": 150}, "amber_threshold"),
        ({"direction": "within_range"}, "target_low"),
        ({"direction": "upwards"}, "direction"),
        ({"frequency": "daily"}, "frequency"),
        ({"perspective": None}, "perspective"),
        ({"name": ""}, "name"),
        ({"owner_type": "team", "owner_team": None}, "owner_team"),
        ({"owner_type": "team", "owner_team": 999999}, "owner_team"),
        ({"owner_type": "person", "owner_user": 999999}, "owner_user"),
    ],
)
def test_bad_kpis_are_400s_naming_the_field(world_a, api, changes, field):
    data = {
        "name": "Leads",
        "owner_type": "company",
        "direction": "higher_is_better",
        "target": 100,
        "amber_threshold": 80,
        "frequency": "monthly",
        "perspective": "customer",
        **changes,
    }
    r = api(world_a.admin).post("/api/v1/orgs/alpha/kpis/", data, format="json")
    assert r.status_code == 400, r.json()
    assert field in r.json()["errors"] and r.json()["message"]
    assert not Kpi.objects.exists()


def test_kpi_owners_from_another_organisation_are_refused(world_a, world_b, api):
    base = {
        "name": "L",
        "direction": "higher_is_better",
        "target": 1,
        "frequency": "monthly",
        "perspective": "customer",
    }
    client = api(world_a.admin)
    r = client.post(
        "/api/v1/orgs/alpha/kpis/", {**base, "owner_type": "team", "owner_team": world_b.team.pk}, format="json"
    )
    assert r.status_code == 400 and "owner_team" in r.json()["errors"]
    r = client.post(
        "/api/v1/orgs/alpha/kpis/", {**base, "owner_type": "person", "owner_user": world_b.member.pk}, format="json"
    )
    assert r.status_code == 400 and "owner_user" in r.json()["errors"]


def test_recording_twice_for_a_period_corrects_the_value(world_a, api, team_kpi):
    client = api(world_a.manager)
    r = client.post(
        "/api/v1/orgs/alpha/measurements/", {"kpi": team_kpi.pk, "period": "2026-10-17", "value": 80}, format="json"
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert set(body) == MEASUREMENT_FIELDS
    assert body["period"] == "2026-10-01" and body["value"] == 80 and body["author"] == world_a.manager.pk
    r = client.post(
        "/api/v1/orgs/alpha/measurements/",
        {"kpi": team_kpi.pk, "period": "2026-10-01", "value": 92, "note": "recount"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["id"] == body["id"] and r.json()["value"] == 92
    assert Measurement.objects.count() == 1
    assert ActivityEntry.objects.get(verb="measurement.corrected").before["value"] == 80
    kpi = api(world_a.viewer).get(f"/api/v1/orgs/alpha/kpis/{team_kpi.pk}/").json()
    assert kpi["latest_value"] == 92 and kpi["status"] == "amber"
    # PATCH corrects too; moving a value to another period is refused.
    r = client.patch(f"/api/v1/orgs/alpha/measurements/{body['id']}/", {"value": 93}, format="json")
    assert r.status_code == 200 and r.json()["value"] == 93 and r.json()["note"] == "recount"
    r = client.patch(f"/api/v1/orgs/alpha/measurements/{body['id']}/", {"period": "2026-09-01"}, format="json")
    assert r.status_code == 400 and "period" in r.json()["errors"]
    assert client.delete(f"/api/v1/orgs/alpha/measurements/{body['id']}/").status_code == 204
    assert not Measurement.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"value": "lots"}, "value"),
        ({"value": None}, "value"),
        ({"value": "Infinity"}, "value"),
        ({"period": "2099-01-01"}, "period"),
        ({"period": "2020-01-01"}, "period"),
        ({"period": "October"}, "period"),
        ({"kpi": 999999}, "kpi"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_bad_measurements_are_400s_naming_the_field(world_a, api, team_kpi, changes, field):
    data = {"kpi": team_kpi.pk, "period": "2026-10-01", "value": 1, **changes}
    r = api(world_a.admin).post("/api/v1/orgs/alpha/measurements/", data, format="json")
    assert r.status_code == 400, r.json()
    assert field in r.json()["errors"]
    assert not Measurement.objects.exists()


def test_who_may_record_through_the_api(world_a, api, team_kpi):
    data = {"kpi": team_kpi.pk, "period": "2026-10-01", "value": 1}
    url = "/api/v1/orgs/alpha/measurements/"
    assert api(world_a.viewer).post(url, data, format="json").status_code == 403
    assert api(world_a.member).post(url, data, format="json").status_code == 403
    assert api(world_a.manager).post(url, data, format="json").status_code == 201
    m = Measurement.objects.get()
    assert api(world_a.member).patch(f"{url}{m.pk}/", {"value": 5}, format="json").status_code == 403
    assert api(world_a.member).delete(f"{url}{m.pk}/").status_code == 403
    assert api(world_a.viewer).get(url).json()["count"] == 1  # everyone reads
    base = {
        "name": "X",
        "direction": "higher_is_better",
        "target": 1,
        "frequency": "monthly",
        "perspective": "customer",
    }
    kpis = "/api/v1/orgs/alpha/kpis/"
    member = api(world_a.member)
    assert member.post(kpis, {**base, "owner_type": "company"}, format="json").status_code == 403
    assert (
        member.post(kpis, {**base, "owner_type": "team", "owner_team": world_a.team.pk}, format="json").status_code
        == 403
    )
    assert member.patch(f"{kpis}{team_kpi.pk}/", {"name": "Y"}, format="json").status_code == 403
    assert (
        member.post(kpis, {**base, "owner_type": "person", "owner_user": world_a.member.pk}, format="json").status_code
        == 201
    )


def test_another_organisations_kpis_and_values_are_404s(world_a, world_b, api, outsider):
    other = make_kpi(world_b.org, name="Beta KPI", since=date(2026, 1, 1))
    m = record(other, date(2026, 10, 1), 5)
    client = api(world_a.admin)
    for url in (f"/api/v1/orgs/alpha/kpis/{other.pk}/", f"/api/v1/orgs/alpha/measurements/{m.pk}/"):
        assert client.get(url).status_code == 404
        assert client.patch(url, {"name": "x", "value": 1}, format="json").status_code == 404
        assert client.delete(url).status_code == 404
    assert client.get("/api/v1/orgs/beta/kpis/").status_code == 404
    assert api(outsider).get("/api/v1/orgs/alpha/measurements/").status_code == 404
    r = client.post(
        "/api/v1/orgs/alpha/measurements/", {"kpi": other.pk, "period": "2026-10-01", "value": 1}, format="json"
    )
    assert r.status_code == 400 and "kpi" in r.json()["errors"]
    assert client.get("/api/v1/orgs/alpha/kpis/").json()["count"] == 0
    assert Measurement.objects.get().value == 5 and Kpi.objects.get().name == "Beta KPI"


def test_measurement_filters(world_a, api, team_kpi):
    for month in (8, 9, 10):
        record(team_kpi, date(2026, month, 1), month)
    client = api(world_a.viewer)
    r = client.get(f"/api/v1/orgs/alpha/measurements/?kpi={team_kpi.pk}&period_from=2026-09-01&period_to=2026-09-30")
    assert [m["period"] for m in r.json()["results"]] == ["2026-09-01"]
    r = client.get("/api/v1/orgs/alpha/measurements/?period_from=yesterday")
    assert r.status_code == 400 and "period_from" in r.json()["errors"]


def test_kpi_list_query_count_is_the_same_for_10_and_200_kpis(world_a, api, django_assert_max_num_queries):
    client = api(world_a.viewer)
    _bulk(world_a, 10)
    with django_assert_max_num_queries(10) as small:
        r = client.get("/api/v1/orgs/alpha/kpis/?page_size=500")
    assert len(r.json()["results"]) == 10
    _bulk(world_a, 190, start=10)
    with django_assert_max_num_queries(10) as large:
        r = client.get("/api/v1/orgs/alpha/kpis/?page_size=500")
    results = r.json()["results"]
    assert len(results) == 200 and all(k["latest_value"] == 50 + 19 * 3 for k in results)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_schema_documents_both_resources(world_a, api):
    r = api(world_a.viewer).get("/api/v1/schema/?format=json")
    assert r.status_code == 200
    schema = r.json()
    assert "/api/v1/orgs/{slug}/kpis/" in schema["paths"] and "/api/v1/orgs/{slug}/measurements/" in schema["paths"]
    kpi = schema["components"]["schemas"]["Kpi"]["properties"]
    assert set(kpi) == KPI_FIELDS
    assert kpi["status"].get("nullable") is True and kpi["latest_value"]["type"] == "number"
