"""Model instances from hand-written SQL, for the few hot paths where compiling an ORM
query costs more than running it.

On the check-in path, building ``SELECT … FOR UPDATE OF`` with two joined models took
Django ~2.5 ms of CPU on a 2-core machine, against ~0.5 ms to run the same SQL and make
the instances (``scripts/benchmark.py`` and docs/performance.md). ``Columns`` lists a
model's concrete columns under an SQL alias and turns the matching slice of a row
into an instance with the ORM's own converters (so SQLite's dates and JSON arrive as
they would through a queryset). Write the statement with ``Columns.sql`` and keep the
rest of the code on the ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)


class Columns(Generic[M]):
    """Every concrete column of ``model``, as ``alias."column"`` in ``sql``."""

    def __init__(self, model: type[M], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.sql = ", ".join(f'{alias}."{f.column}"' for f in self.fields)
        self.width = len(self.fields)
        self._converters: dict[str, list[tuple[int, Any, list[Callable[..., Any]]]]] = {}

    def _converters_for(self) -> list[tuple[int, Any, list[Callable[..., Any]]]]:
        vendor = connection.vendor
        found = self._converters.get(vendor)
        if found is None:
            found = []
            for i, field in enumerate(self.fields):
                col = field.get_col(self.alias)
                funcs = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
                if funcs:
                    found.append((i, col, funcs))
            self._converters[vendor] = found
        return found

    def build(self, row: Sequence[Any], start: int = 0) -> M:
        """The instance made of ``row[start:start + width]``, as a queryset would make it."""
        values = list(row[start : start + self.width])
        for i, col, funcs in self._converters_for():
            for func in funcs:
                values[i] = func(values[i], col, connection)
        return self.model.from_db(connection.alias, self.attnames, values)


def typed_placeholders(model: type[Model], attnames: Sequence[str]) -> str:
    """``%s::bigint, %s::text, …``: one parameter per column, its type spelt out from the
    model (text for character columns). For ``INSERT … SELECT``, where PostgreSQL does not
    take a parameter's type from the column it goes into as it does in ``VALUES``."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    casts = []
    for name in attnames:
        field = by_attname[name]
        text = field.get_internal_type() in {"CharField", "TextField", "SlugField", "EmailField"}
        casts.append("%s::text" if text else f"%s::{field.db_type(connection)}")
    return ", ".join(casts)
