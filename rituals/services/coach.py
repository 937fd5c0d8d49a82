"""Dismissing a coach finding: advice may be ignored, but with a reason, on the record; and
undoing that, on the record too."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from activity.services import activity_record
from core.ids import parse_id
from kpis.models import Kpi
from objectives.models import CoachDismissal, KeyResult, Objective
from orgs import permissions
from orgs.models import Membership, Organization, User
from rituals.coach import RULES

OBJECT_TYPES = frozenset({"objective", "key_result", "kpi", "owner"})


def coach_dismissable(*, membership: Membership, objects: Iterable[tuple[str, object]]) -> set[tuple[str, str]]:
    """Which of these findings' objects (``(object_type, object_id)``) ``membership`` may dismiss
    advice on, or undo a dismissal: an objective, or a key result of one, that they may edit; a
    KPI they may edit; an owner ("team:3", "person:7", "company") whose objectives and KPIs they
    may edit. Pages and API ask this one function; three queries whatever the number."""
    m = membership
    if not permissions.can_write(m):
        return set()
    wanted = {(kind, str(ident)) for kind, ident in objects}

    def ids(kind: str) -> list[int]:
        return [i for k, raw in wanted if k == kind and (i := parse_id(raw))]

    allowed: set[tuple[str, str]] = set()
    org_id = m.organization_id
    if wanted_objectives := ids("objective"):
        for o in Objective.objects.filter(organization_id=org_id, pk__in=wanted_objectives):
            if o.editable_by(m):
                allowed.add(("objective", str(o.pk)))
    if wanted_krs := ids("key_result"):
        for kr in KeyResult.objects.filter(organization_id=org_id, pk__in=wanted_krs).select_related("objective"):
            if kr.objective.editable_by(m):
                allowed.add(("key_result", str(kr.pk)))
    if wanted_kpis := ids("kpi"):
        for kpi in Kpi.objects.filter(organization_id=org_id, pk__in=wanted_kpis):
            if kpi.editable_by(m):
                allowed.add(("kpi", str(kpi.pk)))
    for kind, raw in wanted:
        if kind != "owner":
            continue
        level, _sep, ident = raw.partition(":")
        if level in ("team", "person", "company") and permissions.can_edit_owned(
            m,
            owner_type=level,
            owner_team_id=parse_id(ident) if level == "team" else None,
            owner_user_id=parse_id(ident) if level == "person" else None,
        ):
            allowed.add((kind, raw))
    return allowed


def coach_dismissal_allowed(*, membership: Membership, object_type: str, object_id: object) -> bool:
    """May ``membership`` dismiss the advice on this object, or undo that (``coach_dismissable``)."""
    return (object_type, str(object_id)) in coach_dismissable(membership=membership, objects=[(object_type, object_id)])


@transaction.atomic
def coach_dismiss(
    *, org: Organization, actor: User, code: str, object_type: str, object_id: int | str, reason: str
) -> CoachDismissal:
    """Dismiss one finding (rule + object) with a reason; the scores then leave it out.
    Dismissing it again replaces the reason. Logged."""
    if code not in RULES:
        raise ValidationError({"code": _("Unknown coach rule.")})
    if object_type not in OBJECT_TYPES:
        raise ValidationError({"object_type": _("Unknown kind of object.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this advice does not apply.")})
    if len(reason) > 1000:
        raise ValidationError({"reason": _("Use at most %(max)d characters.") % {"max": 1000}})
    dismissal, _created = CoachDismissal.objects.update_or_create(
        organization=org,
        code=code,
        object_type=object_type,
        object_id=str(object_id),
        defaults={"reason": reason, "actor": actor},
    )
    activity_record(
        org=org,
        actor=actor,
        verb="coach.dismissed",
        target_type=f"objectives.{object_type.replace('_', '')}",
        after={"code": code, "object_type": object_type, "object_id": str(object_id), "reason": reason},
    )
    return dismissal


@transaction.atomic
def coach_undismiss(*, org: Organization, actor: User, code: str, object_type: str, object_id: int | str) -> str:
    """Undo a dismissal: the finding counts in the scores again. Returns the reason it had been
    dismissed for; logged with that reason. Refused when the finding is not dismissed."""
    dismissal = (
        CoachDismissal.objects.select_for_update()
        .filter(organization=org, code=code, object_type=object_type, object_id=str(object_id))
        .first()
    )
    if dismissal is None:
        raise ValidationError({"code": _("This advice is not dismissed: there is nothing to undo.")})
    reason = dismissal.reason
    dismissal.delete()
    activity_record(
        org=org,
        actor=actor,
        verb="coach.undismissed",
        target_type=f"objectives.{object_type.replace('_', '')}",
        before={"code": code, "object_type": object_type, "object_id": str(object_id), "reason": reason},
    )
    return reason
