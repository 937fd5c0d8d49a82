"""The sql kind against a local PostgreSQL database playing the CRM (a table of deals):
the period bound as parameters, a read-only transaction, a statement timeout, one row
with one number. PostgreSQL only (the CRM is a PostgreSQL database)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from django.db import connection

from datasources import services
from datasources.fetch import PullError
from datasources.pullers import Period
from datasources.sql import pull_sql
from kpis.models import Measurement
from tests.datasources.sources import pulled_kpi

OCTOBER = Period(start=date(2026, 10, 1), end=date(2026, 10, 31), frequency="monthly")
WON = "SELECT sum(amount) FROM deals WHERE won_on BETWEEN %(start)s AND %(end)s"


@pytest.fixture(scope="module")
def crm_dsn(django_db_blocker):
    """A database of its own, made for these tests and dropped after them."""
    import psycopg

    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("PostgreSQL-only: the CRM is a PostgreSQL database")
        params = connection.get_connection_params()
    name = f"okrkpi_crm_{uuid.uuid4().hex[:10]}"
    server = {k: v for k, v in params.items() if k in ("host", "port", "user", "password")}
    with psycopg.connect(**server, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(**server, dbname=name, autocommit=True) as crm:
            crm.execute("CREATE TABLE deals (id serial PRIMARY KEY, amount numeric, won_on date, stage text)")
            crm.execute(
                "INSERT INTO deals (amount, won_on, stage) VALUES "
                "(1000, '2026-09-30', 'won'), (2500.5, '2026-10-01', 'won'), (500, '2026-10-31', 'won'), "
                "(9999, '2026-11-01', 'won')"
            )
        password = f":{server['password']}" if server.get("password") else ""
        yield f"postgresql://{server.get('user', 'postgres')}{password}@127.0.0.1:{server.get('port') or 5432}/{name}"
    finally:
        with psycopg.connect(**server, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def crm(crm_dsn, private_targets):
    return {"dsn": crm_dsn}


def test_a_query_gives_the_periods_number_with_the_period_bound_as_parameters(crm):
    # 30 September and 1 November fall outside October: the boundaries are the period's own days.
    assert pull_sql(crm, query=WON, period=OCTOBER).value == 3000.5


def test_an_update_in_the_query_fails_and_changes_nothing(crm):
    import psycopg

    with pytest.raises(PullError, match="read-only"):
        pull_sql(crm, query="UPDATE deals SET amount = 0 RETURNING 1", period=OCTOBER)
    with pytest.raises(PullError, match="read-only"):
        pull_sql(crm, query="WITH x AS (DELETE FROM deals RETURNING 1) SELECT count(*) FROM x", period=OCTOBER)
    with psycopg.connect(crm["dsn"]) as check:
        assert check.execute("SELECT count(*), sum(amount) FROM deals").fetchone() == (4, 13999.5)


def test_the_statement_timeout_stops_a_slow_query(crm, settings):
    settings.DATA_SOURCE_STATEMENT_TIMEOUT_MS = 300
    with pytest.raises(PullError, match="longer than 0.3 seconds"):
        pull_sql(crm, query="SELECT pg_sleep(5), 1", period=OCTOBER)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT amount FROM deals WHERE false", "no row"),
        ("SELECT amount FROM deals", "more than one row"),
        ("SELECT stage FROM deals LIMIT 1", "returned text"),
        ("SELECT 1, 2", "2 columns"),
        ("SELECT nonsense FROM deals", "The database answered"),
    ],
)
def test_a_query_that_returns_no_row_two_rows_or_text_records_nothing(world_a, crm, query, message):
    source = services.source_create(org=world_a.org, actor=None, name="CRM", kind="sql", config=crm)
    kpi = pulled_kpi(world_a.org, source, query)
    result = services.source_test(source=source, query=query, kpi=kpi, today=date(2026, 10, 20))
    assert not result.ok and message in result.error
    assert services.pull_claimed(kpi_id=kpi.pk, period=date(2026, 10, 1), final=True) == "failed"
    assert not Measurement.objects.exists()


def test_the_pull_records_the_value_with_its_provenance(world_a, crm):
    source = services.source_create(org=world_a.org, actor=None, name="CRM", kind="sql", config=crm)
    kpi = pulled_kpi(world_a.org, source, WON)
    assert services.pull_claimed(kpi_id=kpi.pk, period=date(2026, 10, 1), final=False) == "recorded"
    m = Measurement.objects.get(kpi=kpi)
    assert (m.value, m.origin, m.provenance["raw"]) == (3000.5, "source", "3000.5")


def test_a_local_database_is_refused_by_default(crm_dsn):
    with pytest.raises(PullError, match="private or local address"):
        pull_sql({"dsn": crm_dsn}, query="SELECT 1", period=OCTOBER)
    with pytest.raises(PullError, match="does not parse"):
        pull_sql({"dsn": "not a dsn at all"}, query="SELECT 1", period=OCTOBER)
