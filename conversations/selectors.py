"""Reads of conversations, in a fixed number of queries whatever the thread's size."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from conversations import mentions
from conversations.models import Acknowledgement, Comment, Reaction, ReactionKind
from orgs.models import Organization, User


@dataclass
class ReactionCount:
    kind: str
    emoji: str
    count: int = 0
    mine: bool = False
    who: list[str] = field(default_factory=list)


def _summary(rows: list[Reaction], user_id: int) -> list[ReactionCount]:
    by_kind = {k: ReactionCount(k, label) for k, label in ReactionKind.choices}
    for r in rows:
        c = by_kind[r.kind]
        c.count += 1
        c.mine = c.mine or r.author_id == user_id
        c.who.append(r.author.display_name)
    return list(by_kind.values())


def conversation(*, org: Organization, objective_id: int, check_in_ids: list[int], user: User) -> dict[str, Any]:
    """An objective's comments (its own, and per check-in), reactions with
    counts and the viewer's own, acknowledgements per check-in, and the
    people mentioned by id: five queries."""
    comments = list(
        Comment.objects.filter(organization=org, objective_id=objective_id)
        .select_related("author")
        .order_by("created_at", "id")
    )
    comment_ids = [c.pk for c in comments]
    reactions = list(
        Reaction.objects.filter(organization=org)
        .filter(Q(check_in_id__in=check_in_ids) | Q(comment_id__in=comment_ids))
        .select_related("author")
        .order_by("id")
    )
    acks = list(
        Acknowledgement.objects.filter(organization=org, check_in_id__in=check_in_ids)
        .select_related("user")
        .order_by("created_at")
    )
    mentioned_ids: set[int] = set()
    for c in comments:
        mentioned_ids |= mentions.parse(c.body)[0]
    names = (
        dict(User.objects.filter(pk__in=mentioned_ids, memberships__organization=org).values_list("pk", "name"))
        if mentioned_ids
        else {}
    )
    by_target: dict[tuple[str, int | None], list[Reaction]] = defaultdict(list)
    for r in reactions:
        key = ("check_in", r.check_in_id) if r.check_in_id else ("comment", r.comment_id)
        by_target[key].append(r)
    for c in comments:
        c.reaction_summary = _summary(by_target.get(("comment", c.pk), []), user.pk)
        c.mentioned_names = names
    per_check_in: dict[int, list[Comment]] = defaultdict(list)
    for c in comments:
        if c.check_in_id:
            per_check_in[c.check_in_id].append(c)
    acks_by: dict[int, list[Acknowledgement]] = defaultdict(list)
    for a in acks:
        acks_by[a.check_in_id].append(a)
    return {
        "objective_comments": [c for c in comments if not c.check_in_id],
        "check_in_comments": per_check_in,
        "check_in_reactions": {ci: _summary(by_target.get(("check_in", ci), []), user.pk) for ci in check_in_ids},
        "acknowledgements": acks_by,
    }
