"""Helpers: sources and KPIs built through the services, as the app builds them."""

from __future__ import annotations

from datasources import services
from datasources.models import DataSource
from kpis import services as kpi_services
from kpis.models import Kpi
from tests.kpis.kpi_factories import make_kpi


def csv_source(org, url: str, *, language: str = "en", period_column: str = "month", name: str = "Finance sheet"):
    return services.source_create(
        org=org,
        actor=None,
        name=name,
        kind="csv_url",
        config={"url": url},
        language=language,
        period_column=period_column,
    )


def json_source(org, url: str, *, headers: dict | None = None) -> DataSource:
    return services.source_create(
        org=org, actor=None, name="Billing API", kind="json_url", config={"url": url, "headers": headers or {}}
    )


def pulled_kpi(org, source: DataSource, query: str, *, name: str = "Revenue", **extra) -> Kpi:
    kpi = make_kpi(org, name=name, **extra)
    return kpi_services.kpi_update(kpi=kpi, actor=None, source=source, source_query=query)
