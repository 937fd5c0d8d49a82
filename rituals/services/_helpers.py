"""What the rituals' services share: the text limit and when a cycle takes grades and
retrospectives."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cycles.models import Cycle, CycleStatus
from objectives.services._helpers import check_cycle_open

TEXT_MAX = 5000


def _check_gradable(cycle: Cycle | None) -> Cycle:
    if cycle is None:
        raise ValidationError({"cycle": _("A backlog objective has no cycle to be graded in.")})
    check_cycle_open(cycle)
    if cycle.status != CycleStatus.ACTIVE:
        raise ValidationError({"grade": _("Grades are given when an active cycle is being closed.")})
    return cycle


def _clean_text(value: str, field: str) -> str:
    value = (value or "").strip()
    if len(value) > TEXT_MAX:
        raise ValidationError({field: _("Use at most %(max)d characters.") % {"max": TEXT_MAX}})
    return value
