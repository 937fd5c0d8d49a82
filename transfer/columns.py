"""The mapping step: a file's columns to a kind's fields.

Each kind lists its fields with the headers they are known by, in English and in
Vietnamese (the cycle export's own headers among them). A header matches loosely
(``reading.header_key``); the person can map any other column by hand (``mapping``:
field → the file's header), and a column mapped to nothing is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.numbers import parse_number
from transfer.reading import Table, header_key

_MACHINE_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


@dataclass(frozen=True)
class Column:
    field: str
    label: str  # English, shown in the mapping form
    required: bool = False
    english: tuple[str, ...] = ()
    vietnamese: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return (self.field, self.label, *self.english, *self.vietnamese)


@dataclass
class Mapped:
    """The file's columns matched to fields: ``index[field]`` is the column's position."""

    index: dict[str, int]
    missing: list[str]
    ignored: list[str]
    language: str  # "vi" when the headers are Vietnamese: numbers are then read as 4,5

    def get(self, cells: list[str], name: str) -> str:
        i = self.index.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    def has(self, name: str) -> bool:
        return name in self.index


def map_columns(table: Table, columns: tuple[Column, ...], mapping: dict[str, str] | None = None) -> Mapped:
    """Match headers to fields: a hand mapping first, then known names."""
    keys = [header_key(h) for h in table.headers]
    index: dict[str, int] = {}
    vietnamese = 0
    for col in columns:
        chosen = (mapping or {}).get(col.field)
        if chosen:
            if header_key(chosen) in keys:
                index[col.field] = keys.index(header_key(chosen))
            continue
        for name in col.names():
            if header_key(name) in keys:
                index[col.field] = keys.index(header_key(name))
                vietnamese += name in col.vietnamese
                break
    used = set(index.values())
    missing = [c.field for c in columns if c.required and c.field not in index]
    ignored = [h for i, h in enumerate(table.headers) if i not in used and h]
    return Mapped(index, missing, ignored, "vi" if vietnamese else "")


def require_columns(mapped: Mapped, columns: tuple[Column, ...]) -> None:
    if mapped.missing:
        labels = {c.field: c.label for c in columns}
        raise ValidationError(
            {
                "file": _("The file has no column for: %(columns)s. Map one in the mapping step, or add it.")
                % {"columns": ", ".join(labels[m] for m in mapped.missing)}
            }
        )


def read_number(text: str, *, language: str) -> float:
    """A number as the file's people write it (``4,5`` in a Vietnamese file), or as a
    machine writes it (``4.5``, which exports and workbooks hold)."""
    try:
        return parse_number(text, language=language or None)
    except ValidationError:
        if _MACHINE_NUMBER.fullmatch(text.strip()):
            return float(text)
        raise


def columns_json(columns: tuple[Column, ...]) -> list[dict[str, Any]]:
    return [{"field": c.field, "label": c.label, "required": c.required} for c in columns]
