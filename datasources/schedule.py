"""When a source is pulled next: the first run of the pull sweep (its beat entry, declared
in ``okrkpi/schedules.py`` and read here from the Celery app's configuration, since no room
imports the project package) at which one of the source's KPIs has a period to pull.

A KPI whose last ended period has no claim yet is pulled at the sweep's next run; any
other waits for its current period to end (midnight of its next period's first day, in
its organisation's time zone), then for the sweep's first run after that.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from datasources.models import DataSource, SourceKind, SourcePull
from datasources.sweep import due_period
from kpis import periods
from kpis.models import Kpi

SWEEP_TASK = "datasources.pull_sweep"
HORIZON_HOURS = 8 * 24  # a weekly schedule fires within this


def sweep_schedule() -> Any:
    """The pull sweep's schedule (a ``crontab`` or seconds), or None when beat has none."""
    from celery import current_app

    current_app.finalize(auto=True)
    for entry in (current_app.conf.beat_schedule or {}).values():
        if entry.get("task") == SWEEP_TASK:
            return entry.get("schedule")
    return None


def next_sweep(after: datetime, schedule: Any) -> datetime | None:
    """The sweep's first run at or after ``after`` (a whole minute, in UTC as beat counts)."""
    if schedule is None:
        return None
    if isinstance(schedule, int | float | timedelta):
        return after  # every few seconds or minutes: as good as now
    at = after.astimezone(UTC).replace(second=0, microsecond=0)
    if at < after:
        at += timedelta(minutes=1)
    for _ in range(HORIZON_HOURS):
        weekday = at.isoweekday() % 7  # crontab counts Sunday as 0
        day_fits = at.month in schedule.month_of_year and at.day in schedule.day_of_month
        if day_fits and weekday in schedule.day_of_week and at.hour in schedule.hour:
            minute = next((m for m in sorted(schedule.minute) if m >= at.minute), None)
            if minute is not None:
                return at.replace(minute=minute)
        at = (at + timedelta(hours=1)).replace(minute=0)
    return None


def _kpi_next_pull(kpi: Kpi, *, now: datetime, claimed: set[tuple[int, Any]]) -> datetime:
    """When the sweep may next find a period of this KPI to pull (before the sweep's minute)."""
    org = kpi.organization
    zone = org.tzinfo
    today = now.astimezone(zone).date()
    due = due_period(kpi, today)
    floor = kpi.period_of(kpi.tracking_since, fiscal_year_start_month=org.fiscal_year_start_month)
    if due >= floor and (kpi.pk, due) not in claimed:
        return now
    current = kpi.period_of(today, fiscal_year_start_month=org.fiscal_year_start_month)
    ends = max(periods.shift(current, frequency=kpi.frequency, periods=1), floor)
    return datetime.combine(ends, time.min, tzinfo=zone)


def next_runs(sources: Iterable[DataSource], *, now: datetime | None = None) -> dict[int, datetime | None]:
    """Each source's next pull (None: a webhook, a source that is off or paused, one without
    KPIs, or no sweep scheduled). Three queries for any number of sources."""
    now = now or timezone.now()
    sources = list(sources)
    out: dict[int, datetime | None] = {s.pk: None for s in sources}
    pulled = [s.pk for s in sources if s.active and s.kind != SourceKind.WEBHOOK]
    if not pulled:
        return out
    schedule = sweep_schedule()
    kpis = list(
        Kpi.objects.filter(source_id__in=pulled, active=True, formula="").select_related("organization").order_by("pk")
    )
    claimed = set(SourcePull.objects.filter(kpi__in=kpis).values_list("kpi_id", "period"))
    earliest: dict[int, datetime] = {}
    for kpi in kpis:
        moment = _kpi_next_pull(kpi, now=now, claimed=claimed)
        source_id = int(kpi.source_id or 0)
        if source_id not in earliest or moment < earliest[source_id]:
            earliest[source_id] = moment
    for source_id, moment in earliest.items():
        out[source_id] = next_sweep(moment, schedule)
    return out
