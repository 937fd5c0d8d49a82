"""Who can see an objective, as its editors set it (DESIGN §3): a new child takes its
parent's visibility unless told otherwise, a child is never wider than what it counts in
(its parent, or an objective or key result it contributes to), and a parent is never made
narrower than a child: the change is refused, naming how many children are wider, and
the owner narrows them first. Named viewers are people of the organisation only."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import ngettext

from objectives.models import Contribution, Objective
from orgs.visibility import WIDTH, Visibility, check_not_wider, clean_viewers, clean_visibility


def parents_of(objective: Objective | None, parent: Objective | None) -> list[Objective]:
    """What ``objective`` counts in: ``parent`` and, for an existing objective, every objective
    it contributes to (directly or through an aligned key result)."""
    found = [parent] if parent is not None else []
    if objective is not None and objective.pk:
        links = Contribution.objects.filter(child=objective).select_related("parent", "key_result__objective")
        for link in links:
            target = link.parent or (link.key_result.objective if link.key_result else None)
            if target is not None:
                found.append(target)
    return found


def narrowest(objectives: list[Objective]) -> str:
    """The narrowest visibility among ``objectives`` (organisation for none)."""
    settings = [Visibility(o.visibility) for o in objectives] or [Visibility.ORGANIZATION]
    return min(settings, key=lambda v: WIDTH[v])


def wider_children(objective: Objective, visibility: str) -> int:
    """How many objectives counting in ``objective`` would be wider than ``visibility``."""
    wider = [v for v, w in WIDTH.items() if w > WIDTH[Visibility(visibility)]]
    direct = Objective.objects.filter(parent=objective, visibility__in=wider).values_list("pk", flat=True)
    linked = (
        Contribution.objects.filter(child__visibility__in=wider)
        .filter(Q(parent=objective) | Q(key_result__objective=objective))
        .values_list("child_id", flat=True)
    )
    return len(set(direct) | set(linked))


def resolve_visibility(
    *, objective: Objective | None, parent: Objective | None, visibility: Any, viewers: Any, org_id: int
) -> tuple[str, list[Any] | None]:
    """The visibility and viewers to write (``viewers`` None: unchanged). A new objective
    without a visibility takes its parents' narrowest; an existing one keeps its own. Refused:
    wider than a parent, narrower than a child, a viewer from outside the organisation."""
    parents = parents_of(objective, parent)
    inherited = objective.visibility if objective is not None else narrowest(parents)
    chosen = clean_visibility(visibility, inherited=inherited)
    for p in parents:
        check_not_wider(chosen, p.visibility)
    if objective is not None and objective.pk and WIDTH[Visibility(chosen)] < WIDTH[Visibility(objective.visibility)]:
        count = wider_children(objective, chosen)
        if count:
            raise ValidationError(
                {
                    "visibility": ngettext(
                        "%(count)s objective counting in this one is visible to more people: narrow it first.",
                        "%(count)s objectives counting in this one are visible to more people: narrow them first.",
                        count,
                    )
                    % {"count": count}
                }
            )
    cleaned = None if viewers is None else clean_viewers(org_id, viewers)
    return chosen, cleaned
