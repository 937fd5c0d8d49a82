"""The demo organisations' data source: a finance sheet served by the app itself
(``/demo/data-sources/finance.csv``), two KPIs pulled from it and a formula KPI over them,
with twelve months already pulled — so ``make run`` shows pulled values with their
provenance, offline. Every value goes through the same services a real pull uses."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from datasources.models import DataSource
from datasources.pullers import Period, Pulled, parse_csv
from datasources.services import record_pulled, source_create
from kpis import periods
from kpis.models import Kpi
from kpis.services import kpi_create, kpi_update
from orgs.models import Organization

DEMO_PATH = "demo/data-sources/finance.csv"
MONTHS = 12


def demo_sheet(today: date) -> str:
    """The sheet: a row per month for the last 18 months up to today's (deterministic)."""
    first = periods.shift(today.replace(day=1), frequency="monthly", periods=-17)
    rows = ["month,revenue,cost_of_sales"]
    for i in range(18):
        month = periods.shift(first, frequency="monthly", periods=i)
        revenue = 820_000 + 23_500 * i + (i % 3) * 14_000
        cost = round(revenue * (0.62 - 0.004 * i))
        rows.append(f"{month:%Y-%m},{revenue},{cost}")
    return "\n".join(rows) + "\n"


def seed_sources(org: Organization, *, base_url: str, today: date | None = None) -> DataSource:
    today = today or org.today()
    vi = org.language == "vi"
    source = source_create(
        org=org,
        actor=None,
        name="Bảng tài chính (demo)" if vi else "Finance sheet (demo)",
        kind="csv_url",
        config={"url": base_url.rstrip("/") + "/" + DEMO_PATH},
        period_column="month",
    )
    start = periods.shift(today.replace(day=1), frequency="monthly", periods=-MONTHS)
    common: dict[str, Any] = {
        "org": org,
        "actor": None,
        "owner_type": "company",
        "direction": "higher_is_better",
        "frequency": "monthly",
        "perspective": "financial",
        "tracking_since": start,
    }
    revenue = kpi_create(
        name="Doanh thu" if vi else "Revenue",
        unit="VND" if vi else "USD",
        target=1_000_000,
        amber_threshold=900_000,
        **common,
    )
    cost = kpi_create(
        name="Giá vốn hàng bán" if vi else "Cost of sales",
        unit="VND" if vi else "USD",
        direction="lower_is_better",
        target=600_000,
        amber_threshold=650_000,
        **{k: v for k, v in common.items() if k != "direction"},
    )
    revenue = kpi_update(kpi=revenue, actor=None, source=source, source_query="revenue")
    cost = kpi_update(kpi=cost, actor=None, source=source, source_query="cost_of_sales")
    kpi_create(
        name="Biên lợi nhuận gộp" if vi else "Gross margin",
        unit="%",
        target=40,
        amber_threshold=35,
        formula=f"(kpi:{revenue.pk} - kpi:{cost.pk}) / kpi:{revenue.pk} * 100",
        **common,
    )
    _pull_past_months(source, [revenue, cost], start=start, today=today)
    return source


def _pull_past_months(source: DataSource, kpis: list[Kpi], *, start: date, today: date) -> None:
    """The months already ended, read from the same sheet the app serves (no network)."""
    text = demo_sheet(today)
    for i in range(MONTHS):
        month = periods.shift(start, frequency="monthly", periods=i)
        period = Period(start=month, end=periods.period_end(month, frequency="monthly"), frequency="monthly")
        for kpi in kpis:
            pulled: Pulled = parse_csv(
                text, column=kpi.source_query, period=period, language="en", period_column="month"
            )
            record_pulled(kpi, source=source, period=month, pulled=pulled)
    source.last_run_at = source.last_success_at = timezone.now()
    source.save(update_fields=["last_run_at", "last_success_at"])
