"""How conversations join the floors below (connected in ``ConversationsConfig.ready()``)."""

from __future__ import annotations

from typing import Any

from conversations import selectors
from conversations.forms import CommentForm
from conversations.models import REACTION_LABELS
from conversations.services import can_acknowledge, check_in_mentions_notify
from orgs import permissions


def add_conversation_to_objective_page(*, request: Any, objective: Any, context: dict[str, Any], **_: Any) -> None:
    """``objectives.extensions.objective_detail_context``: the comments, reactions and
    acknowledgements shown on the objective page and under each check-in."""
    history = context.get("history", [])
    m = request.membership
    data = selectors.conversation(
        org=request.org, objective_id=objective.pk, check_in_ids=[ci.pk for ci in history], user=request.user
    )
    for ci in history:
        ci.thread = data["check_in_comments"].get(ci.pk, [])
        ci.reaction_summary = data["check_in_reactions"].get(ci.pk, [])
        ci.acknowledged_by = data["acknowledgements"].get(ci.pk, [])
        ci.acknowledged_by_me = any(a.user_id == m.user_id for a in ci.acknowledged_by)
        ci.can_acknowledge = not ci.acknowledged_by_me and can_acknowledge(m, ci)
    context.update(
        objective_comments=data["objective_comments"],
        can_converse=permissions.can_write(m),
        reaction_labels=REACTION_LABELS,
        comment_form=context.get("comment_form") or CommentForm(),
    )


def notify_check_in_mentions(*, check_in: Any, objective: Any, actor: Any, **_: Any) -> None:
    """``objectives.signals.check_in_mentions``: the members a check-in's note mentions hear of it."""
    check_in_mentions_notify(check_in=check_in, objective=objective, actor=actor)
