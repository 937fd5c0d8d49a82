"""Grades: who grades a key result, what a grade is, and an objective's grade from its key
results'."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from activity.services import activity_record
from core.numbers import format_grade, format_number
from core.validation import clean_number
from objectives import progress as progress_math
from objectives.models import (
    KeyResult,
)
from objectives.services._helpers import hold_cycle
from orgs import permissions
from orgs.models import Membership, User
from rituals.services._helpers import TEXT_MAX, _check_gradable

GRADE_TOLERANCE = 1e-9


def can_grade(m: Membership, key_result: KeyResult) -> bool:
    """The key result's owner grades it; so does anyone who may edit its objective (a manager)."""
    if not permissions.can_write(m):
        return False
    return key_result.owner_id == m.user_id or key_result.objective.editable_by(m)


def clean_grade(value: Any) -> float:
    """A grade is a number from 0.0 to 1.0."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError({"grade": _("Give a grade from 0.0 to 1.0.")})
    try:
        number = clean_number(value, "grade")
    except ValidationError:
        raise ValidationError(
            {"grade": _("“%(value)s” is not a number; a grade is a number from 0.0 to 1.0.") % {"value": value}}
        ) from None
    if not 0.0 <= number <= 1.0:
        raise ValidationError(
            {"grade": _("A grade is between 0.0 and 1.0; %(value)s is outside.") % {"value": format_number(number)}}
        )
    return round(number, 2)


@transaction.atomic
def key_result_grade(*, key_result: KeyResult, actor: User, grade: Any, note: str = "") -> KeyResult:
    """Set a key result's end-of-cycle grade. A grade that differs from the suggested one
    (clamped progress rounded to 0.1) is an override and needs a note when the organisation
    asks for one. Locks the key result row, after share-locking its cycle (``hold_cycle``)."""
    hold_cycle(objective_id=key_result.objective_id)
    kr = (
        KeyResult.objects.select_for_update(of=("self",))
        .select_related("objective__cycle", "organization")
        .get(pk=key_result.pk)
    )
    _check_gradable(kr.objective.cycle)
    value = clean_grade(grade)
    note = (note or "").strip()
    if len(note) > TEXT_MAX:
        raise ValidationError({"grade_note": _("Use at most %(max)d characters.") % {"max": TEXT_MAX}})
    suggested = progress_math.grade(kr.progress)
    override = abs(value - suggested) > GRADE_TOLERANCE
    if override and not note and kr.organization.grade_note_required:
        raise ValidationError(
            {
                "grade_note": _("The grade %(grade)s differs from the suggested %(suggested)s: say why in a note.")
                % {"grade": format_grade(value), "suggested": format_grade(suggested)}
            }
        )
    before = {"grade": kr.grade, "grade_note": kr.grade_note}
    kr.grade, kr.grade_note = value, note
    kr.save(update_fields=["grade", "grade_note", "updated_at"])
    activity_record(
        org=kr.organization,
        actor=actor,
        verb="key_result.graded",
        target=kr,
        before=before,
        after={"grade": value, "grade_note": note, "suggested": suggested},
    )
    return kr


def objective_grade(key_results: Iterable[tuple[float | None, float, float]]) -> float | None:
    """The objective's grade: the weighted mean of its key results' grades (an ungraded key result
    counts with its suggested grade). ``key_results`` are ``(grade, progress, weight)``; None when
    there is none."""
    items = [
        progress_math.Contribution(value=grade if grade is not None else progress_math.grade(progress), weight=weight)
        for grade, progress, weight in key_results
    ]
    if not items:
        return None
    return round(progress_math.weighted_mean(items), 2)
