"""The sql kind against a local MariaDB (or MySQL) database playing the CRM: a database of
the tests' own, with a table of deals, made and dropped by the fixture. The same promises
as PostgreSQL: the period bound as parameters, a read-only transaction, a statement
timeout, one row with one number.

MariaDB is expected at MYSQL_TEST_URL (default mysql://root@127.0.0.1:3306/test). CI
(``OKRKPI_REQUIRE_SERVICES=1``) fails when it is unreachable; elsewhere the tests are
skipped with the reason."""

from __future__ import annotations

import os
import uuid
from datetime import date

import pytest

from datasources import services
from datasources.fetch import PullError
from datasources.mysql import parse_dsn
from datasources.pullers import Period
from datasources.sql import pull_sql
from kpis.models import Measurement
from tests.conftest import services_required
from tests.datasources.sources import pulled_kpi

OCTOBER = Period(start=date(2026, 10, 1), end=date(2026, 10, 31), frequency="monthly")
WON = "SELECT sum(amount) FROM deals WHERE won_on BETWEEN %(start)s AND %(end)s"


def _server():
    import pymysql

    url = os.environ.get("MYSQL_TEST_URL") or "mysql://root@127.0.0.1:3306/test"
    target = parse_dsn(url)
    try:
        conn = pymysql.connect(
            host=target.host,
            port=target.port,
            user=target.user,
            password=target.password,
            connect_timeout=2,
            autocommit=True,
        )
    except pymysql.MySQLError as exc:
        if services_required():
            pytest.fail(f"MariaDB is required but unreachable at {target.host}:{target.port}: {exc}")
        pytest.skip(f"MariaDB not running at {target.host}:{target.port}")
    return conn, target


@pytest.fixture(scope="module")
def crm_dsn():
    """A database of its own (okrkpi_ds_test_<random>: two workers never share one)."""
    admin, target = _server()
    name = f"okrkpi_ds_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}`")
            cursor.execute(f"USE `{name}`")
            cursor.execute(
                "CREATE TABLE deals (id int AUTO_INCREMENT PRIMARY KEY, amount decimal(12,2), "
                "won_on date, stage varchar(20))"
            )
            cursor.execute(
                "INSERT INTO deals (amount, won_on, stage) VALUES "
                "(1000, '2026-09-30', 'won'), (2500.5, '2026-10-01', 'won'), (500, '2026-10-31', 'won'), "
                "(9999, '2026-11-01', 'won')"
            )
        password = f":{target.password}" if target.password else ""
        yield f"mysql://{target.user}{password}@{target.host}:{target.port}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture
def crm(crm_dsn, private_targets):
    return {"dsn": crm_dsn}


def _deals(dsn: str) -> tuple:
    import pymysql

    target = parse_dsn(dsn)
    conn = pymysql.connect(
        host=target.host, port=target.port, user=target.user, password=target.password, database=target.database
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*), sum(amount) FROM deals")
            count, total = cursor.fetchone()
            return count, float(total)
    finally:
        conn.close()


def test_a_query_gives_the_periods_number_with_the_period_bound_as_parameters(crm):
    # 30 September and 1 November fall outside October: the boundaries are the period's own days.
    pulled = pull_sql(crm, query=WON, period=OCTOBER)
    assert (pulled.value, pulled.raw) == (3000.5, "3000.50")


def test_an_insert_in_the_query_is_refused_by_the_read_only_transaction(crm):
    with pytest.raises(PullError, match="read-only"):
        pull_sql(crm, query="INSERT INTO deals (amount, won_on, stage) VALUES (1, '2026-10-02', 'won')", period=OCTOBER)
    with pytest.raises(PullError, match="read-only"):
        pull_sql(crm, query="UPDATE deals SET amount = 0", period=OCTOBER)
    assert _deals(crm["dsn"]) == (4, 13999.5)


def test_the_statement_timeout_stops_a_slow_query(crm, settings):
    settings.DATA_SOURCE_STATEMENT_TIMEOUT_MS = 300
    with pytest.raises(PullError, match="longer than 0.3 seconds"):
        pull_sql(crm, query="SELECT SLEEP(5)", period=OCTOBER)


def test_an_injection_in_the_period_is_a_value_and_does_nothing(crm):
    # Bound by the driver as a quoted value: the text never becomes SQL. Pasted into the
    # query, the first would count every deal (4) and the second would drop the table.
    evil = Period(start="x' OR '1'='1", end="x'; DROP TABLE deals; -- ", frequency="monthly")  # type: ignore[arg-type]  # a period as an attacker would send it
    counted = pull_sql(crm, query="SELECT count(*) FROM deals WHERE stage = %(start)s OR stage = %(end)s", period=evil)
    assert counted.value == 0
    assert _deals(crm["dsn"]) == (4, 13999.5)


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
    source = services.source_create(org=world_a.org, actor=None, name="Shop", kind="sql", config=crm)
    kpi = pulled_kpi(world_a.org, source, query)
    result = services.source_test(source=source, query=query, kpi=kpi, today=date(2026, 10, 20))
    assert not result.ok and message in result.error
    assert services.pull_claimed(kpi_id=kpi.pk, period=date(2026, 10, 1), final=True) == "failed"
    assert not Measurement.objects.exists()


def test_the_pull_records_the_value_with_its_provenance(world_a, crm):
    source = services.source_create(org=world_a.org, actor=None, name="Shop", kind="sql", config=crm)
    assert source.host == "127.0.0.1"
    kpi = pulled_kpi(world_a.org, source, WON)
    assert services.pull_claimed(kpi_id=kpi.pk, period=date(2026, 10, 1), final=False) == "recorded"
    m = Measurement.objects.get(kpi=kpi)
    assert (m.value, m.origin, m.provenance["raw"], m.provenance["source_name"]) == (
        3000.5,
        "source",
        "3000.50",
        "Shop",
    )


def test_a_local_database_is_refused_by_default_and_a_bad_dsn_is_named(crm_dsn):
    with pytest.raises(PullError, match="private or local address"):
        pull_sql({"dsn": crm_dsn}, query="SELECT 1", period=OCTOBER)
    with pytest.raises(PullError, match="does not parse"):
        pull_sql({"dsn": "mysql://host-without-database"}, query="SELECT 1", period=OCTOBER)


def test_a_mysql_dsn_is_checked_when_the_source_is_saved(world_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="mysql://user:password@host:3306/database"):
        services.source_create(org=world_a.org, actor=None, name="Shop", kind="sql", config={"dsn": "mysql://:x@/"})
    source = services.source_create(
        org=world_a.org,
        actor=None,
        name="Shop",
        kind="sql",
        config={"dsn": "mariadb://reader:s%40cret@db.example.com/shop"},
    )
    assert source.host == "db.example.com"
    assert parse_dsn("mariadb://reader:s%40cret@db.example.com/shop").password == "s@cret"
