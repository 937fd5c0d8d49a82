"""Initiatives: the work that moves key results."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from activity.services import activity_record
from core.validation import UNSET, clean_title
from objectives.models import (
    Initiative,
    InitiativeStatus,
    KeyResult,
    Objective,
)
from objectives.services._helpers import (
    check_cycle_open,
)
from orgs.models import User
from orgs.selectors import is_member

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
    check_cycle_open(objective.cycle)
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
    check_cycle_open(initiative.objective.cycle)
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
    initiative.save(update_fields=["title", "owner", "status", "due_date", "key_result"])
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
    check_cycle_open(initiative.objective.cycle)
    activity_record(
        org=initiative.objective.organization,
        actor=actor,
        verb="initiative.deleted",
        target=initiative,
        before={"title": initiative.title},
    )
    initiative.delete()
