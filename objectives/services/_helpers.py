"""Checks and snapshots shared by the objective services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from core.validation import clean_number
from cycles.models import Cycle, CycleStatus
from kpis.models import Perspective
from objectives.models import (
    Contribution,
    KeyResult,
    Objective,
    ObjectiveStatus,
    validate_objective_weight,
)
from objectives.queue import schedule_rollup
from orgs.models import Membership, Organization, User

# --- helpers -----------------------------------------------------------------------------


def _weight(value: Any, field: str = "weight") -> float:
    number = clean_number(value, field)
    if number < 0 or number > 1000:
        raise ValidationError({field: _("The weight must be between 0 and 1000.")})
    return number


def _objective_weight(value: Any) -> float:
    """The weight an objective carries in its parent: 0 < weight ≤ 10."""
    number = clean_number(value, "weight")
    try:
        validate_objective_weight(number)
    except ValidationError as exc:
        raise ValidationError({"weight": exc.messages}) from None
    return number


def _may_weigh_in(org: Organization, actor: User | None, parent: Objective) -> bool:
    """Whether ``actor`` may set the weight a child carries in ``parent``: only someone who may
    edit the parent (a member must not steer the company objective through their own). No
    actor (templates, carry-over, the demo): the system, which may."""
    if actor is None:
        return True
    membership = Membership.objects.filter(organization=org, user=actor).first()
    return membership is not None and parent.editable_by(membership)


def _perspective(value: str | None) -> str:
    """A balanced-scorecard perspective, or "" for none."""
    value = (value or "").strip()
    if value and value not in Perspective.values:
        raise ValidationError({"perspective": _("Choose a balanced-scorecard perspective, or none.")})
    return value


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
        "perspective": obj.perspective,
        "status": obj.status,
        "cycle": obj.cycle_id,
        "commitment": obj.commitment,
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


def _check_parent(
    org: Organization, objective: Objective | None, parent: Objective | None, cycle: Cycle | None
) -> None:
    if parent is None:
        return
    if parent.organization_id != org.pk:
        raise ValidationError({"parent": _("Unknown objective.")})
    if cycle is None or parent.cycle is None:
        raise ValidationError({"parent": _("Backlog objectives are aligned once they are planned into a cycle.")})
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
    # Further contributions make a graph: the parent must not be fed by this objective either.
    if Contribution.objects.filter(organization=org).exists():
        from objectives.services.contributions import check_no_loop

        check_no_loop(org_id=org.pk, child_id=objective.pk, target_id=parent.pk, field="parent")


def hold_cycle(*, objective_id: int | None = None, cycle_id: int | None = None) -> str | None:
    """PostgreSQL: share-lock a cycle row until the transaction ends — the objective's, or
    ``cycle_id`` — and return its status as committed now. Call it before locking any row of
    the objective: the close locks the cycle for update first, then those rows, so a write
    that finds the cycle open commits before a close freezes it, and one that comes during
    the close waits and finds it closed. None on SQLite (its IMMEDIATE transactions keep a
    close out) or for the backlog."""
    if connection.vendor != "postgresql":
        return None
    c, o = Cycle._meta.db_table, Objective._meta.db_table
    param: int | None
    if cycle_id is not None:
        sql, param = f"SELECT c.status FROM {c} c WHERE c.id = %s FOR SHARE", cycle_id  # noqa: S608
    else:
        sql = f"SELECT c.status FROM {c} c JOIN {o} o ON o.cycle_id = c.id WHERE o.id = %s FOR SHARE OF c"  # noqa: S608
        param = objective_id
    with connection.cursor() as cursor:
        cursor.execute(sql, [param])
        row = cursor.fetchone()
    return row[0] if row else None


def check_cycle_open(cycle: Cycle | None) -> None:
    """Writes to a closed cycle are refused; the backlog (no cycle) is always open for planning."""
    if cycle is not None and cycle.status == CycleStatus.CLOSED:
        raise ValidationError(
            {"cycle": _("The cycle %(cycle)s is closed; its OKRs can no longer change.") % {"cycle": cycle.name}}
        )


def _check_planned(objective: Objective) -> None:
    """Check-ins and status moves need a cycle: a backlog objective is planned into one first."""
    if objective.cycle_id is None:
        raise ValidationError(
            {"cycle": _("“%(title)s” is in the backlog: plan it into a cycle first.") % {"title": objective.title}}
        )
