"""csv_url and json_url sources: the right value for the right period, read with the
project's number reader, with clear messages (and nothing recorded) for bad input."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from core.provenance import raw_hash
from datasources import services
from datasources.fetch import PullError, http_get
from datasources.models import PullStatus, SourcePull
from datasources.pullers import Period
from datasources.services.pulls import pull_once
from kpis.models import Measurement
from tests.datasources.sources import csv_source, json_source, pulled_kpi
from tests.kpis.kpi_factories import record

SHEET = "month,revenue,deals\n2026-09,1200.5,10\n2026-10,1500,12\n2026-11,1750,14\n"
OCTOBER = Period(start=date(2026, 10, 1), end=date(2026, 10, 31), frequency="monthly")


@pytest.fixture
def now_in_november(pin_now):
    return pin_now(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))


def test_a_csv_column_gives_the_value_of_the_period_named_in_its_period_column(world_a, local_server, private_targets):
    source = csv_source(world_a.org, local_server.serve("/sheet.csv", SHEET))
    assert pull_once(source, query="revenue", period=OCTOBER).value == 1500.0
    september = Period(start=date(2026, 9, 1), end=date(2026, 9, 30), frequency="monthly")
    assert pull_once(source, query="revenue", period=september).value == 1200.5
    last_row = csv_source(world_a.org, local_server.base + "/sheet.csv", period_column="", name="Last row")
    assert pull_once(last_row, query="deals", period=OCTOBER).value == 14.0


def test_vietnamese_numbers_are_read_when_the_source_says_vi(world_a, local_server, private_targets):
    url = local_server.serve("/vi.csv", 'tháng,doanh thu\n2026-10,"1.234,5"\n')
    source = csv_source(world_a.org, url, language="vi", period_column="tháng")
    pulled = pull_once(source, query="doanh thu", period=OCTOBER)
    assert (pulled.raw, pulled.value) == ("1.234,5", 1234.5)


def test_a_json_path_gives_one_number_and_headers_are_sent(world_a, local_server, private_targets):
    doc = {"data": {"2026-10": {"revenue": 42.5}, "2026-11": {"revenue": 50}}, "items": [1, 2]}
    url = local_server.serve("/billing.json", json.dumps(doc))
    source = json_source(world_a.org, url, headers={"X-Api-Key": "k-123"})
    assert pull_once(source, query='$.data."{month}".revenue', period=OCTOBER).value == 42.5
    assert local_server.hits[-1][1].get("X-Api-Key") == "k-123"
    with pytest.raises(PullError, match="matches nothing"):
        pull_once(source, query="$.data.nothing", period=OCTOBER)
    with pytest.raises(PullError, match="matches 2 values"):
        pull_once(source, query="$.items[*]", period=OCTOBER)


@pytest.mark.parametrize(
    ("path", "body", "query", "message"),
    [
        ("/a.csv", SHEET, "profit", "has no column “profit”"),
        ("/b.csv", "month,revenue\n2026-09,1\n", "revenue", "No row of the CSV is for the period starting 2026-10-01"),
        ("/c.csv", "month,revenue\n2026-10,lots\n", "revenue", "lots"),
        ("/d.csv", "month,revenue\n2026-10,NaN\n", "revenue", "not a finite number"),
        ("/e.json", "{not json", "$.a", "not JSON"),
        ("/f.json", '{"a": "many"}', "$.a", "many"),
        ("/g.json", '{"a": null}', "$.a", "not a number"),
    ],
)
def test_bad_input_gets_a_clear_message_and_records_nothing(
    world_a, local_server, private_targets, now_in_november, path, body, query, message
):
    url = local_server.serve(path, body)
    source = csv_source(world_a.org, url) if path.endswith(".csv") else json_source(world_a.org, url)
    kpi = pulled_kpi(world_a.org, source, query)
    result = services.source_test(source=source, query=query, kpi=kpi, today=date(2026, 10, 20))
    assert not result.ok and message in result.error
    assert services.pull_claimed(kpi_id=kpi.pk, period=date(2026, 10, 1), final=True) == PullStatus.FAILED
    assert not Measurement.objects.filter(kpi=kpi).exists()


def test_a_huge_document_and_a_slow_server_are_cut_off(world_a, local_server, private_targets, settings):
    big = local_server.serve("/big.csv", b"", size=50_000_000)
    with pytest.raises(PullError, match="larger than 5 MB"):
        http_get(big)
    settings.DATA_SOURCE_READ_TIMEOUT = 0.3
    slow = local_server.serve("/slow.csv", SHEET, delay=2.0)
    with pytest.raises(PullError, match="did not answer within 0.3 seconds"):
        http_get(slow)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.csv",
        "https://localhost/x.csv",  # a name that resolves to loopback
        "http://169.254.169.254/latest/meta-data/",  # the cloud metadata address
        "https://10.0.0.7/x.csv",
        "http://[::1]/x.csv",
    ],
)
def test_loopback_private_and_metadata_addresses_are_refused_by_default(url):
    with pytest.raises(PullError, match="private or local address"):
        http_get(url)


def test_pull_now_records_the_period_of_the_organisations_time_zone_with_its_provenance(
    world_a, local_server, private_targets, pin_now, api
):
    world_a.org.timezone = "Asia/Ho_Chi_Minh"
    world_a.org.save(update_fields=["timezone"])
    # 17:30 UTC on 31 October is 00:30 on 1 November in Ho Chi Minh City: November's period.
    pin_now(datetime(2026, 10, 31, 17, 30, tzinfo=UTC))
    source = csv_source(world_a.org, local_server.serve("/sheet.csv", SHEET))
    kpi = pulled_kpi(world_a.org, source, "revenue", user=world_a.member, owner_type="person")
    r = api(world_a.member).post(f"/api/v1/orgs/alpha/kpis/{kpi.pk}/pull/")
    assert r.status_code == 200, r.json()
    assert r.json() == {"status": "recorded", "value": 1750.0, "error": ""}
    m = Measurement.objects.get(kpi=kpi)
    assert (m.period, m.value, m.origin) == (date(2026, 11, 1), 1750.0, "source")
    assert m.provenance["source"] == source.pk and m.provenance["raw"] == "1750"
    assert m.provenance["hash"] == raw_hash("1750")
    assert m.provenance["fetched_at"] == "2026-10-31T17:30:00+00:00"
    source.refresh_from_db()
    assert source.last_error == "" and source.last_success_at is not None


def test_a_typed_value_is_never_overwritten_the_pull_is_kept_as_a_conflict(
    world_a, local_server, private_targets, now_in_november
):
    source = csv_source(world_a.org, local_server.serve("/sheet.csv", SHEET))
    kpi = pulled_kpi(world_a.org, source, "revenue")
    record(kpi, "2026-10", 1400, actor=world_a.member)
    assert services.pull_claimed(kpi_id=kpi.pk, period=date(2026, 10, 1), final=False) == PullStatus.CONFLICT
    m = Measurement.objects.get(kpi=kpi)
    assert (m.value, m.origin) == (1400, "manual")
    claim = SourcePull.objects.get(kpi=kpi)
    assert (claim.status, claim.value) == ("conflict", 1500.0)


def test_a_viewer_cannot_pull_and_another_organisations_kpi_is_404(world_a, world_b, api, local_server):
    source = csv_source(world_a.org, local_server.serve("/sheet.csv", SHEET))
    kpi = pulled_kpi(world_a.org, source, "revenue")
    assert api(world_a.viewer).post(f"/api/v1/orgs/alpha/kpis/{kpi.pk}/pull/").status_code == 403
    assert api(world_b.admin).post(f"/api/v1/orgs/beta/kpis/{kpi.pk}/pull/").status_code == 404
