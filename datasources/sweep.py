"""The pull sweep (DESIGN §5): every KPI with an active source, whose period has ended in
its organisation's time zone, gets one pull of that period, claimed by a unique row
(``SourcePull``) in the same transaction as its value, so two sweeps, a retried task or a
worker killed mid-pull never record it twice. Formula KPIs recompute the same period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from datasources.models import SourceKind, SourcePull
from kpis import periods
from kpis.models import Kpi
from kpis.services.formulas import formula_recompute


@dataclass
class Due:
    pulls: list[tuple[int, date]] = field(default_factory=list)  # (kpi id, period start)
    formulas: int = 0


def due_period(kpi: Kpi, today: date) -> date:
    """The last period that has ended on ``today`` (the one before today's)."""
    fsm = kpi.organization.fiscal_year_start_month
    current = kpi.period_of(today, fiscal_year_start_month=fsm)
    return periods.shift(current, frequency=kpi.frequency, periods=-1)


def due_pulls(*, now: datetime | None = None) -> Due:
    """The (KPI, period) pairs to pull now: active KPIs of active, pulled sources whose last
    ended period has no claim yet (and is not before the KPI's tracking start). Formula KPIs
    are recomputed for their last ended period on the way (nothing recorded when an input is
    missing or a person's value is there)."""
    now = now or timezone.now()
    due = Due()
    kpis = (
        Kpi.objects.filter(active=True)
        .filter(Q(source__active=True) & ~Q(source__kind=SourceKind.WEBHOOK) | ~Q(formula=""))
        .select_related("organization")
        .order_by("organization_id", "id")
    )
    wanted: dict[tuple[int, date], Kpi] = {}
    for kpi in kpis:
        today = now.astimezone(kpi.organization.tzinfo).date()
        period = due_period(kpi, today)
        if period < kpi.period_of(kpi.tracking_since, fiscal_year_start_month=kpi.organization.fiscal_year_start_month):
            continue
        if kpi.formula:
            due.formulas += formula_recompute(kpi=kpi, period=period) is not None
            continue
        wanted[(kpi.pk, period)] = kpi
    if wanted:
        claimed = set(SourcePull.objects.filter(kpi_id__in={k for k, _p in wanted}).values_list("kpi_id", "period"))
        due.pulls = [key for key in wanted if key not in claimed]
    return due
