"""Exports stay formula-safe whatever separator the spreadsheet splits on: a spreadsheet set
for Vietnamese (or any comma-decimal locale) splits a CSV line on ``;``, so ``Revenue;=1+1``
written bare would put ``=1+1`` in a cell of its own and run it."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from kpis.models import Measurement
from objectives import services
from objectives.models import Objective
from rituals import services as ritual_services
from tests.kpis.kpi_factories import make_kpi, record
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

EVIL = "Revenue;=1+1;"
EVIL_TAB = "Churn\t@SUM(A1)|-2+3, +cmd"
FORMULA_START = ("=", "+", "-", "@")


def _cells_a_spreadsheet_could_make(text: str) -> list[str]:
    """Every cell any spreadsheet could see: the lines split on each usual separator, once
    honouring quotes and once not (a careless import), stripped of quotes and blanks."""
    cells = []
    lines = text.lstrip("\ufeff").splitlines()
    for sep in (",", ";", "\t", "|"):
        for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=sep):
            cells += row
        for line in lines:
            cells += [part.strip().strip('"').strip() for part in line.split(sep)]
    return cells


def _formulas(text: str) -> list[str]:
    return [c for c in _cells_a_spreadsheet_could_make(text) if c.startswith(FORMULA_START)]


@pytest.mark.django_db
def test_the_cycle_export_runs_no_formula_whatever_the_separator(world_a, web):
    cycle = make_cycle(world_a.org)
    o = make_objective(world_a.org, cycle, title=EVIL, owner_type="team", team=world_a.team)
    kr = make_kr(o, title=EVIL_TAB, owner=world_a.member, start=0, target=10)
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=5, confidence=7)
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)

    r = web(world_a.viewer).get(f"/o/alpha/cycles/{cycle.pk}/export.csv")
    assert r.status_code == 200
    text = r.content.decode("utf-8-sig")
    assert _formulas(text) == []
    # Text cells are quoted, so a spreadsheet splitting on ';' keeps the title in one cell.
    row = next(csv.reader(io.StringIO(text.splitlines()[1]), delimiter=";"))
    assert row[0].startswith("Revenue;'=1+1;")
    # Read back with the separator it was written with, the text is all there, only neutralised.
    table = list(csv.reader(io.StringIO(text)))
    assert table[1][0] == "Revenue;'=1+1;"
    assert Objective.objects.get(pk=o.pk).title == EVIL
    # An XLSX cell is never split: its text stays as typed, and is typed as text.
    sheet = load_workbook(io.BytesIO(web(world_a.viewer).get(f"/o/alpha/cycles/{cycle.pk}/export.xlsx").content)).active
    assert sheet.cell(row=2, column=1).value == EVIL and sheet.cell(row=2, column=1).data_type == "s"


@pytest.mark.django_db
def test_the_measurement_export_runs_no_formula_and_reads_back_unchanged(world_a, web):
    from kpis import services as kpi_services

    kpi = make_kpi(world_a.org, name="Leads;=cmd|' /C calc'!A0", owner_type="team", team=world_a.team)
    record(kpi, date(2026, 9, 1), 398, note="Up; -5 vs plan,@boss")
    r = web(world_a.viewer).get("/o/alpha/kpis/export.csv")
    text = b"".join(r.streaming_content).decode("utf-8")
    assert _formulas(text) == []
    assert re.search(r'"Up; \'-5 vs plan,\'@boss"', text)
    # The export is also the import's template: the neutralised text reads back as it was.
    result = kpi_services.measurement_import(
        org=world_a.org, actor=None, data=text.encode(), filename="x.csv", today=date(2026, 11, 27)
    )
    assert (result.created, result.corrected, result.unchanged) == (0, 0, 1)
    assert Measurement.objects.get(kpi=kpi).note == "Up; -5 vs plan,@boss"
