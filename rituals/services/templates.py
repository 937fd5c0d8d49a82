"""Planning from a template in one step, and saving an objective as the organisation's template."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from activity.services import activity_record
from cycles.models import Cycle
from objectives.models import MAX_KEY_RESULTS, KeyResult, Objective, OkrTemplate
from objectives.services.contributions import contribution_create
from objectives.services.key_results import key_result_create
from objectives.services.objectives import objective_create
from orgs.models import Organization, Team, User


@transaction.atomic
def objective_create_from_template(
    *,
    org: Organization,
    actor: User,
    cycle: Cycle | None,
    title: str,
    description: str = "",
    commitment: str,
    owner_type: str,
    owner_team: Team | None = None,
    owner_user: User | None = None,
    parent: Objective | None = None,
    also_aligned_to: list[Objective] | None = None,
    key_results: list[dict[str, Any]],
) -> Objective:
    """Create the objective and its key results together, as edited on the template page,
    aligned to ``parent`` and contributing to each of ``also_aligned_to`` (weight 1).
    A refused key result names its row (``kr-<n>-<field>``) and nothing is saved."""
    if len(key_results) > MAX_KEY_RESULTS:
        raise ValidationError({"key_results": _("An objective holds at most %(max)d key results.") % {"max": 5}})
    objective = objective_create(
        org=org,
        actor=actor,
        cycle=cycle,
        title=title,
        description=description,
        commitment=commitment,
        owner_type=owner_type,
        owner_team=owner_team,
        owner_user=owner_user,
        parent=parent,
    )
    for i, kr in enumerate(key_results):
        try:
            key_result_create(
                objective=objective,
                actor=actor,
                title=kr.get("title", ""),
                owner=kr.get("owner"),
                kind=kr.get("kind") or "number",
                unit=kr.get("unit", ""),
                start_value=kr.get("start"),
                target_value=kr.get("target"),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise ValidationError({f"kr-{i}-{field}": errors for field, errors in exc.error_dict.items()}) from None
            raise
    for other in also_aligned_to or []:
        try:
            contribution_create(child=objective, actor=actor, parent=other)
        except ValidationError as exc:
            raise ValidationError({"aligned_to": exc.messages}) from None
    return objective


@transaction.atomic
def okr_template_save(*, objective: Objective, actor: User) -> OkrTemplate:
    """Save an objective (title, description, type and key results' titles, units, baselines
    and targets — not owners or values reached) as one of the organisation's templates."""
    krs = KeyResult.objects.filter(organization_id=objective.organization_id, objective=objective).order_by(
        "position", "id"
    )
    template = OkrTemplate.objects.create(
        organization_id=objective.organization_id,
        title=objective.title,
        description=objective.description,
        commitment=objective.commitment,
        key_results=[
            {"title": kr.title, "kind": kr.kind, "unit": kr.unit, "start": kr.start_value, "target": kr.target_value}
            for kr in krs[:MAX_KEY_RESULTS]
        ],
        created_by=actor,
    )
    activity_record(
        org=objective.organization,
        actor=actor,
        verb="okr_template.saved",
        target=template,
        after={"from": objective.pk, "title": template.title},
    )
    return template


@transaction.atomic
def okr_template_delete(*, template: OkrTemplate, actor: User) -> None:
    activity_record(
        org=template.organization,
        actor=actor,
        verb="okr_template.deleted",
        target=template,
        before={"title": template.title},
    )
    template.delete()
