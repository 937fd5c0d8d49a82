"""Key results: adding, editing and deleting them (check-ins are ``check_ins``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from activity.services import activity_record
from core.validation import UNSET, check_version, clean_number, clean_title
from objectives import progress as progress_math
from objectives.models import (
    MAX_KEY_RESULTS,
    MIN_KEY_RESULTS_TO_ACTIVATE,
    KeyResult,
    KeyResultKind,
    Objective,
    ObjectiveStatus,
)
from objectives.services._helpers import (
    _kr_snapshot,
    _rollup,
    _weight,
    check_cycle_open,
    hold_cycle,
)
from objectives.services.approvals import reopen_after_material_edit
from objectives.services.kpi_link import check_kpi_link, latest_kpi_value
from orgs.models import User
from orgs.selectors import is_member

# --- key results ---------------------------------------------------------------------------


def _kr_values(kind: str, start: Any, target: Any, current: Any) -> tuple[float, float, float]:
    if kind not in KeyResultKind.values:
        raise ValidationError({"kind": _("Choose number, percent, currency, milestone or aligned.")})
    if kind == KeyResultKind.ALIGNED:
        # Its value is its progress, which the rollup sets from its contributors.
        return 0.0, 1.0, 0.0 if current in (None, "") else progress_math.clamp01(clean_number(current, "current_value"))
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
    reason: str | None = None,
) -> KeyResult:
    """Add a key result; a sixth is refused. The objective row is locked so two
    concurrent additions cannot both pass the count. Added to an approved objective, it
    sends that back to review and needs a ``reason``."""
    org = objective.organization
    hold_cycle(objective_id=objective.pk)  # before the row: the close's order
    objective = Objective.objects.select_for_update(of=("self",)).select_related("cycle").get(pk=objective.pk)
    _check_takes_key_results(objective)
    title = clean_title(title)
    owner = owner or objective.owner_user or actor
    if not is_member(org, owner):
        raise ValidationError({"owner": _("The owner must be a member of the organisation.")})
    if kind in (KeyResultKind.MILESTONE, KeyResultKind.ALIGNED) and target_value in (None, ""):
        target_value = 1
    if target_value in (None, ""):
        raise ValidationError({"target_value": _("A target is required.")})
    start_v, target_v, current_v = _kr_values(kind, start_value, target_value, current_value)
    kpi = check_kpi_link(org, kind, kpi)
    if kpi is not None:
        current_v = latest_kpi_value(kpi.pk, default=current_v)
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
    reopen_after_material_edit(objective=objective, actor=actor, reason=reason, change=_("a key result added"))
    _rollup(objective)
    return kr


def _check_takes_key_results(objective: Objective) -> None:
    """An objective open, not cancelled or closed, and with room for another key result."""
    check_cycle_open(objective.cycle)
    if objective.status in (ObjectiveStatus.CANCELLED, ObjectiveStatus.CLOSED):
        raise ValidationError(
            {
                "objective": _("This objective is %(status)s; it takes no new key results.")
                % {"status": objective.get_status_display().lower()}
            }
        )
    count = KeyResult.objects.filter(organization_id=objective.organization_id, objective=objective).count()
    if count >= MAX_KEY_RESULTS:
        raise ValidationError(
            {
                "objective": _("An objective holds at most %(max)d key results; remove one before adding another.")
                % {"max": MAX_KEY_RESULTS}
            }
        )


# What ``key_result_update`` may change, and so writes (the check-in writes its own columns).
_UPDATED_FIELDS = [
    *("title", "owner", "unit", "kind", "start_value", "target_value", "current_value"),
    *("weight", "kpi", "progress", "version", "updated_at"),
]


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
    expected_version: int | None = None,
    reason: str | None = None,
) -> KeyResult:
    """Change a key result's definition. Its current value changes only through
    check-ins, or follows the KPI it is linked to. The row is locked; with
    ``expected_version``, another edit saved since is a ``StaleVersionError`` and
    nothing is written. Every edit bumps the version (check-ins do not). A new target, start
    value or weight sends an approved objective back to review, with a ``reason``."""
    hold_cycle(objective_id=key_result.objective_id)  # before the row: the close's order
    kr = KeyResult.objects.select_for_update(of=("self",)).select_related("objective__cycle").get(pk=key_result.pk)
    check_version(kr, expected_version)
    check_cycle_open(kr.objective.cycle)
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
    if new_kind != kr.kind and kr.kind == KeyResultKind.ALIGNED and kr.contributors.exists():
        raise ValidationError(
            {"kind": _("Objectives contribute to this key result; remove them before changing its kind.")}
        )
    if new_kind == KeyResultKind.ALIGNED and kr.kind != KeyResultKind.ALIGNED:
        kr.current_value = 0.0  # the rollup sets it from the contributors
    start = kr.start_value if start_value is UNSET else start_value
    target = kr.target_value if target_value is UNSET else target_value
    kr.start_value, kr.target_value, kr.current_value = _kr_values(new_kind, start, target, kr.current_value)
    kr.kind = new_kind
    if weight is not None:
        kr.weight = _weight(weight)
    kr.kpi = check_kpi_link(org, new_kind, kr.kpi if kpi is UNSET else kpi)
    if kr.kpi_id is not None:
        kr.current_value = latest_kpi_value(kr.kpi_id, default=kr.current_value)
    kr.progress = kr.progress_value()
    kr.version += 1
    kr.save(update_fields=_UPDATED_FIELDS)
    after = _kr_snapshot(kr)
    if after != before:
        activity_record(org=org, actor=actor, verb="key_result.updated", target=kr, before=before, after=after)
    _reopen_if_material(kr, before, after, actor=actor, reason=reason)
    _rollup(kr.objective)
    return kr


# What, changed after approval, sends the objective back to review (DESIGN §3).
_MATERIAL = {
    "target_value": _lazy("the target"),
    "start_value": _lazy("the start value"),
    "weight": _lazy("the weight"),
}


def _reopen_if_material(
    kr: KeyResult, before: dict[str, Any], after: dict[str, Any], *, actor: User, reason: str | None
) -> None:
    material = [str(label) for key, label in _MATERIAL.items() if before[key] != after[key]]
    if material:
        change = ", ".join(material)
        reopen_after_material_edit(objective=kr.objective, actor=actor, reason=reason, change=change)


@transaction.atomic
def key_result_delete(*, key_result: KeyResult, actor: User, reason: str | None = None) -> None:
    # Lock the objective and read its current status: the caller's copy may be stale (its
    # cycle first, as the close does).
    hold_cycle(objective_id=key_result.objective_id)
    objective = (
        Objective.objects.select_for_update(of=("self",))
        .select_related("cycle", "organization")
        .get(pk=key_result.objective_id)
    )
    check_cycle_open(objective.cycle)
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
    reopen_after_material_edit(objective=objective, actor=actor, reason=reason, change=_("a key result removed"))
    _rollup(objective)


def key_result_progress_preview(*, kind: str, start: float, target: float, current: float) -> float:
    """Unclamped progress for a value not yet saved (used by the check-in screen)."""
    return progress_math.key_result_progress_raw(kind=kind, start=start, target=target, current=current)
