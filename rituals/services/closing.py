"""The close: the end of the cycle's ritual (grades, retrospectives and carry-over are
their own modules beside this one).

Closing itself is ``cycles.services.cycle_update(status="closed")``: it sends
``cycles.signals.cycle_closing`` in its transaction and ``freeze_cycle`` (below,
connected in ``RitualsConfig.ready()``) grades every key result nobody graded,
computes each objective's grade and records the final snapshot. A refusal there
rolls the whole close back.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from activity.services import activity_record
from cycles.models import Cycle, CycleStatus
from cycles.services import cycle_update
from objectives import progress as progress_math
from objectives import rollup
from objectives.models import (
    KeyResult,
    Objective,
    ObjectiveSnapshot,
    ObjectiveStatus,
    RollupPending,
)
from orgs.models import User
from rituals.services._helpers import _clean_text
from rituals.services.grades import objective_grade
from rituals.services.retrospectives import unacknowledged

log = logging.getLogger(__name__)


def _drain_rollups(cycle: Cycle) -> int:
    """Compute here, before the freeze, every rollup the organisation's outbox still holds
    (``objectives.queue``) and every objective of the cycle, so the grades and the final
    snapshot include every check-in that committed before the close, and no worker changes
    the cycle's progress afterwards (the rollup leaves a closed cycle's objectives as they
    were frozen).

    The caller holds the cycle row for update, so no check-in joins the outbox for this
    cycle meanwhile. The whole organisation's outbox is taken, not only this cycle's: a
    child in another cycle may roll up into one of this cycle's objectives. Deleting the
    rows waits for a worker's batch that holds some of them, so its rollup has committed
    before the progress is read. On PostgreSQL one rollup locks all of it, in the order
    every rollup locks (``rollup._paths``), so the grades written next take no new lock a
    worker could hold. Returns how many objectives changed."""
    org_id = cycle.organization_id
    t = RollupPending._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DELETE FROM {t} WHERE organization_id = %s RETURNING objective_id", [org_id])  # noqa: S608
            pending = {row[0] for row in cursor.fetchall()}
        else:  # SQLite's IMMEDIATE transaction already keeps every other writer out
            cursor.execute(f"SELECT DISTINCT objective_id FROM {t} WHERE organization_id = %s", [org_id])  # noqa: S608
            pending = {row[0] for row in cursor.fetchall()}
            cursor.execute(f"DELETE FROM {t} WHERE organization_id = %s", [org_id])  # noqa: S608
    ids = sorted(
        pending.union(Objective.objects.filter(organization_id=org_id, cycle=cycle).values_list("id", flat=True))
    )
    # SQLite caps a statement's parameters (and serialises writers, so batches cannot deadlock).
    size = len(ids) if connection.vendor == "postgresql" else rollup.BATCH
    changed = 0
    for start in range(0, len(ids), size or 1):
        chunk = ids[start : start + size]
        try:
            with transaction.atomic():
                changed += rollup.rollup_objectives(org_id=org_id, objective_ids=chunk)
        except rollup.CycleInTreeError:  # corrupted parents: roll up the others one by one
            for oid in chunk:
                try:
                    with transaction.atomic():
                        changed += rollup.rollup_objectives(org_id=org_id, objective_ids=[oid])
                except rollup.CycleInTreeError as exc:
                    log.error("rollup skipped at close: %s", exc)
    return changed


def freeze_cycle(*, cycle: Cycle, actor: User | None, check_reviews: bool = False, **_: Any) -> None:
    """``cycles.signals.cycle_closing``: grade what nobody graded, compute every objective's
    grade, and record the final snapshot — inside the closing transaction.

    With ``check_reviews`` a close with unacknowledged retrospectives is refused; without, it
    goes ahead and the activity log says which ones were left unacknowledged. Statements: one
    read of the key results, at most 11 updates for key-result grades (one per grade value),
    one per distinct objective grade, and one bulk insert of snapshots."""
    pending = unacknowledged(cycle=cycle)
    if pending and check_reviews:
        raise _unreviewed(len(pending))
    _drain_rollups(cycle)
    objectives = list(
        Objective.objects.filter(organization_id=cycle.organization_id, cycle=cycle)
        .exclude(status=ObjectiveStatus.CANCELLED)
        .values_list("id", "progress", "confidence")
    )
    _freeze_grades(cycle, [objective_id for objective_id, _progress, _confidence in objectives])
    _final_snapshot(cycle, objectives)
    if pending:
        activity_record(
            org=cycle.organization,
            actor=actor,
            verb="cycle.closed_unacknowledged",
            target=cycle,
            after={"objectives": [o.pk for o in pending]},
        )


def _unreviewed(count: int) -> ValidationError:
    """The refusal of a close while ``count`` retrospectives wait for their reviewer."""
    return ValidationError(
        {
            "retrospectives": ngettext(
                "%(count)d objective's retrospective is not acknowledged yet; review it, or an admin closes anyway.",
                "%(count)d objectives' retrospectives are not acknowledged yet; review them, or an admin "
                "closes anyway.",
                count,
            )
            % {"count": count}
        }
    )


def _freeze_grades(cycle: Cycle, objective_ids: list[int]) -> None:
    """Grade every key result nobody graded with its suggested grade (one update per grade
    value), then each objective (one update per distinct objective grade)."""
    org_id = cycle.organization_id
    rows = KeyResult.objects.filter(organization_id=org_id, objective__cycle=cycle).exclude(
        objective__status=ObjectiveStatus.CANCELLED
    )
    by_grade: dict[float, list[int]] = defaultdict(list)
    per_objective: dict[int, list[tuple[float | None, float, float]]] = defaultdict(list)
    for kr_id, objective_id, grade, kr_progress, weight in rows.values_list(
        "id", "objective_id", "grade", "progress", "weight"
    ):
        if grade is None:
            grade = progress_math.grade(kr_progress)
            by_grade[grade].append(kr_id)
        per_objective[objective_id].append((grade, kr_progress, weight))
    for grade, ids in by_grade.items():
        KeyResult.objects.filter(organization_id=org_id, pk__in=ids).update(grade=grade)
    objective_grades: dict[float | None, list[int]] = defaultdict(list)
    for objective_id in objective_ids:
        objective_grades[objective_grade(per_objective.get(objective_id, []))].append(objective_id)
    for grade, ids in objective_grades.items():
        Objective.objects.filter(organization_id=org_id, pk__in=ids).update(grade=grade)


def _final_snapshot(cycle: Cycle, objectives: list[tuple[int, float, int | None]]) -> None:
    """The cycle's last snapshot, taken today: ``objectives`` are (id, progress, confidence)."""
    org_id = cycle.organization_id
    day = cycle.organization.today()
    ObjectiveSnapshot.objects.filter(organization_id=org_id, cycle=cycle, date=day).delete()
    ObjectiveSnapshot.objects.bulk_create(
        [
            ObjectiveSnapshot(organization_id=org_id, objective_id=oid, cycle=cycle, date=day, progress=p, confidence=c)
            for oid, p, c in objectives
        ],
        batch_size=1000,
    )


@transaction.atomic
def cycle_close(*, cycle: Cycle, actor: User, closing_message: str = "", force: bool = False) -> Cycle:
    """Close an active cycle from its review page: freeze grades, snapshot, read-only.
    ``force`` (admins, checked by the caller) closes despite unacknowledged retrospectives."""
    if cycle.status != CycleStatus.ACTIVE:
        raise ValidationError({"status": _("Only an active cycle can be closed.")})
    return cycle_update(
        cycle=cycle,
        actor=actor,
        status=CycleStatus.CLOSED,
        closing_message=_clean_text(closing_message, "closing_message"),
        check_reviews=not force,
    )
