"""New objectives of an OKR plan, written in bulk (``objectives.services.bulk``).

An objective goes this way when it is new and all its key results are new, with at most a
status of active to set and each key result's latest value to check in (a confidence or a
note with a value): a cycle's export read back. A check-in goes row by row when a chat
channel hears of check-ins, or when its note names people ("@"); so does any other status
(cancelled), and everything that changes what exists (``okrs_write``). An objective the
services refuse is reported on its row, and nothing of it is written, as row by row.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from core.provenance import Origin, Provenance
from objectives.models import KeyResult, Objective, ObjectiveStatus
from objectives.services.bulk import NewCheckIn, NewKeyResult, NewObjective, objectives_create_many, takes_check_ins
from transfer.kinds.base import Context, KeyBook, Report
from transfer.kinds.okrs_plan import KrSpec, ObjSpec, new_initiatives


def bulk_fits(spec: ObjSpec, *, check_ins: bool) -> bool:
    """Whether the objective goes in bulk; ``check_ins``: whether check-ins may
    (``objectives.services.bulk.takes_check_ins``, asked once for the file)."""
    if spec.existing is not None or any(kr.existing is not None for kr in spec.krs):
        return False
    if spec.status not in ("", ObjectiveStatus.DRAFT, ObjectiveStatus.CLOSED, ObjectiveStatus.ACTIVE):
        return False  # another status to set: ``objective_set_status`` row by row
    return not any(checks_in(kr) and (not check_ins or "@" in kr.note) for kr in spec.krs)


def bulk_takes_check_ins(ctx: Context) -> bool:
    return takes_check_ins(ctx.org.pk)


def checks_in(kr: KrSpec) -> bool:
    """The file's latest value is a check-in: it has a confidence or a note with it."""
    return (kr.confidence is not None or bool(kr.note)) and kr.current is not None


def provenance(ctx: Context) -> Provenance:
    """A value the import wrote: marked as imported, by whom, from which file."""
    return Provenance(
        origin=Origin.IMPORT,
        who=ctx.actor.pk if ctx.actor else None,
        file=(ctx.run.filename if ctx.run else "")[:100],
    )


def set_aside(ctx: Context, spec: ObjSpec) -> int:
    """How many of the objective's key results its source file held past the fifth (a kind
    that maps another tool's file says so in the option ``key_results_set_aside``)."""
    return int((ctx.options.get("key_results_set_aside") or {}).get(spec.key, 0))


def _parent(spec: ObjSpec) -> Objective | None:
    parent = spec.parent
    if isinstance(parent, ObjSpec):
        return parent.existing  # written at an earlier level (None when it was refused)
    return parent


def _item(ctx: Context, spec: ObjSpec) -> NewObjective:
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
                check_in=NewCheckIn(kr.current, kr.confidence, kr.note, provenance(ctx)) if checks_in(kr) else None,
            )
            for kr in spec.krs
        ],
        initiatives=[title for _line, title in new_initiatives(spec)],
        activate=spec.status == ObjectiveStatus.ACTIVE,
    )


def write_new(ctx: Context, keys: KeyBook, specs: list[ObjSpec], report: Report) -> list[int]:
    """Write these new objectives (one level of the cascade); returns the ids whose progress
    the rollup must bring up to date (those with key results, and their parents)."""
    items = [_item(ctx, spec) for spec in specs]
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
