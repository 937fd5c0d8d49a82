"""What a move to another cycle does to an objective's approval (DESIGN §3).

An approval is given in a cycle: an objective approved (or waiting for review) in one cycle
and moved into a cycle that asks for approval goes back to an approval draft there, to be
submitted and reviewed again, or it would skip that cycle's review. Only an approved
objective may be active in such a cycle, so an active one goes back to draft as well (its
first activation is kept, so its pace is not restarted when it is activated again). A move
into a cycle that asks for no approval leaves both alone.

Every path that changes an existing objective's cycle goes through
``objectives.services.objective_update`` (the edit page, the API, planning a backlog
objective into a cycle, an import), which calls ``approval_after_cycle_move``. Carry-over
and templates create new objectives, which start as drafts anyway.
"""

from __future__ import annotations

from typing import Any

from activity.services import activity_record
from objectives.approvals import approvals_on
from objectives.models import ApprovalStatus, Objective, ObjectiveStatus
from objectives.progress import counts_in_parent
from objectives.queue import schedule_rollup
from orgs.models import User


def approval_after_cycle_move(*, objective: Objective, actor: User | None, old_cycle_id: int | None) -> bool:
    """After ``objective`` moved from ``old_cycle_id`` into ``objective.cycle``: in a cycle that
    asks for approval, its approval status back to draft and, if it was active, its status too;
    logged once. Returns whether anything changed.

    Call inside the moving service's transaction, with the objective's row locked and the move
    saved: the reset is written with the move or not at all."""
    if objective.cycle_id == old_cycle_id or not approvals_on(objective):
        return False
    before: dict[str, Any] = {"approval_status": objective.approval_status, "status": objective.status}
    fields = []
    if objective.approval_status != ApprovalStatus.DRAFT:
        objective.approval_status = ApprovalStatus.DRAFT
        fields.append("approval_status")
    if objective.status == ObjectiveStatus.ACTIVE:
        objective.status = ObjectiveStatus.DRAFT
        fields.append("status")
    if not fields:
        return False
    objective.save(update_fields=[*fields, "updated_at"])
    after: dict[str, Any] = {"approval_status": objective.approval_status, "status": objective.status}
    after.update(cycle=objective.cycle_id, from_cycle=old_cycle_id, deactivated="status" in fields)
    activity_record(
        org=objective.organization,
        actor=actor,
        verb="objective.approval_restarted",
        target=objective,
        before=before,
        after=after,
    )
    # A draft counts nowhere: leaving "active" moves its parent and what it contributes to
    # (the rollup walks every edge up from it).
    if "status" in fields and not counts_in_parent(objective.status):
        schedule_rollup(org_id=objective.organization_id, objective_id=objective.pk)
    return True
