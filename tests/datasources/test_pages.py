"""The pages: the list with its empty state, the form with clear messages, "Test
connection", the webhook's secret shown once, the KPI form's "where does this number come
from?" and the KPI page's "Pull now"."""

from __future__ import annotations

from datetime import UTC, datetime

from datasources.models import DataSource
from kpis.models import Kpi, Measurement
from tests.datasources.sources import csv_source, pulled_kpi
from tests.kpis.kpi_factories import make_kpi

SHEET = "month,revenue\n2026-10,1500\n2026-11,1750\n"


def test_the_empty_list_teaches_the_idea_and_only_admins_see_it(world_a, web, client):
    page = web(world_a.admin).get("/o/alpha/data-sources/")
    assert page.status_code == 200 and "No data sources yet" in page.content.decode()
    client.force_login(world_a.manager)
    assert client.get("/o/alpha/data-sources/").status_code == 403


def test_an_admin_adds_a_csv_source_tests_it_and_the_url_is_not_shown_again(
    world_a, web, local_server, private_targets, pin_now
):
    pin_now(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    url = local_server.serve("/pub.csv", SHEET)
    client = web(world_a.admin)
    r = client.post(
        "/o/alpha/data-sources/",
        {"name": "Finance sheet", "kind": "csv_url", "url": url, "language": "en", "period_column": "month"},
    )
    source = DataSource.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/data-sources/{source.pk}/")
    page = client.get(f"/o/alpha/data-sources/{source.pk}/").content.decode()
    assert url not in page and "/pub.csv" not in page
    r = client.post(f"/o/alpha/data-sources/{source.pk}/test/", {"query": "revenue"})
    text = r.content.decode()
    assert "It worked in" in text and "<code>1750</code>" in text
    assert not Measurement.objects.exists()
    r = client.post(f"/o/alpha/data-sources/{source.pk}/test/", {"query": "profit"})
    assert "It failed after" in r.content.decode() and "no column “profit”" in r.content.decode()


def test_a_bad_dsn_is_shown_on_its_field_and_nothing_typed_is_lost(world_a, web):
    r = web(world_a.admin).post(
        "/o/alpha/data-sources/", {"name": "CRM", "kind": "sql", "dsn": "no such thing", "language": "en"}
    )
    assert r.status_code == 400
    form = r.context["form"]
    assert "does not parse" in " ".join(form.errors["dsn"]) and form["name"].value() == "CRM"
    assert not DataSource.objects.exists()


def test_a_webhook_secret_is_shown_once(world_a, web):
    client = web(world_a.admin)
    r = client.post("/o/alpha/data-sources/", {"name": "Push", "kind": "webhook", "language": "en"}, follow=True)
    from datasources.services import source_config

    secret = source_config(DataSource.objects.get())["secret"]
    assert secret in r.content.decode() and "/api/v1/integrations/sources/" in r.content.decode()
    again = client.get(r.redirect_chain[-1][0])
    assert secret not in again.content.decode()


def test_the_kpi_form_links_a_source_and_the_kpi_page_pulls_now_with_provenance(
    world_a, web, local_server, private_targets, pin_now
):
    pin_now(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    source = csv_source(world_a.org, local_server.serve("/pub.csv", SHEET))
    kpi = make_kpi(world_a.org, name="Revenue")
    client = web(world_a.admin)
    form = client.get(f"/o/alpha/kpis/{kpi.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(value_from="source", source=source.pk, source_query="revenue", target="100", amber_threshold="80")
    data.update(owner_type="company", tracking_since="2024-01-01", active="on")
    r = client.post(f"/o/alpha/kpis/{kpi.pk}/edit/", data)
    assert r.status_code == 302, r.context["form"].errors
    kpi = Kpi.objects.get(pk=kpi.pk)
    assert (kpi.source_id, kpi.source_query) == (source.pk, "revenue")
    page = client.get(f"/o/alpha/kpis/{kpi.pk}/").content.decode()
    assert 'id="pull-now"' in page and "Pulled from Finance sheet" in page
    r = client.post(f"/o/alpha/kpis/{kpi.pk}/pull/", follow=True)
    text = r.content.decode()
    assert "Pulled 1,750 from the source." in text
    assert 'data-provenance="source"' in text and "<code>1750</code>" in text
    m = Measurement.objects.get(kpi=kpi)
    assert (m.value, m.origin) == (1750, "source")


def test_a_formula_through_the_kpi_form(world_a, web, pin_now):
    pulled = pulled_kpi(world_a.org, csv_source(world_a.org, "https://sheets.example.com/x.csv"), "revenue")
    kpi = make_kpi(world_a.org, name="Twice")
    client = web(world_a.admin)
    initial = client.get(f"/o/alpha/kpis/{kpi.pk}/edit/").context["form"].initial
    data = {k: v for k, v in initial.items() if v is not None}
    data.update(owner_type="company", tracking_since="2024-01-01", target="100", amber_threshold="80")
    data.update(value_from="formula", formula=f"kpi:{kpi.pk} * 2")
    r = client.post(f"/o/alpha/kpis/{kpi.pk}/edit/", data)
    assert r.status_code == 400 and "its own KPI" in " ".join(r.context["form"].errors["formula"])
    data["formula"] = f"kpi:{pulled.pk} * 2"
    assert client.post(f"/o/alpha/kpis/{kpi.pk}/edit/", data).status_code == 302
    assert Kpi.objects.get(pk=kpi.pk).formula == f"kpi:{pulled.pk} * 2"


def test_the_kpi_form_previews_the_last_periods_with_their_provenance(world_a, web):
    from tests.kpis.kpi_factories import record

    kpi = make_kpi(world_a.org, name="Leads")
    record(kpi, "2026-09", 40, actor=world_a.member)
    page = web(world_a.admin).get(f"/o/alpha/kpis/{kpi.pk}/edit/").content.decode()
    assert "The last periods:" in page and 'data-provenance="manual"' in page
