"""The demo KPIs: the seed's examples, 12+ periods each, a mix of statuses, in both languages."""

from __future__ import annotations

import random
from datetime import date

import pytest

from kpis import demo, demo_content
from kpis.models import Kpi, Measurement
from orgs.demo import ACME, SAO_MAI, seed_org

TODAY = date(2026, 11, 27)


@pytest.mark.django_db
@pytest.mark.parametrize("spec", [ACME, SAO_MAI], ids=["northwind", "saomai"])
def test_demo_kpis_have_history_and_every_status(spec):
    org = seed_org(spec)
    kpis = demo.seed_kpis(org, today=TODAY)
    assert len(kpis) == len(demo.DEMO_KPIS[spec.slug]) >= 16
    assert demo.seed_kpis(org, today=TODAY) == []  # a second run adds nothing
    statuses = set()
    for kpi in Kpi.objects.filter(organization=org).select_related("owner_team", "owner_user"):
        values = list(Measurement.objects.filter(kpi=kpi).order_by("period"))
        assert len(values) >= 12, kpi.name
        assert values[-1].period < kpi.period_of(TODAY, fiscal_year_start_month=org.fiscal_year_start_month)
        assert all(m.author is not None for m in values)
        assert kpi.owner_type in ("team", "person"), kpi.name  # owned by the teams (and people) that exist
        statuses.add(kpi.status)
    assert statuses == {"green", "amber", "red"}
    perspectives = set(Kpi.objects.filter(organization=org).values_list("perspective", flat=True))
    assert perspectives == {"financial", "customer", "internal_process", "learning_growth"}
    assert Kpi.objects.filter(organization=org, frequency="quarterly").exists()


def test_demo_history_is_deterministic():
    spec = demo_content.NORTHWIND[0]
    first = demo._history(spec, random.Random("northwind:kpis"))
    assert first == demo._history(spec, random.Random("northwind:kpis"))
    assert first[-1] == spec.end and len(first) == spec.periods


@pytest.mark.django_db
def test_other_organisations_get_no_demo_kpis(world_a):
    assert demo.seed_kpis(world_a.org) == []
