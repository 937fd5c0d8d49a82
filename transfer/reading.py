"""Reading an uploaded table: CSV (UTF-8 with or without the BOM, or Windows-1258 as
Vietnamese Excel saves it; commas, semicolons or tabs) or XLSX (through openpyxl, its
first sheet), into rows of text keyed by the file's own headers.

Limits hold before anything is parsed: the upload's size, and for XLSX the size of
the content once uncompressed (a small "zip bomb" would otherwise fill the memory).
Cells are text as written — a formula is read as its text, never computed — and the
apostrophe that ``core.spreadsheet`` puts before formula-like text is taken off again,
so that an exported file reads back as it was.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.spreadsheet import unsafe_cell

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 60 * 1024 * 1024
MAX_ROWS = 50_000
XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (the file's row number, the cells)


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": message})


def check_size(size: int) -> None:
    if size > MAX_UPLOAD_BYTES:
        raise _file_error(
            _("The file is larger than %(mb)d MB; split it into smaller files.") % {"mb": MAX_UPLOAD_BYTES // 2**20}
        )


def read_table(data: bytes, filename: str) -> Table:
    """The file's header and rows; ``ValidationError`` on ``file`` with one clear message
    when it cannot be read as a table."""
    check_size(len(data))
    if not data.strip():
        raise _file_error(_("The file is empty."))
    name = (filename or "").lower()
    if data[:4] == XLSX_MAGIC:
        table = _read_xlsx(data)
    elif name.endswith((".xlsx", ".xlsm", ".xls")) or b"\x00" in data[:4096]:
        raise _file_error(_("This file is neither CSV nor XLSX. Save it as CSV UTF-8 or as an Excel workbook."))
    else:
        table = _read_csv(decode_text(data))
    if not table.headers:
        raise _file_error(_("The file is empty."))
    if not table.rows:
        raise _file_error(_("The file has a header but no rows."))
    return table


def decode_text(data: bytes) -> str:
    """UTF-8 (a BOM or not); otherwise Windows-1258, the code page Vietnamese Excel saves
    CSV in. Decomposed Vietnamese (1258 stores tone marks apart) is composed again."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1258")
        except UnicodeDecodeError:
            raise _file_error(_("The file is not UTF-8 or Windows-1258 text. Save it as “CSV UTF-8”.")) from None
    return unicodedata.normalize("NFC", text)


def _read_csv(text: str) -> Table:
    if "\x00" in text:
        raise _file_error(_("The file contains a NUL character, so it is not a text CSV file."))
    first = text.split("\n", 1)[0]
    try:
        dialect: Any = csv.Sniffer().sniff(first, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader, None) or []
        rows: list[tuple[int, list[str]]] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            _check_rows(len(rows))
            rows.append((reader.line_num, [clean_cell(c) for c in cells]))
    except csv.Error as exc:
        raise _file_error(_("The file could not be read as CSV: %(error)s") % {"error": exc}) from None
    return Table([h.strip().lstrip("\ufeff") for h in header], rows)


def _check_rows(count: int) -> None:
    if count >= MAX_ROWS:
        raise _file_error(_("At most %(n)s rows can be imported at once; split the file.") % {"n": f"{MAX_ROWS:,}"})


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile:
        raise _file_error(_("This XLSX file is damaged or is not an Excel workbook.")) from None
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _file_error(
            _("This workbook unpacks to more than %(mb)d MB; split it into smaller files.")
            % {"mb": MAX_UNCOMPRESSED_BYTES // 2**20}
        )


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    _check_zip(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad workbook; each gets one message
        raise _file_error(_("This XLSX file is damaged or is not an Excel workbook.")) from exc
    try:
        sheet = wb.worksheets[0]
        header: list[str] = []
        rows: list[tuple[int, list[str]]] = []
        for n, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [xlsx_cell(v) for v in values]
            if not header:
                header = [c.strip() for c in cells]
                continue
            if not any(c.strip() for c in cells):
                continue
            _check_rows(len(rows))
            rows.append((n, cells))
    finally:
        wb.close()
    while header and not header[-1]:
        header.pop()
    return Table(header, rows)


def xlsx_cell(value: Any) -> str:
    """A workbook cell as text: numbers as a machine writes them (a dot, no grouping),
    dates as ISO 8601, text as typed (a formula as its text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    return clean_cell(str(value))


def clean_cell(value: str) -> str:
    return unsafe_cell(value.strip())


def header_key(text: str) -> str:
    """A header compared loosely: case, spaces, underscores and marks do not matter
    (``Chủ sở hữu``, ``chu so huu`` and ``CHỦ_SỞ_HỮU`` are one header)."""
    text = unicodedata.normalize("NFD", text.strip().casefold().replace("đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", " ", text).strip()
