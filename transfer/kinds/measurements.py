"""The ``measurements`` kind: KPI values by KPI and period.

The rows are checked and written by the KPI import service
(``kpis.services.csv_import``): the one code path for measurements from a file, so the
rules of the KPI page — a known KPI, a period in its frequency and not in the future,
one value per KPI and period, a value that looks like a slip held back — hold for
every file. A KPI and period is its own stable key: applying the file again finds
the same measurements and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import translation

from kpis.models import Kpi
from kpis.services.csv_import import ImportRow, import_provenance, measurement_rows_import, measurement_rows_preview
from orgs.models import Membership
from orgs.permissions import is_admin
from transfer.columns import Column, map_columns, require_columns
from transfer.kinds.base import Context, Report
from transfer.reading import Table

COLUMNS = (
    Column("kpi", "KPI", True, ("kpi name", "name", "indicator"), ("chỉ số", "tên chỉ số", "tên kpi")),
    Column("period", "Period", True, ("date", "month"), ("kỳ", "ngày", "tháng")),
    Column("value", "Value", True, (), ("giá trị",)),
    Column("note", "Note", False, ("comment",), ("ghi chú",)),
    Column("kpi_id", "KPI id", False, ("id",), ("mã chỉ số",)),
)
_ACTIONS = {"new": "create", "correction": "update", "unchanged": "unchanged"}


def run_measurements(ctx: Context, table: Table) -> Report:
    mapped = map_columns(table, COLUMNS, ctx.options.get("mapping"))
    require_columns(mapped, COLUMNS)
    raw_rows = []
    for line, cells in table.rows:
        row = {c.field: mapped.get(cells, c.field) for c in COLUMNS}
        row["__line__"] = str(line)
        raw_rows.append(row)
    confirm = bool(ctx.options.get("confirm_unusual"))
    allowed = _allowed(ctx)
    with translation.override(mapped.language or translation.get_language()):
        preview = measurement_rows_preview(org=ctx.org, raw_rows=raw_rows, allowed=allowed)
        report = Report()
        for r in preview.rows:
            for message in r.errors:
                report.error(r.line, _column(r), message)
            if r.ok and r.unusual and r.action != "unchanged" and not confirm:
                report.error(r.line, "value", r.unusual)
            elif r.ok:
                report.count(_ACTIONS[r.action])
        if ctx.write:
            ctx.tick(len(raw_rows))
            measurement_rows_import(
                org=ctx.org,
                actor=ctx.actor,
                raw_rows=raw_rows,
                only_good_rows=True,
                confirm_unusual=confirm,
                allowed=allowed,
                provenance=import_provenance(ctx.actor, ctx.run.filename if ctx.run else ""),
            )
    return report


def _allowed(ctx: Context) -> Callable[[Kpi], bool] | None:
    """Which KPIs the importer may record, as on the KPI's page (an admin or the operator's
    command: every one); asked once per owner."""
    member = Membership.objects.filter(organization=ctx.org, user=ctx.actor).first() if ctx.actor else None
    if member is None or is_admin(member):
        return None
    answers: dict[tuple[str, int | None, int | None], bool] = {}

    def allowed(kpi: Kpi) -> bool:
        key = (kpi.owner_type, kpi.owner_team_id, kpi.owner_user_id)
        if key not in answers:
            answers[key] = kpi.editable_by(member)
        return answers[key]

    return allowed


def _column(row: ImportRow) -> str:
    """The column a row's first problem is in, by what the KPI import could read of it."""
    if row.kpi is None:
        return "kpi"
    if row.value is None:
        return "value"
    if row.period is None:
        return "period"
    return "note"
