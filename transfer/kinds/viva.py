"""The ``viva_goals`` kind: the Viva Goals export (the Explorer view saved as a file):
one row per objective, key result or initiative, with its type, owner and parent.

Viva's hierarchy maps onto ours: an objective aligns to its parent objective, a key
result belongs to its parent objective, an initiative (or project) to its parent
objective or key result's objective. The rows become an OKR file (``okrs``) and are
checked and written by that kind. Where the two models differ the file is not
refused: an objective with no key result, or more than five, comes in as a draft
(the coach flags it), its key results past the fifth as initiatives; the report says so.
"""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext as _

from objectives.models import MAX_KEY_RESULTS
from transfer.columns import Column, map_columns, require_columns
from transfer.kinds import okrs
from transfer.kinds.base import Context, Report
from transfer.reading import Table, header_key

COLUMNS = (
    Column("id", "ID", False, ("goal id", "item id"), ()),
    Column("title", "Title", True, ("name", "goal"), ("tiêu đề", "tên")),
    Column("type", "Type", True, ("item type", "goal type"), ("loại",)),
    Column("owner", "Owner", False, ("owners", "owner email"), ("chủ sở hữu",)),
    Column("parent", "Parent", False, ("parent id", "parent title", "aligned to"), ("cấp trên",)),
    Column("start", "Start", False, ("start value", "baseline"), ()),
    Column("target", "Target", False, ("target value",), ()),
    Column("current", "Current", False, ("current value",), ()),
    Column("status", "Status", False, ("check-in status",), ()),
    Column("cycle", "Time period", False, ("cycle", "period"), ("chu kỳ",)),
    Column("check_ins", "Check-ins", False, ("latest check-in", "check in"), ()),
)
_OBJECTIVE, _KEY_RESULT, _INITIATIVE = "objective", "key result", "initiative"
_TYPES = {"objective": _OBJECTIVE, "goal": _OBJECTIVE, "key result": _KEY_RESULT, "kr": _KEY_RESULT}
OKR_HEADERS = ["objective_key", "objective", "owner", "parent", "cycle", "status", "key_result_key"]
OKR_HEADERS += ["key_result", "key_result_owner", "start", "target", "current", "initiative"]


def _kind(text: str) -> str:
    return _TYPES.get(header_key(text), _INITIATIVE)


def run_viva(ctx: Context, table: Table) -> Report:
    mapped = map_columns(table, COLUMNS, ctx.options.get("mapping"))
    require_columns(mapped, COLUMNS)
    items = [(line, {c.field: mapped.get(cells, c.field) for c in COLUMNS}) for line, cells in table.rows]
    by_ref: dict[str, dict[str, str]] = {}
    for _line, item in items:
        by_ref.setdefault(item["id"] or item["title"], item)
    rows: list[tuple[int, list[str]]] = []
    notes: list[str] = []
    objectives = [(line, i) for line, i in items if _kind(i["type"]) == _OBJECTIVE]
    for line, obj in objectives:
        ref = obj["id"] or obj["title"]
        krs = [(n, i) for n, i in items if _kind(i["type"]) == _KEY_RESULT and i["parent"] in (obj["id"], obj["title"])]
        status = "draft" if not krs or len(krs) > MAX_KEY_RESULTS else ""
        if status:
            notes.append(
                _("“%(title)s” has %(n)d key results: imported as a draft.")
                % {"title": obj["title"][:80], "n": len(krs)}
            )
        parent = by_ref.get(obj["parent"])
        head = [
            ref,
            obj["title"],
            obj["owner"],
            (parent["id"] or parent["title"]) if parent else obj["parent"],
            obj["cycle"],
            status,
        ]
        rows.append((line, [*head, "", "", "", "", "", "", ""]))
        for n, (kr_line, kr) in enumerate(krs, start=1):
            if n > MAX_KEY_RESULTS:  # kept as an initiative rather than lost
                rows.append((kr_line, [*head, "", "", "", "", "", "", kr["title"]]))
                continue
            kr_ref = kr["id"] or kr["title"]
            rows.append(
                (
                    kr_line,
                    [*head, kr_ref, kr["title"], kr["owner"], kr["start"], kr["target"] or "1", kr["current"], ""],
                )
            )
        for ini_line, ini in items:
            if _kind(ini["type"]) == _INITIATIVE and _owner_objective(ini, by_ref) is obj:
                rows.append((ini_line, [*head, "", "", "", "", "", "", ini["title"]]))
    report = okrs.run_okrs(dataclasses.replace(ctx, options={**ctx.options, "mapping": {}}), Table(OKR_HEADERS, rows))
    report.notes.extend(notes)
    return report


def _owner_objective(item: dict[str, str], by_ref: dict[str, dict[str, str]]) -> dict[str, str] | None:
    """The objective an initiative hangs under: its parent, or its parent key result's."""
    node = by_ref.get(item["parent"])
    for _step in range(3):
        if node is None or _kind(node["type"]) == _OBJECTIVE:
            return node
        node = by_ref.get(node["parent"])
    return None
