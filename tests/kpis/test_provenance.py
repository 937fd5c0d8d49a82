"""Every measurement and check-in says where its value came from (DESIGN §4, "Provenance"):
stored with it, returned by the API, shown in one click beside the value and named in the
activity log."""

from __future__ import annotations

from datetime import UTC, date, datetime

from activity.models import ActivityEntry
from core.provenance import Origin, Provenance, raw_hash
from kpis import services
from objectives import services as okr_services
from objectives.models import CheckIn
from tests.kpis.kpi_factories import make_kpi, record
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

TODAY = date(2026, 11, 27)
FETCHED = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def _pulled(source_id: int = 7) -> Provenance:
    return Provenance(origin=Origin.SOURCE, source=source_id, source_name="CRM", fetched_at=FETCHED, raw="1.234,5")


def test_a_typed_value_records_who_typed_it(world_a):
    kpi = make_kpi(world_a.org)
    m = record(kpi, "2026-10", 95, actor=world_a.member)
    assert m.origin == "manual"
    assert m.provenance == {"who": world_a.member.pk, "who_name": world_a.member.display_name}


def test_a_pulled_value_keeps_its_source_time_raw_value_and_hash(world_a):
    kpi = make_kpi(world_a.org)
    m = services.measurement_record(
        kpi=kpi, actor=None, period="2026-10", value=1234.5, today=TODAY, provenance=_pulled()
    ).measurement
    m.refresh_from_db()
    assert m.origin == "source"
    assert m.provenance == {
        "source": 7,
        "source_name": "CRM",
        "fetched_at": "2026-11-27T03:00:00+00:00",
        "raw": "1.234,5",
        "hash": raw_hash("1.234,5"),
    }
    assert raw_hash("1.234,5").startswith("sha256:") and raw_hash("1.234,5") != raw_hash("1.234,6")
    # The activity log names the origin.
    entry = ActivityEntry.objects.get(verb="measurement.recorded", target_id=kpi.pk)
    assert entry.after["origin"] == "source"


def test_a_correction_takes_the_new_values_origin(world_a):
    kpi = make_kpi(world_a.org)
    record(kpi, "2026-10", 95, actor=world_a.member)
    services.measurement_record(kpi=kpi, actor=None, period="2026-10", value=96, today=TODAY, provenance=_pulled())
    [corrected] = ActivityEntry.objects.filter(verb="measurement.corrected", target_id=kpi.pk)
    assert (corrected.before["origin"], corrected.after["origin"]) == ("manual", "source")


def test_the_api_returns_origin_and_provenance(world_a, api):
    kpi = make_kpi(world_a.org)
    services.measurement_record(kpi=kpi, actor=None, period="2026-10", value=1234.5, today=TODAY, provenance=_pulled())
    r = api(world_a.admin).get(f"/api/v1/orgs/alpha/measurements/?kpi={kpi.pk}")
    assert r.status_code == 200
    [row] = r.json()["results"]
    assert row["origin"] == "source"
    assert row["provenance"]["source_name"] == "CRM" and row["provenance"]["raw"] == "1.234,5"
    assert row["provenance"]["hash"] == raw_hash("1.234,5")


def test_the_kpi_page_shows_provenance_beside_the_value_and_the_origin_in_the_activity(world_a, web, pin_now):
    pin_now(datetime(2026, 11, 27, 10, tzinfo=UTC))
    kpi = make_kpi(world_a.org)
    record(kpi, "2026-09", 90, actor=world_a.member)
    services.measurement_record(kpi=kpi, actor=None, period="2026-10", value=1234.5, today=TODAY, provenance=_pulled())
    page = web(world_a.manager).get(f"/o/alpha/kpis/{kpi.pk}/").content.decode()
    assert page.count('<details class="provenance" data-provenance="source">') == 1
    assert page.count('<details class="provenance" data-provenance="manual">') == 1
    assert "Pulled from a data source" in page and "<code>1.234,5</code>" in page
    assert f"By {world_a.member.display_name}" in page
    assert 'activity-origin">(Pulled from a data source)' in page


def test_a_check_in_records_its_origin_and_the_api_and_history_show_it(world_a, api, web):
    kr = make_kr(make_objective(world_a.org, make_cycle(world_a.org), title="Grow"), owner=world_a.member, target=10)
    okr_services.key_result_check_in(
        key_result=kr,
        actor=world_a.member,
        value=3,
        confidence=7,
        provenance=Provenance(origin=Origin.CHAT, who=world_a.member.pk, who_name="Mia"),
    )
    okr_services.key_result_check_in(key_result=kr, actor=world_a.member, value=4, confidence=7)
    rows = {c.value: c for c in CheckIn.objects.filter(key_result=kr)}
    assert (rows[3].origin, rows[3].provenance) == ("chat", {"who": world_a.member.pk, "who_name": "Mia"})
    assert rows[4].origin == "manual"
    entry = ActivityEntry.objects.filter(verb="key_result.checked_in", target_id=kr.pk).order_by("id").first()
    assert entry is not None and entry.after["origin"] == "chat"
    r = api(world_a.member).get(f"/api/v1/orgs/alpha/check-ins/?key_result={kr.pk}")
    origins = sorted((row["origin"], row["provenance"].get("who_name")) for row in r.json()["results"])
    assert origins == [("chat", "Mia"), ("manual", world_a.member.display_name)]
    page = web(world_a.member).get(f"/o/alpha/key-results/{kr.pk}/history/").content.decode()
    assert 'data-provenance="chat"' in page and "Sent from chat" in page


def test_an_imported_file_is_named_in_each_value(world_a):
    kpi = make_kpi(world_a.org, name="Leads")
    services.measurement_import(
        org=world_a.org,
        actor=world_a.admin,
        data="kpi,period,value\nLeads,2026-09,80\n",
        filename="september.csv",
        today=TODAY,
    )
    m = kpi.measurements.get()
    assert m.origin == "import" and m.provenance["file"] == "september.csv"
    assert m.provenance["who"] == world_a.admin.pk


def test_the_organisations_activity_log_names_the_origin(world_a, web):
    kpi = make_kpi(world_a.org)
    services.measurement_record(kpi=kpi, actor=None, period="2026-10", value=12, today=TODAY, provenance=_pulled())
    record(kpi, "2026-09", 11, actor=world_a.member)
    page = web(world_a.admin).get("/o/alpha/activity/").content.decode()
    assert page.count('activity-origin">(Pulled from a data source)') == 1


def test_the_scorecard_opens_a_values_provenance_in_one_click(world_a, world_b, web, client, pin_now):
    from scorecards import services as scorecard_services

    pin_now(datetime(2026, 11, 27, 10, tzinfo=UTC))
    kpi = make_kpi(world_a.org)
    services.measurement_record(kpi=kpi, actor=None, period="2026-10", value=1234.5, today=TODAY, provenance=_pulled())
    card = scorecard_services.scorecard_create(org=world_a.org, actor=None, name="Board")
    scorecard_services.scorecard_item_add(scorecard=card, actor=None, kpi=kpi)
    viewer = web(world_a.viewer)
    page = viewer.get(f"/o/alpha/scorecards/{card.pk}/").content.decode()
    url = f"/o/alpha/kpis/{kpi.pk}/provenance/?period=2026-10-01"
    assert f'hx-get="{url}"' in page
    box = viewer.get(url).content.decode()
    assert "Pulled from a data source" in box and "<code>1.234,5</code>" in box
    assert viewer.get(f"/o/alpha/kpis/{kpi.pk}/provenance/?period=2026-09-01").status_code == 404
    client.force_login(world_b.admin)
    assert client.get(f"/o/beta/kpis/{kpi.pk}/provenance/?period=2026-10-01").status_code == 404
