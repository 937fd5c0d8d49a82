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
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
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


def csv_writer(out: Any) -> Any:
    """A CSV writer that quotes every text cell (numbers stay bare), so a spreadsheet
    splitting on ``;`` or a tab still reads each cell whole."""
    return csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)


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


def to_csv(rows: Iterable[Sequence[Any]]) -> str:
    """UTF-8 CSV text with a BOM, so spreadsheets read Vietnamese correctly."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv_writer(out)
    for row in rows:
        writer.writerow([_safe(value) for value in row])
    return out.getvalue()


def to_xlsx(rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet") -> bytes:
    """An XLSX workbook of one sheet; the first row is the header (bold, frozen)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    # Sheet titles cannot hold []:*?/\ and are at most 31 characters.
    ws.title = "".join(c for c in sheet if c not in "[]:*?/\\")[:31] or "Sheet"
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            safe = _safe(value, whole_cell=True)
            cell = ws.cell(row=r, column=c, value=safe)
            if isinstance(safe, str):
                cell.data_type = "s"  # never a formula, whatever the text
            if r == 1:
                cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(rows: Sequence[Sequence[Any]], *, fmt: str, filename: str, sheet: str = "Sheet") -> HttpResponse:
    """The rows as an attachment: ``fmt`` is ``csv`` or ``xlsx`` (anything else is a 404)."""
    if fmt == "csv":
        response = HttpResponse(to_csv(rows), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(to_xlsx(rows, sheet=sheet), content_type=XLSX_TYPE)
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
