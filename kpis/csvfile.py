"""Reading a CSV file of KPI measurements (pure: no database).

Columns ``kpi``, ``period``, ``value`` and optionally ``note`` and ``kpi_id``, in
any order and case; commas, semicolons or tabs; UTF-8 with or without the BOM
spreadsheets add. Files that are not CSV, too big or without those columns get
one clear message; rows are checked later, one by one, by ``kpis.services``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.spreadsheet import FORMULA_PREFIXES, safe_cell, unsafe_cell

__all__ = ["FORMULA_PREFIXES", "read_rows", "safe_cell"]

MAX_IMPORT_BYTES = 1_000_000
MAX_IMPORT_ROWS = 5000
REQUIRED_COLUMNS = ("kpi", "period", "value")
OPTIONAL_COLUMNS = ("note", "kpi_id")
_ALIASES = {"kpi_name": "kpi", "name": "kpi", "date": "period", "comment": "note", "id": "kpi_id"}


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": message})


def _decode(data: bytes | str, filename: str) -> str:
    if isinstance(data, str):
        if len(data.encode()) > MAX_IMPORT_BYTES:
            raise _file_error(_("The file is larger than 1 MB; split it into smaller files."))
        return data.lstrip("\ufeff")
    name = (filename or "").lower()
    if name and not name.endswith((".csv", ".txt", ".tsv")):
        raise _file_error(_("Only CSV files (.csv) can be imported."))
    if not data.strip():
        raise _file_error(_("The file is empty."))
    if len(data) > MAX_IMPORT_BYTES:
        raise _file_error(_("The file is larger than 1 MB; split it into smaller files."))
    if b"\x00" in data[:4096] or data[:4] == b"PK\x03\x04":
        raise _file_error(
            _(
                "This is not a CSV file (it looks like a spreadsheet or another binary file). "
                "In your spreadsheet, choose “Save as” › “CSV UTF-8”."
            )
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error(_("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.")) from None


def _clean_cell(value: str | None) -> str:
    # Undo the apostrophes the export adds before formula-like text.
    return unsafe_cell((value or "").strip())


def read_rows(data: bytes | str, filename: str) -> tuple[list[dict[str, str]], list[str]]:
    """The data rows as dicts keyed by canonical column names (plus ``__line__``, the
    file's line number), and the ignored columns. Every problem with the file as a
    whole raises ``ValidationError`` on ``file`` with one clear message."""
    text = _decode(data, filename)
    if not text.strip():
        raise _file_error(_("The file is empty."))
    if "\x00" in text:
        # A NUL byte past the binary sniff (or in text sent back at confirmation) is not
        # something a spreadsheet writes, and PostgreSQL cannot store it in a note.
        raise _file_error(_("The file contains a NUL character, so it is not a text CSV file."))
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        reader = csv.reader(io.StringIO(text), dialect)
        header = next(reader, None)
        if not header:
            raise _file_error(_("The file is empty."))
        columns = []
        for raw in header:
            col = raw.strip().lstrip("\ufeff").lower().replace(" ", "_")
            columns.append(_ALIASES.get(col, col))
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise _file_error(
                _(
                    "The file needs the columns kpi, period and value (note and kpi_id are optional); "
                    "it has: %(columns)s."
                )
                % {"columns": ", ".join(h.strip() for h in header if h.strip()) or "—"}
            )
        ignored = [
            h.strip() for h, c in zip(header, columns, strict=True) if c not in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
        ]
        rows: list[dict[str, str]] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise _file_error(
                    _("At most %(n)s rows can be imported at once; split the file.") % {"n": f"{MAX_IMPORT_ROWS:,}"}
                )
            row = {c: _clean_cell(cells[i]) if i < len(cells) else "" for i, c in enumerate(columns)}
            row["__line__"] = str(reader.line_num)
            rows.append(row)
    except csv.Error as exc:
        raise _file_error(_("The file could not be read as CSV: %(error)s") % {"error": exc}) from None
    if not rows:
        raise _file_error(_("The file has a header but no rows."))
    return rows, ignored
