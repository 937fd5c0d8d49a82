"""Writing an OKR plan through ``objectives.services``: the same rules, activity entries
and rollups as the pages. An objective with its key results is one savepoint, so with
"only the valid rows" a refused objective leaves nothing half written."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from core.provenance import Origin, Provenance
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
from transfer.kinds.base import Context, KeyBook, Report
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
    ordered = sorted(specs, key=lambda s: _depth(s))
    done = told = 0
    for spec in ordered:
        done += 1 + len(spec.krs)
        if ctx.progress is not None and done - told >= 100:
            ctx.progress(done)
            told = done
        mark = plan.keys.mark()
        try:
            with transaction.atomic():
                _write_objective(ctx, plan.keys, spec)
        except ValidationError as exc:
            plan.keys.undo(mark)
            report.error_from(spec.line, "", exc)
            spec.bad = True
    plan.keys.flush()


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
    keys.remember(Objective, spec.key, spec.existing, run=ctx.run)
    for kr in spec.krs:
        _write_key_result(ctx, keys, spec.existing, kr)
    for _line, title in new_initiatives(spec):
        initiative_create(actor=actor, objective=spec.existing, title=title)
    if spec.status and spec.status != spec.existing.status and spec.status != ObjectiveStatus.CLOSED:
        objective_set_status(objective=spec.existing, actor=actor, status=spec.status)  # type: ignore[arg-type]  # as above


def _provenance(ctx: Context) -> Provenance:
    return Provenance(
        origin=Origin.IMPORT,
        who=ctx.actor.pk if ctx.actor else None,
        file=(ctx.run.filename if ctx.run else "")[:100],
    )


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
        provenance=_provenance(ctx),
    )
