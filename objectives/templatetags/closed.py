"""Template helpers for objectives whose cycle is closed: they are graded, not tracked."""

from __future__ import annotations

from django import template

from objectives.models import Objective

register = template.Library()


@register.filter
def shown_health(objective: Objective) -> str:
    """The objective's health (``Objective.health``), or "" once its cycle is closed: a closed
    cycle shows grades, not "at risk" against a pace that has ended (the rule is in
    ``objective_health``)."""
    return objective.health()
