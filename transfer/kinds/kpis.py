"""The ``kpis`` kind: KPI definitions, created and updated through ``kpis.services``.

A row's stable key is its ``id`` column when the file has one, else its name: the
second apply finds each KPI again and changes only what the file changed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from kpis.models import Direction, Frequency, Kpi, Perspective
from kpis.services import kpi_create, kpi_update
from transfer.columns import Column, Mapped, map_columns, read_number, require_columns
from transfer.kinds.base import Context, KeyBook, Report, fingerprint, natural_key
from transfer.kinds.resolve import People, choice_names, unknown_owner
from transfer.reading import Table, header_key

COLUMNS = (
    Column("key", "Id", False, ("id", "external id", "key"), ("mã",)),
    Column("name", "Name", True, ("kpi", "kpi name"), ("tên", "tên chỉ số", "chỉ số")),
    Column("owner", "Owner", False, ("owner email",), ("chủ sở hữu", "người phụ trách")),
    Column("unit", "Unit", False, (), ("đơn vị",)),
    Column("direction", "Direction", False, (), ("chiều", "hướng")),
    Column("target", "Target", False, (), ("chỉ tiêu", "mục tiêu")),
    Column("frequency", "Frequency", False, (), ("tần suất",)),
    Column("perspective", "Perspective", False, (), ("khía cạnh", "góc nhìn")),
    Column("description", "Why it matters", False, ("description",), ("mô tả",)),
)


def _values(
    ctx: Context, mapped: Mapped, cells: list[str], line: int, report: Report, people: People
) -> dict[str, Any] | None:
    before = report.error_count
    values: dict[str, Any] = {"name": mapped.get(cells, "name"), "unit": mapped.get(cells, "unit")}
    if not values["name"]:
        report.error(line, "name", _("A name is required."))
    owner_text = mapped.get(cells, "owner")
    owner = people.owner(owner_text)
    if owner is None:
        report.unknown_person(line, "owner", owner_text, unknown_owner(owner_text))
    else:
        values["owner_type"], values["owner_team"], values["owner_user"] = owner
    for name, choices, default in (
        ("direction", Direction, Direction.HIGHER_IS_BETTER),
        ("frequency", Frequency, Frequency.MONTHLY),
        ("perspective", Perspective, Perspective.FINANCIAL),
    ):
        text = mapped.get(cells, name)
        values[name] = choice_names(choices).get(header_key(text), "") if text else default
        if not values[name]:
            report.error(line, name, _("Unknown value “%(value)s”.") % {"value": text[:40]})
    text = mapped.get(cells, "target")
    values["target"] = None
    if text:
        try:
            values["target"] = read_number(text, language=mapped.language)
        except ValidationError as exc:
            report.error_from(line, "target", exc)
    if mapped.has("description"):
        values["description"] = mapped.get(cells, "description")
    return values if report.error_count == before else None


def run_kpis(ctx: Context, table: Table) -> Report:
    mapped = map_columns(table, COLUMNS, ctx.options.get("mapping"))
    require_columns(mapped, COLUMNS)
    report, keys, people = Report(), KeyBook(ctx.org, "kpis"), People(ctx)
    by_name = {k.name.casefold(): k for k in Kpi.objects.filter(organization=ctx.org)}
    seen: dict[str, int] = {}
    with translation.override(mapped.language or translation.get_language()):
        for done, (line, cells) in enumerate(table.rows, start=1):
            ctx.tick(done)
            key = mapped.get(cells, "key") or natural_key(mapped.get(cells, "name"))
            if key in seen:
                report.error(line, "key", _("Same key as row %(row)d.") % {"row": seen[key]})
                continue
            seen[key] = line
            values = _values(ctx, mapped, cells, line, report, people)
            if values is None:
                continue
            kpi = keys.object_of(Kpi, key) or by_name.get(values["name"].casefold())
            fp = fingerprint(sorted((k, str(v)) for k, v in values.items()))
            known = keys.get(Kpi, key)
            if kpi is not None and known is not None and known.fingerprint == fp:
                report.count("unchanged")
                continue
            report.count("update" if kpi is not None else "create")
            if ctx.write:
                _write(ctx, report, line, kpi, values, keys, key, fp)
    keys.flush()
    return report


def _write(
    ctx: Context, report: Report, line: int, kpi: Kpi | None, values: dict[str, Any], keys: KeyBook, key: str, fp: str
) -> None:
    try:
        with transaction.atomic():
            if kpi is None:
                kpi = kpi_create(org=ctx.org, actor=ctx.actor, **values)
            else:
                kpi = kpi_update(kpi=kpi, actor=ctx.actor, **values)
            keys.remember(Kpi, key, kpi, run=ctx.run, fp=fp)
    except ValidationError as exc:
        report.error_from(line, "", exc)
