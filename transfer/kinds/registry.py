"""Every kind of import, by name: one function each, the same for the dry run and the apply."""

from __future__ import annotations

from collections.abc import Callable

from transfer.columns import Column
from transfer.kinds import kpis, measurements, okrs, people, viva
from transfer.kinds.base import Context, Report
from transfer.kinds.organization import run_organization
from transfer.models import ImportKind
from transfer.reading import Table, read_table

TABULAR: dict[str, tuple[Callable[[Context, Table], Report], tuple[Column, ...]]] = {
    ImportKind.PEOPLE: (people.run_people, people.COLUMNS),
    ImportKind.OKRS: (okrs.run_okrs, okrs.COLUMNS),
    ImportKind.KPIS: (kpis.run_kpis, kpis.COLUMNS),
    ImportKind.MEASUREMENTS: (measurements.run_measurements, measurements.COLUMNS),
    ImportKind.VIVA_GOALS: (viva.run_viva, viva.COLUMNS),
}
KINDS = tuple(ImportKind.values)


def columns_of(kind: str) -> tuple[Column, ...]:
    return TABULAR[kind][1] if kind in TABULAR else ()


def run_kind(kind: str, ctx: Context, data: bytes, filename: str) -> Report:
    if kind == ImportKind.ORGANIZATION:
        return run_organization(ctx, data)
    run, _columns = TABULAR[kind]
    return run(ctx, read_table(data, filename))
