"""The ``okrs`` kind: objectives with their key results, owners, alignment, initiatives
and latest values — one row per key result, the objective's columns repeated: the
layout of the cycle export (``rituals.exports``), so an exported file imports back.

Each objective's stable key is its id column (``Objective id``) or a hash of its title
in its cycle; each key result's, its id column or a hash of its objective and title.
Reading the file builds the plan (``okrs_plan``); the checks and the writes go through
``objectives.services`` (``okrs_write``).
"""

from __future__ import annotations

from django.utils import translation

from transfer.columns import Column, map_columns, require_columns
from transfer.kinds.base import Context, Report
from transfer.kinds.okrs_plan import Plan
from transfer.kinds.okrs_write import write_plan
from transfer.reading import Table

COLUMNS = (
    Column("objective_key", "Objective id", False, ("objective key", "objective external id"), ("mã mục tiêu",)),
    Column("objective", "Objective", True, ("objective title", "goal"), ("mục tiêu",)),
    Column("type", "Type", False, ("commitment",), ("loại",)),
    Column("owner_level", "Owner level", False, (), ("cấp phụ trách",)),
    Column("owner", "Owner", False, ("objective owner", "owner email"), ("chủ sở hữu", "người phụ trách")),
    Column("status", "Status", False, (), ("trạng thái",)),
    Column(
        "parent", "Aligned to", False, ("parent", "parent objective", "parent id"), ("liên kết với", "mục tiêu cha")
    ),
    Column("cycle", "Cycle", False, ("quarter", "period"), ("chu kỳ",)),
    Column("date", "Date", False, ("as of", "check-in date", "updated"), ("ngày",)),
    Column("key_result_key", "Key result id", False, ("key result key",), ("mã kết quả then chốt",)),
    Column("key_result", "Key result", False, ("kr", "key result title"), ("kết quả then chốt",)),
    Column("key_result_owner", "Key result owner", False, ("kr owner",), ("người phụ trách kết quả then chốt",)),
    Column("start", "Start", False, ("start value", "baseline"), ("bắt đầu", "giá trị ban đầu")),
    Column("target", "Target", False, ("target value",), ("chỉ tiêu",)),
    Column("current", "Current", False, ("current value", "value"), ("hiện tại", "giá trị hiện tại")),
    Column("unit", "Unit", False, (), ("đơn vị",)),
    Column("confidence", "Confidence", False, (), ("mức độ tự tin",)),
    Column("initiative", "Initiative", False, ("initiatives",), ("sáng kiến",)),
    Column("kind", "Key result kind", False, ("kind", "kr kind", "key result type"), ("loại kết quả then chốt",)),
    Column("direction", "Direction", False, (), ("chiều hướng", "chiều")),
    Column("description", "Description", False, (), ("mô tả",)),
    Column("note", "Check-in note", False, ("note", "check-in note", "latest check-in note"), ("ghi chú",)),
)


def run_okrs(ctx: Context, table: Table) -> Report:
    mapped = map_columns(table, COLUMNS, ctx.options.get("mapping"))
    require_columns(mapped, COLUMNS)
    report = Report()
    with translation.override(mapped.language or translation.get_language()):
        plan = Plan(ctx, mapped, report)
        plan.read(table)
        plan.resolve()
        plan.count()
        if ctx.write:
            write_plan(ctx, plan, report)
    return report
