"""CSV files follow the reader's convention: Vietnamese gets ``;`` between cells, a decimal
comma and a BOM; English gets commas. Both quote every text cell and neutralise formulas,
whatever the separator, and a file read back in its own dialect gives the same numbers."""

from __future__ import annotations

import csv
import io

import pytest

from core.spreadsheet import ENGLISH_CSV, VIETNAMESE_CSV, csv_convention, to_csv
from objectives import services
from objectives.models import Objective
from rituals import services as ritual_services
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

ROWS = [
    ["name", "value", "grade", "count", "note"],
    ["Revenue;=1+1", 1234.5, 0.7, 3, "-2 defects"],
    ["Churn, monthly", -0.25, 1.0, 0, '=HYPERLINK("http://evil")'],
    ["Noise", 0.1 + 0.2, 0.55, 12, "@all"],
]


def _parse(text: str, delimiter: str, decimal: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter))


def _number(cell: str, decimal: str) -> float:
    return float(cell.replace(decimal, "."))


@pytest.mark.parametrize(("convention", "delimiter", "decimal"), [(VIETNAMESE_CSV, ";", ","), (ENGLISH_CSV, ",", ".")])
def test_a_csv_read_back_in_its_dialect_gives_the_same_numbers(convention, delimiter, decimal):
    text = to_csv(ROWS, convention=convention)
    table = _parse(text, delimiter, decimal)
    assert len(table) == len(ROWS) and all(len(row) == 5 for row in table)
    for written, read in zip(ROWS[1:], table[1:], strict=True):
        assert [_number(c, decimal) for c in read[1:4]] == pytest.approx(written[1:4])
    # Text is quoted, and a formula neither at the start nor after any separator survives.
    lines = text.removeprefix("\ufeff").splitlines()
    assert lines[1].startswith('"Revenue;\'=1+1"')
    assert [row[4] for row in table[1:]] == ["'-2 defects", '\'=HYPERLINK("http://evil")', "'@all"]
    assert table[3][1] == f"0{decimal}3"  # no float noise (0.30000000000000004)


def test_vietnamese_numbers_have_no_point_and_english_no_comma():
    vi = to_csv(ROWS, convention=VIETNAMESE_CSV).splitlines()[1]
    en = to_csv(ROWS, convention=ENGLISH_CSV).splitlines()[1]
    assert vi.endswith(';1234,5;0,7;3;"\'-2 defects"')
    assert en.endswith(',1234.5,0.7,3,"\'-2 defects"')


def test_the_convention_follows_the_language():
    assert csv_convention("vi") == VIETNAMESE_CSV and csv_convention("en") == ENGLISH_CSV


def test_the_cycle_export_reads_back_the_same_in_both_languages(world_a, web):
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="Delight; customers", owner_type="team", team=world_a.sub_team)
    for title, value in (("NPS", 7.4), ("Reply time", 3.5)):
        kr = make_kr(objective, title=title, owner=world_a.member, start=0, target=10)
        services.key_result_check_in(key_result=kr, actor=world_a.member, value=value, confidence=7)
    Objective.objects.filter(pk=objective.pk).update(title="=1+1; Delight")
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    tables = {}
    for language, delimiter, decimal in (("en", ",", "."), ("vi", ";", ",")):
        world_a.viewer.language = language
        world_a.viewer.save(update_fields=["language"])
        r = web(world_a.viewer).get(f"/o/alpha/cycles/{cycle.pk}/export.csv")
        assert r.status_code == 200
        tables[language] = (_parse(r.content.decode("utf-8"), delimiter, decimal), decimal)
    (en, _), (vi, _) = tables["en"], tables["vi"]
    assert len(en) == len(vi) == 3 and len(en[1]) == len(vi[1])
    assert vi[1][0] == en[1][0] == "'=1+1; Delight"
    numbers = 0
    for en_row, vi_row in zip(en[1:], vi[1:], strict=True):
        for en_cell, vi_cell in zip(en_row, vi_row, strict=True):
            try:
                value = float(en_cell)
            except ValueError:
                continue
            numbers += 1
            assert _number(vi_cell, ",") == pytest.approx(value)
    assert numbers >= 6  # progress, grades, values of both rows
    assert en[1][15] == "0.7" and vi[1][15] == "0,7"
