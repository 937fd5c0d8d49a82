"""The end-of-cycle ritual: grades, retrospectives, their review, the close and carry-over.

Closing itself is ``cycles.services.cycle_update(status="closed")``: it sends
``cycles.signals.cycle_closing`` in its transaction and ``freeze_cycle`` (below,
connected in ``ObjectivesConfig.ready()``) grades every key result nobody graded,
computes each objective's grade and records the final snapshot. A refusal there
rolls the whole close back.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from activity.services import activity_record
from core.validation import clean_number
from cycles.models import Cycle, CycleStatus
from cycles.services import cycle_update
from objectives import progress as progress_math
from objectives import rollup
from objectives.models import (
    MAX_KEY_RESULTS,
    KeyResult,
    Objective,
    ObjectiveSnapshot,
    ObjectiveStatus,
    Retrospective,
    RollupPending,
)
from objectives.services._helpers import _check_cycle_open, _hold_cycle
from orgs import permissions
from orgs.models import Membership, Organization, TeamMember, User

log = logging.getLogger(__name__)

GRADE_TOLERANCE = 1e-9
TEXT_MAX = 5000


# --- who reviews ---------------------------------------------------------------------------


def reviewed_by(m: Membership) -> Q:
    """The reviewer rule, as a filter on objectives: those whose retrospective ``m`` reviews as the
    owner's manager. The owner's manager is an admin for a company objective and for a top-level
    team's (the company is the team above), a manager of the team above (or higher) for a team's
    objective, and a manager of a team the person is in (or above it) for a personal one — or,
    when the person has no such manager (no team, or no manager above them but themself), an
    admin, as for the company's objectives; never the person themself. The close page, its API
    and the "To do" inbox all read this one rule."""
    managed = permissions.managed_team_ids(m)
    rule = Q(owner_type="team", owner_team__parent_id__in=managed) | (
        Q(
            owner_type="person",
            owner_user_id__in=TeamMember.objects.filter(organization_id=m.organization_id, team_id__in=managed).values(
                "user_id"
            ),
        )
        & ~Q(owner_user_id=m.user_id)
    )
    if permissions.is_admin(m):
        rule |= Q(owner_type="company") | Q(owner_type="team", owner_team__parent__isnull=True)
        unmanaged = Q(owner_type="person") & ~Q(
            owner_user_id__in=permissions.people_with_a_manager(m.organization_id) | {m.user_id}
        )
        rule |= unmanaged
    return rule


def reviewable_ids(m: Membership, objective_ids: Iterable[int]) -> set[int]:
    """Which of these objectives ``m`` may review (``can_review`` for many at once, one query)."""
    ids = set(objective_ids)
    if not ids or permissions.is_admin(m):
        return ids
    return set(
        Objective.objects.filter(organization_id=m.organization_id, pk__in=ids)
        .filter(reviewed_by(m))
        .values_list("pk", flat=True)
    )


def can_review(m: Membership, objective: Objective) -> bool:
    """May ``m`` acknowledge or comment on this objective's retrospective: its reviewer
    (``reviewed_by``), or any admin, who may stand in for a reviewer who is away."""
    return objective.pk in reviewable_ids(m, [objective.pk])


def can_grade(m: Membership, key_result: KeyResult) -> bool:
    """The key result's owner grades it; so does anyone who may edit its objective (a manager)."""
    if not permissions.can_write(m):
        return False
    return key_result.owner_id == m.user_id or key_result.objective.editable_by(m)


# --- grades --------------------------------------------------------------------------------


def _check_gradable(cycle: Cycle | None) -> Cycle:
    if cycle is None:
        raise ValidationError({"cycle": _("A backlog objective has no cycle to be graded in.")})
    _check_cycle_open(cycle)
    if cycle.status != CycleStatus.ACTIVE:
        raise ValidationError({"grade": _("Grades are given when an active cycle is being closed.")})
    return cycle


def clean_grade(value: Any) -> float:
    """A grade is a number from 0.0 to 1.0."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError({"grade": _("Give a grade from 0.0 to 1.0.")})
    try:
        number = clean_number(value, "grade")
    except ValidationError:
        raise ValidationError(
            {"grade": _("“%(value)s” is not a number; a grade is a number from 0.0 to 1.0.") % {"value": value}}
        ) from None
    if not 0.0 <= number <= 1.0:
        raise ValidationError(
            {"grade": _("A grade is between 0.0 and 1.0; %(value)s is outside.") % {"value": f"{number:g}"}}
        )
    return round(number, 2)


@transaction.atomic
def key_result_grade(*, key_result: KeyResult, actor: User, grade: Any, note: str = "") -> KeyResult:
    """Set a key result's end-of-cycle grade. A grade that differs from the suggested one
    (clamped progress rounded to 0.1) is an override and needs a note when the organisation
    asks for one. Locks the key result row, after share-locking its cycle (``_hold_cycle``)."""
    _hold_cycle(objective_id=key_result.objective_id)
    kr = (
        KeyResult.objects.select_for_update(of=("self",))
        .select_related("objective__cycle", "organization")
        .get(pk=key_result.pk)
    )
    _check_gradable(kr.objective.cycle)
    value = clean_grade(grade)
    note = (note or "").strip()
    if len(note) > TEXT_MAX:
        raise ValidationError({"grade_note": _("Use at most %(max)d characters.") % {"max": TEXT_MAX}})
    suggested = progress_math.grade(kr.progress)
    override = abs(value - suggested) > GRADE_TOLERANCE
    if override and not note and kr.organization.grade_note_required:
        raise ValidationError(
            {
                "grade_note": _("The grade %(grade)s differs from the suggested %(suggested)s: say why in a note.")
                % {"grade": f"{value:.1f}", "suggested": f"{suggested:.1f}"}
            }
        )
    before = {"grade": kr.grade, "grade_note": kr.grade_note}
    kr.grade, kr.grade_note = value, note
    kr.save(update_fields=["grade", "grade_note", "updated_at"])
    activity_record(
        org=kr.organization,
        actor=actor,
        verb="key_result.graded",
        target=kr,
        before=before,
        after={"grade": value, "grade_note": note, "suggested": suggested},
    )
    return kr


def objective_grade(key_results: Iterable[tuple[float | None, float, float]]) -> float | None:
    """The objective's grade: the weighted mean of its key results' grades (an ungraded key result
    counts with its suggested grade). ``key_results`` are ``(grade, progress, weight)``; None when
    there is none."""
    items = [
        progress_math.Contribution(value=grade if grade is not None else progress_math.grade(progress), weight=weight)
        for grade, progress, weight in key_results
    ]
    if not items:
        return None
    return round(progress_math.weighted_mean(items), 2)


# --- retrospectives ------------------------------------------------------------------------


def _clean_text(value: str, field: str) -> str:
    value = (value or "").strip()
    if len(value) > TEXT_MAX:
        raise ValidationError({field: _("Use at most %(max)d characters.") % {"max": TEXT_MAX}})
    return value


@transaction.atomic
def retrospective_save(
    *, objective: Objective, actor: User, went_well: str = "", went_badly: str = "", learned: str = ""
) -> Retrospective:
    """Write (or rewrite) an objective's retrospective. A changed text needs a fresh acknowledgement."""
    _hold_cycle(objective_id=objective.pk)
    objective = Objective.objects.select_for_update(of=("self",)).select_related("cycle").get(pk=objective.pk)
    _check_gradable(objective.cycle)
    texts = {
        "went_well": _clean_text(went_well, "went_well"),
        "went_badly": _clean_text(went_badly, "went_badly"),
        "learned": _clean_text(learned, "learned"),
    }
    retro, _created = Retrospective.objects.get_or_create(
        organization_id=objective.organization_id, objective=objective
    )
    before = {k: getattr(retro, k) for k in texts}
    if before == texts:
        return retro
    for key, value in texts.items():
        setattr(retro, key, value)
    retro.author = actor
    retro.acknowledged_at = None
    retro.acknowledged_by = None
    retro.save()
    activity_record(
        org=objective.organization,
        actor=actor,
        verb="retrospective.saved",
        target=objective,
        before=before,
        after=texts,
    )
    return retro


@transaction.atomic
def retrospective_review(*, objective: Objective, actor: User, acknowledge: bool, comment: str = "") -> Retrospective:
    """The reviewer acknowledges the retrospective, or comments on it without acknowledging
    (then the comment is required). Permission (``can_review``) is checked by the caller."""
    _hold_cycle(objective_id=objective.pk)
    objective = Objective.objects.select_related("cycle", "organization").get(pk=objective.pk)
    _check_gradable(objective.cycle)
    comment = _clean_text(comment, "comment")
    retro = Retrospective.objects.select_for_update().filter(objective=objective).first()
    if retro is None or not retro.is_written:
        raise ValidationError(
            {"retrospective": _("There is no retrospective to review yet: its owner writes it first.")}
        )
    if not acknowledge and not comment:
        raise ValidationError({"comment": _("Write a comment, or acknowledge the retrospective.")})
    retro.reviewer_comment = comment
    if acknowledge:
        retro.acknowledged_by = actor
        retro.acknowledged_at = timezone.now()
    retro.save(update_fields=["reviewer_comment", "acknowledged_by", "acknowledged_at", "updated_at"])
    activity_record(
        org=objective.organization,
        actor=actor,
        verb="retrospective.acknowledged" if acknowledge else "retrospective.commented",
        target=objective,
        after={"comment": comment},
    )
    return retro


def unacknowledged(*, cycle: Cycle) -> list[Objective]:
    """Objectives of the cycle whose retrospective is missing or waits for its reviewer."""
    return list(
        Objective.objects.filter(organization_id=cycle.organization_id, cycle=cycle)
        .exclude(status=ObjectiveStatus.CANCELLED)
        .exclude(retrospective__acknowledged_at__isnull=False)
        .order_by("id")
    )


# --- the close -----------------------------------------------------------------------------


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
    org_id = cycle.organization_id
    pending = unacknowledged(cycle=cycle)
    if pending and check_reviews:
        raise ValidationError(
            {
                "retrospectives": ngettext(
                    "%(count)d objective's retrospective is not acknowledged yet; review it, or an admin "
                    "closes anyway.",
                    "%(count)d objectives' retrospectives are not acknowledged yet; review them, or an admin "
                    "closes anyway.",
                    len(pending),
                )
                % {"count": len(pending)}
            }
        )
    _drain_rollups(cycle)
    objectives = list(
        Objective.objects.filter(organization_id=org_id, cycle=cycle)
        .exclude(status=ObjectiveStatus.CANCELLED)
        .values_list("id", "progress", "confidence")
    )
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
    for objective_id, _progress, _confidence in objectives:
        objective_grades[objective_grade(per_objective.get(objective_id, []))].append(objective_id)
    for grade, ids in objective_grades.items():
        Objective.objects.filter(organization_id=org_id, pk__in=ids).update(grade=grade)
    day = cycle.organization.today()
    ObjectiveSnapshot.objects.filter(organization_id=org_id, cycle=cycle, date=day).delete()
    ObjectiveSnapshot.objects.bulk_create(
        [
            ObjectiveSnapshot(organization_id=org_id, objective_id=oid, cycle=cycle, date=day, progress=p, confidence=c)
            for oid, p, c in objectives
        ],
        batch_size=1000,
    )
    if pending:
        activity_record(
            org=cycle.organization,
            actor=actor,
            verb="cycle.closed_unacknowledged",
            target=cycle,
            after={"objectives": [o.pk for o in pending]},
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


# --- carry-over and the backlog ------------------------------------------------------------


@transaction.atomic
def objectives_carry_over(
    *,
    org: Organization,
    actor: User,
    objectives: Iterable[Objective],
    key_result_ids: Iterable[int] | None = None,
    target: Cycle | None,
) -> list[Objective]:
    """Copy objectives, with the chosen key results (all when ``key_result_ids`` is None), into
    ``target`` — an open cycle of the same organisation — or into the backlog (``target`` None).

    Copies are drafts that link to their origin (``carried_from``). A copied key result starts
    where its origin ended: its baseline is the origin's current value, its target unchanged.
    Nothing is written unless every objective can be carried."""
    if target is not None:
        if target.organization_id != org.pk:
            raise ValidationError({"cycle": _("Unknown cycle.")})
        if target.status == CycleStatus.CLOSED:
            raise ValidationError(
                {
                    "cycle": _("The cycle %(cycle)s is closed; carry over into an open cycle or the backlog.")
                    % {"cycle": target.name}
                }
            )
    sources = list(objectives)
    if not sources:
        raise ValidationError({"objectives": _("Choose at least one objective to carry over.")})
    chosen = None if key_result_ids is None else set(key_result_ids)
    copies = []
    for source in sources:
        if source.organization_id != org.pk:
            raise ValidationError({"objectives": _("Unknown objective.")})
        krs = [
            kr
            for kr in KeyResult.objects.filter(organization=org, objective=source).order_by("position", "id")
            if chosen is None or kr.pk in chosen
        ][:MAX_KEY_RESULTS]
        copy = Objective.objects.create(
            organization=org,
            cycle=target,
            title=source.title,
            description=source.description,
            commitment=source.commitment,
            owner_type=source.owner_type,
            owner_team_id=source.owner_team_id,
            owner_user_id=source.owner_user_id,
            weight=source.weight,
            status=ObjectiveStatus.DRAFT,
            carried_from=source,
            created_by=actor,
        )
        KeyResult.objects.bulk_create(
            [
                KeyResult(
                    organization=org,
                    objective=copy,
                    title=kr.title,
                    owner_id=kr.owner_id,
                    kind=kr.kind,
                    unit=kr.unit,
                    start_value=kr.current_value,
                    target_value=kr.target_value,
                    current_value=kr.current_value,
                    weight=kr.weight,
                    kpi_id=kr.kpi_id,
                    position=i,
                    carried_from=kr,
                )
                for i, kr in enumerate(krs)
            ]
        )
        activity_record(
            org=org,
            actor=actor,
            verb="objective.carried_over",
            target=copy,
            after={
                "from": source.pk,
                "cycle": target.pk if target else None,
                "key_results": [kr.pk for kr in krs],
            },
        )
        copies.append(copy)
    return copies


def origin_chain(objective: Objective, *, limit: int = 12) -> list[Objective]:
    """The objective's history through carry-overs: its origin, the origin's origin, …"""
    chain: list[Objective] = []
    current_id = objective.carried_from_id
    seen = {objective.pk}
    while current_id and current_id not in seen and len(chain) < limit:
        seen.add(current_id)
        node = (
            Objective.objects.filter(organization_id=objective.organization_id, pk=current_id)
            .select_related("cycle")
            .first()
        )
        if node is None:
            break
        chain.append(node)
        current_id = node.carried_from_id
    return chain
