"""The demo's data source works offline: the app serves the sheet itself, the seeded KPIs
carry pulled values with their provenance, and the formula KPI is computed from them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from datasources.demo import DEMO_PATH, demo_sheet, seed_sources
from datasources.pullers import Period, parse_csv
from kpis.models import Kpi, Measurement

TODAY = date(2026, 11, 27)


def test_the_demo_source_pulls_twelve_months_and_the_gross_margin_follows(world_a, client, pin_now):
    pin_now(datetime(2026, 11, 27, 9, tzinfo=UTC))
    source = seed_sources(world_a.org, base_url="http://127.0.0.1:8000/", today=TODAY)
    revenue, cost, margin = (
        Kpi.objects.get(organization=world_a.org, name=n) for n in ("Revenue", "Cost of sales", "Gross margin")
    )
    assert revenue.source == source and cost.source_query == "cost_of_sales"
    pulled = Measurement.objects.filter(kpi=revenue).order_by("period")
    assert pulled.count() == 12 and {m.origin for m in pulled} == {"source"}
    october = Period(start=date(2026, 10, 1), end=date(2026, 10, 31), frequency="monthly")
    sheet = demo_sheet(TODAY)
    rev = parse_csv(sheet, column="revenue", period=october, language="en", period_column="month").value
    cos = parse_csv(sheet, column="cost_of_sales", period=october, language="en", period_column="month").value
    m = Measurement.objects.get(kpi=margin, period=date(2026, 10, 1))
    assert m.origin == "formula" and m.value == pytest.approx((rev - cos) / rev * 100)
    assert m.provenance["inputs"] == {f"kpi:{revenue.pk}": rev, f"kpi:{cost.pk}": cos}
    # The app serves the same sheet (no login): the source's pulls read it.
    r = client.get("/" + DEMO_PATH)
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert r.content.decode() == demo_sheet(date(2026, 11, 27))
