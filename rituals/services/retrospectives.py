"""Retrospectives: who reviews them, writing one, its review, and which still wait."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from activity.services import activity_record
from cycles.models import Cycle
from objectives.models import (
    Objective,
    ObjectiveStatus,
    Retrospective,
)
from objectives.services._helpers import hold_cycle
from orgs import permissions
from orgs.models import Membership, TeamMember, User
from rituals.services._helpers import _check_gradable, _clean_text


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


@transaction.atomic
def retrospective_save(
    *, objective: Objective, actor: User, went_well: str = "", went_badly: str = "", learned: str = ""
) -> Retrospective:
    """Write (or rewrite) an objective's retrospective. A changed text needs a fresh acknowledgement."""
    hold_cycle(objective_id=objective.pk)
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
    retro.save(update_fields=[*texts, "author", "acknowledged_at", "acknowledged_by", "updated_at"])
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
    hold_cycle(objective_id=objective.pk)
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
