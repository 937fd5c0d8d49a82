"""Dismissing a coach finding: advice may be ignored, but with a reason, on the record; and
undoing that, on the record too."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from activity.services import activity_record
from objectives.coach import RULES
from objectives.models import CoachDismissal
from orgs.models import Organization, User

OBJECT_TYPES = frozenset({"objective", "key_result", "kpi", "owner"})


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
