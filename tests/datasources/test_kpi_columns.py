"""One published sheet, several KPIs: each linked KPI names its own value column and may name
its own period column (a weekly KPI reads the "week" column of a sheet whose default is
"month"); both are checked against the sheet when the KPI is saved — through the services,
the KPI form and the API."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from datasources import services
from kpis import services as kpi_services
from kpis.models import Kpi, Measurement
from tests.datasources.sources import csv_source, json_source, pulled_kpi
from tests.kpis.kpi_factories import make_kpi

SHEET = "month,week,revenue,leads\n2026-10,2026-10-05,1000,11\n2026-10,2026-10-12,1000,12\n2026-11,2026-11-02,2000,21\n"


def test_each_kpi_reads_its_own_columns_and_falls_back_to_the_sources_period_column(
    world_a, local_server, private_targets
):
    source = csv_source(world_a.org, local_server.serve("/pub.csv", SHEET), period_column="month")
    leads = make_kpi(world_a.org, name="Leads", frequency="weekly")
    leads = kpi_services.kpi_update(
        kpi=leads, actor=None, source=source, source_query="leads", source_period_column="week"
    )
    assert leads.source_period_column == "week"
    # The week of 12 October: its own period column picks the row (the source's "month" has two October rows).
    assert services.pull_claimed(kpi_id=leads.pk, period=date(2026, 10, 12), final=True) == "recorded"
    assert Measurement.objects.get(kpi=leads).value == 12
    revenue = pulled_kpi(world_a.org, source, "revenue")  # no column of its own: the source's "month"
    assert revenue.source_period_column == ""
    assert services.pull_claimed(kpi_id=revenue.pk, period=date(2026, 11, 1), final=True) == "recorded"
    assert Measurement.objects.get(kpi=revenue).value == 2000
    # "Test connection" for a KPI uses its columns too.
    tried = services.source_test(source=source, query="leads", kpi=leads, today=date(2026, 11, 4))
    assert (tried.ok, tried.value) == (True, 21)


def test_a_column_the_sheet_does_not_have_is_refused_when_the_kpi_is_saved(world_a, local_server, private_targets):
    source = csv_source(world_a.org, local_server.serve("/pub.csv", SHEET), period_column="month")
    kpi = make_kpi(world_a.org, name="Leads", frequency="weekly")
    with pytest.raises(ValidationError) as caught:
        kpi_services.kpi_update(kpi=kpi, actor=None, source=source, source_query="leads", source_period_column="wk")
    assert (
        "no column “wk” (it has: month, week, revenue, leads)" in caught.value.message_dict["source_period_column"][0]
    )
    with pytest.raises(ValidationError) as caught:
        kpi_services.kpi_update(kpi=kpi, actor=None, source=source, source_query="lead", source_period_column="week")
    assert "no column “lead”" in caught.value.message_dict["source_query"][0]
    local_server.routes.clear()  # the sheet gone: nothing to check against, so nothing saved
    with pytest.raises(ValidationError, match="could not be read to check the column"):
        kpi_services.kpi_update(kpi=kpi, actor=None, source=source, source_query="leads", source_period_column="week")
    assert Kpi.objects.get(pk=kpi.pk).source_id is None


def test_only_a_csv_source_has_a_period_column(world_a):
    source = json_source(world_a.org, "https://billing.example.com/totals.json")
    kpi = make_kpi(world_a.org, name="Billing")
    with pytest.raises(ValidationError) as caught:
        kpi_services.kpi_update(kpi=kpi, actor=None, source=source, source_query="$.total", source_period_column="m")
    assert caught.value.message_dict["source_period_column"] == ["Only a CSV source has a period column."]


def test_the_kpi_form_names_the_period_column_and_shows_a_missing_one_on_its_field(
    world_a, web, local_server, private_targets, pin_now
):
    pin_now(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    source = csv_source(world_a.org, local_server.serve("/pub.csv", SHEET), period_column="month")
    kpi = make_kpi(world_a.org, name="Leads", frequency="weekly")
    client = web(world_a.admin)
    form = client.get(f"/o/alpha/kpis/{kpi.pk}/edit/").context["form"]
    assert "source_period_column" in form.fields
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(value_from="source", source=source.pk, source_query="leads", target="100", amber_threshold="80")
    data.update(owner_type="company", tracking_since="2024-01-01", active="on", source_period_column="wk")
    r = client.post(f"/o/alpha/kpis/{kpi.pk}/edit/", data)
    assert r.status_code == 400 and "no column “wk”" in " ".join(r.context["form"].errors["source_period_column"])
    data["source_period_column"] = "week"
    r = client.post(f"/o/alpha/kpis/{kpi.pk}/edit/", data)
    assert r.status_code == 302, r.context["form"].errors
    kpi = Kpi.objects.get(pk=kpi.pk)
    assert (kpi.source_id, kpi.source_query, kpi.source_period_column) == (source.pk, "leads", "week")
    assert client.get(f"/o/alpha/kpis/{kpi.pk}/edit/").context["form"].initial["source_period_column"] == "week"


def test_the_api_reads_and_writes_the_period_column(world_a, api, local_server, private_targets):
    source = csv_source(world_a.org, local_server.serve("/pub.csv", SHEET), period_column="month")
    kpi = pulled_kpi(world_a.org, source, "leads", frequency="weekly")
    client = api(world_a.admin)
    r = client.patch(f"/api/v1/orgs/alpha/kpis/{kpi.pk}/", {"source_period_column": "wk"}, format="json")
    assert r.status_code == 400 and "no column “wk”" in str(r.json())
    r = client.patch(f"/api/v1/orgs/alpha/kpis/{kpi.pk}/", {"source_period_column": "week"}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["source_period_column"] == "week"
    assert Kpi.objects.get(pk=kpi.pk).source_period_column == "week"
