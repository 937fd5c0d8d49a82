"""The source list and page show when a source is pulled next: the pull sweep's first run
(its beat entry: minute 23 of every hour, UTC) at which one of its KPIs has an ended period
not yet pulled — a date and time in the organisation's time zone and the reader's format."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from datasources import services
from datasources.models import SourcePull
from datasources.schedule import next_runs, next_sweep, sweep_schedule
from tests.datasources.sources import csv_source, pulled_kpi

NOW = datetime(2026, 11, 15, 10, 0, tzinfo=UTC)  # 17:00 in Ho Chi Minh City


def _linked(org, url="https://sheet.example.com/pub.csv"):
    org.timezone = "Asia/Ho_Chi_Minh"
    org.save(update_fields=["timezone"])
    source = csv_source(org, url)
    kpi = pulled_kpi(org, source, "revenue", since=date(2026, 1, 1))
    return source, kpi


def test_the_sweep_runs_at_minute_23_of_the_hour():
    schedule = sweep_schedule()
    assert next_sweep(datetime(2026, 11, 15, 10, 0, tzinfo=UTC), schedule) == datetime(2026, 11, 15, 10, 23, tzinfo=UTC)
    assert next_sweep(datetime(2026, 11, 15, 10, 23, tzinfo=UTC), schedule) == datetime(
        2026, 11, 15, 10, 23, tzinfo=UTC
    )
    assert next_sweep(datetime(2026, 11, 15, 10, 23, 1, tzinfo=UTC), schedule) == datetime(
        2026, 11, 15, 11, 23, tzinfo=UTC
    )


def test_an_ended_period_not_yet_pulled_is_pulled_at_the_next_sweep_then_the_next_period_end(world_a, web, pin_now):
    pin_now(NOW)
    source, kpi = _linked(world_a.org)
    # October has ended and has no claim: the sweep at 10:23 UTC (17:23 in Ho Chi Minh City) pulls it.
    assert next_runs([source]) == {source.pk: datetime(2026, 11, 15, 10, 23, tzinfo=UTC)}
    page = web(world_a.admin).get("/o/alpha/data-sources/").content.decode()
    assert '<time datetime="2026-11-15T17:23:00+07:00" data-next-run>15 Nov 2026, 17:23</time>' in page
    # Once October is pulled, November ends at midnight on 1 December in Ho Chi Minh City
    # (17:00 UTC on 30 November), and the first sweep after that runs at 17:23 UTC.
    SourcePull.objects.create(
        organization=world_a.org, kpi=kpi, source=source, period=date(2026, 10, 1), status="recorded"
    )
    assert next_runs([source]) == {source.pk: datetime(2026, 11, 30, 17, 23, tzinfo=UTC)}
    page = web(world_a.admin).get(f"/o/alpha/data-sources/{source.pk}/").content.decode()
    assert '<time datetime="2026-12-01T00:23:00+07:00" data-next-run>1 Dec 2026, 00:23</time>' in page


def test_the_next_run_is_in_the_readers_format_and_in_the_api(world_a, web, api, pin_now):
    pin_now(NOW)
    source, kpi = _linked(world_a.org)
    SourcePull.objects.create(
        organization=world_a.org, kpi=kpi, source=source, period=date(2026, 10, 1), status="recorded"
    )
    world_a.admin.language = "vi"
    world_a.admin.save(update_fields=["language"])
    page = web(world_a.admin).get("/o/alpha/data-sources/").content.decode()
    assert "data-next-run>00:23, 1/12/2026</time>" in page
    body = api(world_a.admin).get(f"/api/v1/orgs/alpha/data-sources/{source.pk}/").json()
    assert datetime.fromisoformat(body["next_run_at"]) == datetime(2026, 11, 30, 17, 23, tzinfo=UTC)


def test_a_webhook_a_paused_source_and_one_without_kpis_have_no_next_run(world_a, web, pin_now):
    pin_now(NOW)
    hook = services.source_create(org=world_a.org, actor=None, name="Push", kind="webhook", config={})
    lonely = csv_source(world_a.org, "https://sheet.example.com/other.csv", name="Lonely sheet")
    paused, _kpi = _linked(world_a.org)
    paused = services.source_update(source=paused, actor=None, active=False)
    assert next_runs([hook, lonely, paused]) == {hook.pk: None, lonely.pk: None, paused.pk: None}
    page = web(world_a.admin).get("/o/alpha/data-sources/").content.decode()
    assert "when the system pushes" in page and "no KPI linked yet" in page and "data-next-run" not in page


def _listed_runs(client) -> tuple[int, dict[int, datetime | None]]:
    """The API list's query count and each source's next run, as the list answers it."""
    with CaptureQueriesContext(connection) as queries:
        r = client.get("/api/v1/orgs/alpha/data-sources/?page_size=100")
    assert r.status_code == 200, r.json()
    runs = {s["id"]: s["next_run_at"] and datetime.fromisoformat(s["next_run_at"]) for s in r.json()["results"]}
    return len(queries), runs


def test_the_api_list_finds_every_next_run_in_the_same_number_of_queries_for_1_or_12_sources(world_a, api, pin_now):
    """The list computes the next runs of its page in one pass (the page's ``next_runs``),
    not one pass per source; and every source still gets its own answer."""
    pin_now(NOW)
    client = api(world_a.admin)
    first, kpi = _linked(world_a.org)
    SourcePull.objects.create(
        organization=world_a.org, kpi=kpi, source=first, period=date(2026, 10, 1), status="recorded"
    )
    one_count, one = _listed_runs(client)
    assert one == {first.pk: datetime(2026, 11, 30, 17, 23, tzinfo=UTC)}
    expected = {first.pk: datetime(2026, 11, 30, 17, 23, tzinfo=UTC)}
    for n in range(8):  # October not pulled yet: the next sweep, 10:23 UTC
        source = csv_source(world_a.org, f"https://sheet.example.com/{n}.csv", name=f"Sheet {n}")
        pulled_kpi(world_a.org, source, "revenue", name=f"Revenue {n}", since=date(2026, 1, 1))
        expected[source.pk] = datetime(2026, 11, 15, 10, 23, tzinfo=UTC)
    hook = services.source_create(org=world_a.org, actor=None, name="Push", kind="webhook", config={})
    lonely = csv_source(world_a.org, "https://sheet.example.com/other.csv", name="Lonely sheet")
    paused, _kpi = _linked(world_a.org, "https://sheet.example.com/paused.csv")
    paused = services.source_update(source=paused, actor=None, active=False)
    expected.update({hook.pk: None, lonely.pk: None, paused.pk: None})
    twelve_count, twelve = _listed_runs(client)
    assert len(twelve) == 12 and twelve == expected
    assert twelve_count == one_count
