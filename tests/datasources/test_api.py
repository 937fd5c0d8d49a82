"""``data-sources/``: admins only, the config write-only and encrypted at rest, the test
endpoint that saves nothing, and clear messages for a bad DSN or URL."""

from __future__ import annotations

from django.db import connection

from datasources.models import DataSource
from kpis.models import Measurement
from tests.datasources.sources import csv_source, pulled_kpi

DSN = "postgresql://reader:Sup3r-s3cret-pw@db.example.com:5432/crm"


def test_secrets_are_neither_in_the_api_output_nor_readable_in_the_database(world_a, api):
    client = api(world_a.admin)
    r = client.post(
        "/api/v1/orgs/alpha/data-sources/",
        {"name": "CRM", "kind": "sql", "config": {"dsn": DSN}},
        format="json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert "config" not in body and "Sup3r-s3cret-pw" not in r.content.decode()
    assert body["host"] == "db.example.com" and body["endpoint"] is None
    listed = client.get("/api/v1/orgs/alpha/data-sources/").content.decode()
    assert "Sup3r-s3cret-pw" not in listed and "reader" not in listed
    with connection.cursor() as cursor:
        table = DataSource._meta.db_table
        cursor.execute(f"SELECT config_encrypted FROM {table} WHERE id = %s", [body["id"]])  # noqa: S608 — a model's table
        [stored] = cursor.fetchone()
    assert stored and "Sup3r-s3cret-pw" not in stored and "reader" not in stored
    # An edit without the config keeps it.
    r = client.patch(f"/api/v1/orgs/alpha/data-sources/{body['id']}/", {"name": "CRM (read replica)"}, format="json")
    assert r.status_code == 200
    from datasources.services import source_config

    assert source_config(DataSource.objects.get(pk=body["id"]))["dsn"] == DSN


def test_only_admins_manage_sources_and_another_organisations_source_is_404(world_a, world_b, api):
    source = csv_source(world_a.org, "https://sheets.example.com/pub.csv")
    for user in (world_a.manager, world_a.member, world_a.viewer):
        assert api(user).get("/api/v1/orgs/alpha/data-sources/").status_code == 403
    assert api(world_b.admin).get(f"/api/v1/orgs/beta/data-sources/{source.pk}/").status_code == 404
    assert api(world_b.admin).post(f"/api/v1/orgs/beta/data-sources/{source.pk}/test/", {}).status_code == 404


def test_a_dsn_that_does_not_parse_and_a_bad_url_are_refused_with_a_message(world_a, api):
    client = api(world_a.admin)
    r = client.post(
        "/api/v1/orgs/alpha/data-sources/",
        {"name": "CRM", "kind": "sql", "config": {"dsn": "not a dsn at all"}},
        format="json",
    )
    assert r.status_code == 400 and "does not parse" in str(r.json()["errors"]["config"])
    r = client.post(
        "/api/v1/orgs/alpha/data-sources/",
        {"name": "Sheet", "kind": "csv_url", "config": {"url": "ftp://x"}},
        format="json",
    )
    assert r.status_code == 400 and "https://" in str(r.json()["errors"]["config"])
    assert not DataSource.objects.exists()


def test_test_connection_shows_the_raw_value_the_number_and_the_time_and_saves_nothing(
    world_a, api, local_server, private_targets
):
    url = local_server.serve("/sheet.csv", 'month,revenue\n2026-10,"1,500.25"\n')
    source = csv_source(world_a.org, url, period_column="")
    kpi = pulled_kpi(world_a.org, source, "revenue")
    r = api(world_a.admin).post(f"/api/v1/orgs/alpha/data-sources/{source.pk}/test/", {"kpi": kpi.pk}, format="json")
    assert r.status_code == 200
    out = r.json()
    assert (out["ok"], out["raw"], out["value"], out["error"]) == (True, "1,500.25", 1500.25, "")
    assert out["elapsed_ms"] >= 0
    r = api(world_a.admin).post(
        f"/api/v1/orgs/alpha/data-sources/{source.pk}/test/", {"query": "profit"}, format="json"
    )
    assert r.json()["ok"] is False and "no column “profit”" in r.json()["error"]
    assert not Measurement.objects.exists()


def test_a_kpi_names_its_source_and_query_through_the_api(world_a, world_b, api):
    mine = csv_source(world_a.org, "https://sheets.example.com/pub.csv")
    theirs = csv_source(world_b.org, "https://sheets.example.com/theirs.csv")
    kpi = pulled_kpi(world_a.org, mine, "revenue", name="Revenue")
    client = api(world_a.admin)
    r = client.get(f"/api/v1/orgs/alpha/kpis/{kpi.pk}/")
    assert (r.json()["source"], r.json()["source_query"]) == (mine.pk, "revenue")
    r = client.patch(f"/api/v1/orgs/alpha/kpis/{kpi.pk}/", {"source": theirs.pk}, format="json")
    assert r.status_code == 400 and "source" in r.json()["errors"]
    r = client.patch(f"/api/v1/orgs/alpha/kpis/{kpi.pk}/", {"source_query": ""}, format="json")
    assert r.status_code == 400 and "source_query" in r.json()["errors"]


def test_rotating_the_key_re_encrypts_a_source_when_it_is_saved(world_a, settings):
    from cryptography.fernet import Fernet

    from datasources.services import source_config, source_update

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SECRETS_KEYS = [old]
    source = csv_source(world_a.org, "https://sheets.example.com/pub.csv?key=abc")
    settings.SECRETS_KEYS = [new, old]  # the new key first: it encrypts, both decrypt
    source_update(source=source, actor=None, name=source.name)
    settings.SECRETS_KEYS = [new]  # the old key removed
    assert source_config(DataSource.objects.get(pk=source.pk))["url"] == "https://sheets.example.com/pub.csv?key=abc"
