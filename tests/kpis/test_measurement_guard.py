"""KPI values get the check-ins' plausibility guard: ``1,234.5`` where 81 came last (target
100) is asked about on the page, flagged in the CSV import and refused by the API without
``confirm`` — instead of being saved as "green 150 %" and moving key results and scorecards."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kpis import status as kpi_math
from kpis.models import Measurement
from tests.kpis.kpi_factories import make_kpi, record


def _months() -> tuple[date, date]:
    """Last month and this month (first days), from today: the page offers both."""
    this = timezone.localdate().replace(day=1)
    return (this - timedelta(days=1)).replace(day=1), this


@pytest.fixture
def kpi(world_a):
    # Green from 100, amber from 80; 81 last month.
    kpi = make_kpi(world_a.org, name="Qualified leads", owner_type="team", team=world_a.team, unit="leads")
    last, _this = _months()
    record(kpi, last, 81, today=timezone.localdate())
    return kpi


def _page(kpi) -> str:
    return f"/o/alpha/kpis/{kpi.pk}/measurements/"


@pytest.mark.parametrize(
    ("language", "typed", "asked"),
    [
        ("en", "1,234.5", "is a big jump from the last value"),
        ("vi", "1.234,5", "là một bước nhảy lớn so với giá trị gần nhất"),
    ],
)
def test_the_kpi_page_asks_before_saving_an_unusual_value(world_a, web, kpi, language, typed, asked):
    world_a.manager.language = language
    world_a.manager.save(update_fields=["language"])
    client = web(world_a.manager)
    _last, this = _months()
    form = {"period": this.isoformat(), "value": typed, "note": ""}
    r = client.post(_page(kpi), form)
    html = r.content.decode()
    assert r.status_code == 400 and asked in html
    assert 'name="confirm"' in html and f'value="{typed}"' in html  # what was typed is kept
    assert not Measurement.objects.filter(kpi=kpi, period=this).exists()
    r = client.post(_page(kpi), form | {"confirm": "on"})
    assert r.status_code == 302
    assert Measurement.objects.get(kpi=kpi, period=this).value == 1234.5


def test_an_ordinary_value_saves_at_once_and_the_page_shows_no_question(world_a, web, kpi):
    client = web(world_a.manager)
    page = client.get(f"/o/alpha/kpis/{kpi.pk}/").content.decode()
    assert 'name="confirm"' not in page
    _last, this = _months()
    r = client.post(_page(kpi), {"period": this.isoformat(), "value": "95", "note": ""})
    assert r.status_code == 302 and Measurement.objects.get(kpi=kpi, period=this).value == 95


def test_the_api_refuses_an_unusual_value_naming_the_field_until_confirmed(world_a, api, kpi):
    client = api(world_a.manager)
    _last, this = _months()
    body = {"kpi": kpi.pk, "period": this.isoformat(), "value": 1234.5}
    r = client.post("/api/v1/orgs/alpha/measurements/", body, format="json")
    assert r.status_code == 400
    assert list(r.json()["errors"]) == ["value"] and '"confirm": true' in r.json()["errors"]["value"][0]
    assert not Measurement.objects.filter(kpi=kpi, period=this).exists()
    r = client.post("/api/v1/orgs/alpha/measurements/", body | {"confirm": True}, format="json")
    assert r.status_code == 201 and r.json()["value"] == 1234.5 and "confirm" not in r.json()
    # A correction is judged too.
    m = r.json()["id"]
    r = client.patch(f"/api/v1/orgs/alpha/measurements/{m}/", {"value": 8100}, format="json")
    assert r.status_code == 400 and "value" in r.json()["errors"]
    r = client.patch(f"/api/v1/orgs/alpha/measurements/{m}/", {"value": 90}, format="json")
    assert r.status_code == 200 and r.json()["value"] == 90


IMPORT = "/o/alpha/settings/import/"


def _upload(client, text: str):
    """The KPI library's import: the organisation's import with kind "measurements"."""
    file = SimpleUploadedFile("values.csv", text.encode(), "text/csv")
    return client.post(IMPORT, {"kind": "measurements", "file": file}, follow=True)


def _apply(client, page, **fields):
    return client.post(f"{IMPORT}{page.context['run'].pk}/apply/", fields, follow=True)


def test_the_csv_import_flags_an_unusual_row_and_imports_it_only_when_confirmed(world_a, web, kpi):
    other = make_kpi(world_a.org, name="Demos booked", owner_type="team", team=world_a.team)
    last, this = _months()
    record(other, last, 81, today=timezone.localdate())
    client = web(world_a.manager)
    text = f'kpi,period,value\nQualified leads,{this.isoformat()},"1,234.5"\nDemos booked,{this.isoformat()},90\n'
    preview = _upload(client, text)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "is a big jump from the last value" in html and "row-error" in html
    assert 'name="confirm_unusual"' in html
    # Imported as it is: refused, nothing written.
    r = _apply(client, preview)
    assert "Rows have errors, so nothing was imported" in r.content.decode()
    assert not Measurement.objects.filter(period=this).exists()
    # Only the good rows: the flagged one is skipped.
    r = _apply(client, preview, only_valid="on")
    assert "The file was imported." in r.content.decode()
    assert list(Measurement.objects.filter(period=this).values_list("kpi__name", "value")) == [("Demos booked", 90)]
    # Confirmed: imported.
    r = _apply(client, _upload(client, text), confirm_unusual="on")
    assert "The file was imported." in r.content.decode()
    assert Measurement.objects.get(kpi=kpi, period=this).value == 1234.5


def test_a_file_with_several_periods_judges_each_value_against_the_one_before_it(world_a, web, kpi):
    last, this = _months()
    before = (last - timedelta(days=1)).replace(day=1)
    client = web(world_a.manager)
    # 79 → 81 (stored) → 88: each value close to the one before it, nothing unusual.
    text = f"kpi,period,value\nQualified leads,{before.isoformat()},79\nQualified leads,{this.isoformat()},88\n"
    preview = _upload(client, text)
    assert preview.context["run"].dry_run["errors"] == [] and "row-error" not in preview.content.decode()


@pytest.mark.parametrize(
    ("direction", "targets", "last", "value", "expected"),
    [
        ("higher_is_better", {"target": 100, "amber_threshold": 80}, 81, 1234.5, "jump"),
        ("higher_is_better", {"target": 100, "amber_threshold": 80}, 81, 95, None),
        ("higher_is_better", {"target": 100, "amber_threshold": 80}, 81, 42, None),  # a bad month is no slip
        ("higher_is_better", {"target": 100}, 81, 115, None),
        ("higher_is_better", {"target": 100}, 81, -81, "wrong_way"),
        ("lower_is_better", {"target": 3, "amber_threshold": 5}, 4, 40, "wrong_way"),
        ("lower_is_better", {"target": 3, "amber_threshold": 5}, 4, 0.4, "jump"),
        ("lower_is_better", {"target": 3, "amber_threshold": 5}, 4, 3.5, None),
        ("within_range", {"target_low": 20, "target_high": 25}, 22, 220, "jump"),
        ("within_range", {"target_low": 20, "target_high": 25}, 22, 2.2, "jump"),
        ("within_range", {"target_low": 20, "target_high": 25}, 22, 24, None),
        ("higher_is_better", {"target": None}, 81, 1234.5, None),
    ],
)
def test_the_kpi_guard_is_the_check_ins_rule_on_the_kpis_range(direction, targets, last, value, expected):
    assert kpi_math.unusual_measurement(direction=direction, last=last, value=value, **targets) == expected
