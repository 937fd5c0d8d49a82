"""New objectives of an OKR plan, written in bulk (``objectives.services.bulk``).

An objective goes this way when it is new, all its key results are new, and nothing is
left to do once it exists: no status other than a draft, no check-in (a confidence or a
note with a value). Everything else goes row by row (``okrs_write``). An objective the
services refuse is reported on its row, and nothing of it is written, as row by row.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from objectives.models import KeyResult, Objective, ObjectiveStatus
from objectives.services.bulk import NewKeyResult, NewObjective, objectives_create_many
from transfer.kinds.base import Context, KeyBook, Report
from transfer.kinds.okrs_plan import KrSpec, ObjSpec, new_initiatives


def bulk_fits(spec: ObjSpec) -> bool:
    if spec.existing is not None or any(kr.existing is not None for kr in spec.krs):
        return False
    if spec.status not in ("", ObjectiveStatus.DRAFT, ObjectiveStatus.CLOSED):
        return False  # a status to set: ``objective_set_status`` row by row
    return not any(_checks_in(kr) for kr in spec.krs)


def _checks_in(kr: KrSpec) -> bool:
    return (kr.confidence is not None or bool(kr.note)) and kr.current is not None


def set_aside(ctx: Context, spec: ObjSpec) -> int:
    """How many of the objective's key results its source file held past the fifth (a kind
    that maps another tool's file says so in the option ``key_results_set_aside``)."""
    return int((ctx.options.get("key_results_set_aside") or {}).get(spec.key, 0))


def _parent(spec: ObjSpec) -> Objective | None:
    parent = spec.parent
    if isinstance(parent, ObjSpec):
        return parent.existing  # written at an earlier level (None when it was refused)
    return parent


def _item(spec: ObjSpec) -> NewObjective:
    level, team, user = spec.owner
    return NewObjective(
        cycle=spec.cycle,
        title=spec.title,
        owner_type=level,
        owner_team=team,
        owner_user=user,
        parent=_parent(spec),
        description=spec.description,
        commitment=spec.commitment,
        key_results=[
            NewKeyResult(
                title=kr.title,
                owner=kr.owner,
                kind=kr.kind,
                unit=kr.unit,
                start_value=kr.start,
                target_value=kr.target,
                current_value=kr.current if kr.current is not None else kr.start,
            )
            for kr in spec.krs
        ],
        initiatives=[title for _line, title in new_initiatives(spec)],
    )


def write_new(ctx: Context, keys: KeyBook, specs: list[ObjSpec], report: Report) -> list[int]:
    """Write these new objectives (one level of the cascade); returns the ids whose progress
    the rollup must bring up to date (those with key results, and their parents)."""
    items = [_item(spec) for spec in specs]
    refusals = objectives_create_many(org=ctx.org, actor=ctx.actor, items=items)
    rolled: list[int] = []
    for spec, item, refusal in zip(specs, items, refusals, strict=True):
        if refusal is not None or item.written is None:
            report.error_from(spec.line, "", refusal or ValidationError(""))
            spec.bad = True
            continue
        spec.existing = item.written
        keys.remember(Objective, spec.key, item.written, run=ctx.run, set_aside=set_aside(ctx, spec))
        for kr, new in zip(spec.krs, item.key_results, strict=True):
            kr.existing = new.written
            if new.written is not None:  # always, with its objective
                keys.remember(KeyResult, kr.key, new.written, run=ctx.run)
        if item.key_results:
            rolled.append(item.written.pk)
        if item.parent is not None:
            rolled.append(item.parent.pk)
    return rolled
