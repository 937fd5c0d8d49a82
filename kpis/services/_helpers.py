"""Checks and snapshots shared by the KPI services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from core.validation import clean_optional_number
from kpis import periods
from kpis.models import Direction, Kpi

# --- helpers -------------------------------------------------------------------------------

MAX_NOTE = 2000


@dataclass(frozen=True)
class Targets:
    target: float | None
    target_low: float | None
    target_high: float | None
    amber_threshold: float | None


def _targets(direction: str, target: Any, target_low: Any, target_high: Any, amber_threshold: Any) -> Targets:
    """Check the target (or range) and amber threshold fit the direction; keep only what it uses."""
    if direction not in Direction.values:
        raise ValidationError({"direction": _("Choose higher is better, lower is better or within a range.")})
    amber = clean_optional_number(amber_threshold, "amber_threshold")
    if direction == Direction.WITHIN_RANGE:
        low = clean_optional_number(target_low, "target_low")
        high = clean_optional_number(target_high, "target_high")
        if low is None:
            raise ValidationError({"target_low": _("A range needs its lowest good value.")})
        if high is None:
            raise ValidationError({"target_high": _("A range needs its highest good value.")})
        if low > high:
            raise ValidationError({"target_high": _("The highest good value must not be below the lowest.")})
        if amber is not None and amber < 0:
            raise ValidationError(
                {"amber_threshold": _("For a range, the amber threshold is a tolerance outside it: 0 or more.")}
            )
        return Targets(None, low, high, amber)
    goal = clean_optional_number(target, "target")
    if goal is None:
        raise ValidationError({"target": _("A target is required.")})
    if amber is not None and direction == Direction.HIGHER_IS_BETTER and amber > goal:
        raise ValidationError(
            {
                "amber_threshold": _(
                    "When higher is better, amber starts below the target: the threshold must not exceed %(t)s."
                )
                % {"t": f"{goal:g}"}
            }
        )
    if amber is not None and direction == Direction.LOWER_IS_BETTER and amber < goal:
        raise ValidationError(
            {
                "amber_threshold": _(
                    "When lower is better, amber starts above the target: the threshold must be at least %(t)s."
                )
                % {"t": f"{goal:g}"}
            }
        )
    return Targets(goal, None, None, amber)


def _choice(value: str, choices: type[models.TextChoices], field: str, message: str) -> str:
    if value not in choices.values:
        raise ValidationError({field: message})
    return value


def _snapshot(kpi: Kpi) -> dict[str, Any]:
    return {
        "name": kpi.name,
        "description": kpi.description,
        "how_measured": kpi.how_measured,
        "owner_type": kpi.owner_type,
        "owner_team": kpi.owner_team_id,
        "owner_user": kpi.owner_user_id,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "target": kpi.target,
        "target_low": kpi.target_low,
        "target_high": kpi.target_high,
        "amber_threshold": kpi.amber_threshold,
        "frequency": kpi.frequency,
        "perspective": kpi.perspective,
        "active": kpi.active,
        "tracking_since": kpi.tracking_since.isoformat() if kpi.tracking_since else None,
        "formula": kpi.formula,
        "source": kpi.source_id,
        "source_query": kpi.source_query,
        "source_period_column": kpi.source_period_column,
    }


def _as_date(value: Any, field: str) -> date:
    if isinstance(value, date):
        day = value
    else:
        try:
            day = periods.parse_period(str(value))
        except ValueError:
            raise ValidationError({field: _("Enter a date as YYYY-MM-DD.")}) from None
    if day < periods.EARLIEST:
        raise ValidationError(
            {field: _("Periods before %(year)d are not supported.") % {"year": periods.EARLIEST.year}}
        )
    return day
