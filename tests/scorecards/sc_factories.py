"""Helpers to build scorecards through the services, as the app does."""

from __future__ import annotations

from kpis.models import Kpi
from orgs.models import Organization
from scorecards import services
from scorecards.models import Scorecard
from tests.kpis.kpi_factories import make_kpi, record

FOUR = [
    ("Net revenue growth", "financial", 10),
    ("Customer satisfaction", "customer", 80),
    ("On-time delivery", "internal_process", 95),
    ("Training hours", "learning_growth", 20),
]


def four_kpis(org: Organization, **extra) -> list[Kpi]:
    """One company KPI per perspective, higher is better, amber at 80 % of the target."""
    return [
        make_kpi(org, name=name, perspective=perspective, target=target, amber=target * 0.8, **extra)
        for name, perspective, target in FOUR
    ]


def company_card(org: Organization, *, name: str = "Company scorecard", **kwargs) -> Scorecard:
    return services.scorecard_create(org=org, actor=None, name=name, from_library=True, **kwargs)


def measure_all(kpis: list[Kpi], period: str, fraction: float) -> None:
    """Record every KPI at ``fraction`` of its target for ``period``."""
    for kpi in kpis:
        record(kpi, period, kpi.target * fraction)
