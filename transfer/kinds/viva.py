"""The ``viva_goals`` kind: the Viva Goals export (the Explorer view saved as a file):
one row per objective, key result or initiative, with its type, owner and parent.

Viva's hierarchy maps onto ours: an objective aligns to its parent objective, a key
result belongs to its parent objective, an initiative (or project) to its parent
objective or key result's objective. The rows become an OKR file (``okrs``) and are
checked and written by that kind. Where the two models differ the file is not
refused: an objective with no key result, or more than five, comes in as a draft with a
coach's finding — one without key results has too few; one with more keeps five, its key
results past the fifth come in as initiatives, with a note in its description saying so,
and its external key remembers how many were set aside, which the coach reads
(``transfer.coach``) while the objective is a draft. The report says so too.
Viva's status maps onto ours (``_STATUSES``) and a key result's check-in note, when the
file has one, comes in with its value.
"""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext as _

from objectives.models import MAX_KEY_RESULTS, MIN_KEY_RESULTS_TO_ACTIVATE
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
    Column("check_ins", "Check-ins", False, ("latest check-in", "check in", "check-in note", "note"), ()),
)
_OBJECTIVE, _KEY_RESULT, _INITIATIVE = "objective", "key result", "initiative"
_TYPES = {"objective": _OBJECTIVE, "goal": _OBJECTIVE, "key result": _KEY_RESULT, "kr": _KEY_RESULT}
OKR_HEADERS = ["objective_key", "objective", "owner", "parent", "cycle", "status", "key_result_key"]
OKR_HEADERS += ["key_result", "key_result_owner", "start", "target", "current", "initiative", "description", "note"]
# Viva's status of an objective → ours. Viva's "on track / at risk / behind" are how it goes,
# not where it is in its life: such an objective is under way (active, when it has the two to
# five key results an active one needs). Anything else keeps our default (a draft).
_STATUSES = {
    "on track": "active",
    "at risk": "active",
    "behind": "active",
    "in progress": "active",
    "completed": "active",
    "done": "active",
    "not started": "draft",
    "draft": "draft",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "postponed": "cancelled",
}


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
    set_aside: dict[str, int] = {}
    objectives = [(line, i) for line, i in items if _kind(i["type"]) == _OBJECTIVE]
    for line, obj in objectives:
        ref = obj["id"] or obj["title"]
        krs = [(n, i) for n, i in items if _kind(i["type"]) == _KEY_RESULT and i["parent"] in (obj["id"], obj["title"])]
        status = "draft" if not krs or len(krs) > MAX_KEY_RESULTS else _status(obj["status"], len(krs))
        description = ""
        if not krs or len(krs) > MAX_KEY_RESULTS:
            notes.append(
                _("“%(title)s” has %(n)d key results: imported as a draft.")
                % {"title": obj["title"][:80], "n": len(krs)}
            )
        if len(krs) > MAX_KEY_RESULTS:
            set_aside[ref] = len(krs) - MAX_KEY_RESULTS  # the coach's finding, while it is a draft
            description = _(
                "Imported from Viva Goals with %(n)d key results: from the sixth on they are initiatives here. "
                "Keep the %(max)d key results that matter most, then activate the objective."
            ) % {"n": len(krs), "max": MAX_KEY_RESULTS}
        parent = by_ref.get(obj["parent"])
        head = [
            ref,
            obj["title"],
            obj["owner"],
            (parent["id"] or parent["title"]) if parent else obj["parent"],
            obj["cycle"],
            status,
        ]
        rows.append((line, [*head, "", "", "", "", "", "", "", description, ""]))
        for n, (kr_line, kr) in enumerate(krs, start=1):
            if n > MAX_KEY_RESULTS:  # kept as an initiative rather than lost
                rows.append((kr_line, [*head, "", "", "", "", "", "", kr["title"], description, ""]))
                continue
            kr_ref = kr["id"] or kr["title"]
            target = kr["target"] or "1"
            kr_cells = [kr_ref, kr["title"], kr["owner"], kr["start"], target, kr["current"], ""]
            rows.append((kr_line, [*head, *kr_cells, description, kr["check_ins"]]))
        for ini_line, ini in items:
            if _kind(ini["type"]) == _INITIATIVE and _owner_objective(ini, by_ref) is obj:
                rows.append((ini_line, [*head, "", "", "", "", "", "", ini["title"], description, ""]))
    options = {**ctx.options, "mapping": {}, "key_results_set_aside": set_aside}
    report = okrs.run_okrs(dataclasses.replace(ctx, options=options), Table(OKR_HEADERS, rows))
    report.notes.extend(notes)
    return report


def _status(text: str, key_results: int) -> str:
    status = _STATUSES.get(header_key(text), "") if text else ""
    if status == "active" and key_results < MIN_KEY_RESULTS_TO_ACTIVATE:
        return ""  # an active objective needs two key results: it stays a draft
    return status


def _owner_objective(item: dict[str, str], by_ref: dict[str, dict[str, str]]) -> dict[str, str] | None:
    """The objective an initiative hangs under: its parent, or its parent key result's."""
    node = by_ref.get(item["parent"])
    for _step in range(3):
        if node is None or _kind(node["type"]) == _OBJECTIVE:
            return node
        node = by_ref.get(node["parent"])
    return None
