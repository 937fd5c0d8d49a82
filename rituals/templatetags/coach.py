"""Template helpers of the quality coach."""

from __future__ import annotations

from django import template

from rituals.coach import Finding

register = template.Library()


@register.filter
def coach_dismissal(dismissed: dict[tuple[str, str, str], str], finding: Finding) -> str:
    """The reason a finding was dismissed with, or '' while it stands."""
    return dismissed.get((finding.code, finding.object_type, str(finding.object_id)), "")


@register.filter
def coach_may_dismiss(allowed: bool | set[tuple[str, str]], finding: Finding) -> bool:
    """Whether the dismiss (or undo) button shows: ``allowed`` is a flag, or the objects the
    viewer may dismiss advice on (``services.coach_dismissable``)."""
    if isinstance(allowed, bool):
        return allowed
    return finding.object_id is not None and (finding.object_type, str(finding.object_id)) in (allowed or set())
