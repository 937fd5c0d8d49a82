"""Objectives: create, edit, move through their statuses, delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activity.services import activity_record
from core.validation import UNSET, check_version, clean_title
from cycles.models import Cycle
from objectives.alignment import fed_through_contributions
from objectives.models import (
    MIN_KEY_RESULTS_TO_ACTIVATE,
    Commitment,
    KeyResult,
    Objective,
    ObjectiveStatus,
)
from objectives.progress import counts_in_parent
from objectives.queue import schedule_rollup
from objectives.services._helpers import (
    _check_parent,
    _check_planned,
    _may_weigh_in,
    _objective_weight,
    _perspective,
    _rollup,
    _snapshot,
    check_cycle_open,
    hold_cycle,
)
from objectives.services.approvals import check_may_activate, reopen_after_material_edit
from objectives.services.cycle_moves import approval_after_cycle_move
from objectives.services.visibility import resolve_visibility
from orgs.models import Organization, Team, User
from orgs.ownership import check_owner, owner_after_change

# --- objectives ---------------------------------------------------------------------------


@transaction.atomic
def objective_create(
    *,
    org: Organization,
    actor: User | None,
    cycle: Cycle | None,
    title: str,
    description: str = "",
    commitment: str = Commitment.COMMITTED,
    owner_type: str,
    owner_team: Team | None = None,
    owner_user: User | None = None,
    parent: Objective | None = None,
    weight: Any = 1.0,
    perspective: str = "",
    visibility: str | None = None,
    viewers: list[User] | None = None,
) -> Objective:
    """A new objective (a draft). ``visibility`` None: its parent's (DESIGN §3)."""
    if cycle is not None and cycle.organization_id != org.pk:
        raise ValidationError({"cycle": _("Unknown cycle.")})
    if cycle is not None:  # as committed now, and held so that a close waits for this
        cycle.status = hold_cycle(cycle_id=cycle.pk) or cycle.status
    check_cycle_open(cycle)
    title = clean_title(title)
    commitment = _commitment(commitment)
    check_owner(org=org, owner_type=owner_type, owner_team=owner_team, owner_user=owner_user)
    _check_parent(org, None, parent, cycle)
    visibility, viewers = resolve_visibility(
        objective=None, parent=parent, visibility=visibility, viewers=viewers, org_id=org.pk
    )
    weight = _objective_weight(weight)
    if parent is not None and not _may_weigh_in(org, actor, parent):
        weight = 1.0  # only someone who may edit the parent chooses how much a child counts in it
    objective = Objective.objects.create(
        organization=org,
        cycle=cycle,
        title=title,
        description=(description or "").strip(),
        commitment=commitment,
        owner_type=owner_type,
        owner_team=owner_team,
        owner_user=owner_user,
        parent=parent,
        weight=weight,
        perspective=_perspective(perspective),
        visibility=visibility,
        created_by=actor,
    )
    if viewers:
        objective.viewers.set(viewers)
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
    perspective: str | None = None,
    commitment: str | None = None,
    expected_version: int | None = None,
    visibility: str | None = None,
    viewers: list[User] | None = None,
    reason: str | None = None,
) -> Objective:
    """Edit an objective's definition (None, ``UNSET``: unchanged), re-read under a lock and
    writing only the edited columns, so a concurrent rollup or status change is kept. With
    ``expected_version``, an edit saved since is a ``StaleVersionError``; each edit bumps it."""
    hold_cycle(objective_id=objective.pk)  # before the row: the close's order
    if cycle is not None:
        cycle.status = hold_cycle(cycle_id=cycle.pk) or cycle.status
    objective = (
        Objective.objects.select_for_update(of=("self",))
        .select_related("cycle", "organization", "parent", "parent__cycle", "owner_team", "owner_user")
        .get(pk=objective.pk)
    )
    org = objective.organization
    check_version(objective, expected_version)
    before = _snapshot(objective)
    check_cycle_open(objective.cycle)
    old_parent_id = objective.parent_id
    if cycle is not None and cycle.pk != objective.cycle_id:
        _move_to_cycle(objective, cycle)
    _apply_definition(
        objective,
        title=title,
        description=description,
        commitment=commitment,
        owner_type=owner_type,
        owner_team=owner_team,
        owner_user=owner_user,
    )
    _apply_alignment(objective, actor=actor, parent=parent, weight=weight, old_parent_id=old_parent_id)
    _apply_visibility(objective, visibility=visibility, viewers=viewers)
    if perspective is not None:
        objective.perspective = _perspective(perspective)
    objective.version += 1
    objective.save(update_fields=_EDITED_FIELDS)
    after = _snapshot(objective)
    if after != before:
        activity_record(org=org, actor=actor, verb="objective.updated", target=objective, before=before, after=after)
    _approval_after_edit(objective, actor=actor, before=before, reason=reason)
    if old_parent_id != objective.parent_id or before["weight"] != objective.weight:
        _rollup_after_move(objective, old_parent_id=old_parent_id)
    return objective


def _approval_after_edit(objective: Objective, *, actor: User, before: dict[str, Any], reason: str | None) -> None:
    """A move into a cycle that asks for approval restarts its review there; otherwise, after
    approval, a new weight sends it back to review, with a reason."""
    approval_after_cycle_move(objective=objective, actor=actor, old_cycle_id=before["cycle"])
    if before["weight"] != objective.weight:
        reopen_after_material_edit(objective=objective, actor=actor, reason=reason, change=_("its weight"))


# The columns an edit writes (never progress, status or grade: a rollup or a close may be
# writing those).
_EDITED_FIELDS = [
    "version",
    "cycle",
    "title",
    "description",
    "owner_type",
    "owner_team",
    "owner_user",
    "parent",
    "weight",
    "perspective",
    "commitment",
    "visibility",
    "updated_at",
]


def _apply_visibility(objective: Objective, *, visibility: str | None, viewers: list[User] | None) -> None:
    """Who can see it (None: unchanged), within what it counts in and above what counts in it."""
    objective.visibility, cleaned = resolve_visibility(
        objective=objective,
        parent=objective.parent,
        visibility=visibility,
        viewers=viewers,
        org_id=objective.organization_id,
    )
    if cleaned is not None:
        objective.viewers.set(cleaned)


def _apply_definition(
    objective: Objective,
    *,
    title: str | None,
    description: str | None,
    commitment: str | None,
    owner_type: str | None,
    owner_team: Team | None,
    owner_user: User | None,
) -> None:
    """The edited title, description, commitment and owner (``UNSET`` or None: unchanged)."""
    if title is not None:
        objective.title = clean_title(title)
    if description is not None:
        objective.description = description.strip()
    if commitment is not None:
        objective.commitment = _commitment(commitment)
    if owner_type is not None or owner_team is not UNSET or owner_user is not UNSET:
        owner = owner_after_change(objective, owner_type=owner_type, owner_team=owner_team, owner_user=owner_user)
        check_owner(org=objective.organization, owner_type=owner[0], owner_team=owner[1], owner_user=owner[2])
        objective.owner_type, objective.owner_team, objective.owner_user = owner


def _apply_alignment(
    objective: Objective, *, actor: User, parent: Objective | None, weight: Any, old_parent_id: int | None
) -> None:
    """The parent (``UNSET``: unchanged, still checked) and the weight carried in it."""
    org = objective.organization
    if parent is not UNSET:
        _check_parent(org, objective, parent, objective.cycle)
        objective.parent = parent
    elif objective.parent_id:
        _check_parent(org, objective, objective.parent, objective.cycle)
    if weight is not None:
        weight = _objective_weight(weight)
    moved = objective.parent_id != old_parent_id
    weighed = moved or weight is not None
    if weighed and objective.parent is not None and not _may_weigh_in(org, actor, objective.parent):
        # Only someone who may edit the parent sets the weight a child carries in it: for anyone
        # else a move counts 1 there, and a weight they send is ignored.
        if moved:
            objective.weight = 1.0
    elif weight is not None:
        objective.weight = weight


def _commitment(value: str) -> str:
    if value not in Commitment.values:
        raise ValidationError({"commitment": _("An objective is committed or aspirational.")})
    return value


def _move_to_cycle(objective: Objective, cycle: Cycle) -> None:
    """Move to another open cycle of the organisation, unless an aligned child's cycle would
    no longer fit inside it."""
    if cycle.organization_id != objective.organization_id:
        raise ValidationError({"cycle": _("Unknown cycle.")})
    check_cycle_open(cycle)
    children = Objective.objects.filter(organization_id=objective.organization_id, parent=objective)
    for child in children.select_related("cycle"):
        if child.cycle is not None and child.cycle_id != cycle.pk and not cycle.contains(child.cycle):
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


def _rollup_after_move(objective: Objective, *, old_parent_id: int | None) -> None:
    """A new parent or weight changes the old parent's progress as well as the new one's."""
    if old_parent_id:
        schedule_rollup(org_id=objective.organization_id, objective_id=old_parent_id)
    _rollup(objective)


@transaction.atomic
def objective_set_status(*, objective: Objective, actor: User, status: str, at: datetime | None = None) -> Objective:
    """Activate (needs 2–5 key results), close, cancel or send back to draft.

    The first activation is remembered (``activated_at``; ``at``, default now, for history
    written after the fact): the objective's pace runs from then. A later return to draft and
    back keeps the first, so the pace cannot be restarted to look on track."""
    if status not in ObjectiveStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    hold_cycle(objective_id=objective.pk)  # before the row: the close's order
    objective = Objective.objects.select_for_update(of=("self",)).select_related("cycle").get(pk=objective.pk)
    if status == objective.status:
        return objective
    check_cycle_open(objective.cycle)
    _check_planned(objective)
    if status == ObjectiveStatus.ACTIVE:
        check_may_activate(objective)
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
    fields = ["status", "updated_at"]
    if status == ObjectiveStatus.ACTIVE and objective.activated_at is None:
        objective.activated_at = at or timezone.now()
        fields.append("activated_at")
    objective.save(update_fields=fields)
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
    # A draft or cancelled objective counts nowhere: entering or leaving those moves its parent
    # and whatever it contributes to (the rollup walks every edge up from it).
    if counts_in_parent(before) != counts_in_parent(status):
        _rollup(objective)
    return objective


@transaction.atomic
def objective_delete(*, objective: Objective, actor: User) -> None:
    """Delete an objective with its key results, check-ins and initiatives.
    Objectives aligned to it lose their alignment (they are not deleted).
    A closed cycle is frozen: its objectives cannot be deleted."""
    hold_cycle(objective_id=objective.pk)  # before the row: the close's order
    objective = (
        Objective.objects.select_for_update(of=("self",)).select_related("cycle", "organization").get(pk=objective.pk)
    )
    check_cycle_open(objective.cycle)
    org = objective.organization
    parent_id = objective.parent_id
    children = list(Objective.objects.filter(organization=org, parent=objective).values_list("id", flat=True))
    activity_record(org=org, actor=actor, verb="objective.deleted", target=objective, before=_snapshot(objective))
    # What it contributes to (its links go with it) rolls up without it too.
    fed = fed_through_contributions(org.pk, objective.pk)
    Objective.objects.filter(organization=org, parent=objective).update(parent=None)
    objective.delete()
    if parent_id:
        fed.add(parent_id)
    for fed_id in sorted(fed):
        schedule_rollup(org_id=org.pk, objective_id=fed_id)
    for child_id in children:
        activity_record(
            org=org,
            actor=actor,
            verb="objective.unaligned",
            target_type="objectives.objective",
            before={"parent": objective.pk, "objective": child_id},
        )
