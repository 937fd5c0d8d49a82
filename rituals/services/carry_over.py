"""Carry-over: unfinished objectives copied into another cycle or the backlog."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from activity.services import activity_record
from cycles.models import Cycle, CycleStatus
from objectives.models import (
    MAX_KEY_RESULTS,
    KeyResult,
    Objective,
    ObjectiveStatus,
)
from orgs.models import Organization, User


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
    _check_target(org, target)
    sources = list(objectives)
    if not sources:
        raise ValidationError({"objectives": _("Choose at least one objective to carry over.")})
    chosen = None if key_result_ids is None else set(key_result_ids)
    copies = []
    for source in sources:
        if source.organization_id != org.pk:
            raise ValidationError({"objectives": _("Unknown objective.")})
        copies.append(_carry(org=org, actor=actor, source=source, chosen=chosen, target=target))
    return copies


def _check_target(org: Organization, target: Cycle | None) -> None:
    """Copies go into an open cycle of the organisation, or the backlog (None)."""
    if target is None:
        return
    if target.organization_id != org.pk:
        raise ValidationError({"cycle": _("Unknown cycle.")})
    if target.status == CycleStatus.CLOSED:
        raise ValidationError(
            {
                "cycle": _("The cycle %(cycle)s is closed; carry over into an open cycle or the backlog.")
                % {"cycle": target.name}
            }
        )


def _carry(
    *, org: Organization, actor: User, source: Objective, chosen: set[int] | None, target: Cycle | None
) -> Objective:
    """One objective's draft copy, with its chosen key results starting where theirs ended."""
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
    return copy
