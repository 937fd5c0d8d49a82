"""Writing CSV and XLSX files that a spreadsheet cannot turn against its reader.

Text starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) could
be run as a formula when the file is opened (CSV injection): such text gets an
apostrophe first, in CSV and XLSX alike, and XLSX cells holding text are always
typed as text. Numbers stay numbers.

A spreadsheet may split a CSV line on another separator than the comma (``;`` is
the usual one where the decimal mark is a comma, Vietnamese included), so a cell
``Revenue;=1+1`` would start a formula in the middle of the text. Text cells are
therefore always quoted in CSV, and a formula character after any separator a
spreadsheet might split on (``,`` ``;`` tab ``|``, a line break) gets an apostrophe
too (an XLSX cell is never split, so its text keeps its middle as typed).

A CSV file a person downloads follows their convention (``csv_convention``): Vietnamese
gets ``;`` between cells and a decimal comma (``0,7``), as a spreadsheet set to Vietnamese
expects; English gets commas and a decimal point. Both start with a BOM (UTF-8 names) and
quote every text cell; numbers stay bare. Dates stay ISO (``2026-10-01``) in both: every
spreadsheet reads that as a date whatever its language, and the imports read it back.
A file written for a program (the organisation archive) uses the English convention.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.http import Http404, HttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A separator some spreadsheet may split on, then (after blanks) a character that starts a formula.
_FORMULA_AFTER_SEPARATOR = re.compile(r"([,;\t|\r\n]\s*)(?=[=+\-@])")

Cell = str | int | float | date | datetime | None


def safe_cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection), whatever separator it
    splits on: an apostrophe first, and one after any separator that a formula follows."""
    text = _FORMULA_AFTER_SEPARATOR.sub(r"\1'", text)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


_NEUTRALISED_AFTER_SEPARATOR = re.compile(r"([,;\t|\r\n]\s*)'(?=[=+\-@])")


def unsafe_cell(text: str) -> str:
    """What ``safe_cell`` was given, for reading an export back (the KPI import)."""
    if text.startswith("'") and text[1:2] in FORMULA_PREFIXES:
        text = text[1:]
    return _NEUTRALISED_AFTER_SEPARATOR.sub(r"\1", text)


@dataclass(frozen=True)
class CsvConvention:
    """How a reader's spreadsheet splits a CSV line and writes a decimal."""

    delimiter: str
    decimal: str


ENGLISH_CSV = CsvConvention(delimiter=",", decimal=".")
VIETNAMESE_CSV = CsvConvention(delimiter=";", decimal=",")


def csv_convention(language: str | None = None) -> CsvConvention:
    """The convention of ``language`` (the active one by default): a language whose decimal
    mark is the comma splits cells on ``;``."""
    from core.numbers import separators

    return VIETNAMESE_CSV if separators(language)[0] == "," else ENGLISH_CSV


class CsvNumber(float):
    """A number written bare (``QUOTE_NONNUMERIC`` leaves numbers unquoted) in a convention's
    decimal mark, without float noise or an exponent: ``0,7``, ``1,0``, ``0.3`` (a float keeps
    its tenth, as Python writes it: a grade of 1 reads ``1.0``)."""

    decimal = "."

    def __str__(self) -> str:
        value = round(float(self), 10)
        text = repr(value) if "e" not in repr(value) else f"{value:.10f}".rstrip("0").removesuffix(".")
        return text.replace(".", self.decimal)


class _CommaNumber(CsvNumber):
    decimal = ","


def csv_number(value: float, convention: CsvConvention = ENGLISH_CSV) -> CsvNumber:
    return (_CommaNumber if convention.decimal == "," else CsvNumber)(value)


def csv_writer(out: Any, convention: CsvConvention = ENGLISH_CSV) -> Any:
    """A CSV writer that quotes every text cell (numbers stay bare), so a spreadsheet
    splitting on another separator than the file's still reads each cell whole."""
    return csv.writer(out, delimiter=convention.delimiter, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)


def _safe(value: Any, *, whole_cell: bool = False) -> Cell:
    """``whole_cell``: the file keeps each cell whole (XLSX), so only the start of the text
    can start a formula; a CSV line may be split anywhere a separator is."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, int | float | date | datetime):
        return value
    text = str(value)
    if whole_cell:
        return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text
    return safe_cell(text)


def _csv_cell(value: Any, convention: CsvConvention) -> Cell:
    safe = _safe(value)
    if isinstance(safe, float) and math.isfinite(safe):
        return csv_number(safe, convention)
    return safe


def to_csv(rows: Iterable[Sequence[Any]], *, convention: CsvConvention = ENGLISH_CSV) -> str:
    """UTF-8 CSV text with a BOM, so spreadsheets read Vietnamese correctly, in ``convention``
    (English's unless a reader's is given)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv_writer(out, convention)
    for row in rows:
        writer.writerow([_csv_cell(value, convention) for value in row])
    return out.getvalue()


class Percent(float):
    """A share written as a percentage: 0.45 is "45%" in a workbook (a number formatted as a
    percentage, so it still sums and sorts); a CSV holds the plain number."""


# Column widths of a workbook, in characters: enough for the longest cell, within reason.
XLSX_MIN_WIDTH, XLSX_MAX_WIDTH = 8, 60


def _shown_length(value: Any) -> int:
    if isinstance(value, Percent):
        return len(f"{value:.0%}")
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0)


def to_xlsx(rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet") -> bytes:
    """An XLSX workbook of one sheet; the first row is the header (bold, frozen), each column
    as wide as its longest cell, ``Percent`` cells formatted as percentages."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    # Sheet titles cannot hold []:*?/\ and are at most 31 characters.
    ws.title = "".join(c for c in sheet if c not in "[]:*?/\\")[:31] or "Sheet"
    widths: dict[int, int] = {}
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            safe = _safe(value, whole_cell=True)
            cell = ws.cell(row=r, column=c, value=float(safe) if isinstance(safe, Percent) else safe)
            if isinstance(safe, str):
                cell.data_type = "s"  # never a formula, whatever the text
            elif isinstance(value, Percent):
                cell.number_format = "0%"
            if r == 1:
                cell.font = Font(bold=True)
            widths[c] = max(widths.get(c, 0), _shown_length(safe))
    for c, width in widths.items():
        ws.column_dimensions[get_column_letter(c)].width = min(max(width + 2, XLSX_MIN_WIDTH), XLSX_MAX_WIDTH)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(rows: Sequence[Sequence[Any]], *, fmt: str, filename: str, sheet: str = "Sheet") -> HttpResponse:
    """The rows as an attachment: ``fmt`` is ``csv`` (in the reader's convention, from the
    active language) or ``xlsx`` (anything else is a 404)."""
    if fmt == "csv":
        response = HttpResponse(to_csv(rows, convention=csv_convention()), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(to_xlsx(rows, sheet=sheet), content_type=XLSX_TYPE)
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
