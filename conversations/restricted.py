"""What a reader may not see of conversations in the activity log (DESIGN §3, Visibility):
comments and reactions follow their objective."""

from __future__ import annotations

from django.db.models import Q

from conversations.models import Comment, Reaction
from objectives.restricted import hidden_objectives
from orgs.models import Membership


def hidden_activity(m: Membership) -> Q | None:
    """The entries about comments and reactions on objectives ``m`` may not see."""
    objectives = list(hidden_objectives(m))
    if not objectives:
        return None
    comments = Comment.objects.filter(objective_id__in=objectives).values("id")
    reactions = Reaction.objects.filter(
        Q(comment__objective_id__in=objectives) | Q(check_in__key_result__objective_id__in=objectives)
    ).values("id")
    return Q(target_type="conversations.comment", target_id__in=comments) | Q(
        target_type="conversations.reaction", target_id__in=reactions
    )
