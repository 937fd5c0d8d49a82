"""Building files and runs for the import tests."""

from __future__ import annotations

import csv
import io
import unicodedata
from typing import Any

from transfer import services
from transfer.models import ImportRun

TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def windows_1258(text: str) -> bytes:
    """As Vietnamese Excel saves it: letters with their hat, horn or breve whole, the five
    tone marks apart after them (the code page has no room for every toned letter)."""
    out, cluster = [], ""
    for ch in unicodedata.normalize("NFD", text) + "\x00":
        if unicodedata.combining(ch) and cluster:
            cluster += ch
            continue
        if cluster:
            tones = "".join(c for c in cluster if c in TONES)
            out.append(unicodedata.normalize("NFC", "".join(c for c in cluster if c not in TONES)) + tones)
        cluster = ch
    return "".join(out).encode("cp1258")


def csv_bytes(rows: list[list[Any]], *, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return windows_1258(out.getvalue()) if encoding == "cp1258" else out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def check(world, kind: str, data: bytes, filename: str = "file.csv", **kw: Any) -> ImportRun:
    return services.import_run_create(
        org=world.org, actor=world.admin, kind=kind, data=data, filename=filename, background=False, **kw
    )


def apply(
    world, kind: str, data: bytes, filename: str = "file.csv", *, only_valid: bool = False, **kw: Any
) -> ImportRun:
    run = check(world, kind, data, filename, **kw)
    return services.import_run_apply(run=run, actor=world.admin, only_valid=only_valid, background=False)


def dry(run: ImportRun) -> dict[str, Any]:
    return run.dry_run
