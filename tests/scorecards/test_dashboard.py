from __future__ import annotations

import pytest

from objectives import services
from objectives.models import KeyResult, Objective
from tests.kpis.kpi_factories import make_kpi, record
from tests.objectives.okr_factories import make_cycle, make_objective


@pytest.mark.django_db
def test_dashboard_summarises_okrs_and_kpis(world_a, client):
    cycle = make_cycle(world_a.org)
    company = make_objective(world_a.org, cycle, title="Grow", krs=2, kr_owner=world_a.member)
    services.objective_set_status(objective=company, actor=world_a.admin, status="active")
    kr = company.key_results.first()
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=10, confidence=2)
    kpi = make_kpi(world_a.org, name="Leads", target=100, amber=80)
    record(kpi, "2026-10-01", 85)
    client.force_login(world_a.member)
    html = client.get("/o/alpha/").content.decode()
    assert "50%" in html  # company progress: one of two key results done
    assert "Grow" in html  # off track (confidence 2): listed under "Needs attention"
    assert "1 amber" in html and "2</span>" in html  # the member's two key results


@pytest.mark.django_db
def test_dashboard_query_count_does_not_grow(world_a, client, django_assert_max_num_queries):
    cycle = make_cycle(world_a.org)
    client.force_login(world_a.admin)

    def grow(n: int) -> None:
        objs = Objective.objects.bulk_create(
            [
                Objective(organization=world_a.org, cycle=cycle, title=f"O{i}", owner_type="company", status="active")
                for i in range(n)
            ]
        )
        KeyResult.objects.bulk_create(
            [
                KeyResult(
                    organization=world_a.org,
                    objective=o,
                    title="k",
                    owner=world_a.member,
                    target_value=1,
                    current_value=0,
                )
                for o in objs
            ]
        )
        for i in range(n // 5):
            make_kpi(world_a.org, name=f"K{n}-{i}")

    grow(10)
    with django_assert_max_num_queries(25) as small:
        client.get("/o/alpha/")
    grow(100)
    with django_assert_max_num_queries(25) as large:
        client.get("/o/alpha/")
    assert len(large.captured_queries) == len(small.captured_queries)
