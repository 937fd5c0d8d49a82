"""Helpers to build KPI data through the services, as the app does."""

from __future__ import annotations

from datetime import date
from typing import Any

from kpis import services
from kpis.models import Kpi, Measurement
from orgs.models import Organization


def make_kpi(
    org: Organization,
    *,
    name: str = "Qualified leads",
    owner_type: str = "company",
    team=None,
    user=None,
    direction: str = "higher_is_better",
    target: float | None = 100,
    amber: float | None = 80,
    low: float | None = None,
    high: float | None = None,
    frequency: str = "monthly",
    perspective: str = "customer",
    since: date | None = date(2024, 1, 1),
    **extra: Any,
) -> Kpi:
    return services.kpi_create(
        org=org,
        actor=None,
        name=name,
        owner_type=owner_type,
        owner_team=team,
        owner_user=user,
        direction=direction,
        target=target,
        target_low=low,
        target_high=high,
        amber_threshold=amber,
        frequency=frequency,
        perspective=perspective,
        tracking_since=since,
        **extra,
    )


def record(
    kpi: Kpi, period: date | str, value: float, *, actor=None, note: str | None = None, today: date | None = None
) -> Measurement:
    """Records a value as on ``today`` (27 November 2026 unless given: the fixed dates of most KPI tests)."""
    return services.measurement_record(
        kpi=kpi, actor=actor, period=period, value=value, note=note, today=today or date(2026, 11, 27)
    ).measurement
