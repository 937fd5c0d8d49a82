"""Writing an OKR plan through ``objectives.services``: the same rules, activity entries
and rollups as the pages. An objective with its key results is one savepoint, so with
"only the valid rows" a refused objective leaves nothing half written.

New objectives (with new key results and initiatives, at most activated, and each key
result's latest value checked in: see ``okrs_bulk.bulk_fits``) are written in bulk, level
by level of the cascade, through ``objectives.services.bulk`` — the same checks, written in
batches, and one rollup at the end for all of them. The rest (updates, other statuses,
check-ins a chat channel hears of) goes row by row. The option ``per_row`` sends everything
row by row (the benchmark and the tests compare the two).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from objectives.models import KeyResult, Objective, ObjectiveStatus
from objectives.services import (
    initiative_create,
    key_result_check_in,
    key_result_create,
    key_result_update,
    objective_create,
    objective_set_status,
    objective_update,
)
from objectives.services.bulk import schedule_rollups
from transfer.kinds.base import Context, KeyBook, Report
from transfer.kinds.okrs_bulk import bulk_fits, bulk_takes_check_ins, provenance, set_aside, write_new
from transfer.kinds.okrs_plan import (
    KrSpec,
    ObjSpec,
    Plan,
    kr_changes,
    new_initiatives,
    objective_changes,
    value_changed,
)


def write_plan(ctx: Context, plan: Plan, report: Report) -> None:
    specs = [s for s in plan.objectives.values() if not s.bad]
    # Parents first, so that a child's parent exists when it is aligned.
    levels: dict[int, list[ObjSpec]] = {}
    for spec in specs:
        levels.setdefault(_depth(spec), []).append(spec)
    per_row = bool(ctx.options.get("per_row"))
    check_ins = not per_row and bulk_takes_check_ins(ctx)
    counter = _Progress(ctx)
    rolled: list[int] = []
    for depth in sorted(levels):
        level = levels[depth]
        bulk = [] if per_row else [s for s in level if bulk_fits(s, check_ins=check_ins)]
        if bulk:
            rolled += write_new(ctx, plan.keys, bulk, report)
            counter.add(bulk)
        for spec in level:
            if spec in bulk:
                continue
            counter.add([spec])
            _write_one(ctx, plan, spec, report)
    schedule_rollups(org_id=ctx.org.pk, objective_ids=rolled)
    plan.keys.flush()


class _Progress:
    def __init__(self, ctx: Context) -> None:
        self.ctx, self.done, self.told = ctx, 0, 0

    def add(self, specs: list[ObjSpec]) -> None:
        self.done += sum(1 + len(s.krs) for s in specs)
        if self.ctx.progress is not None and self.done - self.told >= 100:
            self.ctx.progress(self.done)
            self.told = self.done


def _write_one(ctx: Context, plan: Plan, spec: ObjSpec, report: Report) -> None:
    mark = plan.keys.mark()
    try:
        with transaction.atomic():
            _write_objective(ctx, plan.keys, spec)
    except ValidationError as exc:
        plan.keys.undo(mark)
        report.error_from(spec.line, "", exc)
        spec.bad = True


def _depth(spec: ObjSpec) -> int:
    depth, node = 0, spec.parent
    while isinstance(node, ObjSpec) and depth < 100:
        depth, node = depth + 1, node.parent
    return depth


def _parent_object(spec: ObjSpec) -> Objective | None:
    parent = spec.parent
    if isinstance(parent, ObjSpec):
        return parent.existing
    return parent


def _write_objective(ctx: Context, keys: KeyBook, spec: ObjSpec) -> None:
    level, team, user = spec.owner
    actor = ctx.actor
    if spec.existing is None:
        spec.existing = objective_create(
            org=ctx.org,
            actor=actor,
            cycle=spec.cycle,
            title=spec.title,
            commitment=spec.commitment,
            description=spec.description,
            owner_type=level,
            owner_team=team,
            owner_user=user,
            parent=_parent_object(spec),
        )
    else:
        changes = objective_changes(spec)
        parent = _parent_object(spec)
        if isinstance(spec.parent, ObjSpec) and parent is not None and spec.existing.parent_id != parent.pk:
            changes["parent"] = parent
        if changes:
            spec.existing = objective_update(objective=spec.existing, actor=actor, **changes)  # type: ignore[arg-type]  # an import has its actor
    keys.remember(Objective, spec.key, spec.existing, run=ctx.run, set_aside=set_aside(ctx, spec))
    for kr in spec.krs:
        _write_key_result(ctx, keys, spec.existing, kr)
    for _line, title in new_initiatives(spec):
        initiative_create(actor=actor, objective=spec.existing, title=title)
    if spec.status and spec.status != spec.existing.status and spec.status != ObjectiveStatus.CLOSED:
        objective_set_status(objective=spec.existing, actor=actor, status=spec.status)  # type: ignore[arg-type]  # as above


def _write_key_result(ctx: Context, keys: KeyBook, objective: Objective, kr: KrSpec) -> None:
    actor = ctx.actor
    if kr.existing is None:
        kr.existing = key_result_create(
            objective=objective,
            actor=actor,
            title=kr.title,
            owner=kr.owner,
            kind=kr.kind,
            unit=kr.unit,
            start_value=kr.start,
            target_value=kr.target,
            current_value=kr.current if kr.current is not None else kr.start,
        )
        if (kr.confidence is not None or kr.note) and kr.current is not None:
            _check_in(ctx, kr.existing, kr)
    else:
        changes = kr_changes(kr)
        if changes:
            kr.existing = key_result_update(key_result=kr.existing, actor=actor, **changes)  # type: ignore[arg-type]  # an import has its actor
        if value_changed(kr):
            _check_in(ctx, kr.existing, kr)
    keys.remember(KeyResult, kr.key, kr.existing, run=ctx.run)


def _check_in(ctx: Context, key_result: KeyResult, kr: KrSpec) -> None:
    """The file's latest value as a check-in, marked as imported (its provenance)."""
    key_result_check_in(
        key_result=key_result,
        actor=ctx.actor,  # type: ignore[arg-type]  # an import has its actor
        value=kr.current,
        confidence=kr.confidence or key_result.confidence or 5,
        note=kr.note,
        provenance=provenance(ctx),
    )
