"""CSV import (preview, row-by-row report, all-or-nothing) and export."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from activity.models import ActivityEntry
from kpis import services
from kpis.models import Measurement
from tests.kpis.kpi_factories import make_kpi, record

TODAY = date(2026, 11, 27)


@pytest.fixture
def leads(world_a):
    return make_kpi(world_a.org, name="New leads", owner_type="team", team=world_a.team, since=date(2026, 1, 1))


@pytest.fixture
def absence(world_a):
    return make_kpi(
        world_a.org,
        name="Absenteeism rate",
        owner_type="team",
        team=world_a.other_team,
        direction="lower_is_better",
        target=2.5,
        amber=3.5,
        since=date(2026, 1, 1),
    )


def _import(org, text, **kwargs):
    return services.measurement_import(org=org, actor=None, data=text.encode(), filename="x.csv", today=TODAY, **kwargs)


def _preview(org, data, filename="x.csv", **kwargs):
    if isinstance(data, str):
        data = data.encode()
    return services.measurement_import_preview(org=org, data=data, filename=filename, today=TODAY, **kwargs)


def test_a_good_file_imports_every_row(world_a, leads, absence):
    text = (
        "kpi,period,value,note\n"
        "New leads,2026-10-01,412,\n"
        "new LEADS ,2026-09,398,late\n"  # names match whatever the case and spaces
        "Absenteeism rate,2026-10-17,2.8,flu\n"
    )
    preview = _preview(world_a.org, text)
    assert [r.action for r in preview.rows] == ["new", "new", "new"]
    assert [r.line for r in preview.rows] == [2, 3, 4]
    assert not Measurement.objects.exists()  # a preview writes nothing
    result = _import(world_a.org, text)
    assert (result.created, result.corrected, result.unchanged, result.skipped) == (3, 0, 0, 0)
    assert Measurement.objects.get(kpi=absence).period == date(2026, 10, 1)
    assert Measurement.objects.get(kpi=leads, period=date(2026, 9, 1)).note == "late"
    assert ActivityEntry.objects.filter(verb="measurement.recorded").count() == 3
    assert ActivityEntry.objects.get(verb="measurements.imported").after["created"] == 3


def test_import_corrects_existing_periods_and_keeps_the_old_value(world_a, leads):
    record(leads, date(2026, 10, 1), 400, note="first count")
    record(leads, date(2026, 9, 1), 390)
    result = _import(world_a.org, "kpi,period,value\nNew leads,2026-10-01,412\nNew leads,2026-09-01,390\n")
    assert (result.created, result.corrected, result.unchanged) == (0, 1, 1)
    m = Measurement.objects.get(kpi=leads, period=date(2026, 10, 1))
    assert m.value == 412 and m.note == "first count"  # no note in the file: the old one stays
    entry = ActivityEntry.objects.get(verb="measurement.corrected")
    assert entry.before["value"] == 400 and entry.after["value"] == 412
    assert Measurement.objects.count() == 2


BAD = (
    "kpi,period,value\n"
    "New leads,2026-10-01,412\n"  # good
    "Nope,2026-10-01,1\n"  # unknown KPI
    "New leads,2026-08-01,lots\n"  # not a number
    "New leads,2027-01-01,5\n"  # future
    "New leads,2025-06-01,5\n"  # before tracking started
    "New leads,Oct 2026,5\n"  # not a date
    ",2026-10-01,5\n"  # no KPI
    "New leads,2026-10-20,413\n"  # same period as line 2
    "New leads,2026-07-01,1e400\n"  # not finite
    "Absenteeism rate,2026-09-01,3\n"  # good
)


def test_bad_rows_are_reported_one_by_one(world_a, leads, absence):
    preview = _preview(world_a.org, BAD)
    errors = {r.line: " ".join(r.errors) for r in preview.bad}
    assert set(errors) == {3, 4, 5, 6, 7, 8, 9, 10}
    assert "Unknown KPI “Nope”" in errors[3]
    assert "“lots” is not a number" in errors[4]
    assert "in the future" in errors[5]
    assert "before this KPI's tracking start" in errors[6]
    assert "“Oct 2026” is not a date" in errors[7]
    assert "The KPI is missing" in errors[8]
    assert "Same KPI and period as line 2" in errors[9]
    assert "is not a number" in errors[10]
    assert [r.line for r in preview.good] == [2, 11]


def test_an_import_with_bad_rows_imports_nothing_unless_asked_for_the_good_rows(world_a, leads, absence):
    with pytest.raises(ValidationError, match="8 rows have errors, so nothing was imported") as exc:
        _import(world_a.org, BAD)
    assert "rows" in exc.value.message_dict
    assert not Measurement.objects.exists()
    assert not ActivityEntry.objects.filter(verb__startswith="measurement").exists()
    result = _import(world_a.org, BAD, only_good_rows=True)
    assert (result.created, result.skipped) == (2, 8)
    assert sorted(Measurement.objects.values_list("value", flat=True)) == [3, 412]


def test_same_names_need_a_kpi_id(world_a, leads):
    twin = make_kpi(world_a.org, name="New leads", owner_type="team", team=world_a.other_team, since=date(2026, 1, 1))
    preview = _preview(world_a.org, "kpi,period,value\nNew leads,2026-10-01,1\n")
    assert "Several KPIs are called “New leads”" in preview.rows[0].errors[0]
    text = f"kpi,period,value,kpi_id\nNew leads,2026-10-01,1,{twin.pk}\nwhatever,2026-10-01,2,999999\n"
    preview = _preview(world_a.org, text)
    assert preview.rows[0].ok and preview.rows[0].kpi == twin
    assert "Unknown KPI id 999999" in preview.rows[1].errors[0]


def test_kpis_of_another_organisation_are_unknown(world_a, world_b, leads):
    other = make_kpi(world_b.org, name="Secret KPI", since=date(2026, 1, 1))
    text = f"kpi,period,value,kpi_id\nSecret KPI,2026-10-01,1,\nx,2026-10-01,1,{other.pk}\n"
    preview = _preview(world_a.org, text)
    assert "Unknown KPI “Secret KPI”" in preview.rows[0].errors[0]
    assert f"Unknown KPI id {other.pk}" in preview.rows[1].errors[0]


def test_rows_the_importer_may_not_record_are_errors(world_a, leads, absence):
    allowed = lambda kpi: kpi.pk == leads.pk  # noqa: E731
    preview = _preview(
        world_a.org, "kpi,period,value\nNew leads,2026-10,1\nAbsenteeism rate,2026-10,2\n", allowed=allowed
    )
    assert preview.rows[0].ok
    assert preview.rows[1].errors == ["You cannot record measurements for this KPI."]


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"name,date,amount\nNew leads,2026-10-01,1\n", "x.csv", "needs the columns kpi, period and value"),
        (b"kpi,value\nNew leads,1\n", "x.csv", "it has: kpi, value"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "values.csv", "not a CSV file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "chart.csv", "not a CSV file"),
        (b"kpi,period,value\n", "values.xlsx", "Only CSV files"),
        (b"", "x.csv", "empty"),
        (b"   \n\n", "x.csv", "empty"),
        (b"kpi,period,value\n\n\n", "x.csv", "no rows"),
        ("kpi,period,value\nCaf\u00e9,2026-10,1\n".encode("latin-1"), "x.csv", "not UTF-8"),
        (b"kpi,period,value\n" + b"a,2026-10,1\n" * 5001, "x.csv", "At most 5,000 rows"),
        (b"x" * 1_000_001, "x.csv", "larger than 1 MB"),
    ],
)
def test_files_that_are_not_usable_get_one_clear_message(world_a, leads, data, filename, message):
    with pytest.raises(ValidationError) as exc:
        _preview(world_a.org, data, filename)
    assert list(exc.value.message_dict) == ["file"]
    assert message in exc.value.message_dict["file"][0]


def test_spreadsheet_flavours_of_csv_are_read(world_a, leads):
    """Excel's UTF-8 BOM, semicolons, header case and extra columns."""
    data = "\ufeffKPI;Period;Value;Owner\nNew leads;2026-10;41.5;Maria\n".encode()
    preview = _preview(world_a.org, data)
    assert preview.rows[0].ok and preview.rows[0].value == 41.5
    assert preview.ignored_columns == ["Owner"]


def test_export_lists_every_value_and_reads_back_unchanged(world_a, world_b, leads, absence, web):
    record(leads, date(2026, 9, 1), 398, note="=HYPERLINK(evil)")
    record(leads, date(2026, 10, 1), 412.25)
    record(absence, date(2026, 10, 1), 4)
    make_kpi(world_b.org, name="Beta secret", since=date(2026, 1, 1))
    response = web(world_a.viewer).get("/o/alpha/kpis/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="alpha-kpi-measurements-' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["kpi"], r["period"], r["value"], r["status"]) for r in rows] == [
        ("Absenteeism rate", "2026-10-01", "4", "red"),
        ("New leads", "2026-09-01", "398", "green"),
        ("New leads", "2026-10-01", "412.25", "green"),
    ]
    assert rows[1]["note"] == "'=HYPERLINK(evil)"  # a spreadsheet will not run it
    assert "Beta secret" not in text
    # The export doubles as an import template: reading it back changes nothing.
    result = _import(world_a.org, text)
    assert (result.created, result.corrected, result.unchanged) == (0, 0, 3)
    assert Measurement.objects.get(kpi=leads, period=date(2026, 9, 1)).note == "=HYPERLINK(evil)"
    one = b"".join(web(world_a.viewer).get(f"/o/alpha/kpis/export.csv?kpi={absence.pk}").streaming_content).decode()
    assert "Absenteeism rate" in one and "New leads" not in one


# --- the import pages: the KPI library's "Import CSV" is the organisation's import, kind "measurements" ---

IMPORT = "/o/alpha/settings/import/"


def _upload(client, text, name="values.csv", *, data: bytes | None = None):
    """Choose the file on the import page, as the KPI library's link leads there: the run's page."""
    file = SimpleUploadedFile(name, text.encode() if data is None else data, "text/csv")
    return client.post(IMPORT, {"kind": "measurements", "file": file}, follow=True)


def _apply(client, page, **fields):
    return client.post(f"{IMPORT}{page.context['run'].pk}/apply/", fields, follow=True)


def test_upload_preview_confirm(world_a, leads, absence, web):
    client = web(world_a.admin)
    start = client.get("/o/alpha/kpis/import/", follow=True)
    assert start.status_code == 200 and start.redirect_chain[-1][0] == f"{IMPORT}?kind=measurements"
    assert start.context["form"]["kind"].value() == "measurements"
    text = "kpi,period,value\nNew leads,2026-10-01,412\nAbsenteeism rate,2026-10-01,2.1\n"
    page = _upload(client, text)
    html = page.content.decode()
    assert page.status_code == 200 and "2 to create, 0 to update, 0 unchanged, 0 rows with errors" in html
    assert not Measurement.objects.exists()
    r = _apply(client, page)
    assert r.status_code == 200 and "The file was imported." in r.content.decode()
    assert Measurement.objects.count() == 2


def test_a_kpis_import_link_keeps_the_kpi_named(world_a, leads, web):
    r = web(world_a.admin).get(f"/o/alpha/kpis/import/?kpi={leads.pk}", follow=True)
    assert r.redirect_chain[-1][0] == f"{IMPORT}?kind=measurements&kpi={leads.pk}"
    assert r.context["kpi"] == leads and f'href="/o/alpha/kpis/{leads.pk}/"' in r.content.decode()


def test_bad_rows_through_the_pages_import_nothing_until_good_rows_only_is_ticked(world_a, leads, web):
    client = web(world_a.admin)
    text = "kpi,period,value\nNew leads,2026-10-01,412\nNope,2026-10-01,1\nNew leads,2026-09-01,abc\n"
    page = _upload(client, text)
    html = page.content.decode()
    assert "Unknown KPI “Nope”" in html and "“abc” is not a number" in html
    assert "Import only the valid rows" in html
    r = _apply(client, page)
    assert "Rows have errors, so nothing was imported" in r.content.decode()
    assert not Measurement.objects.exists()
    r = _apply(client, page, only_valid="on")
    assert "The file was imported." in r.content.decode()
    assert list(Measurement.objects.values_list("value", flat=True)) == [412]


def test_unusable_files_through_the_pages_get_a_message_not_an_error_page(world_a, leads, web):
    client = web(world_a.admin)
    r = _upload(client, "", "book.xlsx", data=b"PK\x03\x04junk")
    assert r.status_code == 200 and r.context["run"].dry_run["errors"][0]["field"] == "file"
    r = _upload(client, "date,amount\n2026-10-01,3\n")
    assert r.status_code == 200 and "KPI" in r.context["run"].dry_run["errors"][0]["message"]
    r = _apply(client, r)  # a file that cannot be read is not applied
    assert "Rows have errors, so nothing was imported" in r.content.decode()
    r = client.post(IMPORT, {"kind": "measurements"})
    assert r.status_code == 400
    assert not Measurement.objects.exists()


def test_viewers_cannot_import_and_members_only_into_their_own_kpis(world_a, leads, web):
    assert web(world_a.viewer).get("/o/alpha/kpis/import/", follow=True).status_code == 403
    mine = make_kpi(world_a.org, name="My calls", owner_type="person", user=world_a.member, since=date(2026, 1, 1))
    client = web(world_a.member)
    text = "kpi,period,value\nMy calls,2026-10-01,30\nNew leads,2026-10-01,412\n"
    page = _upload(client, text)
    assert "You cannot record measurements for this KPI." in page.content.decode()
    _apply(client, page, only_valid="on")
    assert list(Measurement.objects.values_list("kpi_id", flat=True)) == [mine.pk]
    # A member imports KPI values only, and sees only their own runs.
    people = SimpleUploadedFile("people.csv", b"email\nx@y.test\n", "text/csv")
    assert client.post(IMPORT, {"kind": "people", "file": people}).status_code == 400
    other = _upload(web(world_a.admin), text)
    assert web(world_a.member).get(f"{IMPORT}{other.context['run'].pk}/").status_code == 404


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("hello\nworld\n", "KPI"),
        ("kpi,period,value\n", "no rows"),
        ("   \n", "empty"),
    ],
    ids=["not-csv", "header-only", "blank"],
)
def test_an_unusable_file_shows_the_reason_and_writes_nothing(world_a, leads, web, content, message):
    page = _upload(web(world_a.member), content, "x.csv")
    errors = page.context["run"].dry_run["errors"]
    assert page.status_code == 200 and errors and errors[0]["field"] == "file"
    assert message in errors[0]["message"] and errors[0]["message"] in page.content.decode()
    assert not Measurement.objects.exists()


def test_a_file_over_the_size_limit_is_refused_at_the_upload(world_a, leads, web):
    big = "kpi,period,value,note\n" + f"New leads,2026-10-01,1,{'x' * 1000}\n" * 11_000
    r = _upload(web(world_a.member), big)
    assert r.status_code == 400 and "larger than 10 MB" in r.content.decode()
    assert 'type="file"' in r.content.decode()  # back at the upload form, ready for another file
    assert not Measurement.objects.exists()


def test_a_nul_character_anywhere_in_the_file_is_refused_before_anything_is_written(world_a, leads, web):
    client = web(world_a.admin)
    # Past the first 4 KB that the binary sniff reads, in a note PostgreSQL could not store.
    padding = "".join(f"New leads,2025-{m:02d}-01,{m},{'x' * 400}\n" for m in range(1, 13))
    text = "kpi,period,value,note\n" + padding + "New leads,2026-10-01,412,bad\x00note\n"
    assert len(text.encode()) > 4096
    r = _upload(client, text)
    assert "NUL character" in r.content.decode()
    _apply(client, r)
    _apply(client, r, only_valid="on")
    assert not Measurement.objects.exists()
