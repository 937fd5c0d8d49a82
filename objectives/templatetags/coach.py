"""Template helpers of the quality coach."""

from __future__ import annotations

from django import template

from objectives.coach import Finding

register = template.Library()


@register.filter
def coach_dismissal(dismissed: dict[tuple[str, str, str], str], finding: Finding) -> str:
    """The reason a finding was dismissed with, or '' while it stands."""
    return dismissed.get((finding.code, finding.object_type, str(finding.object_id)), "")
