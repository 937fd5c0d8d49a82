"""Contributions: an objective counting in further objectives, or in an ``aligned`` key
result, each with a weight (DESIGN §4).

The rules, whoever calls: the same organisation (another's objective or key result is
``DoesNotExist``, which the pages and the API answer 404); not to itself nor to its own
primary parent again; only a key result of kind ``aligned``; neither end in a closed
cycle, nor cancelled; a weight more than 0 and at most 10; at most ``MAX_CONTRIBUTIONS``
from one objective; and never a loop — the message names the path it would close. Two
links that would close a loop between them are checked one after the other: the check
and the write hold the organisation's alignment lock (PostgreSQL; SQLite's IMMEDIATE
transactions serialise writers already).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from activity.services import activity_record
from core.validation import clean_number
from objectives.alignment import path_between, path_titles
from objectives.models import (
    MAX_CONTRIBUTIONS,
    Contribution,
    KeyResult,
    KeyResultKind,
    Objective,
    ObjectiveStatus,
)
from objectives.queue import schedule_rollup
from objectives.services._helpers import check_cycle_open, hold_cycle
from orgs.models import User
from orgs.visibility import check_not_wider

# pg_advisory_xact_lock's first key: the alignment graph of the organisation named by the second.
_ALIGNMENT_LOCK = 4_711


def hold_alignment(org_id: int) -> None:
    """Serialise changes to the organisation's alignment graph until the transaction ends, so
    two links checked at once cannot close a loop between them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_ALIGNMENT_LOCK, org_id])


def contribution_weight(value: Any) -> float:
    """0 < weight ≤ 10, a finite number."""
    number = clean_number(value, "weight")
    if not 0 < number <= 10:
        raise ValidationError({"weight": _("The weight must be more than 0 and at most %(max)s.") % {"max": 10}})
    return number


def check_no_loop(*, org_id: int, child_id: int, target_id: int, field: str) -> None:
    """A link from ``child_id`` into ``target_id`` (an objective) must not close a loop: the
    target must not already feed the child. The message names the loop."""
    path = path_between(org_id, target_id, child_id)
    if path is not None:
        raise ValidationError(
            {field: _("This would close a loop: %(path)s.") % {"path": path_titles(org_id, [child_id, *path])}}
        )


def _check_target_objective(child: Objective, parent: Objective) -> None:
    if parent.organization_id != child.organization_id:
        raise Objective.DoesNotExist
    if parent.pk == child.pk:
        raise ValidationError({"parent": _("An objective cannot contribute to itself.")})
    if parent.pk == child.parent_id:
        raise ValidationError({"parent": _("It is already aligned to this objective as its primary parent.")})
    _check_open_target(parent, "parent")


def _check_visibility_fits(child: Objective, target: Objective, field: str) -> None:
    """A child is never shown to more people than what it counts in (DESIGN §3)."""
    try:
        check_not_wider(child.visibility, target.visibility)
    except ValidationError as exc:
        raise ValidationError({field: exc.message_dict["visibility"]}) from None


def _check_open_target(objective: Objective, field: str) -> None:
    """What is fed must be in an open cycle of the organisation, neither closed nor cancelled."""
    closed = objective.cycle is not None and not objective.cycle.is_open()
    if objective.status in (ObjectiveStatus.CANCELLED, ObjectiveStatus.CLOSED) or objective.cycle is None or closed:
        raise ValidationError({field: _("Choose an objective of an open cycle that is neither closed nor cancelled.")})


def _check_target_key_result(child: Objective, key_result: KeyResult) -> None:
    if key_result.organization_id != child.organization_id:
        raise KeyResult.DoesNotExist
    if key_result.kind != KeyResultKind.ALIGNED:
        raise ValidationError(
            {
                "key_result": _(
                    "Only a key result of kind “aligned” takes contributions; this one is measured by its check-ins."
                )
            }
        )
    _check_open_target(key_result.objective, "key_result")


def _check_room(child: Objective) -> None:
    count = Contribution.objects.filter(organization_id=child.organization_id, child=child).count()
    if count >= MAX_CONTRIBUTIONS:
        raise ValidationError(
            {
                "child": _("An objective contributes to at most %(max)d further objectives or key results.")
                % {"max": MAX_CONTRIBUTIONS}
            }
        )


@transaction.atomic
def contribution_create(
    *,
    child: Objective,
    actor: User | None,
    parent: Objective | None = None,
    key_result: KeyResult | None = None,
    weight: Any = 1.0,
) -> Contribution:
    """Make ``child`` count in ``parent`` or in ``key_result`` (exactly one) with ``weight``,
    then roll the child up so everything it now feeds moves."""
    if (parent is None) == (key_result is None):
        raise ValidationError({"parent": _("Name either an objective or a key result to contribute to, not both.")})
    org_id = child.organization_id
    hold_cycle(objective_id=child.pk)
    hold_alignment(org_id)
    child = Objective.objects.select_related("cycle", "organization").get(organization_id=org_id, pk=child.pk)
    check_cycle_open(child.cycle)
    if child.status in (ObjectiveStatus.CANCELLED, ObjectiveStatus.CLOSED):
        raise ValidationError({"child": _("A closed or cancelled objective contributes to nothing new.")})
    value = contribution_weight(weight)
    if parent is not None:
        _check_target_objective(child, parent)
        target_id, field = parent.pk, "parent"
        taken = Contribution.objects.filter(child=child, parent=parent).exists()
    else:
        assert key_result is not None  # noqa: S101 — exactly one was given, checked above
        _check_target_key_result(child, key_result)
        target_id, field = key_result.objective_id, "key_result"
        taken = Contribution.objects.filter(child=child, key_result=key_result).exists()
    if taken:
        raise ValidationError({field: _("It already contributes to this.")})
    _check_visibility_fits(child, parent or key_result.objective, field)  # type: ignore[union-attr]  # one of them is set
    _check_room(child)
    check_no_loop(org_id=org_id, child_id=child.pk, target_id=target_id, field=field)
    link = Contribution.objects.create(
        organization_id=org_id, child=child, parent=parent, key_result=key_result, weight=value
    )
    activity_record(org=child.organization, actor=actor, verb="contribution.created", target=link, after=_snap(link))
    schedule_rollup(org_id=org_id, objective_id=child.pk)
    return link


@transaction.atomic
def contribution_update(*, contribution: Contribution, actor: User | None, weight: Any) -> Contribution:
    """Change a link's weight; what it feeds rolls up."""
    hold_cycle(objective_id=contribution.child_id)
    link = (
        Contribution.objects.select_for_update(of=("self",))
        .select_related("child__cycle", "child__organization")
        .get(organization_id=contribution.organization_id, pk=contribution.pk)
    )
    check_cycle_open(link.child.cycle)
    before = _snap(link)
    link.weight = contribution_weight(weight)
    link.save(update_fields=["weight"])
    activity_record(
        org=link.child.organization,
        actor=actor,
        verb="contribution.updated",
        target=link,
        before=before,
        after=_snap(link),
    )
    schedule_rollup(org_id=link.organization_id, objective_id=link.child_id)
    return link


@transaction.atomic
def contribution_delete(*, contribution: Contribution, actor: User | None) -> None:
    """Remove a link; what it fed rolls up without it."""
    hold_cycle(objective_id=contribution.child_id)
    link = Contribution.objects.select_related("child__cycle", "child__organization", "key_result").get(
        organization_id=contribution.organization_id, pk=contribution.pk
    )
    check_cycle_open(link.child.cycle)
    fed = link.parent_id if link.parent_id is not None else link.key_result.objective_id if link.key_result else None
    activity_record(
        org=link.child.organization, actor=actor, verb="contribution.deleted", target=link, before=_snap(link)
    )
    link.delete()
    if fed is not None:
        schedule_rollup(org_id=link.organization_id, objective_id=fed)


def _snap(link: Contribution) -> dict[str, Any]:
    return {"child": link.child_id, "parent": link.parent_id, "key_result": link.key_result_id, "weight": link.weight}
