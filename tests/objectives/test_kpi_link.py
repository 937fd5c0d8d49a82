"""Key results that follow a KPI take its latest measurement and roll up."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from kpis import services as kpi_services
from objectives import services
from objectives.models import KeyResult
from tests.kpis.kpi_factories import make_kpi, record
from tests.objectives.okr_factories import make_cycle, make_objective


@pytest.fixture
def linked(world_a):
    kpi = make_kpi(world_a.org, name="Qualified leads", target=90)
    record(kpi, "2026-09-01", 30)
    objective = make_objective(world_a.org, make_cycle(world_a.org))
    kr = services.key_result_create(
        objective=objective,
        actor=world_a.admin,
        title="Leads from 20 to 60",
        owner=world_a.member,
        start_value=20,
        target_value=60,
        kpi=kpi,
    )
    return kpi, objective, kr


def test_linking_takes_the_latest_measurement(linked):
    _kpi, objective, kr = linked
    assert kr.current_value == 30 and kr.progress == pytest.approx(0.25)
    objective.refresh_from_db()
    assert objective.progress == pytest.approx(0.25)


def test_a_new_measurement_moves_the_key_result_and_its_objective(world_a, linked):
    kpi, objective, kr = linked
    record(kpi, "2026-10-01", 50)
    kr.refresh_from_db()
    objective.refresh_from_db()
    assert kr.current_value == 50 and objective.progress == pytest.approx(0.75)
    # An older period corrected does not override the latest one.
    record(kpi, "2026-09-01", 10)
    kr.refresh_from_db()
    assert kr.current_value == 50


def test_import_and_delete_follow_too(world_a, linked):
    kpi, objective, kr = linked
    kpi_services.measurement_import(
        org=world_a.org,
        actor=world_a.admin,
        data=f"kpi,period,value\n{kpi.name},2026-11-01,60\n",
        today=date(2026, 11, 27),
    )
    kr.refresh_from_db()
    assert kr.current_value == 60 and kr.progress == 1.0
    latest = kpi.measurements.get(period=date(2026, 11, 1))
    kpi_services.measurement_delete(measurement=latest, actor=world_a.admin)
    kr.refresh_from_db()
    assert kr.current_value == 30


def test_a_kpi_of_another_organisation_or_a_milestone_cannot_be_linked(world_a, world_b):
    foreign = make_kpi(world_b.org, name="Theirs")
    objective = make_objective(world_a.org, make_cycle(world_a.org))
    with pytest.raises(ValidationError) as info:
        services.key_result_create(
            objective=objective, actor=None, title="x", owner=world_a.member, target_value=10, kpi=foreign
        )
    assert "kpi" in info.value.message_dict
    mine = make_kpi(world_a.org, name="Mine")
    with pytest.raises(ValidationError) as info:
        services.key_result_create(
            objective=objective, actor=None, title="x", owner=world_a.member, kind="milestone", kpi=mine
        )
    assert "kpi" in info.value.message_dict
    assert not KeyResult.objects.exists()


def test_the_api_links_a_key_result_to_a_kpi(world_a, world_b, linked, api):
    kpi, objective, kr = linked
    client = api(world_a.admin)
    body = client.get(f"/api/v1/orgs/alpha/key-results/{kr.pk}/").json()
    assert body["kpi"] == kpi.pk
    foreign = make_kpi(world_b.org, name="Theirs")
    r = client.patch(f"/api/v1/orgs/alpha/key-results/{kr.pk}/", {"kpi": foreign.pk}, format="json")
    assert r.status_code == 400 and "kpi" in r.json()["errors"]
    r = client.patch(f"/api/v1/orgs/alpha/key-results/{kr.pk}/", {"kpi": None}, format="json")
    assert r.status_code == 200 and r.json()["kpi"] is None
