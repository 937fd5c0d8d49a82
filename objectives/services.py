"""Every write to objectives, key results, check-ins and initiatives.

Each service validates, writes inside ``transaction.atomic``, records the
activity and brings stored progress up to date through ``objectives.rollup``.
Permission checks happen in the views/API with ``orgs.permissions``; services
enforce the rules of the method (2–5 key results, no alignment loops, no
check-in in a closed cycle) whoever calls them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from activity.services import activity_record
from cycles.models import Cycle, CycleStatus
from objectives import progress as math
from objectives.models import (
    MAX_KEY_RESULTS,
    MIN_KEY_RESULTS_TO_ACTIVATE,
    CheckIn,
    Initiative,
    InitiativeStatus,
    KeyResult,
    KeyResultKind,
    Objective,
    ObjectiveStatus,
)
from objectives.queue import schedule_rollup
from okrkpi.core.validation import UNSET, clean_number, clean_title
from orgs.models import Organization, Team, User
from orgs.ownership import check_owner, owner_after_change
from orgs.selectors import is_member

# --- helpers -----------------------------------------------------------------------------


def _weight(value: Any, field: str = "weight") -> float:
    number = clean_number(value, field)
    if number < 0 or number > 1000:
        raise ValidationError({field: _("The weight must be between 0 and 1000.")})
    return number


def _confidence(value: Any) -> int:
    message = _("Confidence is a whole number from 1 to 10.")
    if isinstance(value, bool):
        raise ValidationError({"confidence": message})
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({"confidence": message}) from None
    if not number.is_integer() or not 1 <= number <= 10:
        raise ValidationError({"confidence": message})
    return int(number)


def _rollup(objective: Objective) -> None:
    """Queue the recompute of the objective and its ancestors, published after commit."""
    schedule_rollup(org_id=objective.organization_id, objective_id=objective.pk)


def _snapshot(obj: Objective) -> dict[str, Any]:
    return {
        "title": obj.title,
        "description": obj.description,
        "owner_type": obj.owner_type,
        "owner_team": obj.owner_team_id,
        "owner_user": obj.owner_user_id,
        "parent": obj.parent_id,
        "weight": obj.weight,
        "status": obj.status,
        "cycle": obj.cycle_id,
    }


def _kr_snapshot(kr: KeyResult) -> dict[str, Any]:
    return {
        "kpi": kr.kpi_id,
        "title": kr.title,
        "owner": kr.owner_id,
        "kind": kr.kind,
        "unit": kr.unit,
        "start_value": kr.start_value,
        "target_value": kr.target_value,
        "current_value": kr.current_value,
        "weight": kr.weight,
    }


def _check_parent(org: Organization, objective: Objective | None, parent: Objective | None, cycle: Cycle) -> None:
    if parent is None:
        return
    if parent.organization_id != org.pk:
        raise ValidationError({"parent": _("Unknown objective.")})
    if parent.status == ObjectiveStatus.CANCELLED:
        raise ValidationError({"parent": _("You cannot align to a cancelled objective.")})
    if parent.cycle_id != cycle.pk and not parent.cycle.contains(cycle):
        raise ValidationError(
            {"parent": _("The parent must be in the same cycle, or in a longer cycle that contains this one.")}
        )
    if objective is None or objective.pk is None:
        return
    # Walk up from the parent: meeting the objective itself means a loop.
    node: Objective | None = parent
    seen: set[int] = set()
    while node is not None:
        if node.pk == objective.pk:
            raise ValidationError(
                {
                    "parent": _(
                        "This alignment would make a loop: the parent is aligned (directly or not) to this objective."
                    )
                }
            )
        if node.pk in seen:
            break
        seen.add(node.pk)
        node = (
            Objective.objects.filter(organization=org, pk=node.parent_id).select_related("cycle").first()
            if node.parent_id
            else None
        )


def _check_cycle_open(cycle: Cycle) -> None:
    if cycle.status == CycleStatus.CLOSED:
        raise ValidationError(
            {"cycle": _("The cycle %(cycle)s is closed; its OKRs can no longer change.") % {"cycle": cycle.name}}
        )


# --- objectives ---------------------------------------------------------------------------


@transaction.atomic
def objective_create(
    *,
    org: Organization,
    actor: User | None,
    cycle: Cycle,
    title: str,
    description: str = "",
    owner_type: str,
    owner_team: Team | None = None,
    owner_user: User | None = None,
    parent: Objective | None = None,
    weight: Any = 1.0,
) -> Objective:
    if cycle.organization_id != org.pk:
        raise ValidationError({"cycle": _("Unknown cycle.")})
    _check_cycle_open(cycle)
    title = clean_title(title)
    check_owner(org=org, owner_type=owner_type, owner_team=owner_team, owner_user=owner_user)
    _check_parent(org, None, parent, cycle)
    objective = Objective.objects.create(
        organization=org,
        cycle=cycle,
        title=title,
        description=(description or "").strip(),
        owner_type=owner_type,
        owner_team=owner_team,
        owner_user=owner_user,
        parent=parent,
        weight=_weight(weight),
        created_by=actor,
    )
    activity_record(org=org, actor=actor, verb="objective.created", target=objective, after=_snapshot(objective))
    if parent is not None:
        _rollup(parent)
    return objective


@transaction.atomic
def objective_update(
    *,
    objective: Objective,
    actor: User,
    title: str | None = None,
    description: str | None = None,
    owner_type: str | None = None,
    owner_team: Team | None = UNSET,
    owner_user: User | None = UNSET,
    parent: Objective | None = UNSET,
    weight: Any = None,
    cycle: Cycle | None = None,
) -> Objective:
    """Edit an objective's definition. The row is re-read under a lock, and only
    the edited columns are written, so a concurrent rollup (progress) or status
    change is never overwritten by the caller's stale copy."""
    objective = (
        Objective.objects.select_for_update(of=("self",))
        .select_related("cycle", "organization", "parent", "parent__cycle", "owner_team", "owner_user")
        .get(pk=objective.pk)
    )
    org = objective.organization
    before = _snapshot(objective)
    _check_cycle_open(objective.cycle)
    old_parent_id = objective.parent_id
    if cycle is not None and cycle.pk != objective.cycle_id:
        if cycle.organization_id != org.pk:
            raise ValidationError({"cycle": _("Unknown cycle.")})
        _check_cycle_open(cycle)
        for child in Objective.objects.filter(organization=org, parent=objective).select_related("cycle"):
            if child.cycle_id != cycle.pk and not cycle.contains(child.cycle):
                raise ValidationError(
                    {
                        "cycle": _(
                            "“%(child)s” is aligned to this objective and its cycle would no "
                            "longer fit inside this one; re-align it first."
                        )
                        % {"child": child.title}
                    }
                )
        objective.cycle = cycle
    if title is not None:
        objective.title = clean_title(title)
    if description is not None:
        objective.description = description.strip()
    if owner_type is not None or owner_team is not UNSET or owner_user is not UNSET:
        owner = owner_after_change(objective, owner_type=owner_type, owner_team=owner_team, owner_user=owner_user)
        check_owner(org=org, owner_type=owner[0], owner_team=owner[1], owner_user=owner[2])
        objective.owner_type, objective.owner_team, objective.owner_user = owner
    if parent is not UNSET:
        _check_parent(org, objective, parent, objective.cycle)
        objective.parent = parent
    elif objective.parent_id:
        _check_parent(org, objective, objective.parent, objective.cycle)
    if weight is not None:
        objective.weight = _weight(weight)
    objective.save(
        update_fields=[
            "cycle",
            "title",
            "description",
            "owner_type",
            "owner_team",
            "owner_user",
            "parent",
            "weight",
            "updated_at",
        ]
    )
    after = _snapshot(objective)
    if after != before:
        activity_record(org=org, actor=actor, verb="objective.updated", target=objective, before=before, after=after)
    if old_parent_id != objective.parent_id or before["weight"] != objective.weight:
        if old_parent_id:
            schedule_rollup(org_id=org.pk, objective_id=old_parent_id)
        _rollup(objective)
    return objective


@transaction.atomic
def objective_set_status(*, objective: Objective, actor: User, status: str) -> Objective:
    """Activate (needs 2–5 key results), close, cancel or send back to draft."""
    if status not in ObjectiveStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    objective = Objective.objects.select_for_update().select_related("cycle").get(pk=objective.pk)
    if status == objective.status:
        return objective
    _check_cycle_open(objective.cycle)
    if status == ObjectiveStatus.ACTIVE:
        count = KeyResult.objects.filter(organization_id=objective.organization_id, objective=objective).count()
        if count < MIN_KEY_RESULTS_TO_ACTIVATE:
            raise ValidationError(
                {
                    "status": _("An objective needs at least %(min)d key results to become active; it has %(count)d.")
                    % {"min": MIN_KEY_RESULTS_TO_ACTIVATE, "count": count}
                }
            )
    before = objective.status
    objective.status = status
    objective.save(update_fields=["status", "updated_at"])
    verb = {"active": "objective.activated", "cancelled": "objective.cancelled", "closed": "objective.closed"}.get(
        status, "objective.status_changed"
    )
    activity_record(
        org=objective.organization,
        actor=actor,
        verb=verb,
        target=objective,
        before={"status": before},
        after={"status": status},
    )
    if objective.parent_id and ObjectiveStatus.CANCELLED in (before, status):
        schedule_rollup(org_id=objective.organization_id, objective_id=objective.parent_id)
    return objective


@transaction.atomic
def objective_delete(*, objective: Objective, actor: User) -> None:
    """Delete an objective with its key results, check-ins and initiatives.
    Objectives aligned to it lose their alignment (they are not deleted).
    A closed cycle is frozen: its objectives cannot be deleted."""
    objective = (
        Objective.objects.select_for_update(of=("self",)).select_related("cycle", "organization").get(pk=objective.pk)
    )
    _check_cycle_open(objective.cycle)
    org = objective.organization
    parent_id = objective.parent_id
    children = list(Objective.objects.filter(organization=org, parent=objective).values_list("id", flat=True))
    activity_record(org=org, actor=actor, verb="objective.deleted", target=objective, before=_snapshot(objective))
    Objective.objects.filter(organization=org, parent=objective).update(parent=None)
    objective.delete()
    if parent_id:
        schedule_rollup(org_id=org.pk, objective_id=parent_id)
    for child_id in children:
        activity_record(
            org=org,
            actor=actor,
            verb="objective.unaligned",
            target_type="objectives.objective",
            before={"parent": objective.pk, "objective": child_id},
        )


# --- key results ---------------------------------------------------------------------------


def _kr_values(kind: str, start: Any, target: Any, current: Any) -> tuple[float, float, float]:
    if kind not in KeyResultKind.values:
        raise ValidationError({"kind": _("Choose number, percent, currency or milestone.")})
    if kind == KeyResultKind.MILESTONE:
        done = current not in (None, "", 0, 0.0, "0", False) and clean_number(current, "current_value") >= 1
        return 0.0, 1.0, 1.0 if done else 0.0
    start_v = clean_number(0 if start in (None, "") else start, "start_value")
    target_v = clean_number(target, "target_value")
    if start_v == target_v:
        raise ValidationError(
            {"target_value": _("The target must differ from the start value; for a yes/no result use a milestone.")}
        )
    current_v = start_v if current in (None, "") else clean_number(current, "current_value")
    return start_v, target_v, current_v


@transaction.atomic
def key_result_create(
    *,
    objective: Objective,
    actor: User | None,
    title: str,
    owner: User | None = None,
    kind: str = KeyResultKind.NUMBER,
    unit: str = "",
    start_value: Any = 0,
    target_value: Any = None,
    current_value: Any = None,
    weight: Any = 1.0,
    kpi: Any = None,
) -> KeyResult:
    """Add a key result; a sixth is refused. The objective row is locked so two
    concurrent additions cannot both pass the count."""
    org = objective.organization
    objective = Objective.objects.select_for_update().select_related("cycle").get(pk=objective.pk)
    _check_cycle_open(objective.cycle)
    if objective.status in (ObjectiveStatus.CANCELLED, ObjectiveStatus.CLOSED):
        raise ValidationError(
            {
                "objective": _("This objective is %(status)s; it takes no new key results.")
                % {"status": objective.get_status_display().lower()}
            }
        )
    count = KeyResult.objects.filter(organization=org, objective=objective).count()
    if count >= MAX_KEY_RESULTS:
        raise ValidationError(
            {
                "objective": _("An objective holds at most %(max)d key results; remove one before adding another.")
                % {"max": MAX_KEY_RESULTS}
            }
        )
    title = clean_title(title)
    owner = owner or objective.owner_user or actor
    if not is_member(org, owner):
        raise ValidationError({"owner": _("The owner must be a member of the organisation.")})
    if kind == KeyResultKind.MILESTONE and target_value in (None, ""):
        target_value = 1
    if target_value in (None, ""):
        raise ValidationError({"target_value": _("A target is required.")})
    start_v, target_v, current_v = _kr_values(kind, start_value, target_value, current_value)
    kpi = _check_kpi(org, kind, kpi)
    if kpi is not None:
        current_v = _latest_kpi_value(kpi.pk, default=current_v)
    position = (KeyResult.objects.filter(objective=objective).aggregate(m=Max("position"))["m"] or 0) + 1
    kr = KeyResult(
        organization=org,
        objective=objective,
        title=title,
        owner=owner,
        kind=kind,
        unit=(unit or "").strip()[:24],
        start_value=start_v,
        target_value=target_v,
        current_value=current_v,
        weight=_weight(weight),
        position=position,
        kpi=kpi,
    )
    kr.progress = kr.progress_value()
    kr.save()
    activity_record(org=org, actor=actor, verb="key_result.created", target=kr, after=_kr_snapshot(kr))
    _rollup(objective)
    return kr


@transaction.atomic
def key_result_update(
    *,
    key_result: KeyResult,
    actor: User,
    title: str | None = None,
    owner: User | None = None,
    kind: str | None = None,
    unit: str | None = None,
    start_value: Any = UNSET,
    target_value: Any = UNSET,
    weight: Any = None,
    kpi: Any = UNSET,
) -> KeyResult:
    """Change a key result's definition. Its current value changes only through
    check-ins, or follows the KPI it is linked to."""
    kr = KeyResult.objects.select_for_update().select_related("objective__cycle").get(pk=key_result.pk)
    _check_cycle_open(kr.objective.cycle)
    before = _kr_snapshot(kr)
    org = kr.objective.organization
    if title is not None:
        kr.title = clean_title(title)
    if owner is not None:
        if not is_member(org, owner):
            raise ValidationError({"owner": _("The owner must be a member of the organisation.")})
        kr.owner = owner
    if unit is not None:
        kr.unit = unit.strip()[:24]
    new_kind = kind or kr.kind
    start = kr.start_value if start_value is UNSET else start_value
    target = kr.target_value if target_value is UNSET else target_value
    kr.start_value, kr.target_value, kr.current_value = _kr_values(new_kind, start, target, kr.current_value)
    kr.kind = new_kind
    if weight is not None:
        kr.weight = _weight(weight)
    kr.kpi = _check_kpi(org, new_kind, kr.kpi if kpi is UNSET else kpi)
    if kr.kpi_id is not None:
        kr.current_value = _latest_kpi_value(kr.kpi_id, default=kr.current_value)
    kr.progress = kr.progress_value()
    kr.save()
    after = _kr_snapshot(kr)
    if after != before:
        activity_record(org=org, actor=actor, verb="key_result.updated", target=kr, before=before, after=after)
    _rollup(kr.objective)
    return kr


@transaction.atomic
def key_result_delete(*, key_result: KeyResult, actor: User) -> None:
    # Lock the objective and read its current status: the caller's copy may be stale.
    objective = (
        Objective.objects.select_for_update().select_related("cycle", "organization").get(pk=key_result.objective_id)
    )
    _check_cycle_open(objective.cycle)
    remaining = KeyResult.objects.filter(objective=objective).exclude(pk=key_result.pk).count()
    if objective.status == ObjectiveStatus.ACTIVE and remaining < MIN_KEY_RESULTS_TO_ACTIVATE:
        raise ValidationError(
            {
                "key_result": _(
                    "An active objective keeps at least %(min)d key results; add "
                    "another first or move the objective back to draft."
                )
                % {"min": MIN_KEY_RESULTS_TO_ACTIVATE}
            }
        )
    activity_record(
        org=objective.organization,
        actor=actor,
        verb="key_result.deleted",
        target=key_result,
        before=_kr_snapshot(key_result),
    )
    key_result.delete()
    _rollup(objective)


@transaction.atomic
def key_result_check_in(
    *, key_result: KeyResult, actor: User, value: Any, confidence: Any, note: str = "", at: Any = None
) -> CheckIn:
    """Append a check-in and set the key result's current value and confidence.

    The key-result row is locked (``select_for_update``) so concurrent
    check-ins on one key result apply one after the other; the objective
    chain is then recomputed from stored values.
    """
    kr = KeyResult.objects.select_for_update().get(pk=key_result.pk, organization_id=key_result.organization_id)
    objective = Objective.objects.select_related("cycle").get(pk=kr.objective_id)
    _check_cycle_open(objective.cycle)
    if objective.status in (ObjectiveStatus.CANCELLED, ObjectiveStatus.CLOSED):
        raise ValidationError(
            {
                "key_result": _("This objective is %(status)s; it takes no more check-ins.")
                % {"status": objective.get_status_display().lower()}
            }
        )
    if kr.kind == KeyResultKind.MILESTONE:
        number = clean_number(value, "value")
        if number not in (0.0, 1.0):
            raise ValidationError({"value": _("A milestone is 1 (done) or 0 (not done).")})
    else:
        number = clean_number(value, "value")
    conf = _confidence(confidence)
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("Keep the note under 2,000 characters.")})
    when = at or timezone.now()
    check_in = CheckIn.objects.create(
        organization_id=kr.organization_id,
        key_result=kr,
        author=actor,
        value=number,
        confidence=conf,
        note=note,
        created_at=when,
    )
    before = {"current_value": kr.current_value, "confidence": kr.confidence}
    kr.current_value, kr.confidence = number, conf
    kr.progress = kr.progress_value()
    if kr.last_check_in_at is None or when >= kr.last_check_in_at:
        kr.last_check_in_at = when
    kr.save(update_fields=["current_value", "confidence", "progress", "last_check_in_at", "updated_at"])
    activity_record(
        org=objective.organization,
        actor=actor,
        verb="key_result.checked_in",
        target=kr,
        before=before,
        after={"current_value": number, "confidence": conf, "note": note},
    )
    _rollup(objective)
    return check_in


# --- key results that follow a KPI ------------------------------------------------------------


def _check_kpi(org: Organization, kind: str, kpi: Any) -> Any:
    if kpi is None:
        return None
    if kpi.organization_id != org.pk:
        raise ValidationError({"kpi": _("Unknown KPI.")})
    if kind == KeyResultKind.MILESTONE:
        raise ValidationError({"kpi": _("A milestone cannot follow a KPI; measure it as a number instead.")})
    return kpi


def _latest_kpi_value(kpi_id: int, *, default: float) -> float:
    from kpis.models import Measurement

    value = Measurement.objects.filter(kpi_id=kpi_id).order_by("-period").values_list("value", flat=True).first()
    return default if value is None else value


@transaction.atomic
def key_results_follow_kpis(*, org_id: int, kpi_ids: Any) -> int:
    """Set every open key result linked to these KPIs to the KPI's latest
    measurement and queue the rollups. Called by the KPI services after a
    measurement is recorded, corrected, imported or deleted. Returns how many
    key results changed."""
    from django.db.models import OuterRef, Subquery

    from kpis.models import Measurement

    kpi_ids = list(kpi_ids)
    if not kpi_ids:
        return 0
    latest = Measurement.objects.filter(kpi_id=OuterRef("kpi_id")).order_by("-period").values("value")[:1]
    krs = list(
        KeyResult.objects.select_for_update(of=("self",))
        .filter(
            organization_id=org_id,
            kpi_id__in=kpi_ids,
            objective__status__in=[ObjectiveStatus.DRAFT, ObjectiveStatus.ACTIVE],
        )
        .exclude(objective__cycle__status=CycleStatus.CLOSED)
        .annotate(latest_value=Subquery(latest))
    )
    changed = 0
    for kr in krs:
        if kr.latest_value is None or kr.latest_value == kr.current_value:
            continue
        kr.current_value = kr.latest_value
        kr.progress = kr.progress_value()
        kr.save(update_fields=["current_value", "progress", "updated_at"])
        schedule_rollup(org_id=org_id, objective_id=kr.objective_id)
        changed += 1
    return changed


# --- initiatives ---------------------------------------------------------------------------


def _check_initiative(
    objective: Objective, key_result: KeyResult | None, owner: User | None, status: str, due_date: date | None
) -> None:
    if key_result is not None and key_result.objective_id != objective.pk:
        raise ValidationError({"key_result": _("The key result belongs to another objective.")})
    if owner is not None and not is_member(objective.organization, owner):
        raise ValidationError({"owner": _("The owner must be a member of the organisation.")})
    if status not in InitiativeStatus.values:
        raise ValidationError({"status": _("Unknown status.")})


@transaction.atomic
def initiative_create(
    *,
    actor: User | None,
    objective: Objective | None = None,
    key_result: KeyResult | None = None,
    title: str,
    owner: User | None = None,
    status: str = InitiativeStatus.PLANNED,
    due_date: date | None = None,
) -> Initiative:
    if objective is None and key_result is None:
        raise ValidationError({"objective": _("An initiative belongs to a key result or an objective.")})
    objective = objective or key_result.objective  # type: ignore[union-attr]
    _check_cycle_open(objective.cycle)
    title = clean_title(title)
    _check_initiative(objective, key_result, owner, status, due_date)
    initiative = Initiative.objects.create(
        organization_id=objective.organization_id,
        objective=objective,
        key_result=key_result,
        title=title,
        owner=owner,
        status=status,
        due_date=due_date,
    )
    activity_record(
        org=objective.organization,
        actor=actor,
        verb="initiative.created",
        target=initiative,
        after={
            "title": title,
            "status": status,
            "objective": objective.pk,
            "key_result": key_result.pk if key_result else None,
        },
    )
    return initiative


@transaction.atomic
def initiative_update(
    *,
    initiative: Initiative,
    actor: User,
    title: str | None = None,
    owner: User | None = UNSET,
    status: str | None = None,
    due_date: date | None = UNSET,
    key_result: KeyResult | None = UNSET,
) -> Initiative:
    _check_cycle_open(initiative.objective.cycle)
    before = {
        "title": initiative.title,
        "status": initiative.status,
        "owner": initiative.owner_id,
        "due_date": str(initiative.due_date) if initiative.due_date else None,
    }
    if title is not None:
        initiative.title = clean_title(title)
    if owner is not UNSET:
        initiative.owner = owner
    if status is not None:
        initiative.status = status
    if due_date is not UNSET:
        initiative.due_date = due_date
    if key_result is not UNSET:
        initiative.key_result = key_result
    _check_initiative(
        initiative.objective, initiative.key_result, initiative.owner, initiative.status, initiative.due_date
    )
    initiative.save()
    activity_record(
        org=initiative.objective.organization,
        actor=actor,
        verb="initiative.updated",
        target=initiative,
        before=before,
        after={
            "title": initiative.title,
            "status": initiative.status,
            "owner": initiative.owner_id,
            "due_date": str(initiative.due_date) if initiative.due_date else None,
        },
    )
    return initiative


@transaction.atomic
def initiative_delete(*, initiative: Initiative, actor: User) -> None:
    _check_cycle_open(initiative.objective.cycle)
    activity_record(
        org=initiative.objective.organization,
        actor=actor,
        verb="initiative.deleted",
        target=initiative,
        before={"title": initiative.title},
    )
    initiative.delete()


def key_result_progress_preview(*, kind: str, start: float, target: float, current: float) -> float:
    """Unclamped progress for a value not yet saved (used by the check-in screen)."""
    return math.key_result_progress_raw(kind=kind, start=start, target=target, current=current)
